// QDQ fusion, done where a QuantizeLinear meets the float layer before it. onnxruntime's
// quantize_static writes DequantizeLinear → Conv / Gemm / MatMul / Add / MaxPool / GlobalAveragePool
// (→ Relu / Clip) → QuantizeLinear, and DequantizeLinear ×k → Concat → QuantizeLinear. The float
// handlers have already mapped the middle of the group (weights as the dequantized constants, the
// activation as a ReLU / ReLU6 / Hardtanh layer); here that float layer becomes its int8 twin
// (QConv2d, QLinear, QAdd, QConcat, QMaxPool2d, QGlobalAvgPool2d) reading the int8 tensors behind
// the DequantizeLinear layers, the activation becoming the fused clamp; an elementwise activation
// alone between the two (SiLU, Sigmoid, HardSwish, …) becomes a QActivation (its 256-byte table).
// A group that does not fit (float weights, a weight zero point that leaves int8, an op with no
// int8 twin, a Concat with an input that is not a dequantized int8 tensor, different scales around
// a max pool) keeps its float layers: the graph as written, DequantizeLinear → f32 operator →
// QuantizeLinear.
import { qclamp, type QParams } from '../ops/qs8.js';
import type { Clamp } from '../nn/lowering.js';
import { Conv2d } from '../nn/conv2d.js';
import { Linear } from '../nn/linear.js';
import { Add } from '../nn/add.js';
import { Concat } from '../nn/concat.js';
import { MaxPool2d } from '../nn/maxpool2d.js';
import { GlobalAvgPool2d } from '../nn/globalavgpool2d.js';
import { Flatten } from '../nn/flatten.js';
import { DequantizeLinear } from '../nn/dequantizelinear.js';
import { QLinear, type QLinearOptions } from '../nn/qlinear.js';
import { QAdd } from '../nn/qadd.js';
import { QConcat } from '../nn/qconcat.js';
import { QMaxPool2d } from '../nn/qmaxpool2d.js';
import { QGlobalAvgPool2d } from '../nn/qglobalavgpool2d.js';
import { QActivation, isPointwise } from '../nn/qactivation.js';
import type { Layer } from '../nn/layer.js';
import type { Act, Ctx, Spec } from './onnx-context.js';
import { QCONSTS, asInt8, channelScales, qconvOf, replaceSpec, sameQ, specNamed, type Q8 } from './onnx-quant.js';

interface Twin {
  layer: Layer;
  inputs: string[];
  params: Spec['params'];
}

/** The int8 tensor behind a DequantizeLinear layer's output, and its quantization. */
function dequantized(c: Ctx, name: string): { src: string; q: QParams } | null {
  const s = specNamed(c, name);
  return s && s.layer instanceof DequantizeLinear ? { src: s.inputs[0], q: s.layer.q } : null;
}

/**
 * The integer weights of a Conv2d / Linear spec, [out, …] row-major with per-output scales, when
 * the ONNX node that made it read a DequantizeLinear'd constant quantized per tensor or per output
 * channel, and the layer's float weights are exactly those dequantized values.
 */
function weightsOf(c: Ctx, spec: Spec, outputs: number): { w: Int8Array; scales: Float32Array } | null {
  const node = c.nodes.find((n) => n.outputs[0] === spec.name);
  if (!node || !['Conv', 'Gemm', 'MatMul'].includes(node.opType)) return null;
  const k = c.values.get(node.inputs[1]);
  const q = k?.kind === 'const' ? QCONSTS.get(k) : undefined;
  if (!q) return null;
  let ints: ArrayLike<number> = q.ints;
  let outAxis = 0;
  if (node.opType !== 'Conv') {
    // B is [K, N] (MatMul, Gemm) or [N, K] (Gemm with transB): the layer's rows are the N outputs
    const transB = node.opType === 'Gemm' && (node.attrs.get('transB')?.i ?? 0) === 1;
    if (q.dims.length !== 2) return null;
    if (!transB) {
      const [kk, nn] = q.dims;
      const t = new Int32Array(kk * nn);
      for (let o = 0; o < nn; o++) for (let i = 0; i < kk; i++) t[o * kk + i] = q.ints[i * nn + o];
      ints = t;
      outAxis = 1;
    }
  }
  if (q.axis !== null && q.axis !== outAxis) return null;
  const w = asInt8(ints);
  if (w === null) return null;
  const scales = channelScales(q.scale, q.axis, outputs);
  const per = w.length / outputs;
  const have = spec.params.weight;
  if (!(have instanceof Float32Array) || have.length !== w.length) return null;
  for (let i = 0; i < w.length; i++) if (have[i] !== Math.fround(w[i] * scales[Math.floor(i / per)])) return null;
  return { w, scales };
}

