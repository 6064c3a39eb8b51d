import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, fdCheck, randArray, ready } from './helpers.js';
import { crossEntropyRef, mseRef } from './ref/loss.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

function labelsFor(n: number, c: number, seed: number): Int32Array {
  const r = randArray(n, seed, 0, c);
  return Int32Array.from(r, (v) => Math.min(c - 1, Math.floor(v)));
}

/** Runs the op on logits [n, c]; checks canaries and the grad's shape; returns plain numbers. */
function xent(x: Float32Array, n: number, c: number, labels: Int32Array | number[], opts?: ops.SoftmaxCrossEntropyOptions) {
  const t = Tensor.from(x, [n, c]);
  const r = ops.softmaxCrossEntropy(t, labels, opts);
  try {
    expectCanariesIntact(`softmaxCrossEntropy [${n}, ${c}]`);
    expect(r.grad.shape).toEqual([n, c]);
    expect(Array.from(t.toFloat32Array())).toEqual(Array.from(x));
    return { loss: r.loss, grad: r.grad.toFloat32Array(), correct: r.correct };
  } finally {
    t.dispose();
    r.grad.dispose();
  }
}

function expectLoss(got: number, want: number, what: string, tol = 1e-5): void {
  expect(Math.abs(got - want), `${what}: loss ${got} vs ${want}`).toBeLessThanOrEqual(tol + tol * Math.abs(want));
}

