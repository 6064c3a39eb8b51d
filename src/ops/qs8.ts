// int8 tensors with a per-tensor scale and zero point (real = (q − zeroPoint)·scale): quantize /
// dequantize between float32 and int8, and the ops that stay in int8 because that is cheaper than
// dequantizing (add, max pooling, global average pooling, activations through a 256-byte table). Kernels: assembly/qs8.ts; the rounding
// of every requantization is described in assembly/qs8-common.ts (ties to even, as ONNX).
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { requantBlock } from '../wasm/qs8-layout.js';
import { describe, elementCount, fmtShape, knownOptions, sameShape, shapeArg, tensorArg, xShapeArg } from './validate.js';
import { paramBlock, prepared, runOnce, type Prepared } from './prepared.js';
import { poolGeometry } from './pool2d.js';

/** A per-tensor affine quantization: real = (q − zeroPoint)·scale, q in −128…127. */
export interface QParams {
  scale: number;
  zeroPoint: number;
}

/** Real-valued bounds fused into a store (ReLU: { min: 0 }; ReLU6: { min: 0, max: 6 }). */
export interface QClamp {
  min?: number;
  max?: number;
}

/** A checked copy of q, which must be { scale: finite > 0, zeroPoint: integer in −128…127 }. */
export function qparamsArg(op: string, name: string, q: unknown): QParams {
  if (q === null || typeof q !== 'object' || Array.isArray(q)) throw new TypeError(`${op}: ${name} must be { scale, zeroPoint }, got ${describe(q)}`);
  const v = q as Record<string, unknown>;
  // the kernels take scales as f32: one that rounds to 0 or ∞ there is refused here
  if (typeof v.scale !== 'number' || !(Math.fround(v.scale) > 0) || !Number.isFinite(Math.fround(v.scale))) {
    throw new RangeError(`${op}: ${name}.scale must be a number > 0 within float32's range, got ${describe(v.scale)}`);
  }
  if (!Number.isInteger(v.zeroPoint) || (v.zeroPoint as number) < -128 || (v.zeroPoint as number) > 127) {
    throw new RangeError(`${op}: ${name}.zeroPoint must be an integer in −128…127, got ${describe(v.zeroPoint)}`);
  }
  return { scale: v.scale, zeroPoint: v.zeroPoint as number };
}

/** A checked copy of a fused clamp { min?, max? } in real units (undefined or null: none). */
export function qclampArg(op: string, name: string, v: unknown): QClamp | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`${op}: ${name} must be { min?, max? }, got ${describe(v)}`);
  const c = v as Record<string, unknown>;
  for (const k of ['min', 'max'] as const) {
    if (c[k] !== undefined && (typeof c[k] !== 'number' || Number.isNaN(c[k]))) throw new TypeError(`${op}: ${name}.${k} must be a number, got ${describe(c[k])}`);
  }
  const min = c.min as number | undefined, max = c.max as number | undefined;
  if (min !== undefined && max !== undefined && min > max) throw new RangeError(`${op}: ${name}.min ${min} is above ${name}.max ${max}`);
  const out: QClamp = {};
  if (min !== undefined && Number.isFinite(min)) out.min = min;
  if (max !== undefined && Number.isFinite(max)) out.max = max;
  return out;
}

/**
 * The affine int8 quantization covering [lo, hi] (widened to include 0, so that 0.0 is exact):
 * scale = (hi − lo) / 255, zeroPoint = round(−128 − lo / scale).
 */
export function chooseQParams(lo: number, hi: number): QParams {
  lo = Math.min(lo, 0);
  hi = Math.max(hi, 0);
  if (!(hi > lo)) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / 255);
  const zeroPoint = Math.max(-128, Math.min(127, Math.round(-128 - lo / scale)));
  return { scale, zeroPoint };
}

/** Round half to even, as QuantizeLinear rounds. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The integer clamp [qmin, qmax] of real bounds under y: each bound quantized as QuantizeLinear
 * does (float32 division, ties to even), so that a clamp fused into the store gives what
 * QuantizeLinear(Clip(v)) gives (ONNX, onnxruntime).
 */
export function qclamp(y: QParams, c?: QClamp): [number, number] {
  const q = (v: number) => Math.max(-128, Math.min(127, y.zeroPoint + roundHalfEven(Math.fround(v / y.scale))));
  return [c?.min === undefined ? -128 : q(c.min), c?.max === undefined ? 127 : q(c.max)];
}

/** The requantization block of the QS8 kernels (src/wasm/qs8-layout.ts): zero points, the fused clamp, the relaxed-dot mode. */
export function rqBlock(x: QParams, y: QParams, c: QClamp | undefined, mode: number): number[] {
  const [lo, hi] = qclamp(y, c);
  return requantBlock(x.zeroPoint, y.zeroPoint, lo, hi, mode);
}

