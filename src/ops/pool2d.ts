// Pooling over NCHW (or CHW) tensors: max, average, global and adaptive average, with PyTorch's
// semantics (padding at most half the kernel, ceilMode's last window starting inside the input
// or left padding, avg_pool2d's divisor rule, adaptive windows ⌊i·H/oh⌋ … ⌈(i+1)·H/oh⌉), and the
// backward of each. Each forward op is a prepare function (shapes and options → a Prepared that
// only calls kernels; what a compiled plan runs) plus the eager wrapper `runOnce` around it.
import { Tensor, type Shape } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { boolArg, describe, elementCount, fmtShape, intArg, knownOptions, pairArg, rankArg, tensorArg, xShapeArg } from './validate.js';
import { window2d, type Window2d } from './shape.js';
import { paramBlock, prepared, runOnce, withScratch, type Prepared } from './prepared.js';

export interface MaxPool2dOptions {
  /** Window size (required): a number or [h, w]. */
  kernelSize: number | readonly [number, number];
  /** Step between windows; defaults to kernelSize. */
  stride?: number | readonly [number, number];
  /** Implicit −∞ padding on both sides, at most half the kernel size. Default 0. */
  padding?: number | readonly [number, number];
  /** Spacing between window taps. Default 1. */
  dilation?: number | readonly [number, number];
  /** Round the output size up (the last window must still start inside the input or left padding). Default false. */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions {
  kernelSize: number | readonly [number, number];
  stride?: number | readonly [number, number];
  /** Implicit zero padding on both sides, at most half the kernel size. Default 0. */
  padding?: number | readonly [number, number];
  ceilMode?: boolean;
  /** Divide by the window clipped to the padded input (true, the default) or by the number of real elements (false). */
  countIncludePad?: boolean;
}

const MAX_KEYS = ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode'] as const;
const AVG_KEYS = ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad'] as const;
const LAYOUT = 'NCHW, or CHW unbatched';

/** A resolved pooling window over an input shape. */
export interface PoolGeom {
  planes: number;
  h: number;
  w: number;
  g: Window2d;
  outShape: number[];
}

interface Pooling extends PoolGeom {
  x: Tensor;
}

/** Validates x and the window options and resolves the geometry (PyTorch's rules). */
function resolve(op: string, x: unknown, o: Record<string, unknown>, dilation: boolean): Pooling {
  const t = rankArg(op, 'x', x, [3, 4], LAYOUT);
  return { x: t, ...poolGeometry(op, t.shape, o, dilation) };
}

/** The same from the input's shape alone (prepare functions; the average pooling backward has no x; int8 max pooling). */
export function poolGeometry(op: string, shape: Shape, o: Record<string, unknown>, dilation: boolean): PoolGeom {
  if (o.kernelSize === undefined) throw new TypeError(`${op}: options.kernelSize is required (a number or [h, w])`);
  const k = pairArg(op, 'kernelSize', o.kernelSize, 1);
  const s = o.stride === undefined || o.stride === null ? k : pairArg(op, 'stride', o.stride, 1);
  const p = pairArg(op, 'padding', o.padding ?? 0, 0);
  const d = dilation ? pairArg(op, 'dilation', o.dilation ?? 1, 1) : [1, 1];
  const ceil = boolArg(op, 'ceilMode', o.ceilMode, false);
  for (const [i, axis] of [[0, 'height'], [1, 'width']] as const) {
    if (p[i] > Math.floor(k[i] / 2)) {
      throw new RangeError(
        `${op}: padding ${fmtShape(p)} must be at most half of kernelSize ${fmtShape(k)} (PyTorch's rule), ` +
          `but along the ${axis} padding ${p[i]} > ⌊${k[i]}/2⌋ = ${Math.floor(k[i] / 2)}`,
      );
    }
  }
  const h = shape[shape.length - 2], w = shape[shape.length - 1];
  const g = window2d(op, h, w, { kernelSize: k, stride: s, padding: p, dilation: d, rounding: ceil ? 'ceil' : 'floor' });
  const lead = shape.slice(0, shape.length - 2);
  elementCount(op, 'the output', [...lead, g.oh, g.ow]);
  return { planes: lead.reduce((a, b) => a * b, 1), h, w, g, outShape: [...lead, g.oh, g.ow] };
}

/** The geometry block (layout in assembly/pool2d-common.ts) in wasm memory; the caller releases it. */
function geometryBlock(pool: PoolGeom, countIncludePad: boolean): number {
  const { g } = pool;
  return paramBlock([pool.h, pool.w, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.padBottom, g.padRight, countIncludePad ? 1 : 0]);
}

// ---- forward: prepare --------------------------------------------------------------------

/**
 * Prepares maxPool2d for inputs of shape xShape ([N, C, H, W] or [C, H, W]): validates like
 * maxPool2d (same messages) and writes the geometry block once. run([x], y) fills y (outShape).
 */
export function prepareMaxPool2d(xShape: Shape, options: MaxPool2dOptions): Prepared {
  const op = 'maxPool2d';
  const o = knownOptions(op, options, MAX_KEYS);
  const pool = poolGeometry(op, xShapeArg(op, xShape, [3, 4], LAYOUT), o, true);
  const k = kernels(), planes = pool.planes;
  const geom = geometryBlock(pool, false);
  return prepared(pool.outShape, 0, [geom], (inputs, out) => k.maxpool2d_f32_simd(inputs[0], out, 0, geom, 0, planes));
}

/** Prepares avgPool2d for inputs of shape xShape (as prepareMaxPool2d). */
export function prepareAvgPool2d(xShape: Shape, options: AvgPool2dOptions): Prepared {
  const op = 'avgPool2d';
  const o = knownOptions(op, options, AVG_KEYS);
  const pool = poolGeometry(op, xShapeArg(op, xShape, [3, 4], LAYOUT), o, false);
  const include = boolArg(op, 'countIncludePad', o.countIncludePad, true);
  const k = kernels(), planes = pool.planes;
  const geom = geometryBlock(pool, include);
  return prepared(pool.outShape, 0, [geom], (inputs, out) => k.avgpool2d_f32_simd(inputs[0], out, geom, 0, planes));
}

/** H·W of xShape's plane, which must not be empty (a mean needs one element). */
function planeSize(op: string, xs: number[], what: string): number {
  const h = xs[xs.length - 2], w = xs[xs.length - 1];
  if (h * w === 0) throw new RangeError(`${op}: x has shape ${fmtShape(xs)}: an empty ${h}×${w} plane has no ${what}`);
  return h * w;
}

/** Prepares globalAvgPool2d for inputs of shape xShape: outShape [N, C, 1, 1] (or [C, 1, 1]). */
export function prepareGlobalAvgPool2d(xShape: Shape): Prepared {
  const op = 'globalAvgPool2d';
  const xs = xShapeArg(op, xShape, [3, 4], LAYOUT);
  const hw = planeSize(op, xs, 'mean');
  const lead = xs.slice(0, -2), planes = lead.reduce((a, b) => a * b, 1);
  const k = kernels();
  return prepared([...lead, 1, 1], 0, [], (inputs, out) => k.global_avgpool2d_f32_simd(inputs[0], out, hw, 0, planes));
}

/** [oh, ow] for adaptive pooling: a number or a pair of integers ≥ 1. */
export type AdaptiveOutputSize = number | readonly [number, number];

const align4 = (n: number) => Math.ceil(n / 4) * 4;

/** Prepares adaptiveAvgPool2d for inputs of shape xShape: outShape [N, C, oh, ow]; scratch for the row sums and column windows. */
export function prepareAdaptiveAvgPool2d(xShape: Shape, outputSize: AdaptiveOutputSize): Prepared {
  const op = 'adaptiveAvgPool2d';
  const xs = xShapeArg(op, xShape, [3, 4], LAYOUT);
  const [oh, ow] = pairArg(op, 'outputSize', outputSize, 1);
  planeSize(op, xs, 'mean');
  const h = xs[xs.length - 2], w = xs[xs.length - 1];
  const lead = xs.slice(0, -2), planes = lead.reduce((a, b) => a * b, 1);
  elementCount(op, 'the output', [...lead, oh, ow]);
  const k = kernels();
  return prepared([...lead, oh, ow], 4 * (align4(w + 4) + 2 * align4(ow)), [], (inputs, out, scratch) =>
    k.adaptive_avgpool2d_f32_simd(inputs[0], out, scratch, h, w, oh, ow, 0, planes),
  );
}

// ---- forward: eager ----------------------------------------------------------------------

const newTensor = (s: Shape) => Tensor.empty(s);

/**
 * 2-D max pooling (PyTorch's max_pool2d): x [N, C, H, W] (or [C, H, W]) → [N, C, oh, ow] with
 * oh = ⌊(H + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1 (⌈⌉ with ceilMode).
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  const op = 'maxPool2d';
  knownOptions(op, options, MAX_KEYS);
  const t = tensorArg(op, 'x', x);
  return runOnce(prepareMaxPool2d(t.shape, options), [t.ptr], newTensor);
}

/**
 * Max pooling that also returns, for the backward pass, each window's argmax as an int32 tensor
 * shaped like the output: the index ih·W + iw within the input plane (PyTorch's convention; the
 * first maximum in row-major window order, a NaN wins; −1 for a window without real elements,
 * possible only with dilation).
 */
export function maxPool2dWithIndices(x: Tensor, options: MaxPool2dOptions): { output: Tensor; indices: Tensor } {
  const op = 'maxPool2dWithIndices';
  const o = knownOptions(op, options, MAX_KEYS);
  const pool = resolve(op, x, o, true);
  let output: Tensor | null = null, indices: Tensor | null = null, geom = -1;
  try {
    output = Tensor.empty(pool.outShape);
    indices = Tensor.empty(pool.outShape, 'int32');
    geom = geometryBlock(pool, false);
    kernels().maxpool2d_f32_simd(pool.x.ptr, output.ptr, indices.ptr, geom, 0, pool.planes);
    return { output, indices };
  } catch (e) {
    output?.dispose();
    indices?.dispose();
    throw e;
  } finally {
    if (geom >= 0) heap().release(geom);
  }
}

/**
 * 2-D average pooling (PyTorch's avg_pool2d): x [N, C, H, W] (or [C, H, W]) → [N, C, oh, ow].
 * With countIncludePad (default) each window divides by its size clipped to the padded input;
 * otherwise by the number of real input elements it covers.
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  const op = 'avgPool2d';
  knownOptions(op, options, AVG_KEYS);
  const t = tensorArg(op, 'x', x);
  return runOnce(prepareAvgPool2d(t.shape, options), [t.ptr], newTensor);
}

/** Mean over each H×W plane: [N, C, H, W] → [N, C, 1, 1] (or [C, H, W] → [C, 1, 1]). */
export function globalAvgPool2d(x: Tensor): Tensor {
  const t = tensorArg('globalAvgPool2d', 'x', x);
  return runOnce(prepareGlobalAvgPool2d(t.shape), [t.ptr], newTensor);
}

/**
 * Average pooling to a fixed output size (PyTorch's adaptive_avg_pool2d): x [N, C, H, W] (or
 * [C, H, W]) → [N, C, oh, ow], output cell (i, j) the mean of input rows ⌊i·H/oh⌋ … ⌈(i+1)·H/oh⌉ − 1
 * and columns ⌊j·W/ow⌋ … ⌈(j+1)·W/ow⌉ − 1. Windows may overlap, and oh > H is allowed.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveOutputSize): Tensor {
  const t = tensorArg('adaptiveAvgPool2d', 'x', x);
  return runOnce(prepareAdaptiveAvgPool2d(t.shape, outputSize), [t.ptr], newTensor);
}

// ---- backward ------------------------------------------------------------------------------

export interface MaxPool2dBackwardOptions extends MaxPool2dOptions {
  /**
   * The int32 argmax tensor maxPool2dWithIndices returned for the same x and options: dy is
   * scattered there. Without it the argmax is recomputed from x (same tie and NaN rule).
   */
  indices?: Tensor | null;
}

