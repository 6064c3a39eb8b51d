import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, distinctArray, expectCanariesIntact, expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { type Kind, reduceBackwardRef, reduceRef, reduceShape } from './ref/reduce.js';
import { prepareReduceMean } from '../src/ops/reduce.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

const FWD = { sum: ops.reduceSum, mean: ops.reduceMean, max: ops.reduceMax } as const;
const KINDS: Kind[] = ['sum', 'mean', 'max'];

/** Every subset of 0..r−1 (as axis lists), the empty one meaning "all". */
function subsets(r: number): number[][] {
  const out: number[][] = [];
  for (let m = 0; m < 1 << r; m++) out.push(Array.from({ length: r }, (_, d) => d).filter((d) => m & (1 << d)));
  return out;
}

function forward(kind: Kind, data: Float32Array, shape: number[], axes: number[] | undefined, keep: boolean): { y: Float32Array; shape: number[] } {
  const x = Tensor.from(data, shape);
  const y = FWD[kind](x, axes, keep);
  try {
    expectCanariesIntact(`${kind} [${shape}] axes ${axes}`);
    return { y: y.toFloat32Array(), shape: y.shape.slice() };
  } finally {
    x.dispose();
    y.dispose();
  }
}

const SHAPES = [
  [5], [4], [17], [3, 7], [4, 8], [2, 9], [6, 1], [1, 13], [2, 3, 5], [3, 4, 6], [2, 7, 9], [1, 5, 1],
  [2, 3, 4, 5], [2, 5, 3, 7], [3, 2, 6, 6], [2, 17, 1, 3], [1, 4, 9, 10],
  // ranks 5 and 6: up to three reduced runs (two ping-pong scratch buffers)
  [2, 3, 2, 5, 2], [3, 2, 2, 3, 2, 5],
];

