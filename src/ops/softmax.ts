// softmax and logSoftmax along any axis (PyTorch's dim), numerically stable: the maximum along
// the axis is subtracted before exponentiating, so large logits give exact 0/1 and log-softmax
// stays finite for finite inputs: y = x − max − log(Σ exp(x − max)).
import { Tensor } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { describe, fmtShape, tensorArg } from './validate.js';

/** Resolves a possibly negative axis against rank (a rank-0 tensor accepts −1 and 0, as PyTorch). */
function axisArg(op: string, axis: unknown, t: Tensor): number {
  const r = Math.max(t.rank, 1);
  if (typeof axis !== 'number' || !Number.isInteger(axis)) {
    throw new TypeError(`${op}: axis must be an integer, got ${describe(axis)}`);
  }
  if (axis < -r || axis >= r) {
    throw new RangeError(
      `${op}: axis ${axis} is out of range for x of shape [${t.shape.join(', ')}] (rank ${t.rank}; valid axes ${-r}..${r - 1})`,
    );
  }
  return axis < 0 ? axis + r : axis;
}

function run(op: string, x: unknown, axis: unknown, log: boolean): Tensor {
  const t = tensorArg(op, 'x', x);
  const ax = axisArg(op, axis, t);
  const shape = t.rank === 0 ? [1] : t.shape;
  let outer = 1, inner = 1;
  for (let d = 0; d < ax; d++) outer *= shape[d];
  for (let d = ax + 1; d < shape.length; d++) inner *= shape[d];
  const c = shape[ax];
  const y = Tensor.empty(t.shape);
  if (t.size === 0) return y;
  const k = kernels();
  if (inner === 1) {
    if (log) k.log_softmax_f32_simd(t.ptr, y.ptr, outer, c);
    else k.softmax_f32_simd(t.ptr, y.ptr, outer, c);
  } else if (log) {
    k.log_softmax_f32_strided_simd(t.ptr, y.ptr, outer, c, inner);
  } else {
    k.softmax_f32_strided_simd(t.ptr, y.ptr, outer, c, inner);
  }
  return y;
}

/**
 * exp(x − max) / Σ exp(x − max) along `axis` (default −1, the last; negative axes count from
 * the end). Slices along the axis sum to 1. A NaN or +Infinity makes its slice NaN, as in PyTorch.
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  return run('softmax', x, axis, false);
}

/** x − max − log(Σ exp(x − max)) along `axis` (default −1): log(softmax(x)) without underflow. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return run('logSoftmax', x, axis, true);
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────

function runBackward(op: string, dy: unknown, y: unknown, axis: unknown, log: boolean): Tensor {
  const d = tensorArg(op, 'dy', dy);
  const t = tensorArg(op, 'y', y);
  if (d.rank !== t.rank || d.shape.some((v, i) => v !== t.shape[i])) {
    throw new RangeError(
      `${op}: dy has shape ${fmtShape(d.shape)} but y has shape ${fmtShape(t.shape)}; dy must have the shape of the forward output y`,
    );
  }
  const ax = axisArg(op, axis, t);
  const shape = t.rank === 0 ? [1] : t.shape;
  let outer = 1, inner = 1;
  for (let i = 0; i < ax; i++) outer *= shape[i];
  for (let i = ax + 1; i < shape.length; i++) inner *= shape[i];
  const c = shape[ax];
  const dx = Tensor.empty(t.shape);
  if (t.size === 0) return dx;
  const k = kernels();
  if (inner === 1) {
    if (log) k.log_softmax_bwd_f32_simd(d.ptr, t.ptr, dx.ptr, outer, c);
    else k.softmax_bwd_f32_simd(d.ptr, t.ptr, dx.ptr, outer, c);
  } else if (log) {
    k.log_softmax_bwd_f32_strided_simd(d.ptr, t.ptr, dx.ptr, outer, c, inner);
  } else {
    k.softmax_bwd_f32_strided_simd(d.ptr, t.ptr, dx.ptr, outer, c, inner);
  }
  return dx;
}

/**
 * softmax's gradient from its OUTPUT y = softmax(x, axis): dx = y ⊙ (dy − Σ_axis dy⊙y).
 * dy and y have one shape; axis as in the forward call (default −1).
 */
export function softmaxBackward(dy: Tensor, y: Tensor, axis = -1): Tensor {
  return runBackward('softmaxBackward', dy, y, axis, false);
}

/**
 * logSoftmax's gradient from its OUTPUT y = logSoftmax(x, axis): dx = dy − exp(y) ⊙ Σ_axis dy.
 * y ≤ 0 as the forward op produces it; axis as in the forward call (default −1).
 */
export function logSoftmaxBackward(dy: Tensor, y: Tensor, axis = -1): Tensor {
  return runBackward('logSoftmaxBackward', dy, y, axis, true);
}
