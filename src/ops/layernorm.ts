// Layer normalization: over the last dims (PyTorch nn.LayerNorm(normalizedShape), ONNX
// LayerNormalization with axis = rank − normalizedShape.length) and channels-first over dim 1 of
// [N, C, …] (ConvNeXt's LayerNorm2d). Statistics are two-pass (mean, then Σ (x − mean)²), biased
// variance, as PyTorch. The Train forms also return mean and invStd = 1/√(var + eps) per
// normalised slice, which the backward ops take (batchNormTrain / batchNormBackward's convention).
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { type Prepared, runOnce } from './prepared.js';
import { sizeOf } from './axes.js';
import { describe, fmtShape, knownOptions, numberArg, sameShape, shapeArg, tensorArg } from './validate.js';

interface Geometry {
  xShape: number[];
  /** Shape of weight / bias. */
  pShape: number[];
  /** Shape of mean / invStd. */
  sShape: number[];
  cf: boolean;
  rows: number; n: number; // rows layout
  outer: number; c: number; inner: number; // channels-first layout
}

function normShapeArg(op: string, v: unknown): number[] {
  const list = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || list.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1)) {
    throw new TypeError(`${op}: normalizedShape must be a positive integer or a non-empty array of them, got ${describe(v)}`);
  }
  return list.slice();
}

function geometry(op: string, xShape: unknown, normalizedShape: unknown, cf: boolean): Geometry {
  const xs = shapeArg(op, 'xShape', xShape);
  if (cf) {
    if (xs.length < 2) throw new RangeError(`${op}: x must have rank ≥ 2 (N, C, spatial dims), got shape ${fmtShape(xs)}`);
    const c = xs[1];
    if (c < 1) throw new RangeError(`${op}: x ${fmtShape(xs)} has no channels to normalise over`);
    const inner = sizeOf(xs.slice(2));
    return { xShape: xs, pShape: [c], sShape: [xs[0], 1, ...xs.slice(2)], cf, rows: 0, n: 0, outer: xs[0], c, inner };
  }
  const ns = normShapeArg(op, normalizedShape);
  const k = ns.length;
  if (xs.length < k || ns.some((d, i) => d !== xs[xs.length - k + i])) {
    throw new RangeError(`${op}: normalizedShape ${fmtShape(ns)} must match the last ${k} dims of x, got x of shape ${fmtShape(xs)}`);
  }
  const sShape = [...xs.slice(0, xs.length - k), ...ns.map(() => 1)];
  return { xShape: xs, pShape: ns, sShape, cf, rows: sizeOf(xs.slice(0, xs.length - k)), n: sizeOf(ns), outer: 0, c: 0, inner: 0 };
}

function paramArg(op: string, name: string, v: unknown, g: Geometry): Tensor | null {
  if (v === null || v === undefined) return null;
  const t = tensorArg(op, name, v);
  if (sizeOf(t.shape) !== sizeOf(g.pShape) || (t.rank !== g.pShape.length && t.rank !== 1)) {
    throw new RangeError(`${op}: ${name} must have shape ${fmtShape(g.pShape)} (the normalised dims), got ${fmtShape(t.shape)}`);
  }
  return t;
}

function epsArg(op: string, eps: unknown): number {
  return numberArg(op, 'eps', eps ?? 1e-5, 0);
}

/** The forward kernel call: statistics written when meanPtr / rstdPtr are non-zero. */
function forward(g: Geometry, x: number, y: number, w: number, b: number, mean: number, rstd: number, eps: number): void {
  if (sizeOf(g.xShape) === 0) return;
  const k = kernels();
  if (g.cf) k.layernorm_f32_cf_simd(x, y, w, b, mean, rstd, g.outer, g.c, g.inner, eps);
  else k.layernorm_f32_simd(x, y, w, b, mean, rstd, g.rows, g.n, eps);
}

