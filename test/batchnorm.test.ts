import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, randArray, ready, sizeOf } from './helpers.js';
import { refBatchNorm } from './ref/batchnorm.js';

beforeAll(ready);

let baseline = 0;
beforeEach(() => { baseline = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use back to baseline').toBe(baseline); });

const CHANNELS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17];

function check(shape: number[], affine: 'both' | 'none' | 'weight' | 'bias', seed: number, eps?: number): void {
  const c = shape[1];
  const data = randArray(sizeOf(shape), seed, -3, 3);
  const mean = randArray(c, seed + 1, -1, 1);
  const variance = randArray(c, seed + 2, 0.05, 4);
  const weight = randArray(c, seed + 3, -2, 2);
  const bias = randArray(c, seed + 4, -1, 1);
  const x = Tensor.from(data, shape);
  const m = Tensor.from(mean, [c]), v = Tensor.from(variance, [c]);
  const w = affine === 'both' || affine === 'weight' ? Tensor.from(weight, [c]) : null;
  const b = affine === 'both' || affine === 'bias' ? Tensor.from(bias, [c]) : null;
  const what = `${shape.join('x')} ${affine}${eps === undefined ? '' : ` eps ${eps}`}`;
  const y = eps === undefined ? ops.batchNorm(x, m, v, w, b) : ops.batchNorm(x, m, v, w, b, { eps });
  expectCanariesIntact(what);
  expect(y.shape).toEqual(shape);
  const ref = refBatchNorm(data, shape, mean, variance, w ? weight : null, b ? bias : null, eps);
  expectClose(y.toFloat32Array(), ref, shape, what);
  for (const t of [x, m, v, w, b, y]) t?.dispose();
}

describe('batchNorm (inference)', () => {
  it('hand-computed', () => {
    // channel 0: mean 1, var 4 → (x − 1)/2; channel 1: mean −2, var 0.25, weight 3, bias 1 → 6(x + 2) + 1
    const x = Tensor.from([1, 3, 5, 7, -2, -1, 0, 1], [1, 2, 2, 2]);
    const m = Tensor.from([1, -2], [2]), v = Tensor.from([4, 0.25], [2]);
    const w = Tensor.from([1, 3], [2]), b = Tensor.from([0, 1], [2]);
    const y = ops.batchNorm(x, m, v, w, b, { eps: 0 });
    expect(Array.from(y.toFloat32Array())).toEqual([0, 1, 2, 3, 1, 7, 13, 19]);
    const plain = ops.batchNorm(x, m, v, null, null, { eps: 0 });
    expect(Array.from(plain.toFloat32Array())).toEqual([0, 1, 2, 3, 0, 2, 4, 6]);
    const defEps = ops.batchNorm(x, m, v);
    expectClose(defEps.toFloat32Array(), [1, 3, 5, 7].map((a) => (a - 1) / Math.sqrt(4 + 1e-5)).concat([-2, -1, 0, 1].map((a) => (a + 2) / Math.sqrt(0.25 + 1e-5))), [1, 2, 2, 2], 'default eps');
    for (const t of [x, m, v, w, b, y, plain, defEps]) t.dispose();
  });

  it('sweeps rank 4 shapes: channels × spatial sizes (every remainder mod 4, and mod 16)', () => {
    let seed = 1;
    for (const c of CHANNELS) {
      for (const [h, w] of [[1, 1], [1, 2], [1, 3], [2, 2], [1, 5], [2, 3], [1, 7], [3, 3], [4, 4], [3, 6], [4, 5], [5, 7], [7, 7]]) {
        check([3, c, h, w], 'both', (seed += 10));
      }
    }
  });

  it('sweeps rank 2 [N, C] (vectorized across channels) and rank 3 [N, C, L]', () => {
    let seed = 5000;
    for (const c of [...CHANNELS, 31, 32, 33, 64, 67]) {
      for (const n of [1, 3]) check([n, c], 'both', (seed += 10));
      for (const l of [1, 2, 3, 4, 5, 9]) check([3, c, l], 'both', (seed += 10));
    }
  });

  it('with and without affine parameters, and other eps', () => {
    let seed = 9000;
    for (const affine of ['none', 'weight', 'bias', 'both'] as const) {
      for (const shape of [[3, 5], [3, 7, 3, 5], [2, 17, 6], [3, 16, 1, 1]]) {
        check(shape, affine, (seed += 10));
        check(shape, affine, (seed += 10), 1e-3);
      }
    }
  });

  it('handles empty batches', () => {
    const x = Tensor.zeros([0, 3, 2, 2]), m = Tensor.zeros([3]), v = Tensor.zeros([3]);
    const y = ops.batchNorm(x, m, v);
    expect(y.shape).toEqual([0, 3, 2, 2]);
    for (const t of [x, m, v, y]) t.dispose();
  });

  it('rejects bad arguments with specific messages', () => {
    const x = Tensor.zeros([2, 3, 2, 2]);
    const m = Tensor.zeros([3]), v = Tensor.zeros([3]), m4 = Tensor.zeros([4]), m2d = Tensor.zeros([3, 1]);
    const r1 = Tensor.zeros([3]), r5 = Tensor.zeros([1, 3, 1, 1, 1]);
    const before = bytesInUse();
    expect(() => ops.batchNorm(r1, m, v)).toThrow(/batchNorm: x must have rank 2 or 3 or 4 .*got shape \[3\]/);
    expect(() => ops.batchNorm(r5, m, v)).toThrow(/batchNorm: x must have rank 2 or 3 or 4 .*got shape \[1, 3, 1, 1, 1\]/);
    expect(() => ops.batchNorm(x, m4, v)).toThrow(/batchNorm: runningMean must have shape \[3\] \(one value per channel of x\), got \[4\]/);
    expect(() => ops.batchNorm(x, m, m4)).toThrow(/batchNorm: runningVar must have shape \[3\] .*got \[4\]/);
    expect(() => ops.batchNorm(x, m, v, m2d)).toThrow(/batchNorm: weight must have shape \[3\] .*got \[3, 1\]/);
    expect(() => ops.batchNorm(x, m, v, null, m4)).toThrow(/batchNorm: bias must have shape \[3\] .*got \[4\]/);
    expect(() => ops.batchNorm(x, [0, 0, 0] as never, v)).toThrow(/batchNorm: runningMean must be a Tensor, got an array/);
    expect(() => ops.batchNorm(x, m, undefined as never)).toThrow(/batchNorm: runningVar is required \(a Tensor of shape \[3\]\), got undefined/);
    expect(() => ops.batchNorm(x, m, v, 1 as never)).toThrow(/batchNorm: weight must be a Tensor, got 1/);
    expect(() => ops.batchNorm(5 as never, m, v)).toThrow(/batchNorm: x must be a Tensor, got 5/);
    const ints = Tensor.zeros([3], 'int32');
    expect(() => ops.batchNorm(x, ints, v)).toThrow(/batchNorm: runningMean must be a float32 tensor, got int32/);
    ints.dispose();
    expect(() => ops.batchNorm(x, m, v, null, null, { eps: -1 })).toThrow(/batchNorm: eps must be in \[0, Infinity\], got -1/);
    expect(() => ops.batchNorm(x, m, v, null, null, { eps: NaN })).toThrow(/batchNorm: eps must be a finite number, got NaN/);
    expect(() => ops.batchNorm(x, m, v, null, null, { momentum: 0.1 } as never)).toThrow(/batchNorm: unknown option 'momentum'/);
    const gone = Tensor.zeros([3]);
    gone.dispose();
    expect(() => ops.batchNorm(x, m, gone)).toThrow(/batchNorm: runningVar was disposed/);
    expect(() => ops.batchNorm(x, m, v, null, gone)).toThrow(/batchNorm: bias was disposed/);
    expect(bytesInUse()).toBe(before);
    for (const t of [x, m, v, m4, m2d, r1, r5]) t.dispose();
  });
});
