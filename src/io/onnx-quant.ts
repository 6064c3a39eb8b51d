// What the quantized-ONNX handlers share (onnx-quant-ops.ts, onnx-qdq.ts): reading a node's scale
// and zero point inputs, the uint8 → int8 shift (our int8 tensors hold a uint8 value − 128, with
// the zero point shifted the same way: exact), QuantizeLinear's rounding, integer weights recovered
// from dequantized constants, turning a float layer that a float handler made into its int8 twin,
// and running a node through a float operator's handler.
import { roundHalfEven, type QParams } from '../ops/qs8.js';
import type { Layer } from '../nn/layer.js';
import type { Clamp } from '../nn/lowering.js';
import type { Conv2d } from '../nn/conv2d.js';
import { QConv2d } from '../nn/qconv2d.js';
import { normAxis } from './onnx-const-ops.js';
import { fmt, prod, type Act, type Const, type Ctx, type IntElem, type Spec, type Value } from './onnx-context.js';

export type Q8 = 'uint8' | 'int8';

/** Scale and zero point inputs as the file holds them: one entry per tensor, or one per slice along an axis. */
export interface QInput {
  scale: Float32Array;
  /** Zero points in the file's type (uint8 0…255, int8, int32). */
  zp: number[];
  elem: IntElem;
  /** The scale's dims ([] or [1] per tensor). */
  dims: number[];
}

/** A dequantized constant's integers: value − zero point, and the scale of each slice along axis (null: per tensor). */
export interface QConst {
  ints: Int32Array;
  scale: Float32Array;
  axis: number | null;
  dims: number[];
}

/** The integers behind constants made by DequantizeLinear (keyed by the constant, so a reshaped copy has none). */
export const QCONSTS = new WeakMap<Const, QConst>();

const RANGE: Record<Q8, [number, number]> = { uint8: [0, 255], int8: [-128, 127] };


/** A zero point in our int8 domain. */
export const to8 = (zp: number, elem: Q8) => (elem === 'uint8' ? zp - 128 : zp);

/** Refuses blocked quantization (opset 21's block_size). */
export function noBlocks(c: Ctx): void {
  if (c.attrInt('block_size', 0) !== 0) throw c.fail('blocked quantization (block_size) is not supported');
}

/** The scale (input si) and zero point (input zi) of the current node; dflt: the type when the zero point is absent. */
export function readQ(c: Ctx, si: number, zi: number, what: string, dflt: IntElem): QInput {
  const s = c.input(si);
  if (s === null) throw c.fail(`${what}_scale is missing`);
  if (s.kind !== 'const' || s.elem !== undefined) throw c.fail(`${what}_scale ('${c.node.inputs[si]}') must be a FLOAT constant`);
  for (const v of s.data) if (!(v > 0) || !Number.isFinite(v)) throw c.fail(`${what}_scale holds ${v}; scales must be finite and > 0`);
  const z = c.input(zi);
  if (z === null) return { scale: s.data, zp: new Array(s.data.length).fill(0), elem: dflt, dims: s.dims };
  if (z.kind !== 'const' || z.elem === undefined || z.ints === null) {
    throw c.fail(`${what}_zero_point ('${c.node.inputs[zi]}') must be a UINT8, INT8 (or INT32) constant`);
  }
  if (z.data.length !== s.data.length) throw c.fail(`${what}_zero_point ${fmt(z.dims)} and ${what}_scale ${fmt(s.dims)} differ in size`);
  return { scale: s.data, zp: z.ints, elem: z.elem, dims: s.dims };
}

/** A per-tensor quantization of an 8-bit tensor, in our int8 domain. */
export function perTensor(c: Ctx, q: QInput, what: string): QParams {
  if (q.scale.length !== 1 || q.dims.length > 1) {
    throw c.fail(`${what} is quantized per axis (scale ${fmt(q.dims)}); activations must be quantized per tensor`);
  }
  if (q.elem === 'int32') throw c.fail(`${what} has an INT32 zero point; 8-bit activations only`);
  return { scale: q.scale[0], zeroPoint: to8(q.zp[0], q.elem) };
}

/** Whether two quantizations are the same (float32 scales, int8-domain zero points). */
export const sameQ = (a: QParams, b: QParams) => Math.fround(a.scale) === Math.fround(b.scale) && a.zeroPoint === b.zeroPoint;

/** The axis a quantization of a tensor with `dims` runs along (null per tensor), checked against the scale's size. */
export function quantAxis(c: Ctx, q: QInput, dims: readonly number[], what: string): number | null {
  if (q.scale.length === 1 && q.dims.length <= 1) return null;
  if (q.dims.length !== 1) throw c.fail(`${what}_scale ${fmt(q.dims)} must be a scalar or a vector (blocked quantization is not supported)`);
  const a = normAxis(c, c.attrInt('axis', 1), dims.length);
  if (dims[a] !== q.scale.length) throw c.fail(`${what}_scale has ${q.scale.length} values for axis ${a} of ${fmt(dims)}`);
  return a;
}

/** Index of each element's slice along `axis` of `dims` (0 for all per tensor). */
export function sliceOf(dims: readonly number[], axis: number | null): (i: number) => number {
  if (axis === null) return () => 0;
  const inner = prod(dims.slice(axis + 1)), n = dims[axis];
  return (i) => Math.floor(i / inner) % n;
}