function prepare(op: string, xShape: unknown, normalizedShape: unknown, weight: unknown, bias: unknown, eps: unknown, cf: boolean): Prepared {
  const g = geometry(op, xShape, normalizedShape, cf);
  const w = paramArg(op, 'weight', weight, g), b = paramArg(op, 'bias', bias, g);
  const e = epsArg(op, eps);
  const wp = w ? w.ptr : 0, bp = b ? b.ptr : 0;
  return {
    outShape: g.xShape,
    scratchBytes: 0,
    run(inputs, out) {
      forward(g, inputs[0], out, wp, bp, 0, 0, e);
    },
    dispose() {},
  };
}

/**
 * layerNorm prepared for x of xShape: inputs [x]; output of xShape (may be x). weight and bias
 * (shape normalizedShape, or null) are bound by address: they must stay alive while it is used,
 * and later changes to their values are seen.
 */
export function prepareLayerNorm(xShape: Shape, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Prepared {
  return prepare('layerNorm', xShape, normalizedShape, weight, bias, eps, false);
}

/** layerNorm2d prepared for x [N, C, …] of xShape; weight, bias [C] or null; as prepareLayerNorm. */
export function prepareLayerNorm2d(xShape: Shape, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Prepared {
  return prepare('layerNorm2d', xShape, null, weight, bias, eps, true);
}

/**
 * PyTorch's F.layer_norm: each slice over the last normalizedShape.length dims becomes
 * (x − mean)/√(var + eps)·weight + bias (biased variance; weight 1, bias 0 when null).
 */
export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const t = tensorArg('layerNorm', 'x', x);
  return runOnce(prepareLayerNorm(t.shape, normalizedShape, weight, bias, eps), [t.ptr], (s) => Tensor.empty(s));
}

/** Channels-first layer norm of x [N, C, …] over C at every position (ConvNeXt's LayerNorm2d); weight, bias [C]. */
export function layerNorm2d(x: Tensor, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const t = tensorArg('layerNorm2d', 'x', x);
  return runOnce(prepareLayerNorm2d(t.shape, weight, bias, eps), [t.ptr], (s) => Tensor.empty(s));
}

export interface LayerNormTrainResult {
  output: Tensor;
  /** Mean of each normalised slice: x's shape with the normalised dims set to 1. */
  mean: Tensor;
  /** 1/√(var + eps) of each slice, mean's shape. */
  invStd: Tensor;
}

function train(op: string, x: unknown, normalizedShape: unknown, weight: unknown, bias: unknown, eps: unknown, cf: boolean): LayerNormTrainResult {
  const t = tensorArg(op, 'x', x);
  const g = geometry(op, t.shape, normalizedShape, cf);
  const w = paramArg(op, 'weight', weight, g), b = paramArg(op, 'bias', bias, g);
  const e = epsArg(op, eps);
  const made: Tensor[] = [];
  try {
    const output = Tensor.empty(g.xShape);
    made.push(output);
    const mean = Tensor.empty(g.sShape);
    made.push(mean);
    const invStd = Tensor.empty(g.sShape);
    made.push(invStd);
    forward(g, t.ptr, output.ptr, w ? w.ptr : 0, b ? b.ptr : 0, mean.ptr, invStd.ptr, e);
    return { output, mean, invStd };
  } catch (err) {
    for (const m of made) m.dispose();
    throw err;
  }
}

/** layerNorm that also returns the statistics its backward needs. */
export function layerNormTrain(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): LayerNormTrainResult {
  return train('layerNormTrain', x, normalizedShape, weight, bias, eps, false);
}

/** layerNorm2d that also returns the statistics ([N, 1, …spatial]) its backward needs. */
export function layerNorm2dTrain(x: Tensor, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): LayerNormTrainResult {
  return train('layerNorm2dTrain', x, null, weight, bias, eps, true);
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────

export interface LayerNormBackwardOptions {
  /** Add Σ dy·x̂ into this tensor (weight's shape; returned as dWeight) instead of a new one. */
  weightGradInto?: Tensor | null;
  /** Add Σ dy into this tensor (weight's shape; returned as dBias) instead of a new one. */
  biasGradInto?: Tensor | null;
}

export interface LayerNormBackwardResult {
  dx: Tensor;
  /** Σ dy·x̂ over the slices: weightGradInto, a new tensor when weight was given, else null. */
  dWeight: Tensor | null;
  /** Σ dy over the slices: biasGradInto, a new tensor when weight was given, else null. */
  dBias: Tensor | null;
}

function backward(op: string, dy: unknown, x: unknown, normalizedShape: unknown, weight: unknown, mean: unknown, invStd: unknown, options: unknown, cf: boolean): LayerNormBackwardResult {
  const t = tensorArg(op, 'x', x);
  const d = tensorArg(op, 'dy', dy);
  sameShape(op, d, 'dy', t, 'x');
  const g = geometry(op, t.shape, normalizedShape, cf);
  const w = paramArg(op, 'weight', weight, g);
  const stat = (name: string, v: unknown) => {
    const s = tensorArg(op, name, v);
    if (s.size !== sizeOf(g.sShape)) {
      throw new RangeError(`${op}: ${name} must have shape ${fmtShape(g.sShape)} (one value per normalised slice, as the Train forward returns), got ${fmtShape(s.shape)}`);
    }
    return s;
  };
  const mu = stat('mean', mean), is = stat('invStd', invStd);
  const o = knownOptions(op, options, ['weightGradInto', 'biasGradInto']);
  const wInto = paramArg(op, 'weightGradInto', o.weightGradInto, g);
  const bInto = paramArg(op, 'biasGradInto', o.biasGradInto, g);
  if (wInto !== null && wInto === bInto) throw new RangeError(`${op}: weightGradInto and biasGradInto are the same tensor; they need separate tensors`);
  const made: Tensor[] = [];
  try {
    const dx = Tensor.empty(g.xShape);
    made.push(dx);
    const dWeight = wInto ?? (w ? Tensor.zeros(g.pShape) : null);
    if (dWeight && !wInto) made.push(dWeight);
    const dBias = bInto ?? (w ? Tensor.zeros(g.pShape) : null);
    if (dBias && !bInto) made.push(dBias);
    if (dx.size > 0) {
      const k = kernels();
      const wp = w ? w.ptr : 0, dwp = dWeight ? dWeight.ptr : 0, dbp = dBias ? dBias.ptr : 0;
      if (cf) k.layernorm_bwd_f32_cf_simd(d.ptr, t.ptr, wp, mu.ptr, is.ptr, dx.ptr, dwp, dbp, g.outer, g.c, g.inner);
      else k.layernorm_bwd_f32_simd(d.ptr, t.ptr, wp, mu.ptr, is.ptr, dx.ptr, dwp, dbp, g.rows, g.n);
    }
    return { dx, dWeight, dBias };
  } catch (err) {
    for (const m of made) m.dispose();
    throw err;
  }
}

/**
 * layerNorm's gradient: with x̂ = (x − mean)·invStd and g = dy·weight over each slice of n,
 * dx = invStd·(g − mean(g) − x̂·mean(g·x̂)), dWeight = Σ dy·x̂, dBias = Σ dy (sums over slices).
 * mean, invStd: from layerNormTrain. dWeight/dBias accumulate into weightGradInto/biasGradInto
 * when given; otherwise new tensors when weight is given, null when it is not (weight null = 1).
 */
export function layerNormBackward(
  dy: Tensor, x: Tensor, normalizedShape: number | readonly number[], weight: Tensor | null | undefined,
  mean: Tensor, invStd: Tensor, options?: LayerNormBackwardOptions,
): LayerNormBackwardResult {
  return backward('layerNormBackward', dy, x, normalizedShape, weight, mean, invStd, options, false);
}

/** layerNorm2d's gradient; as layerNormBackward with slices over C (mean, invStd from layerNorm2dTrain). */
export function layerNorm2dBackward(
  dy: Tensor, x: Tensor, weight: Tensor | null | undefined, mean: Tensor, invStd: Tensor, options?: LayerNormBackwardOptions,
): LayerNormBackwardResult {
  return backward('layerNorm2dBackward', dy, x, null, weight, mean, invStd, options, true);
}
