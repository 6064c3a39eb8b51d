// Training batch normalization: batch statistics, the running-average update (two steps against
// float64), the full training gradient by central differences, and the backward's options.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { refBatchNormBackward, refBatchNormTrain, refBatchStats } from './ref/batchnorm.js';

beforeAll(ready);

let baseline = 0;
beforeEach(() => { baseline = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use back to baseline').toBe(baseline); });

const CHANNELS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17];

interface Case { shape: number[]; affine: boolean; running: boolean; momentum?: number; eps?: number }

/** Two training steps on different batches, each checked against the float64 reference. */
function checkTrain({ shape, affine, running, momentum, eps }: Case, seed: number): void {
  const c = shape[1];
  const what = `${shape.join('x')}${affine ? '' : ' no affine'}${running ? '' : ' no running'}`;
  const weight = randArray(c, seed, -2, 2), bias = randArray(c, seed + 1, -1, 1);
  let rmData: ArrayLike<number> = randArray(c, seed + 2, -1, 1), rvData: ArrayLike<number> = randArray(c, seed + 3, 0.5, 2);
  const w = affine ? Tensor.from(weight, [c]) : null, b = affine ? Tensor.from(bias, [c]) : null;
  const rm = running ? Tensor.from(rmData, [c]) : null, rv = running ? Tensor.from(rvData, [c]) : null;
  const opts = { ...(momentum === undefined ? {} : { momentum }), ...(eps === undefined ? {} : { eps }) };
  for (let step = 0; step < 2; step++) {
    const data = randArray(sizeOf(shape), seed + 10 + step, -3, 3).map((v, i) => v + (i % 7) * 0.5);
    const x = Tensor.from(data, shape);
    const r = ops.batchNormTrain(x, w, b, rm, rv, opts);
    expectCanariesIntact(what);
    const ref = refBatchNormTrain(data, shape, affine ? weight : null, affine ? bias : null, rmData, rvData, momentum, eps);
    expect(r.output.shape).toEqual(shape);
    expect(r.mean.shape).toEqual([c]);
    expect(r.invStd.shape).toEqual([c]);
    expectClose(r.output.toFloat32Array(), ref.y, shape, `${what} step ${step} output`);
    expectClose(r.mean.toFloat32Array(), ref.mean, [c], `${what} step ${step} mean`);
    expectClose(r.invStd.toFloat32Array(), ref.invStd, [c], `${what} step ${step} invStd`);
    if (rm && rv) {
      expectClose(rm.toFloat32Array(), ref.runningMean, [c], `${what} step ${step} runningMean`);
      expectClose(rv.toFloat32Array(), ref.runningVar, [c], `${what} step ${step} runningVar`);
    }
    // the next step starts from the float64 reference's running statistics
    rmData = ref.runningMean;
    rvData = ref.runningVar;
    for (const t of [x, r.output, r.mean, r.invStd]) t.dispose();
  }
  for (const t of [w, b, rm, rv]) t?.dispose();
}

function checkBackward(shape: number[], affine: boolean, seed: number): void {
  const c = shape[1];
  const data = randArray(sizeOf(shape), seed, -2, 2).map((v, i) => v + (i % 5) * 0.3);
  const dyData = randArray(sizeOf(shape), seed + 1);
  const weight = randArray(c, seed + 2, -2, 2);
  const x = Tensor.from(data, shape), dy = Tensor.from(dyData, shape);
  const w = affine ? Tensor.from(weight, [c]) : null;
  const fwd = ops.batchNormTrain(x, w, null, null, null);
  const g = ops.batchNormBackward(dy, x, w, fwd.mean, fwd.invStd);
  expectCanariesIntact(`backward ${shape.join('x')}`);
  const ref = refBatchNormBackward(dyData, data, shape, affine ? weight : null);
  expectClose(g.dx.toFloat32Array(), ref.dx, shape, `dx ${shape.join('x')}`);
  if (affine) {
    expectClose(g.dWeight!.toFloat32Array(), ref.dWeight, [c], `dWeight ${shape.join('x')}`);
    expectClose(g.dBias!.toFloat32Array(), ref.dBias, [c], `dBias ${shape.join('x')}`);
  } else {
    expect(g.dWeight).toBeNull();
    expect(g.dBias).toBeNull();
  }
  for (const t of [x, dy, w, fwd.output, fwd.mean, fwd.invStd, g.dx, g.dWeight, g.dBias]) t?.dispose();
}

const SPATIAL = [[1, 1], [1, 2], [1, 3], [2, 2], [1, 5], [2, 3], [1, 7], [3, 3], [4, 4], [3, 6], [4, 5], [5, 7], [7, 7], [9, 31]];

describe('batchNormTrain', () => {
  it('hand-computed: [4, 1] batch 1, 2, 3, 4 (mean 2.5, biased variance 1.25, unbiased 5/3)', () => {
    const x = Tensor.from([1, 2, 3, 4], [4, 1]);
    const rm = Tensor.from([0], [1]), rv = Tensor.from([1], [1]);
    const r = ops.batchNormTrain(x, null, null, rm, rv, { eps: 0 });
    expectClose(r.output.toFloat32Array(), [-1.5, -0.5, 0.5, 1.5].map((v) => v / Math.sqrt(1.25)), [4, 1], 'output');
    expect(r.mean.toFloat32Array()[0]).toBe(2.5);
    expectClose(r.invStd.toFloat32Array(), [1 / Math.sqrt(1.25)], [1], 'invStd');
    expectClose(rm.toFloat32Array(), [0.25], [1], 'runningMean');
    expectClose(rv.toFloat32Array(), [0.9 + 0.1 * (5 / 3)], [1], 'runningVar');
    for (const t of [x, rm, rv, r.output, r.mean, r.invStd]) t.dispose();
  });

  it('rank 4 sweep: channels × spatial sizes (every remainder mod 4 and mod 16), two steps of running statistics', () => {
    let seed = 1;
    for (const c of CHANNELS) for (const [h, w] of SPATIAL) checkTrain({ shape: [3, c, h, w], affine: true, running: true }, (seed += 20));
  });

  it('rank 2 [N, C] (across channels, tails of 1–3) and rank 3 [N, C, L]', () => {
    let seed = 5000;
    for (const c of [...CHANNELS, 31, 32, 33, 64, 67]) {
      for (const n of [2, 3, 7]) checkTrain({ shape: [n, c], affine: true, running: true }, (seed += 20));
      for (const l of [1, 2, 3, 5, 9]) checkTrain({ shape: [2, c, l], affine: true, running: true }, (seed += 20));
    }
  });

  it('without affine parameters or running statistics, other momentum and eps', () => {
    let seed = 9000;
    for (const shape of [[3, 5], [2, 7, 3, 5], [4, 17, 6], [5, 16, 1, 1]]) {
      checkTrain({ shape, affine: false, running: true }, (seed += 20));
      checkTrain({ shape, affine: true, running: false }, (seed += 20));
      checkTrain({ shape, affine: true, running: true, momentum: 0.5, eps: 1e-3 }, (seed += 20));
      checkTrain({ shape, affine: true, running: true, momentum: 0 }, (seed += 20));
      checkTrain({ shape, affine: true, running: true, momentum: 1 }, (seed += 20));
    }
  });

  it('statistics stay accurate over large N·H·W with an offset (where a plain f32 sum drifts)', () => {
    for (const shape of [[4, 3, 128, 128], [60000, 5]]) {
      const c = shape[1], size = sizeOf(shape);
      const noise = randArray(size, 11, -0.5, 0.5);
      const data = noise.map((v, i) => 10 + v + (i % 3) * 0.01);
      const x = Tensor.from(data, shape);
      const r = ops.batchNormTrain(x, null, null, null, null);
      expectCanariesIntact('large');
      const ref = refBatchStats(data, shape);
      expectClose(r.mean.toFloat32Array(), ref.mean, [c], `mean ${shape.join('x')}`, 0, 1e-6);
      expectClose(r.invStd.toFloat32Array(), ref.variance.map((v) => 1 / Math.sqrt(v + 1e-5)), [c], `invStd ${shape.join('x')}`, 0, 2e-6);
      // the same tolerance rejects a one-accumulator float32 sum of channel 0 (the check can fail)
      let naive = 0;
      const hw = sizeOf(shape.slice(2));
      for (let n = 0; n < shape[0]; n++) for (let i = 0; i < hw; i++) naive = Math.fround(naive + data[(n * c) * hw + i]);
      expect(Math.abs(naive / (shape[0] * hw) - ref.mean[0]) / ref.mean[0], `naive f32 mean ${shape.join('x')}`).toBeGreaterThan(1e-6);
      for (const t of [x, r.output, r.mean, r.invStd]) t.dispose();
    }
  });

  it('a variance far below eps next to a large mean: 1/σ ≈ 300 must not amplify rounding (forward and backward)', () => {
    for (const shape of [[4, 3, 5, 7], [64, 6], [2, 5]]) {
      const c = shape[1];
      const data = randArray(sizeOf(shape), 21, -1e-3, 1e-3).map((v, i) => 1000 + v + (i % 4) * 1e-4);
      const dyData = randArray(sizeOf(shape), 22), weight = randArray(c, 23, 0.5, 2), bias = randArray(c, 24, -1, 1);
      const x = Tensor.from(data, shape), dy = Tensor.from(dyData, shape), w = Tensor.from(weight, [c]), b = Tensor.from(bias, [c]);
      const r = ops.batchNormTrain(x, w, b, null, null);
      const ref = refBatchNormTrain(data, shape, weight, bias, new Float64Array(c), new Float64Array(c));
      expectClose(r.output.toFloat32Array(), ref.y, shape, `output ${shape.join('x')}`);
      const g = ops.batchNormBackward(dy, x, w, r.mean, r.invStd);
      const gref = refBatchNormBackward(dyData, data, shape, weight);
      expectClose(g.dx.toFloat32Array(), gref.dx, shape, `dx ${shape.join('x')}`);
      expectClose(g.dWeight!.toFloat32Array(), gref.dWeight, [c], `dWeight ${shape.join('x')}`);
      for (const t of [x, dy, w, b, r.output, r.mean, r.invStd, g.dx, g.dWeight, g.dBias]) t?.dispose();
    }
  });

  it('central differences: the output as a function of x (statistics included), of weight and of bias', () => {
    let seed = 300;
    for (const [shape, affine] of [[[4, 3, 3, 5], true], [[6, 5], true], [[3, 4, 7], true], [[2, 17, 2, 3], true], [[3, 2, 2, 2], false], [[2, 3], true]] as [number[], boolean][]) {
      const c = shape[1];
      const data = randArray(sizeOf(shape), seed++, -2, 2);
      const weight = randArray(c, seed++, 0.5, 2), bias = randArray(c, seed++, -1, 1);
      const r = randArray(sizeOf(shape), seed++);
      const run = (xd: Float32Array, wd: Float32Array | null, bd: Float32Array | null) => {
        const x = Tensor.from(xd, shape);
        const w = wd ? Tensor.from(wd, [c]) : null, b = bd ? Tensor.from(bd, [c]) : null;
        const out = ops.batchNormTrain(x, w, b, null, null);
        const y = out.output.toFloat32Array();
        for (const t of [x, w, b, out.output, out.mean, out.invStd]) t?.dispose();
        return y;
      };
      const x = Tensor.from(data, shape), dy = Tensor.from(r, shape);
      const w = affine ? Tensor.from(weight, [c]) : null, b = affine ? Tensor.from(bias, [c]) : null;
      const fwd = ops.batchNormTrain(x, w, b, null, null);
      const g = ops.batchNormBackward(dy, x, w, fwd.mean, fwd.invStd);
      const what = `${shape.join('x')}${affine ? '' : ' no affine'}`;
      fdCheck({ x: data, shape, r, analytic: g.dx.toFloat32Array(), forward: (xp) => run(xp, affine ? weight : null, affine ? bias : null), samples: 48, what: `dx ${what}` });
      if (affine) {
        fdCheck({ x: weight, shape: [c], r, analytic: g.dWeight!.toFloat32Array(), forward: (wp) => run(data, wp, bias), what: `dWeight ${what}` });
        fdCheck({ x: bias, shape: [c], r, analytic: g.dBias!.toFloat32Array(), forward: (bp) => run(data, weight, bp), what: `dBias ${what}` });
      }
      for (const t of [x, dy, w, b, fwd.output, fwd.mean, fwd.invStd, g.dx, g.dWeight, g.dBias]) t?.dispose();
    }
  });

  it('rejects bad arguments with specific messages, before running anything', () => {
    const x = Tensor.zeros([2, 3, 2, 2]);
    const c3 = Tensor.zeros([3]), c4 = Tensor.zeros([4]);
    const one = Tensor.zeros([1, 3]), one4 = Tensor.zeros([1, 3, 1, 1]);
    const before = bytesInUse();
    const op = 'batchNormTrain';
    expect(() => ops.batchNormTrain(one, null, null, c3, c3)).toThrow(
      /batchNormTrain: expected more than 1 value per channel when training, got x of shape \[1, 3\] \(N·spatial = 1\)/,
    );
    expect(() => ops.batchNormTrain(one4, null, null, null, null)).toThrow(/expected more than 1 value per channel when training, got x of shape \[1, 3, 1, 1\]/);
    expect(() => ops.batchNormTrain(x, c4, null, c3, c3)).toThrow(new RegExp(`${op}: weight must have shape \\[3\\] \\(one value per channel of x\\), got \\[4\\]`));
    expect(() => ops.batchNormTrain(x, null, c4, c3, c3)).toThrow(/batchNormTrain: bias must have shape \[3\] .*got \[4\]/);
    expect(() => ops.batchNormTrain(x, null, null, c4, c3)).toThrow(/batchNormTrain: runningMean must have shape \[3\] .*got \[4\]/);
    expect(() => ops.batchNormTrain(x, null, null, c3, c4)).toThrow(/batchNormTrain: runningVar must have shape \[3\] .*got \[4\]/);
    expect(() => ops.batchNormTrain(x, null, null, c3, c3, { momentum: 1.5 })).toThrow(/batchNormTrain: momentum must be in \[0, 1\], got 1.5/);
    expect(() => ops.batchNormTrain(x, null, null, c3, c3, { momentum: NaN })).toThrow(/batchNormTrain: momentum must be a finite number, got NaN/);
    expect(() => ops.batchNormTrain(x, null, null, c3, c3, { eps: -1 })).toThrow(/batchNormTrain: eps must be in \[0, Infinity\], got -1/);
    expect(() => ops.batchNormTrain(x, null, null, c3, c3, { affine: true } as never)).toThrow(/batchNormTrain: unknown option 'affine'/);
    expect(() => ops.batchNormTrain(c3, null, null, c3, c3)).toThrow(/batchNormTrain: x must have rank 2 or 3 or 4 .*got shape \[3\]/);
    expect(() => ops.batchNormTrain(x, [1, 1, 1] as never, null, c3, c3)).toThrow(/batchNormTrain: weight must be a Tensor, got an array/);
    expect(bytesInUse()).toBe(before);
    for (const t of [x, c3, c4, one, one4]) t.dispose();
  });
});

describe('batchNormBackward', () => {
  it('matches the reference: rank 4 channels × spatial sizes, rank 2 and rank 3, with and without weight', () => {
    let seed = 1;
    for (const c of CHANNELS) for (const [h, w] of SPATIAL) checkBackward([3, c, h, w], true, (seed += 10));
    for (const c of [...CHANNELS, 33, 67]) {
      for (const n of [2, 5]) checkBackward([n, c], true, (seed += 10));
      checkBackward([2, c, 5], true, (seed += 10));
      checkBackward([2, c, 3, 3], false, (seed += 10));
      checkBackward([4, c], false, (seed += 10));
    }
  });

  it('weightGradInto / biasGradInto accumulate across calls and are returned; weight null gives null unless asked', () => {
    const shape = [3, 5, 2, 3];
    const data = randArray(sizeOf(shape), 1, -2, 2), dyData = randArray(sizeOf(shape), 2), weight = randArray(5, 3);
    const x = Tensor.from(data, shape), dy = Tensor.from(dyData, shape), w = Tensor.from(weight, [5]);
    const fwd = ops.batchNormTrain(x, w, null, null, null);
    const ref = refBatchNormBackward(dyData, data, shape, weight);
    const gw = Tensor.from([1, 2, 3, 4, 5], [5]), gb = Tensor.zeros([5]);
    const a = ops.batchNormBackward(dy, x, w, fwd.mean, fwd.invStd, { weightGradInto: gw, biasGradInto: gb });
    const b = ops.batchNormBackward(dy, x, w, fwd.mean, fwd.invStd, { weightGradInto: gw, biasGradInto: gb });
    expectCanariesIntact('accumulate');
    expect(a.dWeight).toBe(gw);
    expect(b.dBias).toBe(gb);
    expectClose(gw.toFloat32Array(), ref.dWeight.map((v, i) => 2 * v + i + 1), [5], 'dWeight twice');
    expectClose(gb.toFloat32Array(), ref.dBias.map((v) => 2 * v), [5], 'dBias twice');
    expectClose(b.dx.toFloat32Array(), ref.dx, shape, 'dx');
    // no weight: the gradients of an implicit weight 1 / bias 0 only when asked for
    const plain = ops.batchNormTrain(x, null, null, null, null);
    const none = ops.batchNormBackward(dy, x, null, plain.mean, plain.invStd);
    expect(none.dWeight).toBeNull();
    expect(none.dBias).toBeNull();
    const onlyBias = Tensor.zeros([5]);
    const asked = ops.batchNormBackward(dy, x, undefined, plain.mean, plain.invStd, { weightGradInto: undefined, biasGradInto: onlyBias });
    expect(asked.dWeight).toBeNull();
    expect(asked.dBias).toBe(onlyBias);
    expectClose(onlyBias.toFloat32Array(), ref.dBias, [5], 'bias only');
    const refPlain = refBatchNormBackward(dyData, data, shape, null);
    expectClose(asked.dx.toFloat32Array(), refPlain.dx, shape, 'dx without weight');
    for (const t of [x, dy, w, fwd.output, fwd.mean, fwd.invStd, gw, gb, a.dx, b.dx, plain.output, plain.mean, plain.invStd, none.dx, onlyBias, asked.dx]) t.dispose();
  });

  it('rejects bad arguments with specific messages, before running anything', () => {
    const x = Tensor.zeros([2, 3, 2, 2]), dy = Tensor.zeros([2, 3, 2, 2]), dyBad = Tensor.zeros([2, 3, 4]);
    const c3 = Tensor.zeros([3]), c4 = Tensor.zeros([4]);
    const before = bytesInUse();
    const op = 'batchNormBackward';
    expect(() => ops.batchNormBackward(dyBad, x, null, c3, c3)).toThrow(new RegExp(`${op}: dy has shape \\[2, 3, 4\\] but x has shape \\[2, 3, 2, 2\\]; they must match`));
    expect(() => ops.batchNormBackward(dy, x, null, c4, c3)).toThrow(/batchNormBackward: mean must have shape \[3\] .*got \[4\]/);
    expect(() => ops.batchNormBackward(dy, x, null, c3, null as never)).toThrow(/batchNormBackward: invStd is required \(a Tensor of shape \[3\]\), got null/);
    expect(() => ops.batchNormBackward(dy, x, c4, c3, c3)).toThrow(/batchNormBackward: weight must have shape \[3\]/);
    expect(() => ops.batchNormBackward(dy, x, c3, c3, c3, { weightGradInto: c4 })).toThrow(/batchNormBackward: weightGradInto must have shape \[3\] .*got \[4\]/);
    expect(() => ops.batchNormBackward(dy, x, c3, c3, c3, { biasGradInto: c4 })).toThrow(/batchNormBackward: biasGradInto must have shape \[3\] .*got \[4\]/);
    expect(() => ops.batchNormBackward(dy, x, c3, c3, c3, { weightGradInto: c3, biasGradInto: c3 })).toThrow(/batchNormBackward: weightGradInto and biasGradInto are the same tensor/);
    expect(() => ops.batchNormBackward(dy, x, c3, c3, c3, { accumulateInto: c3 } as never)).toThrow(/batchNormBackward: unknown option 'accumulateInto'/);
    expect(() => ops.batchNormBackward('dy' as never, x, null, c3, c3)).toThrow(/batchNormBackward: dy must be a Tensor, got "dy"/);
    expect(bytesInUse()).toBe(before);
    for (const t of [x, dy, dyBad, c3, c4]) t.dispose();
  });
});
