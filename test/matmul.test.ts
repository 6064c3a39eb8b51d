import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { matmulRef } from './ref/matmul.js';
import { prepareMatmul } from '../src/ops/matmul.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

function apply(a: Float32Array, as: number[], b: Float32Array, bs: number[]): { y: Float32Array; shape: number[] } {
  const ta = Tensor.from(a, as), tb = Tensor.from(b, bs);
  const y = ops.matmul(ta, tb);
  try {
    expectCanariesIntact(`matmul [${as}]·[${bs}]`);
    return { y: y.toFloat32Array(), shape: y.shape.slice() };
  } finally {
    for (const t of [ta, tb, y]) t.dispose();
  }
}

function check(as: number[], bs: number[]): void {
  const a = randArray(sizeOf(as), sizeOf(as) * 7 + 1), b = randArray(sizeOf(bs), sizeOf(bs) * 3 + 2);
  const want = matmulRef(a, as, b, bs);
  const got = apply(a, as, b, bs);
  const what = `matmul [${as}]·[${bs}]`;
  expect(got.shape, what).toEqual(want.shape);
  expectClose(got.y, want.y, want.shape, what);
}

const BATCHED: [number[], number[]][] = [
  [[7], [7, 5]], [[6, 7], [7]], [[9], [9]], [[5], [2, 5, 3]], [[2, 3, 4], [4]], [[1], [1, 1]],
  [[2, 3, 4, 5], [5, 6]], [[2, 1, 4, 5], [3, 5, 6]], [[4, 5], [2, 3, 5, 6]], [[2, 3, 4, 5], [2, 3, 5, 6]],
  [[1, 3, 4, 5], [2, 1, 5, 7]], [[3, 1, 5], [3, 5, 9]], [[2, 1, 9], [9, 1]], [[2, 3, 3, 13], [13, 10]], [[3, 2, 1, 4], [1, 4, 8]],
];

describe('matmul', () => {
  it('2-D products with M, N, K around the 4×8 tile edges', () => {
    for (const m of [1, 2, 3, 4, 5, 7, 8, 9, 17]) {
      for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17]) {
        for (const k of [1, 3, 4, 5, 16, 33]) check([m, k], [k, n]);
      }
    }
  });

  it('1-D operands and broadcast batch dims (NumPy rules), channels-last linear, large K', () => {
    for (const [as, bs] of BATCHED) check(as, bs);
    check([2, 7, 7, 24], [24, 96]);
    check([3, 300], [300, 70]);
  });

  it('empty dims: K = 0 gives zeros, M = 0 or a zero batch gives an empty result', () => {
    const a = Tensor.zeros([3, 0]), b = Tensor.zeros([0, 4]);
    const y = ops.matmul(a, b);
    expect(y.shape).toEqual([3, 4]);
    expect(Array.from(y.toFloat32Array())).toEqual(new Array(12).fill(0));
    const a2 = Tensor.zeros([0, 2, 3]), b2 = Tensor.zeros([3, 4]);
    const y2 = ops.matmul(a2, b2);
    expect(y2.shape).toEqual([0, 2, 4]);
    for (const t of [a, b, y, a2, b2, y2]) t.dispose();
  });

  it('prepared runs with its scratch; messages name the op and both shapes', () => {
    const p = prepareMatmul([2, 5, 6], [6, 9]);
    expect(p.outShape).toEqual([2, 5, 9]);
    const a = randArray(60, 1), b = randArray(54, 2);
    const ta = Tensor.from(a, [2, 5, 6]), tb = Tensor.from(b, [6, 9]), y = Tensor.empty(p.outShape), s = Tensor.empty([p.scratchBytes / 4]);
    p.run([ta.ptr, tb.ptr], y.ptr, s.ptr);
    expectClose(y.toFloat32Array(), matmulRef(a, [2, 5, 6], b, [6, 9]).y, [2, 5, 9], 'prepared');
    p.dispose();
    expect(() => ops.matmul(ta, ta)).toThrow(/matmul: a \[2, 5, 6\] has 6 columns but b \[2, 5, 6\] has 5 rows/);
    const c = Tensor.zeros([3, 6, 2]);
    expect(() => ops.matmul(ta, c)).toThrow(/matmul: batch dims of a \[2, 5, 6\] and b \[3, 6, 2\] do not broadcast \(dim 0 of the batch: 2 vs 3\)/);
    const s0 = Tensor.zeros([]);
    expect(() => ops.matmul(s0, tb)).toThrow(/matmul: both operands need rank ≥ 1/);
    for (const t of [ta, tb, y, s, c, s0]) t.dispose();
  });
});

describe('matmul backward', () => {
  it('da and db (reduced over broadcast batch dims) by central differences of L = Σ y⊙r', () => {
    const cases: [number[], number[]][] = [[[3, 5], [5, 4]], [[1, 6], [6, 9]], [[5, 3], [3, 1]], [[2, 3, 6], [2, 6, 128]], [[3, 2, 5, 4], [2, 4, 9]], ...BATCHED];
    for (const [as, bs] of cases) {
      const a = randArray(sizeOf(as), 21), b = randArray(sizeOf(bs), 22);
      const out = matmulRef(a, as, b, bs);
      const r = randArray(out.y.length, 23);
      const ta = Tensor.from(a, as), tb = Tensor.from(b, bs), dc = Tensor.from(r, out.shape);
      const g = ops.matmulBackward(dc, ta, tb);
      const what = `matmulBackward [${as}]·[${bs}]`;
      expect(g.da.shape).toEqual(as);
      expect(g.db.shape).toEqual(bs);
      fdCheck({ x: a, shape: as, r, analytic: g.da.toFloat32Array(), samples: 40, what: `${what} da`, forward: (ap) => apply(ap, as, b, bs).y });
      fdCheck({ x: b, shape: bs, r, analytic: g.db.toFloat32Array(), samples: 40, what: `${what} db`, forward: (bp) => apply(a, as, bp, bs).y });
      for (const t of [ta, tb, dc, g.da, g.db]) t.dispose();
    }
    const a = Tensor.zeros([2, 3]), b = Tensor.zeros([3, 4]), bad = Tensor.zeros([2, 5]);
    expect(() => ops.matmulBackward(bad, a, b)).toThrow(/matmulBackward: dc has shape \[2, 5\] but matmul of a \[2, 3\] and b \[3, 4\] gives \[2, 4\]/);
    for (const t of [a, b, bad]) t.dispose();
  });
});
