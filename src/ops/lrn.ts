// Local response normalization across channels (PyTorch's local_response_norm; AlexNet's NORM).
import { Tensor } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { describe, intArg, knownOptions, numberArg, rankArg } from './validate.js';

export interface LocalResponseNormOptions {
  /** Number of neighbouring channels in the window (required), e.g. 5 in AlexNet. */
  size: number;
  /** Default 1e-4. */
  alpha?: number;
  /** Default 0.75. */
  beta?: number;
  /** Additive constant, > 0. Default 1 (AlexNet uses 2). */
  k?: number;
}

const KEYS = ['size', 'alpha', 'beta', 'k'] as const;

/**
 * b[n, c, …] = a[n, c, …] · (k + (alpha/size) · Σ_{c'} a[n, c', …]²)^(−beta), c' from
 * c − ⌊size/2⌋ to c + ⌊(size−1)/2⌋ clipped to [0, C) (PyTorch's window; same as ONNX's for odd
 * size). x: [N, C, H, W], [N, C, L] or [N, C]; the output has x's shape.
 */
export function localResponseNorm(x: Tensor, options: LocalResponseNormOptions): Tensor {
  const op = 'localResponseNorm';
  const t = rankArg(op, 'x', x, [2, 3, 4], 'N, C, then spatial dims');
  const o = knownOptions(op, options, KEYS);
  if (o.size === undefined) throw new TypeError(`${op}: options.size is required (the number of channels in the window)`);
  const size = intArg(op, 'size', o.size, 1);
  const alpha = numberArg(op, 'alpha', o.alpha ?? 1e-4, 0);
  const beta = numberArg(op, 'beta', o.beta ?? 0.75);
  const k = numberArg(op, 'k', o.k ?? 1);
  if (!(k > 0)) {
    throw new RangeError(`${op}: k must be > 0 (it keeps k + (alpha/size)·Σa² positive before the power −beta), got ${describe(k)}`);
  }
  const before = Math.floor(size / 2), after = Math.floor((size - 1) / 2);
  return lrnWindow(t, before, after, alpha / size, beta, k);
}

/**
 * The kernel call with explicit, already validated window extents (c − before … c + after), so an
 * importer whose window differs from PyTorch's can reuse it (ONNX: before ⌊(size−1)/2⌋, after
 * ⌈(size−1)/2⌉, scale alpha/size).
 */
function lrnWindow(x: Tensor, before: number, after: number, alphaOverSize: number, beta: number, k: number): Tensor {
  const n = x.shape[0], c = x.shape[1];
  const hw = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const y = Tensor.empty(x.shape);
  if (c > 0 && hw > 0) kernels().lrn_f32_simd(x.ptr, y.ptr, 0, n * hw, c, hw, before, after, alphaOverSize, beta, k);
  return y;
}
