// linearBackward: central differences of L = Σ linear(x, w, b) ⊙ r (which also prove the float64
// reference), the reference alone on larger shapes (LeNet-5's dense layers at batch 64), the
// gradient switches, accumulation into given tensors, errors, canaries and bytes in use.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, fdCheck, randArray, ready } from './helpers.js';
import { refLinearBackward } from './ref/linear.js';

beforeAll(ready);

let seed = 9000;

/** Compares dx, dw, db with the reference; with `fd` > 0 also by central differences (fd samples each). */
function check(n: number, inF: number, out: number, fd = 0, rank1 = false): void {
  const what = `linearBackward N=${n} in=${inF} out=${out}${rank1 ? ' rank 1' : ''}`;
  const xs = rank1 ? [inF] : [n, inF], ys = rank1 ? [out] : [n, out];
  const xd = randArray(n * inF, seed++), wd = randArray(out * inF, seed++), r = randArray(n * out, seed++);
  const base = bytesInUse();
  const x = Tensor.from(xd, xs), w = Tensor.from(wd, [out, inF]), dy = Tensor.from(r, ys);
  const { dx, dw, db } = ops.linearBackward(dy, x, w);
  expectCanariesIntact(what);
  expect(dx!.shape, what).toEqual(xs);
  expect(dw!.shape, what).toEqual([out, inF]);
  expect(db!.shape, what).toEqual([out]);
  const adx = dx!.toFloat32Array(), adw = dw!.toFloat32Array(), adb = db!.toFloat32Array();
  const ref = refLinearBackward(r, xd, n, inF, wd, out);
  expectClose(adx, ref.dx, xs, `${what} dx vs reference`);
  expectClose(adw, ref.dw, [out, inF], `${what} dw vs reference`);
  expectClose(adb, ref.db, [out], `${what} db vs reference`);
  if (fd > 0) {
    const lin = (xa: Float32Array, wa: Float32Array, ba: Float32Array | null) => {
      const xt = Tensor.from(xa, xs), wt = Tensor.from(wa, [out, inF]), bt = ba ? Tensor.from(ba, [out]) : null;
      const y = ops.linear(xt, wt, bt);
      const o = y.toFloat32Array();
      for (const t of [xt, wt, bt, y]) t?.dispose();
      return o;
    };
    const eps = 0.05;
    fdCheck({ x: xd, shape: xs, r, forward: (a) => lin(a, wd, null), analytic: adx, eps, samples: fd, what: `${what} dL/dx` });
    fdCheck({ x: wd, shape: [out, inF], r, forward: (a) => lin(xd, a, null), analytic: adw, eps, samples: fd, what: `${what} dL/dw` });
    fdCheck({ x: randArray(out, seed++), shape: [out], r, forward: (a) => lin(xd, wd, a), analytic: adb, eps, samples: fd, what: `${what} dL/db` });
  }
  for (const t of [x, w, dy, dx, dw, db]) t?.dispose();
  expect(bytesInUse(), `${what}: bytes in use`).toBe(base);
}

describe('linearBackward: central differences and the reference', () => {
  it('in with every remainder mod 8 (packed and in-place panels), batch 1 and rank-1 x', () => {
    for (let inF = 1; inF <= 17; inF++) {
      check(1, inF, 7, 20);
      check(3, inF, 4, inF % 2 === 0 ? 20 : 0);
    }
    for (const out of [1, 2, 3, 4, 5, 9, 17]) check(1, 37, out, 16, out % 2 === 1);
  });

  it('batches 2–17: every tail of the row tiles and of the reduction over the batch', () => {
    for (const n of [2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17]) {
      for (const inF of [1, 3, 8, 13, 16]) check(n, inF, 2 * n + 1, n % 4 === 1 ? 24 : 0);
    }
  });
});

describe('linearBackward against the reference on larger shapes', () => {
  it("LeNet-5's dense layers at batch 64 and AlexNet-sized rows", () => {
    check(64, 400, 120);
    check(64, 120, 84);
    check(64, 84, 10);
    check(1, 9216, 64);
    check(2, 4096, 33);
  });

  it('out > 128 (GEMM row blocks), in > 256 and batch > 256 (reduction chunks)', () => {
    check(5, 100, 130);
    check(3, 600, 11);
    check(300, 21, 19);
    check(70, 257, 260);
  });

  it('long rows: W packed in strips for dx (in > 1024), dy packed for dW (out > 1024), x packed (in > 1024)', () => {
    check(3, 1030, 1100); // dx in 5 strips of 232 columns
    check(9, 2100, 13);
    check(1, 5000, 30); // batch 1: dx by the transposed GEMV (two column blocks), dW a rank-1 update
    check(1, 7, 1500);
    check(20, 256, 128); // rows of 1 KB / 512 B: W and x packed, dy packed for dW
  });
});

