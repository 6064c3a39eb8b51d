// ONNX's quantization operators. QuantizeLinear / DequantizeLinear on activations become our
// QuantizeLinear / DequantizeLinear layers (int8 tensors; uint8 ones shifted by −128, exactly), on
// constants they are evaluated; a QuantizeLinear closing a QDQ group turns the group into an int8
// layer (onnx-qdq.ts). The operator forms map onto the same int8 layers: QLinearConv → QConv2d,
// QLinearMatMul → QLinear, com.microsoft's QLinearAdd → QAdd and QLinearConcat → QConcat; when
// the integers do not fit our kernels (a weight zero point that leaves int8, broadcasting) they run
// dequantize → f32 operator → quantize. ConvInteger / MatMulInteger compute their int32 sums in
// float32 on the centred integers (exact while the sums stay below 2^24, then within float32's
// 6e-8 relative rounding), and only a Cast to FLOAT may read the result. Data-movement operators
// (and max pooling) carry int8 tensors.
import type { QParams } from '../ops/qs8.js';
import { QuantizeLinear } from '../nn/quantizelinear.js';
import { DequantizeLinear } from '../nn/dequantizelinear.js';
import { QLinear } from '../nn/qlinear.js';
import { QAdd } from '../nn/qadd.js';
import { QConcat } from '../nn/qconcat.js';
import { QMaxPool2d } from '../nn/qmaxpool2d.js';
import { Conv2d } from '../nn/conv2d.js';
import { MaxPool2d } from '../nn/maxpool2d.js';
import { Concat } from '../nn/concat.js';
import { Flatten } from '../nn/flatten.js';
import { Identity } from '../nn/identity.js';
import { Dropout } from '../nn/dropout.js';
import { Slice } from '../nn/slice.js';
import { Permute } from '../nn/permute.js';
import { Reshape } from '../nn/reshape.js';
import { ChannelShuffle } from '../nn/channelshuffle.js';
import { DT, dtName, type OnnxNode } from './onnx-proto.js';
import { fmt, type Act, type Const, type Ctx, type Handler, type IntElem, type Value } from './onnx-context.js';
import {
  asInt8, channelScales, dequantizeConst, floatConst, floatView, noBlocks, perTensor, qconvOf, quantAxis, quantizeValues,
  readQ, replaceSpec, specNamed, to8, viaFloat, type Q8,
} from './onnx-quant.js';
import { fuseAtQuantize } from './onnx-qdq.js';
import { normAxis } from './onnx-const-ops.js';

const upper = (e: IntElem | undefined) => (e ?? 'float').toUpperCase();

/** Input i as an 8-bit integer activation. */
function q8Act(c: Ctx, i: number, what: string): Act & { elem: Q8 } {
  const v = c.input(i);
  if (v === null) throw c.fail(`${what} is missing`);
  if (v.kind !== 'act' || (v.elem !== 'uint8' && v.elem !== 'int8')) {
    throw c.fail(`${what} ('${c.node.inputs[i]}') must be a UINT8 or INT8 activation; it is ${v.kind === 'act' ? `a ${upper(v.elem)} one` : 'a constant'}`);
  }
  return v as Act & { elem: Q8 };
}

/** Input i as an 8-bit integer constant. */
function q8Const(c: Ctx, i: number, what: string): Const & { elem: Q8; ints: number[] } {
  const v = c.input(i);
  if (v === null) throw c.fail(`${what} is missing`);
  if (v.kind !== 'const' || (v.elem !== 'uint8' && v.elem !== 'int8') || v.ints === null) {
    throw c.fail(`${what} ('${c.node.inputs[i]}') must be a UINT8 or INT8 constant`);
  }
  return v as Const & { elem: Q8; ints: number[] };
}

/** A per-tensor quantization whose zero point's type must be the tensor's. */
function qOf(c: Ctx, si: number, zi: number, what: string, elem: Q8): QParams {
  const q = readQ(c, si, zi, what, elem);
  if (q.elem !== elem) throw c.fail(`${what}_zero_point is ${upper(q.elem)} but ${what} is ${upper(elem)}`);
  return perTensor(c, q, what);
}