describe('reduceSum / reduceMean / reduceMax', () => {
  it('every axis combination of ranks 1–6, keepdims both ways, against the float64 reference', () => {
    let cases = 0;
    for (const shape of SHAPES) {
      const d = randArray(sizeOf(shape), shape.length * 31 + shape[0], -3, 3);
      for (const axes of subsets(shape.length)) {
        const all = axes.length === 0 ? shape.map((_, i) => i) : axes;
        for (const kind of KINDS) {
          for (const keep of [true, false]) {
            const got = forward(kind, d, shape, axes, keep);
            const want = reduceShape(shape, all, keep);
            expect(got.shape, `${kind} [${shape}] axes [${axes}] keep ${keep}`).toEqual(want);
            expectClose(got.y, reduceRef(d, shape, all, kind), want, `${kind} [${shape}] axes [${axes}] keep ${keep}`);
            cases++;
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(500);
  });

  it('contiguous runs of every length 1..70 (global pool, last axis) and strided inner sizes 1..40', () => {
    for (const kind of KINDS) {
      for (let n = 1; n <= 70; n++) {
        const shape = [2, 3, n];
        const d = randArray(sizeOf(shape), n, -2, 2);
        expectClose(forward(kind, d, shape, [2], true).y, reduceRef(d, shape, [2], kind), [2, 3, 1], `${kind} [${shape}] last`);
        const s4 = [2, 3, 1, n];
        expectClose(forward(kind, d, s4, [2, 3], true).y, reduceRef(d, s4, [2, 3], kind), [2, 3, 1, 1], `${kind} [${s4}] H,W`);
      }
      for (let inner = 1; inner <= 40; inner++) {
        for (const c of [1, 3, 4, 5, 16, 17]) {
          const shape = [2, c, inner];
          const d = randArray(sizeOf(shape), inner * 7 + c, -2, 2);
          expectClose(forward(kind, d, shape, [1], false).y, reduceRef(d, shape, [1], kind), [2, inner], `${kind} [${shape}] axis 1`);
        }
      }
    }
  });

  it('negative axes, a single number, omitted / null / [] axes (all), large sums', () => {
    const shape = [2, 3, 4, 5];
    const d = randArray(120, 3);
    for (const kind of KINDS) {
      expectClose(forward(kind, d, shape, [-1, -3], true).y, reduceRef(d, shape, [1, 3], kind), [2, 1, 4, 1], `${kind} negative`);
      const x = Tensor.from(d, shape);
      for (const ax of [undefined, null, [] as number[]]) {
        const y = FWD[kind](x, ax, false);
        expect(y.shape).toEqual([]);
        expectClose(y.toFloat32Array(), reduceRef(d, shape, [0, 1, 2, 3], kind), [1], `${kind} all`);
        y.dispose();
      }
      const y = FWD[kind](x, -2);
      expect(y.shape).toEqual([2, 3, 1, 5]);
      y.dispose();
      x.dispose();
    }
    const big = randArray(56 * 56 * 8, 4, 0, 1);
    expectClose(forward('mean', big, [1, 8, 56, 56], [2, 3], true).y, reduceRef(big, [1, 8, 56, 56], [2, 3], 'mean'), [8], 'global mean 56×56');
  });

  it('NaN propagates through max; empty reductions: sum 0, mean NaN, max an error', () => {
    const d = randArray(24, 5);
    d[7] = NaN;
    const y = forward('max', d, [2, 3, 4], [2], true).y;
    expect(Number.isNaN(y[1])).toBe(true);
    expect(Number.isNaN(y[0])).toBe(false);
    const x = Tensor.zeros([2, 0, 3]);
    const s = ops.reduceSum(x, [1]);
    expect(Array.from(s.toFloat32Array())).toEqual([0, 0, 0, 0, 0, 0]);
    const m = ops.reduceMean(x, [1]);
    expect(Number.isNaN(m.toFloat32Array()[0])).toBe(true);
    expect(() => ops.reduceMax(x, [1])).toThrow(/reduceMax: cannot take the maximum over an empty dimension/);
    for (const t of [x, s, m]) t.dispose();
  });

  it('messages name the op, the argument and the values', () => {
    const x = Tensor.zeros([2, 3]);
    expect(() => ops.reduceSum(x, [2])).toThrow(/reduceSum: axes\[0\] 2 is out of range for shape \[2, 3\]/);
    expect(() => ops.reduceMean(x, [0, -2])).toThrow(/reduceMean: axes .* names dimension 0 twice/);
    expect(() => ops.reduceMax(x, [0.5])).toThrow(/reduceMax: axes\[0\] must be an integer, got 0.5/);
    expect(() => ops.reduceSum(x, [0], 1 as unknown as boolean)).toThrow(/reduceSum: keepdims must be a boolean/);
    expect(() => ops.reduceSum({} as Tensor)).toThrow(/reduceSum: x must be a Tensor/);
    const dy = Tensor.zeros([2]);
    expect(() => ops.reduceSumBackward(dy, [2, 3], [0], true)).toThrow(/reduceSumBackward: dy has shape \[2\] but the forward output for x \[2, 3\] has shape \[1, 3\]/);
    expect(() => ops.globalMaxPool2d(x)).toThrow(/globalMaxPool2d: x must have rank ≥ 3/);
    x.dispose();
    dy.dispose();
  });

  it('prepared runs again and again with its scratch (several reduced runs)', () => {
    const shape = [3, 4, 5, 6];
    const p = prepareReduceMean(shape, [0, 2], false);
    expect(p.outShape).toEqual([4, 6]);
    expect(p.scratchBytes).toBeGreaterThan(0);
    const d = randArray(360, 8);
    const x = Tensor.from(d, shape), y = Tensor.empty(p.outShape), s = Tensor.empty([p.scratchBytes / 4 + 4]);
    for (let i = 0; i < 2; i++) {
      p.run([x.ptr], y.ptr, s.ptr);
      expectClose(y.toFloat32Array(), reduceRef(d, shape, [0, 2], 'mean'), [4, 6], 'prepared');
    }
    p.dispose();
    for (const t of [x, y, s]) t.dispose();
  });
});

describe('reduction backward', () => {
  const cases: [number[], number[]][] = [
    [[3, 5], [1]], [[3, 5], [0]], [[2, 3, 5], [0, 2]], [[2, 3, 4, 3], [2, 3]], [[2, 3, 4, 3], [1]], [[2, 3, 2, 3], [0, 1, 3]], [[2, 7], []],
  ];
  it('matches the reference and central differences of L = Σ y⊙r for sum, mean and max', () => {
    for (const kind of KINDS) {
      for (const [shape, axes] of [...cases, [[2, 3, 2, 3, 2], [0, 2, 4]] as [number[], number[]]]) {
        for (const keep of [true, false]) {
          const all = axes.length === 0 ? shape.map((_, i) => i) : axes;
          const d = kind === 'max' ? distinctArray(sizeOf(shape), sizeOf(shape) + 1, 0.1) : randArray(sizeOf(shape), 9);
          const outShape = reduceShape(shape, all, keep);
          const r = randArray(sizeOf(outShape), 17);
          const x = Tensor.from(d, shape), dy = Tensor.from(r, outShape);
          const dx = kind === 'max' ? ops.reduceMaxBackward(dy, x, axes, keep)
            : kind === 'sum' ? ops.reduceSumBackward(dy, shape, axes, keep) : ops.reduceMeanBackward(dy, shape, axes, keep);
          const what = `${kind}Backward [${shape}] axes [${axes}] keep ${keep}`;
          expect(dx.shape).toEqual(shape);
          const g = dx.toFloat32Array();
          expectClose(g, reduceBackwardRef(r, d, shape, all, kind), shape, what);
          fdCheck({ x: d, shape, r, analytic: g, what, forward: (xp) => forward(kind, xp, shape, axes, keep).y });
          for (const t of [x, dy, dx]) t.dispose();
        }
      }
    }
  });

  it('max routes each gradient to the first of tied maxima', () => {
    const x = Tensor.from([1, 3, 3, 0, 2, 2, 2, 1], [2, 4]);
    const dy = Tensor.from([5, 7], [2, 1]);
    const dx = ops.reduceMaxBackward(dy, x, [1]);
    expect(Array.from(dx.toFloat32Array())).toEqual([0, 5, 0, 0, 7, 0, 0, 0]);
    const x2 = Tensor.from([1, 2, 1, 2, 0, 2], [2, 3]);
    const dy2 = Tensor.from([4], []);
    const dx2 = ops.reduceMaxBackward(dy2, x2, null, false);
    expect(Array.from(dx2.toFloat32Array())).toEqual([0, 4, 0, 0, 0, 0]);
    const x3 = Tensor.from([1, 2, 2, 0, 2, 1, 2, 0], [2, 2, 2]);
    const dy3 = Tensor.from([1, 2], [2]);
    const dx3 = ops.reduceMaxBackward(dy3, x3, [0, 2], false);
    expect(Array.from(dx3.toFloat32Array())).toEqual([0, 1, 2, 0, 0, 0, 0, 0]);
    for (const t of [x, dy, dx, x2, dy2, dx2, x3, dy3, dx3]) t.dispose();
  });
});

describe('globalMaxPool2d', () => {
  it('forward over H·W of every size 1..20, channels with tails, batch > 1; backward by central differences', () => {
    for (const [h, w] of [[1, 1], [1, 3], [2, 2], [3, 5], [4, 4], [7, 7], [5, 4]]) {
      for (const c of [1, 3, 4, 5, 9]) {
        const shape = [2, c, h, w];
        const d = distinctArray(sizeOf(shape), h * 13 + w * 3 + c, 0.1);
        const x = Tensor.from(d, shape);
        const y = ops.globalMaxPool2d(x);
        expect(y.shape).toEqual([2, c, 1, 1]);
        const what = `globalMaxPool2d [${shape}]`;
        expectClose(y.toFloat32Array(), reduceRef(d, shape, [2, 3], 'max'), [2, c, 1, 1], what);
        const r = randArray(2 * c, c);
        const dy = Tensor.from(r, [2, c, 1, 1]);
        const dx = ops.globalMaxPool2dBackward(dy, x);
        const g = dx.toFloat32Array();
        expectClose(g, reduceBackwardRef(r, d, shape, [2, 3], 'max'), shape, `${what} backward`);
        fdCheck({ x: d, shape, r, analytic: g, what, samples: 40, forward: (xp) => forward('max', xp, shape, [2, 3], true).y });
        for (const t of [x, y, dy, dx]) t.dispose();
      }
    }
  });
});