describe('softmaxCrossEntropy', () => {
  it('matches the float64 reference for class counts around tile edges, batches, smoothing and both reductions', () => {
    for (const c of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 100, 1000]) {
      for (const n of [1, 3, 8]) {
        const x = randArray(n * c, n * 1000 + c, -6, 6);
        const labels = labelsFor(n, c, c + n);
        for (const eps of [0, 0.1, 1]) {
          for (const reduction of ['mean', 'sum'] as const) {
            const what = `[${n}, ${c}] ε=${eps} ${reduction}`;
            const got = xent(x, n, c, labels, { labelSmoothing: eps, reduction });
            const ref = crossEntropyRef(x, n, c, labels, eps, reduction);
            expectLoss(got.loss, ref.loss, what);
            expectClose(got.grad, ref.grad, [n, c], what);
            expect(got.correct, what).toBe(ref.correct);
          }
        }
      }
    }
  });

  it('its gradient matches central differences of the loss with respect to the logits', () => {
    for (const [n, c] of [[1, 3], [3, 5], [4, 10], [2, 17]]) {
      const x = randArray(n * c, n + c, -2, 2);
      const labels = labelsFor(n, c, 5 * c);
      for (const eps of [0, 0.2]) {
        for (const reduction of ['mean', 'sum'] as const) {
          const { grad } = xent(x, n, c, labels, { labelSmoothing: eps, reduction });
          fdCheck({
            x, shape: [n, c], r: new Float32Array([1]), analytic: grad, eps: 1e-2, what: `∂loss/∂logits [${n}, ${c}] ε=${eps} ${reduction}`,
            forward: (xp) => Float32Array.of(xent(xp, n, c, labels, { labelSmoothing: eps, reduction }).loss),
          });
        }
      }
    }
  });

  it('gives the hand-computed values: uniform logits → log C, a 1:3 softmax, smoothing', () => {
    for (const c of [2, 3, 10, 1000]) {
      const n = 4;
      const labels = labelsFor(n, c, c);
      for (const eps of [0, 0.3]) {
        const { loss, grad } = xent(new Float32Array(n * c).fill(2.5), n, c, labels, { labelSmoothing: eps });
        expectLoss(loss, Math.log(c), `uniform C=${c} ε=${eps}`, 1e-6);
        const want = new Float64Array(n * c);
        for (let r = 0; r < n; r++) for (let k = 0; k < c; k++) want[r * c + k] = (1 / c - ((k === labels[r] ? 1 - eps : 0) + eps / c)) / n;
        expectClose(grad, want, [n, c], `uniform grad C=${c}`);
      }
    }
    const x = new Float32Array([0, Math.log(3)]);
    expectLoss(xent(x, 1, 2, [1]).loss, -Math.log(0.75), 'p = [0.25, 0.75], label 1', 1e-6);
    expectLoss(xent(x, 1, 2, [0]).loss, -Math.log(0.25), 'p = [0.25, 0.75], label 0', 1e-6);
    expectLoss(xent(x, 1, 2, [1], { labelSmoothing: 0.2 }).loss, -0.1 * Math.log(0.25) - 0.9 * Math.log(0.75), 'ε = 0.2', 1e-6);
    const g = xent(x, 1, 2, [1], { labelSmoothing: 0.2 }).grad;
    expectClose(g, [0.25 - 0.1, 0.75 - 0.9], [1, 2], 'ε = 0.2 grad');
    // a single class: the loss is 0 and so is the gradient
    const one = xent(new Float32Array([3, -7]), 2, 1, [0, 0]);
    expect(one.loss).toBe(0);
    expect(Array.from(one.grad)).toEqual([0, 0]);
  });

  it('large logits (±1e4) give exact losses and gradients without NaN; −Infinity and NaN follow IEEE', () => {
    const x = new Float32Array([1e4, -1e4, 0, -1e4, 1e4, 0, 1e4, 1e4, -1e4]);
    const r = xent(x, 3, 3, [0, 0, 2], { reduction: 'sum' });
    expect(r.loss).toBeCloseTo(2e4 + 2e4 + Math.log(2), 9); // rows: 0, 2e4, 2e4 + log 2
    expect(Array.from(r.grad)).toEqual([0, 0, 0, -1, 1, 0, 0.5, 0.5, -1]);
    expect(r.correct).toBe(1); // row 2: a tie at index 0 (lowest), label 2
    for (const eps of [0, 0.1]) {
      const m = xent(x, 3, 3, [0, 1, 1], { labelSmoothing: eps });
      const ref = crossEntropyRef(x, 3, 3, [0, 1, 1], eps);
      expect(Number.isFinite(m.loss)).toBe(true);
      expectLoss(m.loss, ref.loss, `±1e4 ε=${eps}`);
      expectClose(m.grad, ref.grad, [3, 3], `±1e4 grad ε=${eps}`);
    }
    const big = new Float32Array(40).fill(-1e4);
    big[37] = 1e4;
    expect(xent(big, 1, 40, [37]).loss).toBe(0);
    // −Infinity logits: a finite loss when they carry no target mass, +Infinity with smoothing
    const inf = new Float32Array([-Infinity, 0, 1, -Infinity, 2]);
    const a = xent(inf, 1, 5, [2]);
    expect(Number.isFinite(a.loss) && a.grad.every(Number.isFinite)).toBe(true);
    expectLoss(a.loss, crossEntropyRef(inf, 1, 5, [2]).loss, '−Infinity logits');
    expect(xent(inf, 1, 5, [2], { labelSmoothing: 0.1 }).loss).toBe(Infinity);
    expect(xent(inf, 1, 5, [0]).loss).toBe(Infinity);
    const nan = xent(new Float32Array([0, NaN, 1, 2, 3, 4]), 2, 3, [0, 1]);
    expect(nan.loss).toBeNaN();
  });

  it('counts correct rows (argmax = label, ties → the lowest index)', () => {
    const x = new Float32Array([1, 3, 3, 0, 5, 2, 5, 5, 5, 1, 1, -2, 7, 7, 1, 2, 9, 4]);
    const rows = 6, c = 3;
    // argmaxes: 1 (tie 1/2), 1, 0 (three-way tie), 0 (tie 0/1), 0 (tie 0/1), 1
    expect(xent(x, rows, c, [1, 1, 0, 1, 0, 1]).correct).toBe(5);
    expect(xent(x, rows, c, [2, 0, 1, 0, 1, 1]).correct).toBe(2);
    for (const cc of [4, 5, 7, 16, 17]) {
      const d = randArray(9 * cc, cc, -1, 1);
      const labels = labelsFor(9, cc, cc + 1);
      for (let r = 0; r < 9; r += 2) d[r * cc + labels[r]] = 2; // the label wins in every other row
      const ref = crossEntropyRef(d, 9, cc, labels);
      const got = xent(d, 9, cc, labels);
      expect(got.correct).toBe(ref.correct);
      expect(got.correct).toBeGreaterThanOrEqual(5);
    }
  });

  it('accepts number[] and Int32Array labels and an empty batch', () => {
    const x = randArray(6, 1);
    expect(xent(x, 2, 3, [0, 2]).loss).toBe(xent(x, 2, 3, Int32Array.of(0, 2)).loss);
    const e = Tensor.zeros([0, 4]);
    const r = ops.softmaxCrossEntropy(e, []);
    expect(r.loss).toBeNaN();
    expect(r.grad.shape).toEqual([0, 4]);
    expect(ops.softmaxCrossEntropy(e, [], { reduction: 'sum' }).loss).toBe(0);
    r.grad.dispose();
    e.dispose();
  });

  it('rejects bad labels, shapes and options with messages naming the index and value', () => {
    const x = Tensor.zeros([3, 4]);
    expect(() => ops.softmaxCrossEntropy(x, [0, 1])).toThrow(/softmaxCrossEntropy: labels has length 2 but logits has 3 rows; they must match/);
    expect(() => ops.softmaxCrossEntropy(x, [0, 4, 1])).toThrow(/softmaxCrossEntropy: labels\[1\] is 4; each label must be an integer class index in \[0, 4\)/);
    expect(() => ops.softmaxCrossEntropy(x, [0, 1, -1])).toThrow(/softmaxCrossEntropy: labels\[2\] is -1/);
    expect(() => ops.softmaxCrossEntropy(x, [0.5, 1, 1])).toThrow(/softmaxCrossEntropy: labels\[0\] is 0.5/);
    expect(() => ops.softmaxCrossEntropy(x, [0, NaN, 1])).toThrow(/softmaxCrossEntropy: labels\[1\] is NaN/);
    expect(() => ops.softmaxCrossEntropy(x, ['0', 1, 1] as never)).toThrow(/softmaxCrossEntropy: labels\[0\] is "0"/);
    expect(() => ops.softmaxCrossEntropy(x, new Float32Array(3) as never)).toThrow(/softmaxCrossEntropy: labels must be an Int32Array or an array of integers, got a Float32Array/);
    expect(() => ops.softmaxCrossEntropy(x, [0, 1, 2], { labelSmoothing: 1.5 })).toThrow(/softmaxCrossEntropy: labelSmoothing must be in \[0, 1\], got 1.5/);
    expect(() => ops.softmaxCrossEntropy(x, [0, 1, 2], { labelSmoothing: NaN })).toThrow(/softmaxCrossEntropy: labelSmoothing must be a finite number, got NaN/);
    expect(() => ops.softmaxCrossEntropy(x, [0, 1, 2], { reduction: 'none' as never })).toThrow(/softmaxCrossEntropy: reduction must be 'mean' or 'sum', got "none"/);
    expect(() => ops.softmaxCrossEntropy(x, [0, 1, 2], { smoothing: 0.1 } as never)).toThrow(/softmaxCrossEntropy: unknown option 'smoothing' \(known: labelSmoothing, reduction\)/);
    const v = Tensor.zeros([12]), e = Tensor.zeros([2, 0]);
    expect(() => ops.softmaxCrossEntropy(v, [0])).toThrow(/softmaxCrossEntropy: logits must have rank 2 or 3 or 4 or 5 or 6 \(\[N, C\] or \[N, C, d1, …\]\), got shape \[12\]/);
    expect(() => ops.softmaxCrossEntropy(e, [0, 0])).toThrow(/softmaxCrossEntropy: logits has shape \[2, 0\]: no classes/);
    expect(() => ops.softmaxCrossEntropy(null as never, [0])).toThrow(/softmaxCrossEntropy: logits must be a Tensor, got null/);
    for (const t of [x, v, e]) t.dispose();
    expect(() => ops.softmaxCrossEntropy(x, [0, 1, 2])).toThrow(/softmaxCrossEntropy: logits was disposed/);
  });
});

