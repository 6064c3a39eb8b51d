// Pooling over NCHW (or CHW) tensors: max, average and global average, with PyTorch's semantics
// (padding at most half the kernel, ceilMode's last window starting inside the input or left
// padding, avg_pool2d's divisor rule).
import { Tensor } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { describe, fmtShape, knownOptions, pairArg, rankArg } from './validate.js';
import { window2d, type Window2d } from './shape.js';

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

/** Geometry block layout shared with assembly/pool2d.ts (i32 slots). */
const GEOM_SLOTS = 15;

interface Pooling {
  x: Tensor;
  planes: number;
  h: number;
  w: number;
  g: Window2d;
  outShape: number[];
}

function boolArg(op: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${op}: ${name} must be a boolean, got ${describe(v)}`);
  return v;
}

/** Validates x and the window options and resolves the geometry (PyTorch's rules). */
function resolve(op: string, x: unknown, o: Record<string, unknown>, dilation: boolean): Pooling {
  const t = rankArg(op, 'x', x, [3, 4], 'NCHW, or CHW unbatched');
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
  const h = t.shape[t.rank - 2], w = t.shape[t.rank - 1];
  const g = window2d(op, h, w, { kernelSize: k, stride: s, padding: p, dilation: d, rounding: ceil ? 'ceil' : 'floor' });
  const lead = t.shape.slice(0, t.rank - 2);
  return { x: t, planes: lead.reduce((a, b) => a * b, 1), h, w, g, outShape: [...lead, g.oh, g.ow] };
}

/** Writes the geometry block into fresh scratch; the caller releases it. */
function writeGeometry(pool: Pooling, countIncludePad: boolean): number {
  const { g } = pool;
  const ptr = heap().alloc(GEOM_SLOTS * 4);
  heap().i32view().set(
    [pool.h, pool.w, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.padBottom, g.padRight, countIncludePad ? 1 : 0],
    ptr >>> 2,
  );
  return ptr;
}

/**
 * Runs max pooling into y; idxPtr 0, or the address of an int32 tensor shaped like y that receives
 * each window's argmax as ih·W + iw within its plane (for the backward pass).
 */
function runMaxPool(pool: Pooling, y: Tensor, idxPtr: number): void {
  const geom = writeGeometry(pool, false);
  try {
    kernels().maxpool2d_f32_simd(pool.x.ptr, y.ptr, idxPtr, geom, 0, pool.planes);
  } finally {
    heap().release(geom);
  }
}

/**
 * 2-D max pooling (PyTorch's max_pool2d): x [N, C, H, W] (or [C, H, W]) → [N, C, oh, ow] with
 * oh = ⌊(H + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1 (⌈⌉ with ceilMode).
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  const op = 'maxPool2d';
  const o = knownOptions(op, options, MAX_KEYS);
  const pool = resolve(op, x, o, true);
  const y = Tensor.empty(pool.outShape);
  try {
    runMaxPool(pool, y, 0);
  } catch (e) {
    y.dispose();
    throw e;
  }
  return y;
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
  const output = Tensor.empty(pool.outShape);
  let indices: Tensor | null = null;
  try {
    indices = Tensor.empty(pool.outShape, 'int32');
    runMaxPool(pool, output, indices.ptr);
  } catch (e) {
    output.dispose();
    indices?.dispose();
    throw e;
  }
  return { output, indices };
}

/**
 * 2-D average pooling (PyTorch's avg_pool2d): x [N, C, H, W] (or [C, H, W]) → [N, C, oh, ow].
 * With countIncludePad (default) each window divides by its size clipped to the padded input;
 * otherwise by the number of real input elements it covers.
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  const op = 'avgPool2d';
  const o = knownOptions(op, options, AVG_KEYS);
  const pool = resolve(op, x, o, false);
  const include = boolArg(op, 'countIncludePad', o.countIncludePad, true);
  const y = Tensor.empty(pool.outShape);
  let geom = -1;
  try {
    geom = writeGeometry(pool, include);
    kernels().avgpool2d_f32_simd(pool.x.ptr, y.ptr, geom, 0, pool.planes);
  } catch (e) {
    y.dispose();
    throw e;
  } finally {
    if (geom >= 0) heap().release(geom);
  }
  return y;
}

/** Mean over each H×W plane: [N, C, H, W] → [N, C, 1, 1] (or [C, H, W] → [C, 1, 1]). */
export function globalAvgPool2d(x: Tensor): Tensor {
  const op = 'globalAvgPool2d';
  const t = rankArg(op, 'x', x, [3, 4], 'NCHW, or CHW unbatched');
  const h = t.shape[t.rank - 2], w = t.shape[t.rank - 1];
  if (h * w === 0) throw new RangeError(`${op}: x has shape ${fmtShape(t.shape)}: an empty ${h}×${w} plane has no mean`);
  const lead = t.shape.slice(0, t.rank - 2);
  const y = Tensor.empty([...lead, 1, 1]);
  kernels().global_avgpool2d_f32_simd(t.ptr, y.ptr, h * w, 0, y.size);
  return y;
}
