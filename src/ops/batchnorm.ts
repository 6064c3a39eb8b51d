// Batch normalization over the channel axis of [N, C], [N, C, L] or [N, C, H, W] tensors.
// Inference uses the running statistics; training normalizes with the batch's statistics and
// moves the running ones (PyTorch's rules); the backward is the full training gradient.
// Inference is a prepare function (shape, parameters and options → a Prepared that only calls the
// kernel; what a compiled plan runs) plus the eager wrapper `runOnce` around it.
import { Tensor, type Shape } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { alignUp } from '../wasm/heap.js';
import { describe, fmtShape, knownOptions, numberArg, rankArg, sameShape, tensorArg, xShapeArg } from './validate.js';
import { runOnce, type Prepared } from './prepared.js';

export interface BatchNormOptions {
  /** Added to the variance before the square root. Default 1e-5. */
  eps?: number;
}

const KEYS = ['eps'] as const;

/** A per-channel parameter: a live rank-1 tensor of length C. */
function channelArg(op: string, name: string, v: unknown, c: number, optional: boolean): Tensor | null {
  if (optional && (v === null || v === undefined)) return null;
  if (!optional && (v === null || v === undefined)) throw new TypeError(`${op}: ${name} is required (a Tensor of shape [${c}]), got ${describe(v)}`);
  const t = tensorArg(op, name, v);
  if (t.rank !== 1 || t.shape[0] !== c) {
    throw new RangeError(`${op}: ${name} must have shape [${c}] (one value per channel of x), got ${fmtShape(t.shape)}`);
  }
  return t;
}

// ---- inference ---------------------------------------------------------------------------

const LAYOUT = 'N, C, then spatial dims';

/**
 * x's shape handed to a prepare function: an array of integers ≥ 0 whose rank the eager op accepts
 * (the same rank message as the eager op's rankArg on a tensor of that shape).
 */

/**
 * Prepares inference batch normalization (batchNorm) for inputs of shape xShape ([N, C],
 * [N, C, L] or [N, C, H, W]); validates like batchNorm (same messages). The statistics and affine
 * parameters are folded ONCE, here, into a per-channel scale = weight/√(runningVar + eps) and
 * shift = bias − runningMean·scale held in a buffer the Prepared owns (freed by dispose()); the
 * tensors are read only now and may be disposed afterwards. Later changes to runningMean,
 * runningVar, weight or bias (training steps, loading weights) are NOT seen by run(): prepare
 * again. run([x], y) computes y = x·scale + shift (x's shape; y may be x); no scratch.
 */
export function prepareBatchNorm(
  xShape: Shape,
  runningMean: Tensor,
  runningVar: Tensor,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options?: BatchNormOptions,
): Prepared {
  const op = 'batchNorm';
  const xs = xShapeArg(op, xShape, [2, 3, 4], LAYOUT);
  const c = xs[1];
  const mean = channelArg(op, 'runningMean', runningMean, c, false)!;
  const vr = channelArg(op, 'runningVar', runningVar, c, false)!;
  const w = channelArg(op, 'weight', weight, c, true);
  const b = channelArg(op, 'bias', bias, c, true);
  const o = knownOptions(op, options, KEYS);
  const eps = numberArg(op, 'eps', o.eps ?? 1e-5, 0);
  const planes = xs[0] * c, hw = xs.slice(2).reduce((a, d) => a * d, 1);
  const k = kernels();
  // scale and shift side by side in one owned block, each 16-byte aligned
  const half = alignUp(c * 4, 16);
  let folded = heap().alloc(2 * half);
  try {
    k.batchnorm_fold_f32_simd(mean.ptr, vr.ptr, w ? w.ptr : 0, b ? b.ptr : 0, folded, folded + half, c, eps);
  } catch (e) {
    heap().release(folded);
    throw e;
  }
  const scale = folded, shift = folded + half;
  return {
    outShape: xs,
    scratchBytes: 0,
    run(inputs, out) {
      if (planes > 0 && hw > 0) k.batchnorm_f32_simd(inputs[0], out, scale, shift, c, hw, 0, planes);
    },
    dispose() {
      if (folded >= 0) heap().release(folded);
      folded = -1;
    },
  };
}

