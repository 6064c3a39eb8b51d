// Self-gated activations y = x·gate(x) (PyTorch semantics): silu (x·sigmoid x), gelu (x·Φ(x),
// exact or approximate: 'tanh'), mish (x·tanh(softplus x)). Any shape; new tensors of x's
// shape; NaN in gives NaN out. Prepared forms allow in place; backward from the forward INPUT.
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { mapBackward, prepareMap } from './map.js';
import { type Prepared, runOnce } from './prepared.js';
import { describe, knownOptions, tensorArg } from './validate.js';

export interface GeluOptions {
  /** 'none' (default): x·(1 + erf(x/√2))/2. 'tanh': PyTorch's tanh approximation. */
  approximate?: 'none' | 'tanh';
}

function approximateArg(op: string, options: unknown): boolean {
  const o = knownOptions(op, options, ['approximate']);
  const a = o.approximate ?? 'none';
  if (a !== 'none' && a !== 'tanh') throw new TypeError(`${op}: approximate must be 'none' or 'tanh', got ${describe(a)}`);
  return a === 'tanh';
}

const empty = (s: Shape) => Tensor.empty(s);

/** silu prepared for x of xShape: inputs [x]; output of xShape; in place allowed. */
export function prepareSilu(xShape: Shape): Prepared {
  return prepareMap('silu', xShape, (x, y, n) => kernels().silu_f32_simd(x, y, n));
}

/** gelu prepared for x of xShape: inputs [x]; output of xShape; in place allowed. */
export function prepareGelu(xShape: Shape, options?: GeluOptions): Prepared {
  const tanh = approximateArg('gelu', options);
  return prepareMap('gelu', xShape, tanh
    ? (x, y, n) => kernels().gelu_f32_tanh_simd(x, y, n)
    : (x, y, n) => kernels().gelu_f32_simd(x, y, n));
}

/** mish prepared for x of xShape: inputs [x]; output of xShape; in place allowed. */
export function prepareMish(xShape: Shape): Prepared {
  return prepareMap('mish', xShape, (x, y, n) => kernels().mish_f32_simd(x, y, n));
}

/** x·sigmoid(x) elementwise (torch's SiLU). */
export function silu(x: Tensor): Tensor {
  const t = tensorArg('silu', 'x', x);
  return runOnce(prepareSilu(t.shape), [t.ptr], empty);
}

/**
 * GELU elementwise (torch's GELU): x·Φ(x) with Φ the normal CDF (approximate 'none', the
 * default; accurate relative to itself also far left), or x·(1 + tanh(√(2/π)(x + 0.044715x³)))/2
 * (approximate 'tanh').
 */
export function gelu(x: Tensor, options?: GeluOptions): Tensor {
  const t = tensorArg('gelu', 'x', x);
  return runOnce(prepareGelu(t.shape, options), [t.ptr], empty);
}

/** x·tanh(softplus(x)) elementwise (torch's Mish). */
export function mish(x: Tensor): Tensor {
  const t = tensorArg('mish', 'x', x);
  return runOnce(prepareMish(t.shape), [t.ptr], empty);
}

/** silu's gradient: dx = dy·s·(1 + x·(1 − s)), s = sigmoid(x). */
export function siluBackward(dy: Tensor, x: Tensor): Tensor {
  return mapBackward('siluBackward', dy, x, 'x', (d, u, dx, n) => kernels().silu_bwd_f32_simd(d, u, dx, n));
}

/** gelu's gradient (the same approximate option as the forward): dy·(Φ(x) + x·φ(x)), or the tanh form's derivative. */
export function geluBackward(dy: Tensor, x: Tensor, options?: GeluOptions): Tensor {
  const tanh = approximateArg('geluBackward', options);
  return mapBackward('geluBackward', dy, x, 'x', tanh
    ? (d, u, dx, n) => kernels().gelu_bwd_f32_tanh_simd(d, u, dx, n)
    : (d, u, dx, n) => kernels().gelu_bwd_f32_simd(d, u, dx, n));
}

/** mish's gradient: dx = dy·(t + x·sigmoid(x)·(1 − t²)), t = tanh(softplus(x)). */
export function mishBackward(dy: Tensor, x: Tensor): Tensor {
  return mapBackward('mishBackward', dy, x, 'x', (d, u, dx, n) => kernels().mish_bwd_f32_simd(d, u, dx, n));
}
