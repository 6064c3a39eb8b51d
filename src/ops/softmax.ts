// softmax and logSoftmax along any axis (PyTorch's dim), numerically stable: the maximum along
// the axis is subtracted before exponentiating, so large logits give exact 0/1 and log-softmax
// stays finite for finite inputs: y = x − max − log(Σ exp(x − max)).
import { Tensor, checkShape, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { type Prepared, runOnce } from './prepared.js';
import { describe, fmtShape, tensorArg } from './validate.js';

/** Resolves a possibly negative axis against rank (a rank-0 shape accepts −1 and 0, as PyTorch). */
function axisArg(op: string, axis: unknown, shape: readonly number[]): number {
  const r = Math.max(shape.length, 1);
  if (typeof axis !== 'number' || !Number.isInteger(axis)) {
    throw new TypeError(`${op}: axis must be an integer, got ${describe(axis)}`);
  }
  if (axis < -r || axis >= r) {
    throw new RangeError(
      `${op}: axis ${axis} is out of range for x of shape [${shape.join(', ')}] (rank ${shape.length}; valid axes ${-r}..${r - 1})`,
    );
  }
  return axis < 0 ? axis + r : axis;
}

function prepare(op: string, xShape: unknown, axis: unknown, log: boolean): Prepared {
  if (!Array.isArray(xShape)) throw new TypeError(`${op}: xShape must be an array of non-negative integers, got ${describe(xShape)}`);
  const size = checkShape(xShape, `${op}: xShape`);
  const outShape: number[] = xShape.slice();
  const ax = axisArg(op, axis, outShape);
  const shape = outShape.length === 0 ? [1] : outShape;
  let outer = 1, inner = 1;
  for (let d = 0; d < ax; d++) outer *= shape[d];
  for (let d = ax + 1; d < shape.length; d++) inner *= shape[d];
  const c = shape[ax];
  let call: (x: number, y: number) => void;
  if (inner === 1) {
    call = log
      ? (x, y) => kernels().log_softmax_f32_simd(x, y, outer, c)
      : (x, y) => kernels().softmax_f32_simd(x, y, outer, c);
  } else {
    call = log
      ? (x, y) => kernels().log_softmax_f32_strided_simd(x, y, outer, c, inner)
      : (x, y) => kernels().softmax_f32_strided_simd(x, y, outer, c, inner);
  }
  return {
    outShape,
    scratchBytes: 0,
    run(inputs, out) {
      if (size > 0) call(inputs[0], out);
    },
    dispose() {},
  };
}

/**
 * softmax prepared for x of xShape along `axis` (default −1): inputs [x]; output of xShape.
 * In place allowed (out === x): each slice's maximum is taken before anything is written, and
 * every later pass reads an element before it writes the same element.
 */
export function prepareSoftmax(xShape: Shape, axis = -1): Prepared {
  return prepare('softmax', xShape, axis, false);
}

/** logSoftmax prepared for x of xShape along `axis` (default −1); inputs, output and in place as prepareSoftmax. */
export function prepareLogSoftmax(xShape: Shape, axis = -1): Prepared {
  return prepare('logSoftmax', xShape, axis, true);
}

const empty = (s: Shape) => Tensor.empty(s);

/**
 * exp(x − max) / Σ exp(x − max) along `axis` (default −1, the last; negative axes count from
 * the end). Slices along the axis sum to 1. A NaN or +Infinity makes its slice NaN, as in PyTorch.
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  const t = tensorArg('softmax', 'x', x);
  return runOnce(prepareSoftmax(t.shape, axis), [t.ptr], empty);
}

/** x − max − log(Σ exp(x − max)) along `axis` (default −1): log(softmax(x)) without underflow. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const t = tensorArg('logSoftmax', 'x', x);
  return runOnce(prepareLogSoftmax(t.shape, axis), [t.ptr], empty);
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
  const ax = axisArg(op, axis, t.shape);
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