/** A requantization multiplier (a ratio of scales) as the kernels take it: a finite f32 > 0. */
export function multiplierArg(op: string, what: string, m: number): number {
  const f = Math.fround(m);
  if (!(f > 0) || !Number.isFinite(f)) throw new RangeError(`${op}: the scales give ${what} = ${m}, outside float32's range; use scales closer together`);
  return f;
}

/** Prepares an elementwise conversion of x (any shape) under q: quantize (f32 → int8) or dequantize (int8 → f32). */
function prepareConvert(op: string, kernel: 'quantize_qs8_simd' | 'dequantize_qs8_simd', xShape: Shape, q: QParams): Prepared {
  const n = elementCount(op, 'xShape', shapeArg(op, 'xShape', xShape));
  const { scale, zeroPoint } = qparamsArg(op, 'q', q);
  const k = kernels();
  return prepared(xShape.slice(), 0, [], (inputs, yp) => k[kernel](inputs[0], yp, n, scale, zeroPoint));
}

/** Prepares quantizeLinear: f32 x of any shape → int8 of the same shape. */
export function prepareQuantizeLinear(xShape: Shape, q: QParams): Prepared {
  return prepareConvert('quantizeLinear', 'quantize_qs8_simd', xShape, q);
}

/** y = clamp(round_even(x / scale) + zeroPoint, −128, 127) as an int8 tensor (ONNX QuantizeLinear); NaN → zeroPoint. */
export function quantizeLinear(x: Tensor, q: QParams): Tensor {
  const t = tensorArg('quantizeLinear', 'x', x);
  return runOnce(prepareQuantizeLinear(t.shape, q), [t.ptr], (s) => Tensor.empty(s, 'int8'));
}

/** Prepares dequantizeLinear: int8 x → f32 of the same shape. */
export function prepareDequantizeLinear(xShape: Shape, q: QParams): Prepared {
  return prepareConvert('dequantizeLinear', 'dequantize_qs8_simd', xShape, q);
}

/** y = (x − zeroPoint)·scale as a float32 tensor (ONNX DequantizeLinear). */
export function dequantizeLinear(x: Tensor, q: QParams): Tensor {
  const t = tensorArg('dequantizeLinear', 'x', x, 'int8');
  return runOnce(prepareDequantizeLinear(t.shape, q), [t.ptr], (s) => Tensor.empty(s));
}

/** Prepares the int8 sum of two same-shape tensors a (qa) + b (qb) → y (qy), clamp fused. */
export function prepareAddQs8(shape: Shape, qa: QParams, qb: QParams, qy: QParams, clamp?: QClamp): Prepared {
  const op = 'addQs8';
  const n = elementCount(op, 'shape', shapeArg(op, 'shape', shape));
  const a = qparamsArg(op, 'qa', qa), b = qparamsArg(op, 'qb', qb), y = qparamsArg(op, 'qy', qy);
  const ma = multiplierArg(op, 'qa.scale / qy.scale', a.scale / y.scale), mb = multiplierArg(op, 'qb.scale / qy.scale', b.scale / y.scale);
  const [lo, hi] = qclamp(y, qclampArg(op, 'clamp', clamp));
  const k = kernels();
  return prepared(shape.slice(), 0, [], (inputs, yp) =>
    k.add_qs8_minmax_simd(inputs[0], inputs[1], yp, n, ma, a.zeroPoint, mb, b.zeroPoint, y.zeroPoint, lo, hi));
}

/** a + b on int8 tensors of one shape (a quantized with qa, b with qb), requantized to qy, clamp (real units) fused. */
export function addQs8(a: Tensor, b: Tensor, qa: QParams, qb: QParams, qy: QParams, clamp?: QClamp): Tensor {
  const op = 'addQs8';
  const ta = tensorArg(op, 'a', a, 'int8'), tb = tensorArg(op, 'b', b, 'int8');
  sameShape(op, ta, 'a', tb, 'b');
  return runOnce(prepareAddQs8(ta.shape, qa, qb, qy, clamp), [ta.ptr, tb.ptr], (s) => Tensor.empty(s, 'int8'));
}

/** As maxPool2d's options. */
export interface MaxPoolQs8Options {
  kernelSize: number | readonly [number, number];
  stride?: number | readonly [number, number];
  /** Implicit padding (never the maximum) on both sides, at most half the kernel size. */
  padding?: number | readonly [number, number];
  dilation?: number | readonly [number, number];
  /** Output size rounded up (PyTorch's ceil_mode; a window starting past the input and its left padding is dropped). Default false. */
  ceilMode?: boolean;
}

const MAXPOOL_KEYS = ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode'];