/** The output quantization (its type from the zero point: UINT8 or INT8). */
function outQ(c: Ctx, si: number, zi: number, what: string): { q: QParams; elem: Q8 } {
  const q = readQ(c, si, zi, what, 'uint8');
  if (q.elem === 'int32') throw c.fail(`${what}_zero_point is INT32; the output must be UINT8 or INT8`);
  return { q: perTensor(c, q, what), elem: q.elem };
}

/** Integers w − zero point of a weight constant, per tensor or per slice along `axis` (default: from the scale's size). */
function centred(c: Ctx, w: Const & { elem: Q8; ints: number[] }, si: number, zi: number, axis: number): { ints: Int32Array; scales: Float32Array; axis: number | null } {
  const q = readQ(c, si, zi, 'w', w.elem);
  if (q.elem !== w.elem) throw c.fail(`the weight zero point is ${upper(q.elem)} but the weight is ${upper(w.elem)}`);
  const per = q.scale.length === 1 && q.dims.length <= 1 ? null : axis;
  if (per !== null && (q.dims.length !== 1 || q.scale.length !== w.dims[axis])) {
    throw c.fail(`the weight scale ${fmt(q.dims)} must be a scalar or have ${w.dims[axis]} values (axis ${axis} of ${fmt(w.dims)})`);
  }
  const inner = per === null ? 0 : w.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const ints = Int32Array.from(w.ints, (v, i) => v - q.zp[per === null ? 0 : Math.floor(i / inner) % w.dims[axis]]);
  return { ints, scales: q.scale, axis: per };
}

/** A float32 copy of the real weights ints·scale (scale along `axis`, or one). */
function realWeights(w: { ints: Int32Array; scales: Float32Array; axis: number | null }, dims: readonly number[]): Const {
  const inner = w.axis === null ? 0 : dims.slice(w.axis + 1).reduce((a, b) => a * b, 1);
  const n = w.axis === null ? 1 : dims[w.axis];
  return floatConst(dims, Array.from(w.ints, (v, i) => Math.fround(v * w.scales[w.axis === null ? 0 : Math.floor(i / inner) % n])));
}

/** An int8 activation as float (dequantized with q), under a name of its own. */
function dequantized(c: Ctx, a: Act, q: QParams, tag: string): Act {
  return c.addLayer(new DequantizeLinear(q), [a], {}, c.fresh(`${c.node.outputs[0]}/${tag}`));
}

/** Quantizes float act `f` to the node's output. */
function requantize(c: Ctx, f: Act, y: { q: QParams; elem: Q8 }): void {
  const a = c.addLayer(new QuantizeLinear(y.q), [f]);
  a.elem = y.elem;
}

function quantizeLinear(c: Ctx): void {
  noBlocks(c);
  const x = c.input(0);
  const od = c.attrInt('output_dtype', 0);
  const dflt: IntElem = od === DT.INT8 ? 'int8' : 'uint8';
  if (od !== 0 && od !== DT.INT8 && od !== DT.UINT8) throw c.fail(`output_dtype ${dtName(od)} is not supported (UINT8 and INT8)`);
  const q = readQ(c, 1, 2, 'y', dflt);
  if (q.elem === 'int32') throw c.fail('an INT32 zero point: QuantizeLinear outputs UINT8 or INT8 here');
  if (x?.kind === 'const') {
    if (x.elem !== undefined) throw c.fail(`X ('${c.node.inputs[0]}') is a ${upper(x.elem)} constant; QuantizeLinear reads float`);
    const ints = quantizeValues(x.data, x.dims, q, quantAxis(c, q, x.dims, 'y'), q.elem);
    return void c.set({ kind: 'const', dims: x.dims.slice(), data: Float32Array.from(ints), ints, elem: q.elem });
  }
  const a = c.act(0, 'X');
  const y = perTensor(c, q, 'y');
  if (fuseAtQuantize(c, a, y, q.elem)) return;
  requantize(c, a, { q: y, elem: q.elem });
}