/** A forward input's shape: 3 or 4 integers ≥ 0 (NCHW, or CHW unbatched). */
function forwardShapeArg(op: string, name: string, v: unknown): number[] {
  if (!Array.isArray(v)) throw new TypeError(`${op}: ${name} must be an array of dims (the forward input's shape), got ${describe(v)}`);
  if (v.length !== 3 && v.length !== 4) {
    throw new RangeError(`${op}: ${name} must have 3 or 4 dims (NCHW, or CHW unbatched), got ${describe(v)}`);
  }
  v.forEach((d, i) => intArg(op, `${name}[${i}]`, d, 0));
  elementCount(op, name, v as number[]);
  // the plane alone too: with no planes (N·C = 0) the scratch still scales with H and W
  elementCount(op, `${name}'s H×W plane`, v.slice(-2) as number[]);
  return (v as number[]).slice();
}

/** dy must be a live float32 tensor of exactly the forward output's shape. */
function dyArg(op: string, dy: unknown, outShape: readonly number[], xShape: readonly number[], how: string): Tensor {
  const t = tensorArg(op, 'dy', dy);
  if (t.rank !== outShape.length || t.shape.some((d, i) => d !== outShape[i])) {
    throw new RangeError(
      `${op}: dy has shape ${fmtShape(t.shape)} but the forward output for x ${fmtShape(xShape)}${how} is ${fmtShape(outShape)}; they must match`,
    );
  }
  return t;
}

