// Local response normalization across channels (PyTorch's local_response_norm; AlexNet's NORM),
// and its backward. The forward is a prepare function (shape and options → a Prepared that only
// calls the kernel; what a compiled plan runs) plus the eager wrapper `runOnce` around it.
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { describe, intArg, knownOptions, numberArg, rankArg, sameShape, tensorArg, xShapeArg } from './validate.js';
import { runOnce, withScratch, type Prepared } from './prepared.js';

export interface LocalResponseNormOptions {
  /** Number of neighbouring channels in the window (required), e.g. 5 in AlexNet. */
  size: number;
  /** Default 1e-4. */
  alpha?: number;
  /** Default 0.75. */
  beta?: number;
  /** Additive constant, > 0. Default 1 (AlexNet uses 2). */
  k?: number;
  /**
   * The window's extents [before, after] around channel c (before + after + 1 = size). Default
   * PyTorch's [⌊size/2⌋, ⌊(size−1)/2⌋]; ONNX's LRN is [⌊(size−1)/2⌋, ⌈(size−1)/2⌉].
   */
  window?: readonly [number, number];
}

const KEYS = ['size', 'alpha', 'beta', 'k', 'window'] as const;

interface Lrn {
  before: number;
  after: number;
  alphaOverSize: number;
  beta: number;
  k: number;
}

function params(op: string, options: unknown): Lrn {
  const o = knownOptions(op, options, KEYS);
  if (o.size === undefined) throw new TypeError(`${op}: options.size is required (the number of channels in the window)`);
  const size = intArg(op, 'size', o.size, 1);
  const alpha = numberArg(op, 'alpha', o.alpha ?? 1e-4, 0);
  const beta = numberArg(op, 'beta', o.beta ?? 0.75);
  const k = numberArg(op, 'k', o.k ?? 1);
  if (!(k > 0)) {
    throw new RangeError(`${op}: k must be > 0 (it keeps k + (alpha/size)·Σa² positive before the power −beta), got ${describe(k)}`);
  }
  let before = Math.floor(size / 2), after = Math.floor((size - 1) / 2);
  if (o.window !== undefined && o.window !== null) {
    const w = o.window;
    if (!Array.isArray(w) || w.length !== 2) throw new TypeError(`${op}: window must be [before, after], got ${describe(w)}`);
    before = intArg(op, 'window[0] (before)', w[0], 0);
    after = intArg(op, 'window[1] (after)', w[1], 0);
    if (before + after + 1 !== size) {
      throw new RangeError(
        `${op}: window [${before}, ${after}] spans ${before + after + 1} channels but size is ${size}; before + after + 1 must equal size`,
      );
    }
  }
  return { before, after, alphaOverSize: alpha / size, beta, k };
}

const LAYOUT = 'N, C, then spatial dims';

/**
 * Prepares localResponseNorm for inputs of shape xShape ([N, C], [N, C, L] or [N, C, H, W]):
 * validates like localResponseNorm (same messages). run([x], y) fills y (x's shape); no scratch,
 * nothing owned.
 */
export function prepareLocalResponseNorm(xShape: Shape, options: LocalResponseNormOptions): Prepared {
  const op = 'localResponseNorm';
  const xs = xShapeArg(op, xShape, [2, 3, 4], LAYOUT);
  const p = params(op, options);
  const n = xs[0], c = xs[1];
  const hw = xs.slice(2).reduce((a, b) => a * b, 1);
  const k = kernels();
  return {
    outShape: xs,
    scratchBytes: 0,
    run(inputs, out) {
      if (c > 0 && hw > 0) k.lrn_f32_simd(inputs[0], out, 0, n * hw, c, hw, p.before, p.after, p.alphaOverSize, p.beta, p.k);
    },
    dispose() {},
  };
}

/**
 * b[n, c, …] = a[n, c, …] · (k + (alpha/size) · Σ_{c'} a[n, c', …]²)^(−beta), c' from
 * c − before to c + after clipped to [0, C): by default PyTorch's window (before ⌊size/2⌋,
 * after ⌊(size−1)/2⌋; the same as ONNX's for odd size), or options.window. x: [N, C, H, W],
 * [N, C, L] or [N, C]; the output has x's shape.
 */
export function localResponseNorm(x: Tensor, options: LocalResponseNormOptions): Tensor {
  const t = tensorArg('localResponseNorm', 'x', x);
  return runOnce(prepareLocalResponseNorm(t.shape, options), [t.ptr], (s) => Tensor.empty(s));
}

/**
 * Gradient of localResponseNorm with respect to x (the scale is recomputed from x): with
 * s_c = k + alpha/size·Σ_{window(c)} a², dx_j = dy_j·s_j^(−β) − (2αβ/size)·a_j·Σ_{c: j ∈ window(c)}
 * dy_c·a_c·s_c^(−β−1). dy and x share one shape; the same options as the forward.
 */
export function localResponseNormBackward(dy: Tensor, x: Tensor, options: LocalResponseNormOptions): Tensor {
  const op = 'localResponseNormBackward';
  const t = rankArg(op, 'x', x, [2, 3, 4], LAYOUT);
  const g = tensorArg(op, 'dy', dy);
  sameShape(op, g, 'dy', t, 'x');
  const p = params(op, options);
  const n = t.shape[0], c = t.shape[1];
  const hw = t.shape.slice(2).reduce((a, b) => a * b, 1);
  const dx = Tensor.empty(t.shape);
  if (c === 0 || hw === 0 || n === 0) return dx;
  try {
    withScratch((alloc) => {
      // 16 bytes a channel
      kernels().lrn_bwd_f32_simd(g.ptr, t.ptr, dx.ptr, alloc(c * 4), 0, n * hw, c, hw, p.before, p.after, p.alphaOverSize, p.beta, p.k);
    });
  } catch (e) {
    dx.dispose();
    throw e;
  }
  return dx;
}