/** Prepares int8 max pooling (the output keeps the input's scale and zero point). */
export function prepareMaxPool2dQs8(xShape: Shape, options: MaxPoolQs8Options): Prepared {
  const op = 'maxPool2dQs8';
  const o = knownOptions(op, options, MAXPOOL_KEYS);
  const { planes, h, w, g, outShape } = poolGeometry(op, xShapeArg(op, xShape, [3, 4], 'NCHW, or CHW unbatched'), o, true);
  const params = paramBlock([h, w, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.oh, g.ow]);
  const k = kernels();
  // the kernel's scratch: one padded plane and a row (maxpoolQs8Stride in assembly/qs8.ts)
  const span = (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1;
  const Wp = Math.ceil(Math.max(g.padLeft + w + 16, span + 16) / 16) * 16;
  const scratch = ((g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 2) * Wp + 32;
  return prepared(outShape, scratch, [params], (inputs, yp, s) => k.maxpool2d_qs8_simd(inputs[0], yp, planes, params, s));
}

/** Max pooling of an int8 x [N, C, H, W] or [C, H, W], as maxPool2d (floor rounding, or ceil with ceilMode); the output keeps x's quantization. */
export function maxPool2dQs8(x: Tensor, options: MaxPoolQs8Options): Tensor {
  const op = 'maxPool2dQs8';
  knownOptions(op, options, MAXPOOL_KEYS);
  const t = tensorArg(op, 'x', x, 'int8');
  return runOnce(prepareMaxPool2dQs8(t.shape, options), [t.ptr], (s) => Tensor.empty(s, 'int8'));
}

/** Prepares the int8 mean over each plane: x [N, C, H, W] (qx) → [N, C, 1, 1] (qy). */
export function prepareGlobalAvgPool2dQs8(xShape: Shape, qx: QParams, qy: QParams): Prepared {
  const op = 'globalAvgPool2dQs8';
  const [n, c, h, w] = xShapeArg(op, xShape, [4], 'N, C, H, W');
  const x = qparamsArg(op, 'qx', qx), y = qparamsArg(op, 'qy', qy);
  if (h * w === 0) throw new RangeError(`${op}: x has shape ${fmtShape(xShape)}: an empty ${h}×${w} plane has no mean`);
  const mult = multiplierArg(op, 'qx.scale / (qy.scale·H·W)', x.scale / (y.scale * h * w));
  const k = kernels();
  return prepared([n, c, 1, 1], 0, [], (inputs, yp) => k.global_avgpool2d_qs8_simd(inputs[0], yp, n * c, h * w, mult, x.zeroPoint, y.zeroPoint));
}

/** The mean of each plane of an int8 x [N, C, H, W] (quantized with qx) → int8 [N, C, 1, 1] (qy). */
export function globalAvgPool2dQs8(x: Tensor, qx: QParams, qy: QParams): Tensor {
  const t = tensorArg('globalAvgPool2dQs8', 'x', x, 'int8');
  return runOnce(prepareGlobalAvgPool2dQs8(t.shape, qx, qy), [t.ptr], (s) => Tensor.empty(s, 'int8'));
}

/**
 * The 256-byte table of an elementwise function f between two int8 grids, as DequantizeLinear →
 * f → QuantizeLinear computes it in float32: entry q + 128 = clamp(round_even(f32(f(f32((q −
 * qx.zeroPoint)·qx.scale)) / qy.scale)) + qy.zeroPoint, −128, 127), NaN → qy.zeroPoint.
 */
export function activationTable(f: (v: number) => number, qx: QParams, qy: QParams): Int8Array {
  const x = qparamsArg('activationTable', 'qx', qx), y = qparamsArg('activationTable', 'qy', qy);
  if (typeof f !== 'function') throw new TypeError(`activationTable: f must be a function, got ${describe(f)}`);
  const t = new Int8Array(256);
  for (let q = -128; q < 128; q++) {
    const v = Math.fround(f(Math.fround((q - x.zeroPoint) * x.scale)));
    const r = Number.isNaN(v) ? 0 : roundHalfEven(Math.fround(v / y.scale));
    t[q + 128] = Math.max(-128, Math.min(127, r + y.zeroPoint));
  }
  return t;
}

/** A checked 256-entry int8 table. */
function tableArg(op: string, table: unknown): Int8Array {
  if (!(table instanceof Int8Array) || table.length !== 256) {
    throw new TypeError(`${op}: table must be an Int8Array of 256 values (entry q + 128 for input q), got ${describe(table)}`);
  }
  return table;
}

/** Prepares y[i] = table[x[i] + 128] on int8 x of any shape (an activation tabulated by activationTable). */
export function prepareLutQs8(xShape: Shape, table: Int8Array): Prepared {
  const op = 'lutQs8';
  const n = elementCount(op, 'xShape', shapeArg(op, 'xShape', xShape));
  const t = tableArg(op, table);
  const k = kernels();
  const tp = paramBlock(Array.from(new Int32Array(Int8Array.from(t).buffer))); // the 256 bytes as 64 words
  return prepared(xShape.slice(), 0, [tp], (inputs, yp) => k.lut_qs8_simd(inputs[0], tp, yp, n));
}

/** y[i] = table[x[i] + 128]: an int8 → int8 elementwise function through a 256-byte table. */
export function lutQs8(x: Tensor, table: Int8Array): Tensor {
  const t = tensorArg('lutQs8', 'x', x, 'int8');
  return runOnce(prepareLutQs8(t.shape, table), [t.ptr], (s) => Tensor.empty(s, 'int8'));
}