/**
 * User-given argmax indices must point into the input plane (0 … H·W − 1) or be −1 (a window
 * with no real element): the kernel would silently drop anything else.
 */
function checkArgmax(op: string, idx: Tensor, h: number, w: number): void {
  const hw = h * w;
  const p = idx.ptr >>> 2;
  const v = heap().i32view().subarray(p, p + idx.size);
  for (let i = 0; i < v.length; i++) {
    if (v[i] < -1 || v[i] >= hw) {
      throw new RangeError(
        `${op}: indices[${i}] = ${v[i]} is outside the ${h}×${w} input plane: an argmax is 0 … ${hw - 1} (ih·W + iw), ` +
          `or −1 for a window without real elements; pass the indices maxPool2dWithIndices returned`,
      );
    }
  }
}

/**
 * Gradient of maxPool2d: dx (x's shape) = dy added at each window's argmax; overlapping windows
 * that share an argmax add up. With options.indices (from maxPool2dWithIndices) the stored
 * argmax is used, otherwise it is recomputed from x.
 */
export function maxPool2dBackward(dy: Tensor, x: Tensor, options: MaxPool2dBackwardOptions): Tensor {
  const op = 'maxPool2dBackward';
  const o = knownOptions(op, options, [...MAX_KEYS, 'indices']);
  const pool = resolve(op, x, o, true);
  const d = dyArg(op, dy, pool.outShape, pool.x.shape, ' with these options');
  let idx: Tensor | null = null;
  if (o.indices !== undefined && o.indices !== null) {
    idx = tensorArg(op, 'indices', o.indices, 'int32');
    if (idx.rank !== d.rank || idx.shape.some((n, i) => n !== d.shape[i])) {
      throw new RangeError(
        `${op}: indices has shape ${fmtShape(idx.shape)} but dy has shape ${fmtShape(d.shape)}; ` +
          `pass the indices maxPool2dWithIndices returned for this x and these options`,
      );
    }
    checkArgmax(op, idx, pool.h, pool.w);
  }
  const dx = Tensor.empty(pool.x.shape);
  let geom = -1;
  try {
    if (idx !== null) {
      kernels().maxpool2d_bwd_f32_simd(d.ptr, idx.ptr, dx.ptr, pool.h * pool.w, pool.g.oh * pool.g.ow, 0, pool.planes);
    } else {
      geom = geometryBlock(pool, false);
      kernels().maxpool2d_bwd_f32_recompute_simd(d.ptr, pool.x.ptr, dx.ptr, geom, 0, pool.planes);
    }
  } catch (e) {
    dx.dispose();
    throw e;
  } finally {
    if (geom >= 0) heap().release(geom);
  }
  return dx;
}

