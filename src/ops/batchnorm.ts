// Batch normalization over the channel axis of [N, C], [N, C, L] or [N, C, H, W] tensors.
// Inference uses the running statistics; the training form (batch statistics, running-average
// update, backward) will sit beside it in this file.
import { Tensor } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { alignUp } from '../wasm/heap.js';
import { describe, fmtShape, knownOptions, numberArg, rankArg, tensorArg } from './validate.js';

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
  const op = 'batchNorm';
  const t = rankArg(op, 'x', x, [2, 3, 4], 'N, C, then spatial dims');
  const c = t.shape[1];
  const mean = channelArg(op, 'runningMean', runningMean, c, false)!;
  const vr = channelArg(op, 'runningVar', runningVar, c, false)!;
  const w = channelArg(op, 'weight', weight, c, true);
  const b = channelArg(op, 'bias', bias, c, true);
  const o = knownOptions(op, options, KEYS);
  const eps = numberArg(op, 'eps', o.eps ?? 1e-5, 0);
  const hw = t.shape.slice(2).reduce((a, d) => a * d, 1);
  const y = Tensor.empty(t.shape);
  if (t.size === 0) return y;
  // scale and shift side by side in one scratch block, each 16-byte aligned
  const half = alignUp(c * 4, 16);
  const scratch = heap().alloc(2 * half);
  try {
    const k = kernels();
    k.batchnorm_fold_f32_simd(mean.ptr, vr.ptr, w ? w.ptr : 0, b ? b.ptr : 0, scratch, scratch + half, c, eps);
    k.batchnorm_f32_simd(t.ptr, y.ptr, scratch, scratch + half, c, hw, 0, t.shape[0] * c);
  } finally {
    heap().release(scratch);
  }
  return y;
}
