import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, fdCheck, randArray, ready, rng, sizeOf } from './helpers.js';
import { sliceRef } from './ref/transpose.js';
import { prepareSplit } from '../src/ops/slice.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

type Args = [number[], number[], number[], number[]];

function apply(d: Float32Array, shape: number[], [s, e, a, st]: Args): { y: Float32Array; shape: number[] } {
  const x = Tensor.from(d, shape);
  const y = ops.slice(x, s, e, a, st);
  try {
    expectCanariesIntact(`slice [${shape}]`);
    return { y: y.toFloat32Array(), shape: y.shape.slice() };
  } finally {
    x.dispose();
    y.dispose();
  }
}

describe('slice', () => {
  it('random starts/ends/steps (negative, out of range, negative steps) on every axis set of ranks 1–4 (exact)', () => {
    const g = rng(7);
    const int = (lo: number, hi: number) => lo + Math.floor(g() * (hi - lo + 1));
    const shapes = [[9], [5, 7], [4, 8], [3, 4, 5], [2, 5, 3, 6], [2, 3, 1, 9]];
    let n = 0;
    for (const shape of shapes) {
      const d = randArray(sizeOf(shape), sizeOf(shape));
      const r = shape.length;
      for (let m = 1; m < 1 << r; m++) {
        for (let rep = 0; rep < 6; rep++) {
          const axes = Array.from({ length: r }, (_, i) => i).filter((i) => m & (1 << i)).map((a) => (g() < 0.3 ? a - r : a));
          const dims = axes.map((a) => shape[a < 0 ? a + r : a]);
          const starts = dims.map((dm) => int(-dm - 2, dm + 2));
          const ends = dims.map((dm) => int(-dm - 2, dm + 2));
          const steps = dims.map(() => [1, 1, 2, 3, -1, -2][int(0, 5)]);
          const want = sliceRef(d, shape, starts, ends, axes, steps);
          const got = apply(d, shape, [starts, ends, axes, steps]);
          const what = `slice [${shape}] starts [${starts}] ends [${ends}] axes [${axes}] steps [${steps}]`;
          expect(got.shape, what).toEqual(want.shape);
          expectClose(got.y, want.y, want.shape, what, 0, 0);
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(150);
  });

  it('defaults (axes 0.., steps 1), ±Infinity ends, a full reverse, an empty result', () => {
    const d = randArray(60, 3);
    const shape = [3, 4, 5];
    const cases: Args[] = [[[1], [3], [0, 1, 2].slice(0, 1), [1]], [[0, 1], [Infinity, -1], [0, 1], [1, 1]], [[-1], [-Infinity], [2], [-1]], [[2], [2], [1], [1]]];
    for (const c of cases) {
      const want = sliceRef(d, shape, ...c);
      expectClose(apply(d, shape, c).y, want.y, want.shape, `slice ${JSON.stringify(c)}`, 0, 0);
    }
    const x = Tensor.from(d, shape);
    const y = ops.slice(x, [1, 0], [3, 2]);
    expect(y.shape).toEqual([2, 2, 5]);
    y.dispose();
    expect(() => ops.slice(x, [0], [1], [0], [0])).toThrow(/slice: steps\[0\] must be a non-zero integer, got 0/);
    expect(() => ops.slice(x, [0], [1, 2])).toThrow(/slice: ends has 2 entries but starts has 1/);
    expect(() => ops.slice(x, [0, 0], [1, 1], [1, -2])).toThrow(/slice: axes names dimension 1 twice/);
    expect(() => ops.slice(x, [0], [1], [3])).toThrow(/slice: axes\[0\] 3 is out of range for shape \[3, 4, 5\]/);
    x.dispose();
  });

  it('backward scatters dy into zeros (reference and central differences of L = Σ y⊙r)', () => {
    const shape = [3, 4, 5];
    const d = randArray(60, 4);
    const cases: Args[] = [[[1], [3], [0], [1]], [[3, -1], [0, 0], [1, 2], [-1, -2]], [[0, 1, 4], [3, 4, 0], [0, 1, 2], [2, 2, -3]]];
    for (const c of cases) {
      const want = sliceRef(d, shape, ...c);
      const r = randArray(want.y.length, 8);
      const dy = Tensor.from(r, want.shape);
      const dx = ops.sliceBackward(dy, shape, ...c);
      const ref = new Float64Array(60);
      want.index.forEach((xi, i) => { ref[xi] += r[i]; });
      expectClose(dx.toFloat32Array(), ref, shape, `sliceBackward ${JSON.stringify(c)}`, 0, 0);
      fdCheck({ x: d, shape, r, analytic: dx.toFloat32Array(), what: 'sliceBackward', forward: (xp) => apply(xp, shape, c).y });
      dy.dispose();
      dx.dispose();
    }
  });
});

describe('split', () => {
  it('sizes and counts along every axis (torch.split / torch.chunk), backward by concat', () => {
    const shape = [4, 6, 5];
    const d = randArray(120, 9);
    const x = Tensor.from(d, shape);
    for (let axis = -3; axis < 3; axis++) {
      const ax = axis < 0 ? axis + 3 : axis;
      const n = shape[ax];
      for (const how of [[1, n - 1], [n], [0, n], 1, 2, 3, 4, 7] as (number | number[])[]) {
        const parts = ops.split(x, how, axis);
        expectCanariesIntact('split');
        const sizes = parts.map((p) => p.shape[ax]);
        if (typeof how === 'number') {
          const size = Math.ceil(n / how);
          expect(sizes.every((s, i) => s === (i < sizes.length - 1 ? size : n - size * (sizes.length - 1)))).toBe(true);
        } else {
          expect(sizes).toEqual(how);
        }
        let at = 0;
        for (const p of parts) {
          const s = p.shape[ax];
          const want = sliceRef(d, shape, [at], [at + s], [ax], [1]);
          expectClose(p.toFloat32Array(), want.y, want.shape, `split ${JSON.stringify(how)} axis ${axis}`, 0, 0);
          at += s;
        }
        const back = ops.splitBackward(parts, axis);
        expectClose(back.toFloat32Array(), d, shape, 'splitBackward', 0, 0);
        back.dispose();
        for (const p of parts) p.dispose();
      }
    }
    expect(() => ops.split(x, [2, 3], 0)).toThrow(/split: sizes \[2, 3\] add up to 5 but x \[4, 6, 5\] has 4 along axis 0/);
    expect(() => ops.split(x, 0)).toThrow(/split: a count of chunks must be a positive integer, got 0/);
    const p = prepareSplit([4, 6], 2, 1);
    expect(p.outShapes).toEqual([[4, 3], [4, 3]]);
    p.dispose();
    x.dispose();
  });
});