/**
 * Gradient of avgPool2d: dx of shape xShape, each dy[n, c, oh, ow] spread over its window's real
 * elements divided by the forward's divisor (countIncludePad rule included).
 */
export function avgPool2dBackward(dy: Tensor, xShape: Shape, options: AvgPool2dOptions): Tensor {
  const op = 'avgPool2dBackward';
  const o = knownOptions(op, options, AVG_KEYS);
  const xs = forwardShapeArg(op, 'xShape', xShape);
  const pool = poolGeometry(op, xs, o, false);
  const include = boolArg(op, 'countIncludePad', o.countIncludePad, true);
  const d = dyArg(op, dy, pool.outShape, xs, ' with these options');
  const dx = Tensor.empty(xs);
  let geom = -1;
  try {
    geom = geometryBlock(pool, include);
    withScratch((alloc) => kernels().avgpool2d_bwd_f32_simd(d.ptr, dx.ptr, alloc(pool.w + 8), geom, 0, pool.planes));
  } catch (e) {
    dx.dispose();
    throw e;
  } finally {
    if (geom >= 0) heap().release(geom);
  }
  return dx;
}

/** Gradient of globalAvgPool2d: dy [N, C, 1, 1] (or [C, 1, 1]) → dx of shape xShape, dy/(H·W) everywhere. */
export function globalAvgPool2dBackward(dy: Tensor, xShape: Shape): Tensor {
  const op = 'globalAvgPool2dBackward';
  const xs = forwardShapeArg(op, 'xShape', xShape);
  const h = xs[xs.length - 2], w = xs[xs.length - 1];
  if (h * w === 0) throw new RangeError(`${op}: xShape ${fmtShape(xs)} has an empty ${h}×${w} plane`);
  const d = dyArg(op, dy, [...xs.slice(0, -2), 1, 1], xs, '');
  const dx = Tensor.empty(xs);
  kernels().global_avgpool2d_bwd_f32_simd(d.ptr, dx.ptr, h * w, 0, d.size);
  return dx;
}