describe('linearBackward options', () => {
  it('switches gradients off (null) and adds into weightGradInto / biasGradInto, returning them', () => {
    const xd = randArray(5 * 12, 1), wd = randArray(7 * 12, 2), r = randArray(5 * 7, 3);
    const x = Tensor.from(xd, [5, 12]), w = Tensor.from(wd, [7, 12]), dy = Tensor.from(r, [5, 7]);
    const base = bytesInUse();
    const ref = refLinearBackward(r, xd, 5, 12, wd, 7);
    const onlyX = ops.linearBackward(dy, x, w, { weightGrad: false, biasGrad: false });
    expect(onlyX.dw).toBeNull();
    expect(onlyX.db).toBeNull();
    expectClose(onlyX.dx!.toFloat32Array(), ref.dx, [5, 12], 'dx only');
    onlyX.dx!.dispose();
    const noX = ops.linearBackward(dy, x, w, { inputGrad: false });
    expect(noX.dx).toBeNull();
    expectClose(noX.dw!.toFloat32Array(), ref.dw, [7, 12], 'dw without dx');
    expectClose(noX.db!.toFloat32Array(), ref.db, [7], 'db without dx');
    noX.dw!.dispose();
    noX.db!.dispose();
    const w0 = randArray(7 * 12, 4), b0 = randArray(7, 5);
    const gw = Tensor.from(w0, [7, 12]), gb = Tensor.from(b0, [7]);
    for (let i = 0; i < 2; i++) {
      const g = ops.linearBackward(dy, x, w, { weightGradInto: gw, biasGradInto: gb, inputGrad: false });
      expect(g.dw).toBe(gw);
      expect(g.db).toBe(gb);
      expect(g.dx).toBeNull();
    }
    expectCanariesIntact('accumulate');
    expectClose(gw.toFloat32Array(), w0.map((v, i) => v + 2 * ref.dw[i]), [7, 12], 'dw added twice');
    expectClose(gb.toFloat32Array(), b0.map((v, i) => v + 2 * ref.db[i]), [7], 'db added twice');
    const none = ops.linearBackward(dy, x, w, { inputGrad: false, weightGrad: false, biasGrad: false });
    expect(none).toEqual({ dx: null, dw: null, db: null });
    gw.dispose();
    gb.dispose();
    expect(bytesInUse()).toBe(base);
    for (const t of [x, w, dy]) t.dispose();
  });

  it('an empty batch gives an empty dx and zero gradients', () => {
    const x = Tensor.zeros([0, 5]), w = Tensor.zeros([3, 5]), dy = Tensor.zeros([0, 3]);
    const { dx, dw, db } = ops.linearBackward(dy, x, w);
    expect(dx!.shape).toEqual([0, 5]);
    expect(Array.from(dw!.toFloat32Array()).every((v) => v === 0)).toBe(true);
    expect(Array.from(db!.toFloat32Array())).toEqual([0, 0, 0]);
    for (const t of [x, w, dy, dx, dw, db]) t!.dispose();
  });
});

describe('linearBackward errors (before any kernel runs)', () => {
  it('rejects bad arguments with messages naming the op, the argument and the shapes, and leaks nothing', () => {
    const base = bytesInUse();
    const x = Tensor.zeros([4, 5]), w = Tensor.zeros([3, 5]), dy = Tensor.zeros([4, 3]);
    const dyBad = Tensor.zeros([4, 2]), dy1 = Tensor.zeros([3]), w4 = Tensor.zeros([3, 4]), x3 = Tensor.zeros([4, 5, 1]);
    const gw = Tensor.zeros([5, 3]), gb = Tensor.zeros([4]), gw35 = Tensor.zeros([3, 5]);
    const lb = (...a: unknown[]) => () => (ops.linearBackward as (...b: unknown[]) => unknown)(...a);
    expect(lb(dyBad, x, w)).toThrow(/linearBackward: dy has shape \[4, 2\] but the forward output of x \[4, 5\] with w \[3, 5\] is \[4, 3\]; dy must have that shape/);
    expect(lb(dy1, x, w)).toThrow(/linearBackward: dy has shape \[3\] but the forward output of x \[4, 5\] with w \[3, 5\] is \[4, 3\]/);
    expect(lb(dy, x, w4)).toThrow(/linearBackward: x \[4, 5\] has 5 features but w \[3, 4\] expects 4 \(w is \[out, in\]\)/);
    expect(lb(dy, x3, w)).toThrow(/linearBackward: x must have rank 1 or 2 \(\[N, in\] or \[in\]\), got shape \[4, 5, 1\]/);
    expect(lb(dy, x, [1])).toThrow(/linearBackward: w must be a Tensor, got an array/);
    expect(lb(dy, x, w, { weightGradInto: gw })).toThrow(/linearBackward: weightGradInto has shape \[5, 3\] but the weight gradient \(w\) has shape \[3, 5\]/);
    expect(lb(dy, x, w, { biasGradInto: gb })).toThrow(/linearBackward: biasGradInto has shape \[4\] but the bias gradient \(\[out\]\) has shape \[3\]/);
    expect(lb(dy, x, w, { biasGradInto: 3 })).toThrow(/linearBackward: biasGradInto must be a Tensor, got 3/);
    expect(lb(dy, x, w, { inputGrad: 1 })).toThrow(/linearBackward: inputGrad must be a boolean, got 1/);
    expect(lb(dy, x, w, { weightGrad: false, weightGradInto: gw35 })).toThrow(/linearBackward: weightGradInto is given but weightGrad is false/);
    expect(lb(dy, x, w, { biasGrads: false })).toThrow(/linearBackward: unknown option 'biasGrads'/);
    const gone = Tensor.zeros([4, 3]);
    gone.dispose();
    expect(lb(gone, x, w)).toThrow(/linearBackward: dy was disposed/);
    for (const t of [x, w, dy, dyBad, dy1, w4, x3, gw, gb, gw35]) t.dispose();
    expectCanariesIntact('errors');
    expect(bytesInUse()).toBe(base);
  });
});