describe('softmaxCrossEntropy on [N, C, d1, …] (a label per position, as a segmentation map)', () => {
  /** Runs the op on logits of `shape`; checks canaries, the grad's shape and x untouched. */
  function dense(x: Float32Array, shape: number[], labels: Int32Array | number[], opts?: ops.SoftmaxCrossEntropyOptions) {
    const t = Tensor.from(x, shape);
    const r = ops.softmaxCrossEntropy(t, labels, opts);
    try {
      expectCanariesIntact(`softmaxCrossEntropy [${shape}]`);
      expect(r.grad.shape).toEqual(shape);
      expect(Array.from(t.toFloat32Array())).toEqual(Array.from(x));
      return { loss: r.loss, grad: r.grad.toFloat32Array(), correct: r.correct };
    } finally {
      t.dispose();
      r.grad.dispose();
    }
  }
  const inner = (shape: number[]) => shape.slice(2).reduce((a, b) => a * b, 1);

  it('matches the float64 reference over positions around the 4-lane edges, ranks 3–5, smoothing and both reductions', () => {
    const shapes: number[][] = [];
    for (const c of [1, 2, 3, 5, 8, 17]) for (const d of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17]) shapes.push([2, c, d]);
    shapes.push([1, 5, 4, 5], [3, 4, 3, 3], [2, 3, 7, 9], [1, 21, 8, 8], [2, 3, 2, 3, 5], [5, 2, 1, 1]);
    for (const shape of shapes) {
      const [n, c] = shape, d = inner(shape);
      const x = randArray(n * c * d, n * 97 + c * 13 + d, -5, 5);
      const labels = labelsFor(n * d, c, c * 7 + d);
      for (const eps of [0, 0.1, 1]) {
        for (const reduction of ['mean', 'sum'] as const) {
          const what = `[${shape}] ε=${eps} ${reduction}`;
          const got = dense(x, shape, labels, { labelSmoothing: eps, reduction });
          const ref = crossEntropyRef(x, n, c, labels, eps, reduction, d);
          expectLoss(got.loss, ref.loss, what);
          expectClose(got.grad, ref.grad, shape, what);
          expect(got.correct, what).toBe(ref.correct);
        }
      }
    }
  });

  it('its gradient matches central differences of the loss with respect to the logits', () => {
    for (const shape of [[1, 3, 5], [2, 4, 2, 3], [1, 5, 3, 3]]) {
      const [n, c] = shape, d = inner(shape);
      const x = randArray(n * c * d, c + d, -2, 2);
      const labels = labelsFor(n * d, c, 3 * c + d);
      for (const eps of [0, 0.2]) {
        for (const reduction of ['mean', 'sum'] as const) {
          const { grad } = dense(x, shape, labels, { labelSmoothing: eps, reduction });
          fdCheck({
            x, shape, r: new Float32Array([1]), analytic: grad, eps: 1e-2, what: `∂loss/∂logits [${shape}] ε=${eps} ${reduction}`,
            forward: (xp) => Float32Array.of(dense(xp, shape, labels, { labelSmoothing: eps, reduction }).loss),
          });
        }
      }
    }
  });

  it('equals the row kernel on the same data laid out as [N·H·W, C] (PyTorch: cross_entropy over dim 1)', () => {
    const [n, c, h, w] = [3, 6, 5, 7], d = h * w;
    const x = randArray(n * c * d, 11, -4, 4);
    const labels = labelsFor(n * d, c, 12);
    const rows = new Float32Array(n * d * c);
    for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) for (let j = 0; j < d; j++) rows[(i * d + j) * c + k] = x[(i * c + k) * d + j];
    for (const eps of [0, 0.25]) {
      const a = dense(x, [n, c, h, w], labels, { labelSmoothing: eps });
      const b = xent(rows, n * d, c, labels, { labelSmoothing: eps });
      expectLoss(a.loss, b.loss, `ε=${eps}`, 1e-6);
      expect(a.correct).toBe(b.correct);
      const back = new Float32Array(n * c * d);
      for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) for (let j = 0; j < d; j++) back[(i * c + k) * d + j] = b.grad[(i * d + j) * c + k];
      expectClose(a.grad, back, [n, c, h, w], `grad ε=${eps}`);
    }
    // [N, C, 1, 1] is [N, C]
    const y = randArray(4 * 9, 5, -3, 3), l = labelsFor(4, 9, 6);
    const p = dense(y, [4, 9, 1, 1], l), q = xent(y, 4, 9, l);
    expectLoss(p.loss, q.loss, '[4, 9, 1, 1]', 1e-6);
    expect(p.correct).toBe(q.correct);
  });

  it('large logits stay finite; ties count for the lowest class; the tail lanes are counted, never the dead ones', () => {
    // 1 image, 3 classes, 5 positions (a full vector and a tail of 1)
    const x = new Float32Array([
      1e4, -1e4, 0, 2, 7, // class 0
      -1e4, 1e4, 0, 2, 1, // class 1
      0, 0, 0, 1, 9, //      class 2
    ]);
    const r = dense(x, [1, 3, 5], [0, 0, 2, 1, 2], { reduction: 'sum' });
    // positions: 0 right, 1 wrong by 2e4, 2 a three-way tie (argmax 0, label 2: log 3), 3 a tie 0/1 (argmax 0), 4 right
    const ref = crossEntropyRef(x, 1, 3, [0, 0, 2, 1, 2], 0, 'sum', 5);
    expect(Number.isFinite(r.loss)).toBe(true);
    expectLoss(r.loss, ref.loss, '±1e4', 1e-6);
    expect(r.correct).toBe(2);
    expectClose(r.grad, ref.grad, [1, 3, 5], '±1e4 grad');
    // every position right, then every one wrong: the count follows exactly for any tail length
    for (const d of [1, 2, 3, 4, 5, 6, 7, 9]) {
      const z = new Float32Array(2 * d);
      for (let j = 0; j < d; j++) z[j] = 1; // class 0 wins everywhere
      expect(dense(z, [1, 2, d], new Array(d).fill(0)).correct, `d=${d}`).toBe(d);
      expect(dense(z, [1, 2, d], new Array(d).fill(1)).correct, `d=${d}`).toBe(0);
    }
  });

  it('checks the label count against N·d1·…, and an empty map gives NaN (mean) or 0 (sum)', () => {
    const x = Tensor.zeros([2, 3, 4]);
    expect(() => ops.softmaxCrossEntropy(x, [0, 1])).toThrow(/softmaxCrossEntropy: labels has length 2 but logits has 2·4 = 8 positions; they must match/);
    expect(() => ops.softmaxCrossEntropy(x, [0, 1, 2, 0, 1, 2, 3, 0])).toThrow(/softmaxCrossEntropy: labels\[6\] is 3; each label must be an integer class index in \[0, 3\)/);
    const e = Tensor.zeros([2, 3, 0, 4]);
    const r = ops.softmaxCrossEntropy(e, []);
    expect(r.loss).toBeNaN();
    expect(r.grad.shape).toEqual([2, 3, 0, 4]);
    r.grad.dispose();
    const none = Tensor.zeros([1, 0, 2]);
    expect(() => ops.softmaxCrossEntropy(none, [0, 0])).toThrow(/softmaxCrossEntropy: logits has shape \[1, 0, 2\]: no classes/);
    for (const t of [x, e, none]) t.dispose();
  });
});