/** The bias of a float spec, as the real values the int8 layers take. */
function biasOf(spec: Spec): Float32Array | null {
  const b = spec.params.bias;
  return b instanceof Float32Array ? b : null;
}

/**
 * The QLinear twin of a float Linear spec with one input and a 1-D output, reading the int8 tensor
 * behind the DequantizeLinear before it (options: its y and clamp, or output 'float32'); null when
 * the spec is not such a Linear or its input or weights are not int8.
 */
function qlinearOf(c: Ctx, spec: Spec, options: Omit<QLinearOptions, 'x' | 'bias'>): Twin | null {
  const L = spec.layer;
  if (!(L instanceof Linear) || spec.shape.length !== 1 || spec.inputs.length !== 1) return null;
  const x = dequantized(c, spec.inputs[0]);
  const wq = x ? weightsOf(c, spec, L.outFeatures) : null;
  if (!x || !wq) return null;
  const bias = biasOf(spec);
  const layer = new QLinear(L.inFeatures, L.outFeatures, { bias: bias !== null, x: x.q, ...options });
  return { layer, inputs: [x.src], params: bias ? { weight: wq.w, weightScale: wq.scales, bias } : { weight: wq.w, weightScale: wq.scales } };
}

/** The int8 twin of the float layer `core` whose output is quantized to y (clamp: an activation between them). */
function twin(c: Ctx, core: Spec, y: QParams, clamp: Clamp | undefined): Twin | null {
  const L = core.layer;
  const x = core.inputs.length >= 1 ? dequantized(c, core.inputs[0]) : null;
  if (x === null) return null;
  if (L instanceof Conv2d) {
    const wq = weightsOf(c, core, L.outChannels);
    if (!wq) return null;
    const { layer, params } = qconvOf(L, wq.w, wq.scales, biasOf(core), x.q, y, clamp);
    return { layer, params, inputs: [x.src] };
  }
  if (L instanceof Linear) return qlinearOf(c, core, { y, clamp: clamp ? { min: clamp.min, max: clamp.max } : undefined });
  if (L instanceof Add && L.constant === null && core.inputs.length === 2) {
    const b = dequantized(c, core.inputs[1]);
    const sa = specNamed(c, core.inputs[0])!.shape, sb = specNamed(c, core.inputs[1])?.shape;
    if (!b || !sb || sa.length !== sb.length || sa.some((d, i) => d !== sb[i])) return null;
    const layer = new QAdd({ a: x.q, b: b.q, y, clamp: clamp ? { min: clamp.min, max: clamp.max } : undefined });
    return { layer, inputs: [x.src, b.src], params: {} };
  }
  if (L instanceof Concat && clamp === undefined) {
    // every input must be an int8 tensor behind a DequantizeLinear; each keeps its own quantization
    const xs = core.inputs.map((name) => dequantized(c, name));
    if (xs.some((d) => d === null)) return null;
    const layer = new QConcat({ dim: L.dim, inputs: xs.map((d) => d!.q), y });
    return { layer, inputs: xs.map((d) => d!.src), params: {} };
  }
  if (clamp !== undefined || core.inputs.length !== 1) return null;
  if (L instanceof GlobalAvgPool2d) return { layer: new QGlobalAvgPool2d({ x: x.q, y }), inputs: [x.src], params: {} };
  // max pooling and flattening keep the scale: with another one after them they stay float
  if (!sameQ(x.q, y)) return null;
  if (L instanceof MaxPool2d) {
    return { layer: new QMaxPool2d(L.kernelSize, { stride: L.stride, padding: L.padding, dilation: L.dilation, ceilMode: L.ceilMode }), inputs: [x.src], params: {} };
  }
  if (L instanceof Flatten) return { layer: L, inputs: [x.src], params: {} };
  return null;
}

