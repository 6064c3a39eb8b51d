// How the int8 layers write themselves to ONNX (io.toONNX): in the QDQ form onnxruntime's
// quantize_static writes, which onnxruntime fuses back into its int8 kernels and io.fromONNX into
// ours. Every int8 value is an INT8 tensor; a layer dequantizes its inputs (DequantizeLinear, per
// tensor), runs the float operator on its dequantized weights (INT8 per output channel, axis 0)
// and INT32 bias (scale x_scale·w_scale, the integers the kernel adds), applies its clamp (Relu or
// Clip) unless the output quantization already implies it, and quantizes its output.
import { attr, type OnnxEmitter } from './lowering.js';
import { qclamp, type QClamp, type QParams } from '../ops/qs8.js';
import type { QWeights } from '../ops/gemm-qs8.js';

/** Initializers for q's scale (FLOAT) and zero point (INT8), tagged `tag`: their names. */
export function qInits(e: OnnxEmitter, tag: string, q: QParams): [string, string] {
  return [e.weight(`${tag}_scale`, Float32Array.of(q.scale), []), e.int8s(`${tag}_zero_point`, Int8Array.of(q.zeroPoint), [])];
}

/** Input i (an int8 value) dequantized with q; returns the float value's name. */
export function dequantizeInput(e: OnnxEmitter, i: number, q: QParams, tag = 'x'): string {
  return e.op('DequantizeLinear', [e.inputs[i], ...qInits(e, tag, q)], [], `${e.name}/${tag}`);
}

/** The clamp of float value v (Relu, or Clip): its name; the node's output where `out` is undefined. */
export function clampOutput(e: OnnxEmitter, v: string, clamp: QClamp, out?: string): string {
  if (clamp.min === 0 && clamp.max === undefined) return e.op('Relu', [v], [], out);
  const min = clamp.min === undefined ? '' : e.weight('clamp_min', Float32Array.of(clamp.min), []);
  const max = clamp.max === undefined ? '' : e.weight('clamp_max', Float32Array.of(clamp.max), []);
  return e.op('Clip', [v, min, max], [], out);
}

/** Quantizes float value v to y as the node's output, after the clamp unless y implies it. */
export function quantizeOutput(e: OnnxEmitter, v: string, y: QParams, clamp?: QClamp): void {
  let src = v;
  const [lo, hi] = qclamp(y, clamp);
  if (clamp && (lo > -128 || hi < 127)) src = clampOutput(e, v, clamp, `${e.name}/${clamp.min === 0 && clamp.max === undefined ? 'relu' : 'clip'}`);
  e.op('QuantizeLinear', [src, ...qInits(e, 'y', y)]);
}

/** The weights (and bias, if any) dequantized: their float values' names. */
export function dequantizeWeights(e: OnnxEmitter, w: QWeights, x: QParams): string[] {
  const o = w.shape[0];
  const axis = [attr.i('axis', 0)];
  const names = [e.op('DequantizeLinear', [
    e.int8s('weight', w.data, w.shape), e.weight('weight_scale', w.scales, [o]), e.int8s('weight_zero_point', new Int8Array(o), [o]),
  ], axis, `${e.name}/weight`)];
  if (w.bias) {
    // the integers the kernels add: round(b / (x_scale·w_scale)), saturated to int32
    const q = Int32Array.from(w.bias, (b, i) => (Number.isFinite(b) ? Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(b / (x.scale * w.scales[i])))) : 0));
    const s = Float32Array.from(w.scales, (ws) => x.scale * ws);
    names.push(e.op('DequantizeLinear', [e.int32s('bias', q, [o]), e.weight('bias_scale', s, [o]), e.int32s('bias_zero_point', new Int32Array(o), [o])], axis, `${e.name}/bias`));
  }
  return names;
}