/** DequantizeLinear of a constant: float32 values (value − zp)·scale, recorded with their integers. */
export function dequantizeConst(c: Ctx, x: Const, q: QInput, axis: number | null): Const {
  const at = sliceOf(x.dims, axis);
  const vals = x.ints ?? [];
  const ints = new Int32Array(vals.length), data = new Float32Array(vals.length);
  for (let i = 0; i < vals.length; i++) {
    const k = at(i);
    ints[i] = vals[i] - q.zp[k];
    data[i] = Math.fround(ints[i] * q.scale[k]); // (x − zp) exact, one float32 rounding of the product
  }
  const out: Const = { kind: 'const', dims: x.dims.slice(), data, ints: null };
  QCONSTS.set(out, { ints, scale: q.scale, axis, dims: x.dims.slice() });
  return out;
}

/** QuantizeLinear of float values: clamp(round_even(x / scale) + zp) in the type's range (the file's values). */
export function quantizeValues(data: Float32Array, dims: readonly number[], q: QInput, axis: number | null, elem: Q8): number[] {
  const at = sliceOf(dims, axis);
  const [lo, hi] = RANGE[elem];
  return Array.from(data, (v, i) => {
    const k = at(i);
    return Math.max(lo, Math.min(hi, roundHalfEven(Math.fround(v / q.scale[k])) + q.zp[k]));
  });
}

/** int8 values, or null when some integer falls outside −128…127. */
export function asInt8(ints: ArrayLike<number>): Int8Array | null {
  for (let i = 0; i < ints.length; i++) if (ints[i] < -128 || ints[i] > 127) return null;
  return Int8Array.from(ints);
}

/** Per-output-channel scales [o] of a quantization along `axis` of the weight (per tensor: one value repeated). */
export function channelScales(scale: Float32Array, axis: number | null, o: number): Float32Array {
  return axis === null ? new Float32Array(o).fill(scale[0]) : Float32Array.from(scale);
}

/** The int8 twin of a float Conv2d (same geometry), with its parameters. */
export function qconvOf(conv: Conv2d, w: Int8Array, scales: Float32Array, bias: Float32Array | null, x: QParams, y: QParams, clamp?: Clamp): { layer: QConv2d; params: Spec['params'] } {
  const layer = new QConv2d(conv.inChannels, conv.outChannels, conv.kernelSize, {
    stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups, bias: bias !== null, x, y,
    clamp: clamp ? { min: clamp.min, max: clamp.max } : undefined,
  });
  return { layer, params: bias ? { weight: w, weightScale: scales, bias } : { weight: w, weightScale: scales } };
}

/** The layer spec named `name`, or null. */
export const specNamed = (c: Ctx, name: string): Spec | null => c.specs.find((s) => s.name === name) ?? null;

/** Puts `layer` in place of spec's, reading `inputs`, under the node's output name; returns the output (an int8 value when elem). */
export function replaceSpec(c: Ctx, spec: Spec, layer: Layer, inputs: string[], params: Spec['params'], elem?: IntElem): Act {
  const out = c.node.outputs[0];
  if (!out) throw c.fail('the node has no output name');
  spec.layer = layer;
  spec.inputs = inputs;
  spec.params = params;
  spec.name = out;
  layer.name = out;
  const act: Act = elem ? { kind: 'act', node: out, shape: spec.shape, elem } : { kind: 'act', node: out, shape: spec.shape };
  c.values.set(out, act);
  return act;
}

/**
 * Maps the current node as float operator `opType` reading `inputs` (values given directly: a
 * float view of an int8 tensor, integer weights as floats) and writing `out`. The caller turns what
 * the handler made into its int8 twin, or has given it dequantized inputs.
 */
export function viaFloat(c: Ctx, opType: string, inputs: (Value | null)[], out: string): Act {
  const handler = Object.prototype.hasOwnProperty.call(c.ops, opType) ? c.ops[opType] : undefined;
  if (!handler) throw c.fail(`internal: no ${opType} handler`);
  const saved = c.node;
  const names = inputs.map((v, i) => {
    if (v === null) return '';
    const k = c.fresh(`${out}/${opType}.input`);
    c.values.set(k, v);
    // the same tensor as the node's own input i has its readers (what a handler's fusions check;
    // a graph output counts as read by someone else: none set)
    const orig = saved.inputs[i], was = orig ? c.values.get(orig) : undefined;
    if (was?.kind === 'act' && v.kind === 'act' && was.node === v.node && !c.graphOutputs.has(orig)) c.uses.set(k, c.uses.get(orig) ?? 0);
    return k;
  });
  c.node = { ...saved, opType, inputs: names, outputs: [out] };
  try {
    handler(c, c.node);
  } finally {
    c.node = saved;
    for (const k of names) if (k) c.values.delete(k), c.uses.delete(k);
  }
  const v = c.values.get(out);
  if (v?.kind !== 'act') throw c.fail(`internal: the ${opType} handler made no activation`);
  return v;
}

/** A float view of an integer activation (same tensor, read by a layer about to be replaced). */
export const floatView = (a: Act): Act => ({ kind: 'act', node: a.node, shape: a.shape });

/** A float constant of the given values. */
export const floatConst = (dims: readonly number[], data: ArrayLike<number>): Const => ({ kind: 'const', dims: dims.slice(), data: Float32Array.from(data), ints: null });