function dequantizeLinear(c: Ctx): void {
  noBlocks(c);
  const x = c.input(0);
  if (x === null) throw c.fail('X is missing');
  if (x.kind === 'const') {
    if (x.elem === undefined) throw c.fail(`X ('${c.node.inputs[0]}') is a float constant; DequantizeLinear reads UINT8, INT8 or INT32 ones`);
    const q = readQ(c, 1, 2, 'x', x.elem);
    if (q.elem !== x.elem) throw c.fail(`x_zero_point is ${upper(q.elem)} but X is ${upper(x.elem)}`);
    return void c.set(dequantizeConst(c, x, q, quantAxis(c, q, x.dims, 'x')));
  }
  const a = q8Act(c, 0, 'X');
  c.addLayer(new DequantizeLinear(qOf(c, 1, 2, 'x', a.elem)), [a]);
}

/** QLinearConv: QConv2d, or dequantize → Conv → quantize when the weights leave int8. */
function qlinearConv(c: Ctx): void {
  const x = q8Act(c, 0, 'x');
  const qx = qOf(c, 1, 2, 'x', x.elem);
  const w = q8Const(c, 3, 'w');
  if (w.dims.length !== 4) throw c.fail(`the weight w must be [M, C/group, kH, kW], it is ${fmt(w.dims)}`);
  const m = w.dims[0];
  const wc = centred(c, w, 4, 5, 0);
  const y = outQ(c, 6, 7, 'y');
  const b = c.input(8);
  if (b !== null && (b.kind !== 'const' || b.elem !== 'int32' || b.ints === null || b.ints.length !== m)) {
    throw c.fail(`the bias B must be an INT32 constant of ${m} values`);
  }
  const scales = channelScales(wc.scales, wc.axis, m);
  const bias = b ? Float32Array.from(b.ints!, (v, o) => v * qx.scale * scales[o]) : null;
  const out = c.node.outputs[0];
  const w8 = asInt8(wc.ints);
  if (w8 !== null) {
    viaFloat(c, 'Conv', [floatView(x), floatConst(w.dims, wc.ints), bias && floatConst([m], bias)], out);
    const spec = specNamed(c, out);
    if (!spec || !(spec.layer instanceof Conv2d)) throw c.fail('internal: the Conv handler made no Conv2d');
    const { layer, params } = qconvOf(spec.layer, w8, scales, bias, qx, y.q);
    replaceSpec(c, spec, layer, spec.inputs, params, y.elem);
    return;
  }
  const f = viaFloat(c, 'Conv', [dequantized(c, x, qx, 'x'), realWeights(wc, w.dims), bias && floatConst([m], bias)], c.fresh(`${out}/float`));
  requantize(c, f, y);
}

/** QLinearMatMul: QLinear over [N, K], or dequantize → MatMul → quantize. */
function qlinearMatMul(c: Ctx): void {
  const a = q8Act(c, 0, 'a');
  const qa = qOf(c, 1, 2, 'a', a.elem);
  const b = q8Const(c, 3, 'b');
  if (b.dims.length !== 2) throw c.fail(`b must be a constant matrix [K, N], it is ${fmt(b.dims)}`);
  const [k, n] = b.dims;
  const wc = centred(c, b, 4, 5, 1);
  const y = outQ(c, 6, 7, 'y');
  const out = c.node.outputs[0];
  const t = new Int32Array(k * n);
  for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) t[o * k + i] = wc.ints[i * n + o];
  const w8 = asInt8(t);
  if (w8 !== null && a.shape.length === 1 && a.shape[0] === k) {
    const layer = new QLinear(k, n, { bias: false, x: qa, y: y.q });
    const r = c.addLayer(layer, [a], { weight: w8, weightScale: channelScales(wc.scales, wc.axis, n) });
    r.elem = y.elem;
    return;
  }
  requantize(c, viaFloat(c, 'MatMul', [dequantized(c, a, qa, 'a'), realWeights(wc, b.dims)], c.fresh(`${out}/float`)), y);
}