/**
 * QuantizeLinear(a) to y (type elem), the current node: when a is made by a float layer from
 * dequantized int8 inputs (through a clamping activation or not) and read by this node alone, that
 * layer becomes its int8 twin under this node's output and true is returned; so is a
 * QuantizeLinear that undoes a DequantizeLinear of the same parameters. Otherwise false: the caller
 * adds a QuantizeLinear layer.
 */
export function fuseAtQuantize(c: Ctx, a: Act, y: QParams, elem: Q8): boolean {
  const out = c.node.outputs[0];
  if (!out) return false;
  const alias = (name: string) => {
    const back = dequantized(c, name);
    if (!back || !sameQ(back.q, y)) return false;
    c.values.set(out, { kind: 'act', node: back.src, shape: a.shape, elem });
    return true;
  };
  if (alias(a.node)) return true;
  const top = c.foldable(a, 0);
  if (!top) return false;
  let core = top;
  let clamp: Clamp | undefined;
  const cl = top.layer.clampAtInference();
  if (cl && top.inputs.length === 1 && c.usedOnce(top.inputs[0])) {
    const inner = specNamed(c, top.inputs[0]);
    if (inner) {
      core = inner;
      // Q(clamp(v)) = clamp(Q(v), Q(min), Q(max)): a clamp reaching past y's range changes nothing
      clamp = implied(cl, y) ? undefined : cl;
      if (clamp === undefined && alias(inner.name)) return true;
    }
  }
  const t = twin(c, core, y, clamp);
  if (t) {
    if (core !== top) c.specs.splice(c.specs.indexOf(top), 1);
    replaceSpec(c, core, t.layer, t.inputs, t.params, elem);
    return true;
  }
  // an elementwise activation between a DequantizeLinear and this QuantizeLinear (SiLU, Sigmoid,
  // HardSwish, Relu, Clip, …): its int8 table
  const x = top.inputs.length === 1 && isPointwise(top.layer) ? dequantized(c, top.inputs[0]) : null;
  if (!x) return false;
  replaceSpec(c, top, new QActivation({ activation: top.layer, x: x.q, y }), [x.src], {}, elem);
  return true;
}

/** Whether quantizing to y already clamps to [min, max] (y's int8 range lies within it). */
function implied(cl: Clamp, y: QParams): boolean {
  const [lo, hi] = qclamp(y, { min: Number.isFinite(cl.min) ? cl.min : undefined, max: Number.isFinite(cl.max) ? cl.max : undefined });
  return lo === -128 && hi === 127;
}

/**
 * A graph output computed by a float Linear (ONNX Gemm / MatMul) from a dequantized int8 input and
 * int8 weights, with no QuantizeLinear after it (a clamping activation after it or not) — how
 * io.toONNX writes a QLinear with a float32 output (the logits of a quantize()d model) — becomes
 * that QLinear, `output: 'float32'`, the activation its clamp.
 */
export function fuseFloatOutput(c: Ctx, name: string): void {
  const top = specNamed(c, name);
  if (!top || c.specs.some((s) => s.inputs.includes(name))) return;
  let spec = top;
  const cl = top.layer.clampAtInference();
  if (cl && top.inputs.length === 1) {
    const inner = specNamed(c, top.inputs[0]);
    if (!inner || c.specs.some((s) => s !== top && s.inputs.includes(inner.name))) return;
    spec = inner;
  }
  const clamp = spec !== top && cl ? { min: Number.isFinite(cl.min) ? cl.min : undefined, max: Number.isFinite(cl.max) ? cl.max : undefined } : undefined;
  const t = qlinearOf(c, spec, { output: 'float32', clamp, name: top.layer.name });
  if (!t) return;
  top.layer = t.layer;
  top.inputs = t.inputs;
  top.params = t.params;
  if (spec !== top) c.specs.splice(c.specs.indexOf(spec), 1);
}