/**
 * Inference batch normalization (PyTorch's batch_norm with training=false):
 * y = (x − runningMean[c]) / √(runningVar[c] + eps) · weight[c] + bias[c], with weight 1 and bias 0
 * when they are null or omitted. x: [N, C], [N, C, L] or [N, C, H, W]; statistics and affine
 * parameters [C]. The output has x's shape.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options?: BatchNormOptions,
): Tensor {
  const t = tensorArg('batchNorm', 'x', x);
  return runOnce(prepareBatchNorm(t.shape, runningMean, runningVar, weight, bias, options), [t.ptr], (s) => Tensor.empty(s));
}

// ---- training ----------------------------------------------------------------------------

export interface BatchNormTrainOptions {
  /** Weight of the batch statistics in the running averages, in [0, 1]. Default 0.1. */
  momentum?: number;
  /** Added to the variance before the square root. Default 1e-5. */
  eps?: number;
}

export interface BatchNormTrainResult {
  /** x normalized with the batch statistics, then scaled and shifted (x's shape). */
  output: Tensor;
  /** The batch mean per channel, [C]. */
  mean: Tensor;
  /** 1/√(biased batch variance + eps) per channel, [C]. */
  invStd: Tensor;
}

const TRAIN_KEYS = ['momentum', 'eps'] as const;

/** N·(spatial size): the number of values each channel's statistics run over. */
function perChannel(t: Tensor): { n: number; c: number; hw: number; m: number } {
  const n = t.shape[0], c = t.shape[1];
  const hw = t.shape.slice(2).reduce((a, d) => a * d, 1);
  return { n, c, hw, m: n * hw };
}

/**
 * Training batch normalization (PyTorch's batch_norm with training=true): per channel c, the
 * mean and biased variance over the N·(spatial) values of x (f64 sums), output =
 * (x − mean)·invStd·weight + bias with invStd = 1/√(var + eps), and, in place,
 * runningMean = (1 − momentum)·runningMean + momentum·mean, runningVar likewise with the unbiased
 * variance var·M/(M − 1). weight/bias null mean 1/0; runningMean/runningVar null skip the update.
 * Returns the output and new [C] tensors mean and invStd (what batchNormBackward needs).
 */
export function batchNormTrain(
  x: Tensor,
  weight: Tensor | null | undefined,
  bias: Tensor | null | undefined,
  runningMean: Tensor | null | undefined,
  runningVar: Tensor | null | undefined,
  options?: BatchNormTrainOptions,
): BatchNormTrainResult {
  const op = 'batchNormTrain';
  const t = rankArg(op, 'x', x, [2, 3, 4], LAYOUT);
  const { n, c, hw, m } = perChannel(t);
  const w = channelArg(op, 'weight', weight, c, true);
  const b = channelArg(op, 'bias', bias, c, true);
  const rm = channelArg(op, 'runningMean', runningMean, c, true);
  const rv = channelArg(op, 'runningVar', runningVar, c, true);
  const o = knownOptions(op, options, TRAIN_KEYS);
  const momentum = numberArg(op, 'momentum', o.momentum ?? 0.1, 0, 1);
  const eps = numberArg(op, 'eps', o.eps ?? 1e-5, 0);
  if (m <= 1) {
    throw new RangeError(
      `${op}: expected more than 1 value per channel when training, got x of shape ${fmtShape(t.shape)} ` +
        `(N·spatial = ${m}); a batch of one [N = 1, C] sample has no variance`,
    );
  }
  let output: Tensor | null = null, mean: Tensor | null = null, invStd: Tensor | null = null;
  // [variance, mean residual δ] rows, then scale and shift (16-byte aligned)
  const stats = alignUp(2 * c * 4, 16), row = alignUp(c * 4, 16);
  let scratch = -1;
  try {
    output = Tensor.empty(t.shape);
    mean = Tensor.empty([c]);
    invStd = Tensor.empty([c]);
    scratch = heap().alloc(stats + 2 * row);
    const variance = scratch, residual = scratch + c * 4, scale = scratch + stats, shift = scratch + stats + row;
    const k = kernels();
    k.batchnorm_stats_f32_simd(t.ptr, mean.ptr, invStd.ptr, scratch, n, c, hw, eps, 0, c);
    if (rm !== null || rv !== null) {
      k.batchnorm_update_running_f32_simd(mean.ptr, variance, rm ? rm.ptr : 0, rv ? rv.ptr : 0, c, momentum, m / (m - 1));
    }
    // the inference fold with the residual δ as "mean": shift = bias − δ·scale, for (x − mean)·scale + shift
    k.batchnorm_fold_f32_simd(residual, variance, w ? w.ptr : 0, b ? b.ptr : 0, scale, shift, c, eps);
    k.batchnorm_train_f32_simd(t.ptr, output.ptr, mean.ptr, scale, shift, c, hw, 0, n * c);
    return { output, mean, invStd };
  } catch (e) {
    for (const r of [output, mean, invStd]) r?.dispose();
    throw e;
  } finally {
    if (scratch >= 0) heap().release(scratch);
  }
}