/** One operand of a QLinear binary operator as a float value (an int8 activation dequantized, a constant evaluated). */
function operand(c: Ctx, i: number, what: string): { v: Value; q: QParams; act: Act | null } {
  const v = c.input(i);
  if (v?.kind === 'const') {
    const k = q8Const(c, i, what);
    const q = readQ(c, i + 1, i + 2, what, k.elem);
    if (q.elem !== k.elem) throw c.fail(`${what}_zero_point is ${upper(q.elem)} but ${what} is ${upper(k.elem)}`);
    return { v: dequantizeConst(c, k, q, null), q: perTensor(c, q, what), act: null };
  }
  const a = q8Act(c, i, what);
  const q = qOf(c, i + 1, i + 2, what, a.elem);
  return { v: a, q, act: a };
}

/** com.microsoft QLinearAdd: QAdd on same-shape activations, else dequantize → Add (broadcasting) → quantize. */
function qlinearAdd(c: Ctx): void {
  const A = operand(c, 0, 'A'), B = operand(c, 3, 'B');
  const y = outQ(c, 6, 7, 'C');
  const sa = A.act?.shape, sb = B.act?.shape;
  if (A.act && B.act && sa!.length === sb!.length && sa!.every((d, i) => d === sb![i])) {
    const r = c.addLayer(new QAdd({ a: A.q, b: B.q, y: y.q }), [A.act, B.act]);
    r.elem = y.elem;
    return;
  }
  const fa = A.act ? dequantized(c, A.act, A.q, 'A') : A.v;
  const fb = B.act ? dequantized(c, B.act, B.q, 'B') : B.v;
  requantize(c, viaFloat(c, 'Add', [fa, fb], c.fresh(`${c.node.outputs[0]}/float`)), y);
}

/** com.microsoft QLinearConcat (Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per input; axis): QConcat. */
function qlinearConcat(c: Ctx): void {
  const y = outQ(c, 0, 1, 'Y');
  const n = c.node.inputs.length - 2;
  if (n < 3 || n % 3 !== 0) throw c.fail(`needs Y_scale, Y_zero_point and then (X, X_scale, X_zero_point) triples; it has ${n + 2} inputs`);
  if (n / 3 > 64) throw c.fail(`${n / 3} inputs: at most 64 are supported`);
  const xs: Act[] = [], qs: QParams[] = [];
  for (let i = 2; i < n + 2; i += 3) {
    const what = `X${(i - 2) / 3}`;
    const a = q8Act(c, i, what);
    xs.push(a);
    qs.push(qOf(c, i + 1, i + 2, what, a.elem));
  }
  const axis = normAxis(c, c.attrInt('axis', 1), xs[0].shape.length + 1);
  if (axis === 0) throw c.fail('concatenating along the batch axis is not supported');
  const r = c.addLayer(new QConcat({ dim: axis, inputs: qs, y: y.q }), xs);
  r.elem = y.elem;
}

/** The zero point (input i) of an integer operator's activation, int8 domain; 0 when absent. */
function actZero(c: Ctx, i: number, a: Act & { elem: Q8 }, what: string): number {
  const z = c.input(i);
  if (z === null) return to8(0, a.elem);
  if (z.kind !== 'const' || z.elem !== a.elem || z.ints === null) throw c.fail(`${what} must be a ${upper(a.elem)} constant, as the input`);
  if (z.ints.length !== 1) throw c.fail(`${what} ${fmt(z.dims)} must be a scalar (a per-row zero point is not supported)`);
  return to8(z.ints[0], a.elem);
}

