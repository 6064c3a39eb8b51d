import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { transposeRef } from './ref/transpose.js';
import { prepareTranspose } from '../src/ops/transpose.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

function perms(r: number): number[][] {
  if (r === 0) return [[]];
  const out: number[][] = [];
  for (const p of perms(r - 1)) for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), r - 1, ...p.slice(i)]);
  return out;
}

function apply(d: Float32Array, shape: number[], perm?: number[]): { y: Float32Array; shape: number[] } {
  const x = Tensor.from(d, shape);
  const y = ops.transpose(x, perm);
  try {
    expectCanariesIntact(`transpose [${shape}] perm [${perm}]`);
    return { y: y.toFloat32Array(), shape: y.shape.slice() };
  } finally {
    x.dispose();
    y.dispose();
  }
}

describe('transpose', () => {
  it('every permutation of ranks 1–4 over shapes with every remainder mod 4, odd sizes and 1s (exact)', () => {
    const shapes = [[7], [3, 5], [4, 8], [5, 9], [1, 6], [2, 3, 5], [3, 4, 7], [2, 1, 6], [2, 3, 4, 5], [3, 5, 2, 7], [2, 1, 3, 1], [1, 6, 5, 4]];
    for (const shape of shapes) {
      const d = randArray(sizeOf(shape), sizeOf(shape));
      for (const perm of perms(shape.length)) {
        const want = transposeRef(d, shape, perm);
        const got = apply(d, shape, perm);
        expect(got.shape).toEqual(want.shape);
        expectClose(got.y, want.y, want.shape, `transpose [${shape}] perm [${perm}]`, 0, 0);
      }
    }
  });

  it('last-two-dims tiles: rows and cols 1..13, batch 1 and 3; NCHW → NHWC; rank 5 and 6', () => {
    for (let rows = 1; rows <= 13; rows++) {
      for (let cols = 1; cols <= 13; cols++) {
        for (const shape of [[rows, cols], [3, rows, cols]]) {
          const perm = shape.length === 2 ? [1, 0] : [0, 2, 1];
          const d = randArray(sizeOf(shape), rows * 17 + cols);
          const want = transposeRef(d, shape, perm);
          expectClose(apply(d, shape, perm).y, want.y, want.shape, `[${shape}] perm [${perm}]`, 0, 0);
        }
      }
    }
    for (const shape of [[2, 5, 3, 7], [2, 16, 4, 4]]) {
      const d = randArray(sizeOf(shape), 3);
      const want = transposeRef(d, shape, [0, 2, 3, 1]);
      expectClose(apply(d, shape, [0, 2, 3, 1]).y, want.y, want.shape, `NCHW→NHWC [${shape}]`, 0, 0);
    }
    for (const [shape, perm] of [[[2, 3, 2, 3, 2], [4, 2, 0, 3, 1]], [[2, 1, 3, 2, 2, 3], [5, 0, 3, 1, 4, 2]], [[2, 3, 2, 2, 3, 2], [1, 0, 2, 4, 3, 5]]] as [number[], number[]][]) {
      const d = randArray(sizeOf(shape), 4);
      const want = transposeRef(d, shape, perm);
      expectClose(apply(d, shape, perm).y, want.y, want.shape, `[${shape}] perm [${perm}]`, 0, 0);
    }
  });

  it('the channel shuffle [N, g, C/g, H, W] → [N, C/g, g, H, W], default (reversed) and negative perms', () => {
    for (const [n, g, cg, h, w] of [[2, 2, 3, 5, 5], [1, 3, 4, 7, 7], [2, 4, 2, 1, 3]]) {
      const shape = [n, g, cg, h, w];
      const d = randArray(sizeOf(shape), g * cg);
      const want = transposeRef(d, shape, [0, 2, 1, 3, 4]);
      expectClose(apply(d, shape, [0, 2, 1, 3, 4]).y, want.y, want.shape, `shuffle [${shape}]`, 0, 0);
    }
    const d = randArray(24, 1);
    expectClose(apply(d, [2, 3, 4]).y, transposeRef(d, [2, 3, 4], [2, 1, 0]).y, [4, 3, 2], 'reversed', 0, 0);
    expectClose(apply(d, [2, 3, 4], [-1, 0, 1]).y, transposeRef(d, [2, 3, 4], [2, 0, 1]).y, [4, 2, 3], 'negative', 0, 0);
  });

  it('backward is the inverse permutation (central differences of L = Σ y⊙r), prepared form, messages', () => {
    const shape = [2, 3, 4, 5];
    const d = randArray(120, 2);
    for (const perm of [[0, 2, 3, 1], [3, 1, 0, 2], [1, 0, 2, 3]]) {
      const out = perm.map((p) => shape[p]);
      const r = randArray(120, 5);
      const dy = Tensor.from(r, out);
      const dx = ops.transposeBackward(dy, perm);
      expect(dx.shape).toEqual(shape);
      fdCheck({ x: d, shape, r, analytic: dx.toFloat32Array(), samples: 30, what: `transposeBackward [${perm}]`, forward: (xp) => apply(xp, shape, perm).y });
      dy.dispose();
      dx.dispose();
    }
    const p = prepareTranspose([2, 3], [1, 0]);
    expect(p.outShape).toEqual([3, 2]);
    p.dispose();
    const x = Tensor.zeros([2, 3]);
    expect(() => ops.transpose(x, [0, 0])).toThrow(/transpose: perm \[0, 0\] is not a permutation of 0..1/);
    expect(() => ops.transpose(x, [0])).toThrow(/transpose: perm must be an array of 2 integers/);
    expect(() => prepareTranspose([1, 1, 1, 1, 1, 1, 1])).toThrow(/transpose: x must have rank ≤ 6/);
    x.dispose();
  });
});