describe('mseLoss', () => {
  function mse(p: Float32Array, t: Float32Array, shape: number[], opts?: ops.MseLossOptions) {
    const a = Tensor.from(p, shape), b = Tensor.from(t, shape);
    const r = ops.mseLoss(a, b, opts);
    try {
      expectCanariesIntact(`mseLoss [${shape}]`);
      expect(r.grad.shape).toEqual(shape);
      return { loss: r.loss, grad: r.grad.toFloat32Array() };
    } finally {
      for (const x of [a, b, r.grad]) x.dispose();
    }
  }

  it('matches the float64 reference for every size 1..70 and past the 4096-element block', () => {
    for (const n of [...Array.from({ length: 70 }, (_, i) => i + 1), 100, 4096, 4111, 10_007]) {
      const p = randArray(n, n, -3, 3), t = randArray(n, n + 1, -3, 3);
      for (const reduction of ['mean', 'sum'] as const) {
        const got = mse(p, t, [n], { reduction });
        const ref = mseRef(p, t, reduction);
        expectLoss(got.loss, ref.loss, `n=${n} ${reduction}`);
        expectClose(got.grad, ref.grad, [n], `n=${n} ${reduction}`);
      }
    }
    const r = mse(Float32Array.of(1, 2, 3), Float32Array.of(1, 0, 6), [3, 1]);
    expect(r.loss).toBeCloseTo(13 / 3, 12);
    expect(Array.from(r.grad)).toEqual([0, Math.fround(4 / 3), -2]);
  });

  it('its gradient matches central differences', () => {
    const shape = [3, 7];
    const p = randArray(21, 1), t = randArray(21, 2);
    const { grad } = mse(p, t, shape);
    fdCheck({ x: p, shape, r: new Float32Array([1]), analytic: grad, what: 'mse', forward: (pp) => Float32Array.of(mse(pp, t, shape).loss) });
  });

  it('empty inputs give NaN (mean) or 0 (sum); NaN is returned, not thrown; bad inputs are rejected', () => {
    expect(mse(new Float32Array(0), new Float32Array(0), [0, 3]).loss).toBeNaN();
    expect(mse(new Float32Array(0), new Float32Array(0), [0], { reduction: 'sum' }).loss).toBe(0);
    expect(mse(Float32Array.of(1, NaN), Float32Array.of(0, 0), [2]).loss).toBeNaN();
    const a = Tensor.zeros([2, 3]), b = Tensor.zeros([3, 2]);
    expect(() => ops.mseLoss(a, b)).toThrow(/mseLoss: pred has shape \[2, 3\] but target has shape \[3, 2\]; they must match/);
    expect(() => ops.mseLoss(a, a, { reduction: 'avg' as never })).toThrow(/mseLoss: reduction must be 'mean' or 'sum', got "avg"/);
    expect(() => ops.mseLoss(a, a, { weight: 1 } as never)).toThrow(/mseLoss: unknown option 'weight'/);
    expect(() => ops.mseLoss(a, [1] as never)).toThrow(/mseLoss: target must be a Tensor, got an array/);
    a.dispose(); b.dispose();
  });
});