/** ConvInteger / MatMulInteger: the centred integers as floats through the float operator; the result is marked INT32. */
function integerOp(c: Ctx, op: 'Conv' | 'MatMul', axis: number): void {
  const x = q8Act(c, 0, op === 'Conv' ? 'x' : 'A');
  const w = q8Const(c, 1, op === 'Conv' ? 'w' : 'B');
  const zx = actZero(c, 2, x, op === 'Conv' ? 'x_zero_point' : 'a_zero_point');
  let zw: number[] = [0];
  const z = c.input(3);
  if (z !== null) {
    if (z.kind !== 'const' || z.elem !== w.elem || z.ints === null) throw c.fail(`the weight zero point must be a ${upper(w.elem)} constant, as the weight`);
    if (z.ints.length !== 1 && (z.dims.length !== 1 || z.ints.length !== w.dims[axis])) {
      throw c.fail(`the weight zero point ${fmt(z.dims)} must be a scalar or have ${w.dims[axis]} values`);
    }
    zw = z.ints;
  }
  const inner = w.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const ints = w.ints.map((v, i) => v - zw[zw.length === 1 ? 0 : Math.floor(i / inner) % w.dims[axis]]);
  const xc = dequantized(c, x, { scale: 1, zeroPoint: zx }, 'centred');
  const r = viaFloat(c, op, [xc, floatConst(w.dims, ints)], c.node.outputs[0]);
  r.elem = 'int32';
}

/** Cast of an integer activation to FLOAT: the same values as float32. */
function castInt(c: Ctx): void {
  const v = c.input(0) as Act;
  if (c.attrInt('to', 0) !== DT.FLOAT) throw c.fail(`casting a ${upper(v.elem)} activation to ${dtName(c.attrInt('to', 0))} is not supported (FLOAT only)`);
  if (v.elem === 'int32') return void c.set(floatView(v));
  c.addLayer(new DequantizeLinear({ scale: 1, zeroPoint: v.elem === 'uint8' ? -128 : 0 }), [v]);
}

/** Operators that only move or select elements: exact on integers, so they run on int8 tensors as they are or through float. */
const MOVES = new Set(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Transpose', 'Identity', 'Dropout', 'Concat', 'Slice', 'MaxPool', 'GlobalMaxPool', 'DepthToSpace', 'SpaceToDepth']);

/** The movement operators that may map onto layers that carry int8 tensors as they are (Concat: a QConcat of copies). */
const DIRECT = new Set(['Flatten', 'MaxPool', 'Identity', 'Dropout', 'Slice', 'Transpose', 'Reshape', 'Concat']);

/** The layers that carry an int8 tensor as they are at inference (its bytes moved, its quantization kept). */
const CARRIES_INT8 = [Flatten, Reshape, Identity, Dropout, Slice, Permute, ChannelShuffle];

/**
 * A data-movement operator on int8 activations: Flatten, Identity, Dropout, Slice, Transpose, Reshape
 * (a channel shuffle's three nodes fuse back into one ChannelShuffle), Concat (a QConcat of copies), max
 * pooling in int8; the others through float (scale 1, exact).
 */
function moveInt(c: Ctx, n: OnnxNode): void {
  const out = n.outputs[0];
  const ins = n.inputs.map((name, i) => (name === '' ? null : c.input(i)));
  const ints = ins.filter((v): v is Act => v?.kind === 'act' && v.elem !== undefined);
  const elem = ints[0].elem!;
  if (elem === 'int32' || ins.some((v) => v?.kind === 'act' && v.elem !== elem)) {
    throw c.fail(`its inputs mix ${[...new Set(ins.filter((v) => v?.kind === 'act').map((v) => upper((v as Act).elem)))].join(' and ')} tensors`);
  }
  if (n.outputs.length > 1) for (let i = 1; i < n.outputs.length; i++) c.unusedOutput(i, 'second');
  if (DIRECT.has(n.opType)) {
    const start = c.specs.length;
    const r = viaFloat(c, n.opType, ins.map((v) => (v?.kind === 'act' ? floatView(v) : v)), out);
    // an alias of the input (Identity, Dropout at inference) or a layer that carries int8 as it is
    if (c.specs.length === start && ints.some((a) => a.node === r.node)) return void (r.elem = elem);
    const spec = c.specs.length === start + 1 ? specNamed(c, out) : null;
    if (spec && CARRIES_INT8.some((L) => spec.layer instanceof L)) return void (r.elem = elem);
    if (spec?.layer instanceof MaxPool2d) {
      const L = spec.layer;
      replaceSpec(c, spec, new QMaxPool2d(L.kernelSize, { stride: L.stride, padding: L.padding, dilation: L.dilation, ceilMode: L.ceilMode }), spec.inputs, {}, elem);
      return;
    }
    if (spec?.layer instanceof Concat) {
      // one grid throughout: every input copied as it is
      const same: QParams = { scale: 1, zeroPoint: 0 };
      replaceSpec(c, spec, new QConcat({ dim: spec.layer.dim, inputs: spec.inputs.map(() => same), y: same }), spec.inputs, {}, elem);
      return;
    }
    // another layer: undo and go through float
    c.specs.splice(start);
    c.values.delete(out);
  }
  const one: QParams = { scale: 1, zeroPoint: 0 };
  const f = viaFloat(c, n.opType, ins.map((v, i) => (v?.kind === 'act' ? dequantized(c, v, one, `${i}`) : v)), c.fresh(`${out}/float`));
  const a = c.addLayer(new QuantizeLinear(one), [f]);
  a.elem = elem;
}

/** The operators that read integer tensors themselves. */
export const QUANT_HANDLERS: Record<string, Handler> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  QLinearConv: qlinearConv,
  QLinearMatMul: qlinearMatMul,
  ConvInteger: (c) => integerOp(c, 'Conv', 0),
  MatMulInteger: (c) => integerOp(c, 'MatMul', 1),
};