export interface BatchNormBackwardOptions {
  /** Add Σ dy·x̂ into this [C] tensor (returned as dWeight) instead of a new one. */
  weightGradInto?: Tensor | null;
  /** Add Σ dy into this [C] tensor (returned as dBias) instead of a new one. */
  biasGradInto?: Tensor | null;
}

export interface BatchNormBackwardResult {
  dx: Tensor;
  /** Σ dy·x̂ per channel: weightGradInto, a new tensor when weight was given, else null. */
  dWeight: Tensor | null;
  /** Σ dy per channel: biasGradInto, a new tensor when weight was given, else null. */
  dBias: Tensor | null;
}

const BWD_KEYS = ['weightGradInto', 'biasGradInto'] as const;

/**
 * Gradient of batchNormTrain (the batch statistics depend on x): with x̂ = (x − mean)·invStd and
 * M = N·(spatial), dx = invStd·w/M·(M·dy − Σdy − x̂·Σ(dy·x̂)), dWeight = Σ dy·x̂, dBias = Σ dy
 * (sums per channel). mean and invStd are what batchNormTrain returned (the mean's f32 rounding is
 * recovered from x as Σ(x − mean)/M, since invStd amplifies it when the variance is small); weight
 * null means 1.
 * dWeight/dBias are added into weightGradInto/biasGradInto when given (and returned as those);
 * otherwise new tensors when weight is given, null when it is not.
 */
export function batchNormBackward(
  dy: Tensor,
  x: Tensor,
  weight: Tensor | null | undefined,
  mean: Tensor,
  invStd: Tensor,
  options?: BatchNormBackwardOptions,
): BatchNormBackwardResult {
  const op = 'batchNormBackward';
  const t = rankArg(op, 'x', x, [2, 3, 4], LAYOUT);
  const g = tensorArg(op, 'dy', dy);
  sameShape(op, g, 'dy', t, 'x');
  const { n, c, hw, m } = perChannel(t);
  const w = channelArg(op, 'weight', weight, c, true);
  const mu = channelArg(op, 'mean', mean, c, false)!;
  const is = channelArg(op, 'invStd', invStd, c, false)!;
  const o = knownOptions(op, options, BWD_KEYS);
  const wInto = channelArg(op, 'weightGradInto', o.weightGradInto, c, true);
  const bInto = channelArg(op, 'biasGradInto', o.biasGradInto, c, true);
  if (wInto !== null && wInto === bInto) {
    throw new RangeError(`${op}: weightGradInto and biasGradInto are the same tensor; they need separate [${c}] tensors`);
  }
  let dx: Tensor | null = null, newW: Tensor | null = null, newB: Tensor | null = null;
  let scratch = -1;
  try {
    dx = Tensor.empty(t.shape);
    if (w !== null && wInto === null) newW = Tensor.zeros([c]);
    if (w !== null && bInto === null) newB = Tensor.zeros([c]);
    const dWeight = wInto ?? newW, dBias = bInto ?? newB;
    // sums [3, C] then coefficients [5, C]
    scratch = heap().alloc(8 * c * 4);
    const coef = scratch + 3 * c * 4;
    const k = kernels();
    k.batchnorm_bwd_reduce_f32_simd(g.ptr, t.ptr, mu.ptr, scratch, n, c, hw, 0, c);
    k.batchnorm_bwd_fold_f32_simd(scratch, mu.ptr, is.ptr, w ? w.ptr : 0, coef, dWeight ? dWeight.ptr : 0, dBias ? dBias.ptr : 0, c, m > 0 ? 1 / m : 0);
    k.batchnorm_bwd_data_f32_simd(g.ptr, t.ptr, dx.ptr, coef, c, hw, 0, n * c);
    return { dx, dWeight, dBias };
  } catch (e) {
    for (const r of [dx, newW, newB]) r?.dispose();
    throw e;
  } finally {
    if (scratch >= 0) heap().release(scratch);
  }
}
