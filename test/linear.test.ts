import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { linearClamped } from '../src/ops/linear.js';
import { bytesInUse, expectCanariesIntact, expectClose, randArray, ready } from './helpers.js';
import { refLinear } from './ref/linear.js';
import { refClamp } from './ref/conv2d.js';

beforeAll(ready);

let seed = 1000;
function check(n: number, inF: number, out: number, o: { bias?: boolean; rank1?: boolean; scale?: number; clamp?: [number, number] } = {}): void {
  const what = `linear N=${n} in=${inF} out=${out}${o.bias === false ? ' no bias' : ''}${o.rank1 ? ' rank 1' : ''}${o.clamp ? ` clamp ${o.clamp}` : ''}`;
  const s = o.scale ?? 1;
  const xd = randArray(n * inF, seed++, -s, s), wd = randArray(out * inF, seed++, -s, s);
  const bd = o.bias === false ? null : randArray(out, seed++);
  const base = bytesInUse();
  const x = Tensor.from(xd, o.rank1 ? [inF] : [n, inF]), w = Tensor.from(wd, [out, inF]);
  const b = bd ? Tensor.from(bd, [out]) : null;
  const y = o.clamp ? linearClamped(x, w, b, o.clamp[0], o.clamp[1]) : ops.linear(x, w, b);
  expectCanariesIntact(what);
  const shape = o.rank1 ? [out] : [n, out];
  expect(y.shape, what).toEqual(shape);
  const r = refLinear(xd, n, inF, wd, out, bd);
  expectClose(y.toFloat32Array(), o.clamp ? refClamp(r, o.clamp[0], o.clamp[1]) : r, shape, what);
  for (const t of [x, w, b, y]) t?.dispose();
  expect(bytesInUse(), `${what}: bytes in use`).toBe(base);
}

describe('linear against the reference', () => {
  it('in with every remainder mod 4, 8 and 16; odd out; batch 1 (GEMV) and rank-1 x', () => {
    for (let inF = 1; inF <= 33; inF++) {
      check(1, inF, 7);
      check(1, inF, 4, { bias: false });
    }
    for (const out of [1, 2, 3, 4, 5, 9, 17]) check(1, 37, out, { rank1: out % 2 === 1 });
  });

  it('batches 2–17 and 64: every batch tail of the 8-column panels, row tails of out', () => {
    for (const n of [2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17]) {
      for (const inF of [1, 3, 8, 13, 16]) check(n, inF, 2 * n + 1, { bias: n % 3 !== 0 });
    }
    for (const out of [1, 2, 3, 5, 6, 7]) check(64, 21, out);
    check(64, 100, 130); // out > 128: two row blocks of the GEMM
  });

  it('K chunking (in > 256) and a big one: 1×9216 → 64 and 64×9216 → 64', () => {
    check(3, 257, 5);
    check(10, 600, 11, { bias: false });
    check(1, 9216, 64, { scale: 0.5 });
    check(64, 9216, 64, { scale: 0.5 });
    check(2, 4096, 33, { scale: 0.5, rank1: false });
  });

  it('sums of 128 steps within a K chunk (K around 128 and 256), with bias and clamp on the first and last', () => {
    for (const k of [127, 128, 129, 200, 255, 256, 385]) {
      check(9, k, 13, { bias: k % 2 === 1 });
      check(6, k, 7, { clamp: [-0.25, 0.25] });
    }
  });

  it('empty batch', () => {
    const x = Tensor.zeros([0, 5]), w = Tensor.zeros([3, 5]);
    const y = ops.linear(x, w);
    expect(y.shape).toEqual([0, 3]);
    for (const t of [x, w, y]) t.dispose();
  });

  it('fused clamp (ReLU and [lo, hi]) after the whole sum', () => {
    check(1, 301, 9, { clamp: [0, Infinity] });
    check(5, 301, 9, { clamp: [0, Infinity] });
    check(20, 40, 13, { clamp: [-0.5, 0.5] });
    check(1, 40, 13, { clamp: [-0.5, 0.5] });
  });
});

describe('linear errors (before any kernel runs)', () => {
  it('rejects bad arguments with specific messages and leaks nothing', () => {
    const base = bytesInUse();
    const x = Tensor.zeros([2, 5]), w = Tensor.zeros([3, 5]), w4 = Tensor.zeros([3, 4]);
    const x3 = Tensor.zeros([2, 5, 1]), w1 = Tensor.zeros([5]), b4 = Tensor.zeros([4]), b2 = Tensor.zeros([3, 1]);
    const lin = (...a: unknown[]) => () => (ops.linear as (...b: unknown[]) => Tensor)(...a);
    expect(lin(x, w4)).toThrow(/linear: x \[2, 5\] has 5 features but weight \[3, 4\] expects 4 \(weight is \[out, in\]\)/);
    expect(lin(x3, w)).toThrow(/linear: x must have rank 1 or 2 \(\[N, in\] or \[in\]\), got shape \[2, 5, 1\]/);
    expect(lin(x, w1)).toThrow(/linear: weight must have rank 2 \(out, in\), got shape \[5\]/);
    expect(lin(x, w, b4)).toThrow(/linear: bias has shape \[4\] but weight \[3, 5\] has 3 outputs; bias must be \[3\]/);
    expect(lin(x, w, b2)).toThrow(/linear: bias must have rank 1 \(out\), got shape \[3, 1\]/);
    expect(lin([1, 2, 3, 4, 5], w)).toThrow(/linear: x must be a Tensor, got an array/);
    expect(lin(x, new Float32Array(15))).toThrow(/linear: weight must be a Tensor, got a Float32Array/);
    expect(lin(x, w, 'b')).toThrow(/linear: bias must be a Tensor, got "b"/);
    expect(() => linearClamped(x, w, null, NaN, 1)).toThrow(/linearClamped: clamp bounds must be numbers with min ≤ max, got \[NaN, 1\]/);
    const w0 = Tensor.zeros([3, 0]), x0 = Tensor.zeros([2, 0]);
    expect(lin(x0, w0)).toThrow(/linear: weight \[3, 0\] must have at least one row and one column/);
    const gone = Tensor.zeros([3, 5]);
    gone.dispose();
    expect(lin(x, gone)).toThrow(/linear: weight was disposed/);
    for (const t of [x, w, w4, x3, w1, b4, b2, w0, x0]) t.dispose();
    expectCanariesIntact('errors');
    expect(bytesInUse()).toBe(base);
  });
});
