// The clip family (PyTorch semantics): clip (torch.clamp, either bound may be absent), relu6,
// hardSigmoid (alpha, beta: torch's Hardsigmoid is 1/6, 0.5; ONNX's default alpha is 0.2),
// hardSwish. Any shape; new tensors of x's shape; NaN in gives NaN out. Prepared forms allow
// in place. Backward passes the gradient at the kinks exactly where PyTorch does (see each).
// Fusing: conv2d/linear already take a clamp { min, max } in their store (prepareConv2d's
// clamp), so relu6 after a convolution fuses as { min: 0, max: 6 } with no kernel of its own.
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { mapBackward, prepareMap } from './map.js';
import { type Prepared, runOnce } from './prepared.js';
import { describe, numberArg, tensorArg } from './validate.js';

/** A bound of clip: a number (±Infinity allowed, not NaN), or null/undefined for none. */
function boundArg(op: string, name: string, v: unknown, none: number): number {
  if (v === undefined || v === null) return none;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${op}: ${name} must be a number, null or undefined, got ${describe(v)}`);
  return v;
}

function bounds(op: string, min: unknown, max: unknown): [number, number] {
  return [boundArg(op, 'min', min, -Infinity), boundArg(op, 'max', max, Infinity)];
}

const empty = (s: Shape) => Tensor.empty(s);

/**
 * clip prepared for x of xShape: inputs [x]; output of xShape; in place allowed. min/max as
 * clip's. (The bounds are rounded to float32.)
 */
export function prepareClip(xShape: Shape, min?: number | null, max?: number | null): Prepared {
  const [lo, hi] = bounds('clip', min, max);
  return prepareMap('clip', xShape, (x, y, n) => kernels().clip_f32_simd(x, y, n, lo, hi));
}

/** relu6 prepared for x of xShape (clip to [0, 6]): inputs [x]; output of xShape; in place allowed. */
export function prepareRelu6(xShape: Shape): Prepared {
  return prepareMap('relu6', xShape, (x, y, n) => kernels().clip_f32_simd(x, y, n, 0, 6));
}

/** hardSigmoid prepared for x of xShape: inputs [x]; output of xShape; in place allowed. */
export function prepareHardSigmoid(xShape: Shape, alpha = 1 / 6, beta = 0.5): Prepared {
  const a = numberArg('hardSigmoid', 'alpha', alpha), b = numberArg('hardSigmoid', 'beta', beta);
  return prepareMap('hardSigmoid', xShape, (x, y, n) => kernels().hardsigmoid_f32_simd(x, y, n, a, b));
}

/** hardSwish prepared for x of xShape: inputs [x]; output of xShape; in place allowed. */
export function prepareHardSwish(xShape: Shape): Prepared {
  return prepareMap('hardSwish', xShape, (x, y, n) => kernels().hardswish_f32_simd(x, y, n));
}

/**
 * min(max(x, min), max) elementwise (torch.clamp): min or max may be null/undefined (no bound);
 * min > max gives max everywhere, as PyTorch.
 */
export function clip(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const t = tensorArg('clip', 'x', x);
  return runOnce(prepareClip(t.shape, min, max), [t.ptr], empty);
}

/** min(max(x, 0), 6) elementwise (torch's ReLU6). */
export function relu6(x: Tensor): Tensor {
  const t = tensorArg('relu6', 'x', x);
  return runOnce(prepareRelu6(t.shape), [t.ptr], empty);
}

/** min(max(alpha·x + beta, 0), 1) elementwise; defaults are torch's Hardsigmoid (ONNX HardSigmoid: alpha 0.2). */
export function hardSigmoid(x: Tensor, alpha = 1 / 6, beta = 0.5): Tensor {
  const t = tensorArg('hardSigmoid', 'x', x);
  return runOnce(prepareHardSigmoid(t.shape, alpha, beta), [t.ptr], empty);
}

/** x·min(max(x + 3, 0), 6)/6 elementwise (torch's Hardswish). */
export function hardSwish(x: Tensor): Tensor {
  const t = tensorArg('hardSwish', 'x', x);
  return runOnce(prepareHardSwish(t.shape), [t.ptr], empty);
}

// ── Backward (x is the forward INPUT) ────────────────────────────────────────────────────────

/** clip's gradient as torch.clamp's: dx = dy where min ≤ x ≤ max (inclusive), else 0 (0 for NaN x). */
export function clipBackward(dy: Tensor, x: Tensor, min?: number | null, max?: number | null): Tensor {
  const [lo, hi] = bounds('clipBackward', min, max);
  return mapBackward('clipBackward', dy, x, 'x', (d, u, dx, n) => kernels().clip_bwd_f32_simd(d, u, dx, n, lo, hi));
}

/** relu6's gradient as torch's (hardtanh_backward): dx = dy where 0 < x < 6 (strict), else 0; a NaN x passes dy. */
export function relu6Backward(dy: Tensor, x: Tensor): Tensor {
  return mapBackward('relu6Backward', dy, x, 'x', (d, u, dx, n) => kernels().hardtanh_bwd_f32_simd(d, u, dx, n, 0, 6));
}

/** hardSigmoid's gradient as torch's: dx = alpha·dy where 0 < alpha·x + beta < 1 (strict), else 0. */
export function hardSigmoidBackward(dy: Tensor, x: Tensor, alpha = 1 / 6, beta = 0.5): Tensor {
  const a = numberArg('hardSigmoidBackward', 'alpha', alpha), b = numberArg('hardSigmoidBackward', 'beta', beta);
  return mapBackward('hardSigmoidBackward', dy, x, 'x', (d, u, dx, n) => kernels().hardsigmoid_bwd_f32_simd(d, u, dx, n, a, b));
}

/** hardSwish's gradient as torch's: 0 for x < −3, dy·(x/3 + 1/2) for −3 ≤ x ≤ 3, dy above. */
export function hardSwishBackward(dy: Tensor, x: Tensor): Tensor {
  return mapBackward('hardSwishBackward', dy, x, 'x', (d, u, dx, n) => kernels().hardswish_bwd_f32_simd(d, u, dx, n));
}

/**
 * hardtanh's gradient as torch's (hardtanh_backward): dx = dy where min < x < max (strict), else 0;
 * a NaN x passes dy. min/max as clip's (null/undefined: no bound, so that side never stops dy).
 */
export function hardtanhBackward(dy: Tensor, x: Tensor, min?: number | null, max?: number | null): Tensor {
  const [lo, hi] = bounds('hardtanhBackward', min, max);
  return mapBackward('hardtanhBackward', dy, x, 'x', (d, u, dx, n) => kernels().hardtanh_bwd_f32_simd(d, u, dx, n, lo, hi));
}
