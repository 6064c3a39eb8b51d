// int8 tensors with a per-tensor scale and zero point (real = (q − zeroPoint)·scale): quantize /
// dequantize between float32 and int8, and the ops that stay in int8 because that is cheaper than
// dequantizing (add, max pooling, global average pooling). Kernels: assembly/qs8.ts; the rounding
// of every requantization is described in assembly/qs8-common.ts (ties to even, as ONNX).
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { fmtShape, numberArg, tensorArg, xShapeArg } from './validate.js';
import { paramBlock, prepared, runOnce, type Prepared } from './prepared.js';
import { window2d, type Padding2d } from './shape.js';

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

/** Throws unless q is { scale > 0 finite, zeroPoint integer in −128…127 }. */
export function qparamsArg(op: string, name: string, q: unknown): QParams {
  const v = q as QParams;
  if (v === null || typeof v !== 'object') throw new TypeError(`${op}: ${name} must be { scale, zeroPoint }, got ${String(q)}`);
  if (typeof v.scale !== 'number' || !(v.scale > 0) || !Number.isFinite(v.scale)) {
    throw new RangeError(`${op}: ${name}.scale must be a finite number > 0, got ${String(v.scale)}`);
  }
  if (!Number.isInteger(v.zeroPoint) || v.zeroPoint < -128 || v.zeroPoint > 127) {
    throw new RangeError(`${op}: ${name}.zeroPoint must be an integer in −128…127, got ${String(v.zeroPoint)}`);
  }
  return v;
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

/** The integer clamp [qmin, qmax] of real bounds under y. */
export function qclamp(y: QParams, c?: QClamp): [number, number] {
  const q = (v: number) => Math.max(-128, Math.min(127, y.zeroPoint + Math.round(v / y.scale)));
  return [c?.min === undefined ? -128 : q(c.min), c?.max === undefined ? 127 : q(c.max)];
}

/** The requantization block of the QS8 kernels: [zx, zy, qmin, qmax, relaxed-dot mode]. */
export function rqBlock(x: QParams, y: QParams, c: QClamp | undefined, mode: number): number[] {
  const [lo, hi] = qclamp(y, c);
  return [x.zeroPoint, y.zeroPoint, lo, hi, mode];
}

/** Prepares quantize: f32 x of any shape → int8 of the same shape. */
export function prepareQuantizeLinear(xShape: Shape, q: QParams): Prepared {
  qparamsArg('quantize', 'q', q);
  const n = xShape.reduce((a, b) => a * b, 1);
  const k = kernels();
  return prepared(xShape.slice(), 0, [], (inputs, yp) => k.quantize_qs8_simd(inputs[0], yp, n, q.scale, q.zeroPoint));
}

/** y = clamp(round_even(x / scale) + zeroPoint, −128, 127) as an int8 tensor (ONNX QuantizeLinear). */
export function quantizeLinear(x: Tensor, q: QParams): Tensor {
  const t = tensorArg('quantize', 'x', x);
  return runOnce(prepareQuantizeLinear(t.shape, q), [t.ptr], (s) => Tensor.empty(s, 'int8'));
}

/** Prepares dequantize: int8 x → f32 of the same shape. */
export function prepareDequantizeLinear(xShape: Shape, q: QParams): Prepared {
  qparamsArg('dequantize', 'q', q);
  const n = xShape.reduce((a, b) => a * b, 1);
  const k = kernels();
  return prepared(xShape.slice(), 0, [], (inputs, yp) => k.dequantize_qs8_simd(inputs[0], yp, n, q.scale, q.zeroPoint));
}

/** y = (x − zeroPoint)·scale as a float32 tensor (ONNX DequantizeLinear). */
export function dequantizeLinear(x: Tensor, q: QParams): Tensor {
  const t = tensorArg('dequantize', 'x', x, 'int8');
  return runOnce(prepareDequantizeLinear(t.shape, q), [t.ptr], (s) => Tensor.empty(s));
}

/** Prepares the int8 sum of two same-shape tensors a (qa) + b (qb) → y (qy), clamp fused. */
export function prepareAddQs8(shape: Shape, qa: QParams, qb: QParams, qy: QParams, clamp?: QClamp): Prepared {
  const op = 'addQs8';
  qparamsArg(op, 'qa', qa);
  qparamsArg(op, 'qb', qb);
  qparamsArg(op, 'qy', qy);
  const n = shape.reduce((a, b) => a * b, 1);
  const ma = Math.fround(qa.scale / qy.scale), mb = Math.fround(qb.scale / qy.scale);
  const [lo, hi] = qclamp(qy, clamp);
  const k = kernels();
  return prepared(shape.slice(), 0, [], (inputs, yp) =>
    k.add_qs8_minmax_simd(inputs[0], inputs[1], yp, n, ma, qa.zeroPoint, mb, qb.zeroPoint, qy.zeroPoint, lo, hi));
}

/** a + b on int8 tensors of one shape, requantized to qy. */
export function addQs8(a: Tensor, b: Tensor, qa: QParams, qb: QParams, qy: QParams, clamp?: QClamp): Tensor {
  const ta = tensorArg('addQs8', 'a', a, 'int8'), tb = tensorArg('addQs8', 'b', b, 'int8');
  if (ta.shape.length !== tb.shape.length || ta.shape.some((d, i) => d !== tb.shape[i])) {
    throw new RangeError(`addQs8: a ${fmtShape(ta.shape)} and b ${fmtShape(tb.shape)} must have the same shape`);
  }
  return runOnce(prepareAddQs8(ta.shape, qa, qb, qy, clamp), [ta.ptr, tb.ptr], (s) => Tensor.empty(s, 'int8'));
}

export interface MaxPoolQs8Options {
  kernelSize: number | readonly [number, number];
  stride?: number | readonly [number, number];
  padding?: Padding2d;
  dilation?: number | readonly [number, number];
}

/** Prepares int8 max pooling (output keeps the input's scale and zero point). */
export function prepareMaxPool2dQs8(xShape: Shape, o: MaxPoolQs8Options): Prepared {
  const op = 'maxPool2dQs8';
  const [n, c, h, w] = xShapeArg(op, xShape, [4], 'N, C, H, W');
  const ks = typeof o?.kernelSize === 'number' ? [o.kernelSize, o.kernelSize] as const : o?.kernelSize;
  if (!Array.isArray(ks)) throw new TypeError(`${op}: options.kernelSize must be a number or [kh, kw]`);
  const g = window2d(op, h, w, { kernelSize: [ks[0], ks[1]], stride: o.stride ?? ks, padding: o.padding, dilation: o.dilation });
  const params = paramBlock([h, w, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.oh, g.ow]);
  const k = kernels();
  return prepared([n, c, g.oh, g.ow], 0, [params], (inputs, yp) => k.maxpool2d_qs8_simd(inputs[0], yp, n * c, params));
}

export function maxPool2dQs8(x: Tensor, o: MaxPoolQs8Options): Tensor {
  const t = tensorArg('maxPool2dQs8', 'x', x, 'int8');
  return runOnce(prepareMaxPool2dQs8(t.shape, o), [t.ptr], (s) => Tensor.empty(s, 'int8'));
}

/** Prepares the int8 mean over each plane: x [N, C, H, W] (qx) → [N, C, 1, 1] (qy). */
export function prepareGlobalAvgPool2dQs8(xShape: Shape, qx: QParams, qy: QParams): Prepared {
  const op = 'globalAvgPool2dQs8';
  const [n, c, h, w] = xShapeArg(op, xShape, [4], 'N, C, H, W');
  qparamsArg(op, 'qx', qx);
  qparamsArg(op, 'qy', qy);
  numberArg(op, 'H·W', h * w, 1);
  const mult = Math.fround(qx.scale / (qy.scale * h * w));
  const k = kernels();
  return prepared([n, c, 1, 1], 0, [], (inputs, yp) => k.global_avgpool2d_qs8_simd(inputs[0], yp, n * c, h * w, mult, qx.zeroPoint, qy.zeroPoint));
}

export function globalAvgPool2dQs8(x: Tensor, qx: QParams, qy: QParams): Tensor {
  const t = tensorArg('globalAvgPool2dQs8', 'x', x, 'int8');
  return runOnce(prepareGlobalAvgPool2dQs8(t.shape, qx, qy), [t.ptr], (s) => Tensor.empty(s, 'int8'));
}