/**
 * Gradient of adaptiveAvgPool2d: the output size is dy's last two dims; dx (shape xShape) gets
 * each dy[n, c, i, j] spread evenly over its window (overlapping windows add up).
 */
export function adaptiveAvgPool2dBackward(dy: Tensor, xShape: Shape): Tensor {
  const op = 'adaptiveAvgPool2dBackward';
  const xs = forwardShapeArg(op, 'xShape', xShape);
  const h = xs[xs.length - 2], w = xs[xs.length - 1];
  if (h * w === 0) throw new RangeError(`${op}: xShape ${fmtShape(xs)} has an empty ${h}×${w} plane`);
  const t = tensorArg(op, 'dy', dy);
  const oh = t.shape[t.rank - 2], ow = t.shape[t.rank - 1];
  if (t.rank !== xs.length || xs.slice(0, -2).some((n, i) => n !== t.shape[i]) || !(oh >= 1 && ow >= 1)) {
    throw new RangeError(
      `${op}: dy has shape ${fmtShape(t.shape)} but x has shape ${fmtShape(xs)}: dy must be ` +
        `[${[...xs.slice(0, -2), 'oh', 'ow'].join(', ')}] with an output size oh, ow ≥ 1`,
    );
  }
  const dx = Tensor.empty(xs);
  if (dx.size === 0) return dx;
  try {
    withScratch((alloc) => {
      const scratch = alloc(align4(ow + 4) + 3 * align4(w) + align4(ow));
      kernels().adaptive_avgpool2d_bwd_f32_simd(t.ptr, dx.ptr, scratch, h, w, oh, ow, 0, t.size / (oh * ow));
    });
  } catch (e) {
    dx.dispose();
    throw e;
  }
  return dx;
}