/** The com.microsoft operators read. */
export const MS_HANDLERS: Record<string, Handler> = { QLinearAdd: qlinearAdd, QLinearConcat: qlinearConcat };

/**
 * The handler for a node of the default domain that reads an integer activation but is no
 * quantization operator: Cast to FLOAT, a data-movement operator, or a refusal naming the tensor.
 * null when the node reads no integer activation.
 */
export function integerInputHandler(c: Ctx, n: OnnxNode): Handler | null {
  // the quantization operators read integers themselves; Shape reads only the shape
  if (Object.prototype.hasOwnProperty.call(QUANT_HANDLERS, n.opType) || n.opType === 'Shape') return null;
  const i = n.inputs.findIndex((name) => {
    const v = name === '' ? undefined : c.values.get(name);
    return v?.kind === 'act' && v.elem !== undefined;
  });
  if (i < 0) return null;
  const v = c.values.get(n.inputs[i]) as Act;
  if (n.opType === 'Cast') return castInt;
  if (MOVES.has(n.opType) && v.elem !== 'int32' && Object.prototype.hasOwnProperty.call(c.ops, n.opType)) return moveInt;
  return (cc) => {
    throw cc.fail(`input '${n.inputs[i]}' is a ${upper(v.elem)} tensor, which ${n.opType} cannot read here ` +
      (v.elem === 'int32' ? '(only a Cast to FLOAT reads ConvInteger / MatMulInteger results)' : '(put a DequantizeLinear before it)'));
  };
}

/** Refuses graph outputs that would change type: UINT8 (held as int8) and INT32 (held as float). */
export function checkOutput(name: string, v: Value | undefined): string | null {
  if (v?.kind !== 'act' || v.elem === undefined || v.elem === 'int8') return null;
  return `graph output '${name}' is a ${upper(v.elem)} tensor, which simdnet would return as ${v.elem === 'uint8' ? 'int8 (value − 128)' : 'float32'}: end the graph with ${v.elem === 'uint8' ? 'DequantizeLinear' : 'a Cast to FLOAT'}`;
}
