// quantize(model, calibration, options): the same topology with int8 arithmetic where it pays.
// Convolutions and dense layers become QConv2d / QLinear (a following batch norm folded into the
// weights, a following ReLU / ReLU6 fused as the store's clamp); weights are symmetric int8 per
// output channel, activations per-tensor int8 with a scale and zero point from the calibration
// ranges (src/quantize/calibrate.ts). Max pooling, the layers that move values (Flatten, Reshape,
// Slice, Permute, ChannelShuffle, Dropout, Identity), global average
// pooling (AdaptiveAvgPool2d(1) too) and two-input Add stay in int8 when their inputs are, Concat
// when one is and its readers take int8 (nn.QConcat; the values only it reads quantized on its
// grid), and so
// do elementwise activations (SiLU, Hardswish, Sigmoid, …: a 256-byte table, nn.QActivation) whose
// readers all take int8; every other layer runs in f32,
// with QuantizeLinear / DequantizeLinear inserted where values cross between the two. A dense layer
// giving a graph output read by nothing else (the logits) writes it in float32 from its int32 sums.
// Option equalize scales f32-computed inputs per channel first (src/quantize/equalize.ts).
import { Tensor } from '../tensor.js';
import { Graph } from '../graph/graph.js';
import type { GraphNode, NodeSpec } from '../graph/topology.js';
import * as nn from '../nn/layers.js';
import type { Layer } from '../nn/layer.js';
import { isPointwise } from '../nn/qactivation.js';
import { layerFactory } from '../nn/registry.js';
import type { Clamp } from '../nn/lowering.js';
import { chooseQParams, type QParams } from '../ops/qs8.js';
import { boolArg, intArg, knownOptions, describe } from '../ops/validate.js';
import { activeRange } from './active-range.js';
import { calibrate, calibrationBatches, type Calibration, type RangeMethod } from './calibrate.js';
import { equalize } from './equalize.js';

export interface QuantizeOptions {
  /**
   * How activation ranges are taken from the calibration data (default 'minmax'): 'percentile'
   * clips at a percentile, 'mse' shrinks each min/max range to the one whose int8 grid leaves the
   * least mean squared error (rounding and clipping) on the calibration values.
   */
  method?: RangeMethod;
  /** For method 'percentile': the upper percentile kept (default 99.99; the lower is 100 − it). */
  percentile?: number;
  /** Node names that stay float32. */
  exclude?: readonly string[];
  /**
   * Bias correction (default false): each convolution's and dense layer's bias absorbs the mean
   * shift its weights' int8 rounding causes, Σ (ŵ − w)·E[x] over its inputs, E[x] being each input
   * channel's mean over the calibration data (the same at every kernel tap: zero padding makes it
   * approximate on small feature maps).
   */
  biasCorrection?: boolean;
  /**
   * Input equalization (default false): a convolution or dense layer whose input is computed in
   * float32 and read by it alone (after Hardswish, SiLU, a channel gate…) takes that input scaled
   * per channel by a float32 Mul before its QuantizeLinear, its weights divided by the same scales,
   * where that predicts at least 1 dB less rounding noise (src/quantize/equalize.ts): one int8
   * grid then fits channels of very different ranges. It trusts per-channel ranges measured on the
   * calibration data (values with fewer than 1024 a channel are left alone): it helps networks with a
   * few wide channels (EfficientNet-B0 +3 dB SQNR) and can cost others (MobileNetV3-Small −1.5 dB);
   * measure it on your model.
   */
  equalize?: boolean;
  /** Calibration samples per forward pass (default 64). */
  batchSize?: number;
}

/** Symmetric per-row int8 quantization of a weight [O, …]: data = round(w / scale[o]), |data| ≤ 127. */
export function quantizeWeights(w: Float32Array, rows: number): { data: Int8Array; scales: Float32Array } {
  const per = w.length / rows;
  const data = new Int8Array(w.length), scales = new Float32Array(rows);
  for (let o = 0; o < rows; o++) {
    let m = 0;
    for (let k = 0; k < per; k++) m = Math.max(m, Math.abs(w[o * per + k]));
    const s = m > 0 ? Math.fround(m / 127) : 1;
    scales[o] = s;
    for (let k = 0; k < per; k++) data[o * per + k] = Math.max(-127, Math.min(127, Math.round(w[o * per + k] / s)));
  }
  return { data, scales };
}

/** Layers that carry int8 values through as they are (the same quantization in and out). */
const passesInt8 = (L: Layer): boolean => L instanceof nn.Flatten || L instanceof nn.Reshape || L instanceof nn.Dropout || L instanceof nn.Identity
  || L instanceof nn.Slice || L instanceof nn.ChannelShuffle || L instanceof nn.Permute;

/** A copy of a layer (its config, its parameters' values, its trainable flag) under the same name. */
function cloneLayer(layer: Layer): Layer {
  const make = layerFactory(layer.type);
  if (!make) throw new Error(`quantize: layer '${layer.name}' has type '${layer.type}', which is not registered (nn.registerLayer) and so cannot be copied`);
  const copy = make(layer.config(), layer.name);
  const from = layer.params(), to = copy.params();
  to.forEach((p, i) => p.assign(from[i].dtype === 'int8' ? from[i].value.toInt8Array() : from[i].value));
  copy.trainable = layer.trainable;
  return copy;
}

/**
 * A new Graph computing `model` with int8 convolutions, dense layers, pooling and residual adds.
 * calibration: float32 samples [N, …input] (a tensor or a list of batches) run through the f32
 * model to fix every activation's range. The model is left alone; the caller disposes both.
 */
export function quantize(model: Graph, calibration: Tensor | readonly Tensor[], options: QuantizeOptions = {}): Graph {
  knownOptions('quantize', options, ['method', 'percentile', 'exclude', 'batchSize', 'biasCorrection', 'equalize']);
  if (!(model instanceof Graph)) throw new TypeError(`quantize: model must be a Graph or Sequential, got ${describe(model)}`);
  if (model.inputNames.length !== 1) throw new Error(`quantize: models with one input only; this one has ${model.inputNames.length}`);
  const method = options.method ?? 'minmax';
  if (method !== 'minmax' && method !== 'percentile' && method !== 'mse') throw new TypeError(`quantize: method must be 'minmax', 'percentile' or 'mse', got ${describe(method)}`);
  const pct = options.percentile ?? 99.99;
  if (typeof pct !== 'number' || !(pct > 50 && pct <= 100)) throw new RangeError(`quantize: percentile must be in (50, 100], got ${describe(pct)}`);
  const exclude = new Set(options.exclude ?? []);
  for (const e of exclude) if (!model.nodes.some((n) => n.name === e)) throw new RangeError(`quantize: exclude names '${e}', which is not a node of this model`);
  const bs = intArg('quantize', 'batchSize', options.batchSize ?? 64, 1);
  const correct = boolArg('quantize', 'biasCorrection', options.biasCorrection, false);
  const equalizeInputs = boolArg('quantize', 'equalize', options.equalize, false);
  const cal = calibrationBatches(calibration, bs);
  let measured: Calibration;
  try {
    if (cal.samples === 0) throw new RangeError('quantize: the calibration data has no samples');
    measured = calibrate(model, cal.batches, method, pct);
  } finally {
    for (const t of cal.owned) t.dispose();
  }
  const made: Layer[] = [];
  try {
    const g = rewrite(model, measured, { correct, equalize: equalizeInputs }, exclude, made);
    g.metadata = { ...model.metadata, quantized: { method, ...(method === 'percentile' ? { percentile: pct } : {}), ...(correct ? { biasCorrection: true } : {}), ...(equalizeInputs ? { equalize: true } : {}), calibrationSamples: cal.samples } };
    return g;
  } catch (e) {
    for (const l of made) l.dispose();
    throw e;
  }
}

/**
 * b − Σ (ŵ − w)·mean[input channel] per output row o of w [O, Cin/groups, …]: the mean error the
 * int8 weights ŵ = data·scale[o] add to the output, taken out of the bias (null: no bias, zero).
 */
export function correctedBias(w: Float32Array, q: { data: Int8Array; scales: Float32Array }, b: Float32Array | null, mean: Float64Array, groups: number): Float32Array {
  const O = q.scales.length, per = w.length / O, cin = mean.length / groups, k = per / cin;
  const out = b ? Float32Array.from(b) : new Float32Array(O);
  for (let o = 0; o < O; o++) {
    const c0 = Math.floor(o / (O / groups)) * cin;
    let e = 0;
    for (let j = 0; j < per; j++) e += (q.data[o * per + j] * q.scales[o] - w[o * per + j]) * mean[c0 + Math.floor(j / k)];
    out[o] -= e;
  }
  return out;
}

function rewrite(model: Graph, measured: Calibration, how: { correct: boolean; equalize: boolean }, exclude: Set<string>, made: Layer[]): Graph {
  const ranges = measured.ranges;
  const nodes = model.nodes;
  const consumers = new Map<string, GraphNode[]>();
  for (const n of nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const outputs = new Set(model.outputNames);
  /** The one node reading `name`, when nothing else (nor the graph's outputs) does. */
  const sole = (name: string) => {
    const c = consumers.get(name);
    return c && c.length === 1 && !outputs.has(name) && c[0].inputs.length === 1 && !exclude.has(c[0].name) ? c[0] : null;
  };
  const specs: NodeSpec[] = [];
  const add = (name: string, layer: Layer, inputs: string[]) => {
    made.push(layer);
    specs.push({ name, layer, inputs });
    return name;
  };
  const renamed = new Map<string, string>(); // an old value fused into a new node → that node
  const q8 = new Map<string, QParams>(); // new int8 values and their quantization
  const bridges = new Map<string, string>();
  const val = (old: string) => renamed.get(old) ?? old;
  const qOf = (old: string): QParams => {
    const r = ranges.get(old);
    if (!r) throw new Error(`quantize: no calibration range for '${old}'`);
    const c = consumers.get(old);
    const only = c && c.length === 1 && !outputs.has(old) && !exclude.has(c[0].name) ? c[0] : null;
    // a value only a Concat reads is quantized on the Concat's grid (its range holds this one's):
    // the QConcat copies its bytes, one rounding where requantizing would make two
    if (only && only.layer instanceof nn.Concat && readersInt8(only.name)) return qOf(only.name);
    const [lo, hi] = only ? activeRange(r[0], r[1], only.layer) : r;
    return chooseQParams(lo, hi);
  };
  const asF32 = (old: string) => {
    const v = val(old), q = q8.get(v);
    if (!q) return v;
    const key = `${v}.dequantize`;
    if (!bridges.has(key)) bridges.set(key, add(key, new nn.DequantizeLinear(q, { name: key }), [v]));
    return bridges.get(key)!;
  };
  const asInt8 = (old: string): [string, QParams] => {
    const v = val(old), q = q8.get(v);
    if (q) return [v, q];
    const key = `${v}.quantize`;
    const qn = qOf(old);
    if (!bridges.has(key)) {
      bridges.set(key, add(key, new nn.QuantizeLinear(qn, { name: key }), [v]));
      q8.set(key, qn);
    }
    return [key, qn];
  };
  // whether a node keeps the value it reads in int8 (so an activation before it is worth a table):
  // convolutions and dense layers (unless input equalization may want their input in float32),
  // max pooling, and layers that pass int8 on to such readers. Not average pooling: it would
  // average the rounded values where today it averages float32 ones (a rounding more).
  const int8Reader = (n: GraphNode): boolean => {
    const L = n.layer;
    if (exclude.has(n.name) || (n.inputs.length !== 1 && !(L instanceof nn.Concat))) return false;
    if (L instanceof nn.Conv2d || L instanceof nn.Linear) return !how.equalize || consumers.get(n.inputs[0])?.length !== 1;
    if (L instanceof nn.MaxPool2d) return true;
    if (L instanceof nn.Concat) return readersInt8(n.name); // with an int8 input (this one) a QConcat
    if (passesInt8(L) || isPointwise(L)) return readersInt8(n.name);
    return false;
  };
  const readersInt8 = (name: string): boolean => !outputs.has(name) && (consumers.get(name) ?? []).length > 0 && consumers.get(name)!.every(int8Reader);
  const fused = new Set<string>();
  for (const node of nodes) {
    if (fused.has(node.name)) continue;
    const L = node.layer;
    const ins = node.inputs;
    const int8In = ins.every((i) => q8.has(val(i)));
    if (!exclude.has(node.name) && (L instanceof nn.Conv2d || L instanceof nn.Linear)) {
      let last = node;
      let w = L.weight.value.toFloat32Array();
      let b = L.bias ? L.bias.value.toFloat32Array() : null;
      const bn = sole(node.name);
      const f = bn ? L.fold(bn.layer) : null;
      if (bn && f) {
        w = f.weight.toFloat32Array();
        b = f.bias.toFloat32Array();
        f.weight.dispose();
        f.bias.dispose();
        last = bn;
        fused.add(bn.name);
      }
      const act = sole(last.name);
      const c: Clamp | null = act ? act.layer.clampAtInference() : null;
      if (act && c) {
        last = act;
        fused.add(act.name);
      }
      const O = L instanceof nn.Conv2d ? L.outChannels : L.outFeatures;
      const C = L instanceof nn.Conv2d ? L.inChannels : L.inFeatures;
      const groups = L instanceof nn.Conv2d ? L.groups : 1;
      let mean = measured.means.get(ins[0]);
      const st = measured.channels.get(ins[0]);
      // input equalization: only for a float32 value this layer alone reads, channels on dimension 1
      const eq = how.equalize && st && st.min.length === C && !q8.has(val(ins[0])) && ins[0] !== model.inputNames[0]
        && consumers.get(ins[0])?.length === 1 && !outputs.has(ins[0]) && (L instanceof nn.Conv2d || node.inputShapes[0].length === 1)
        ? equalize(w, O, groups, st) : null;
      let x: string, qx: QParams;
      if (eq) {
        const m = add(`${node.name}.inputScale`, new nn.Mul({ constantShape: L instanceof nn.Conv2d ? [C, 1, 1] : [C], constant: eq.scales, name: `${node.name}.inputScale` }), [asF32(ins[0])]);
        qx = chooseQParams(eq.range[0], eq.range[1]);
        x = add(`${m}.quantize`, new nn.QuantizeLinear(qx, { name: `${m}.quantize` }), [m]);
        q8.set(x, qx);
        w = eq.weight;
        if (mean) mean = mean.map((v, k) => v * eq.scales[k]);
      } else [x, qx] = asInt8(ins[0]);
      // a dense layer giving a graph output that nothing else reads (the logits) writes it in
      // float32 straight from its int32 sums: no output rounding, no clipping of the logits' tails
      // past the calibrated range, no dequantize
      const f32Out = L instanceof nn.Linear && outputs.has(last.name) && !consumers.has(last.name);
      const qy = f32Out ? undefined : qOf(last.name);
      const qw = quantizeWeights(w, O);
      if (how.correct && mean && mean.length === C) b = correctedBias(w, qw, b, mean, groups);
      const options = { bias: b !== null, x: qx, y: qy, clamp: c ? { min: c.min, max: c.max } : undefined, name: f32Out ? last.name : node.name };
      const layer = L instanceof nn.Conv2d
        ? new nn.QConv2d(L.inChannels, L.outChannels, L.kernelSize, { stride: L.stride, padding: L.padding, dilation: L.dilation, groups, ...options })
        : new nn.QLinear(L.inFeatures, L.outFeatures, { ...options, output: f32Out ? 'float32' : 'int8' });
      layer.weight.assign(qw.data);
      layer.weightScale.assign(qw.scales);
      if (b && layer.bias) layer.bias.assign(b);
      if (qy === undefined) { // f32Out
        add(last.name, layer, [x]);
        continue;
      }
      add(node.name, layer, [x]);
      q8.set(node.name, qy);
      for (const o of [node.name, last.name]) renamed.set(o, node.name);
      continue;
    }
    if (!exclude.has(node.name) && int8In && ins.length === 1) {
      const x = val(ins[0]), q = q8.get(x)!;
      if (L instanceof nn.MaxPool2d) {
        add(node.name, new nn.QMaxPool2d(L.kernelSize, { stride: L.stride, padding: L.padding, dilation: L.dilation, ceilMode: L.ceilMode, name: node.name }), [x]);
        q8.set(node.name, q);
        continue;
      }
      if (passesInt8(L)) {
        add(node.name, cloneLayer(L), [x]);
        q8.set(node.name, q);
        continue;
      }
      if (L instanceof nn.GlobalAvgPool2d || (L instanceof nn.AdaptiveAvgPool2d && L.outputSize[0] === 1 && L.outputSize[1] === 1)) {
        const qy = qOf(node.name);
        add(node.name, new nn.QGlobalAvgPool2d({ x: q, y: qy, name: node.name }), [x]);
        q8.set(node.name, qy);
        continue;
      }
      // an activation whose readers all take int8: a table from the input's grid to the output's
      // (the same bytes as dequantize → activation → quantize); one read in float32 (a
      // squeeze-and-excitation gate, a graph output) stays a float32 layer
      if (isPointwise(L) && readersInt8(node.name)) {
        const qy = qOf(node.name);
        add(node.name, new nn.QActivation({ activation: cloneLayer(L), x: q, y: qy, name: node.name }), [x]);
        q8.set(node.name, qy);
        continue;
      }
    }
    // a Concat with an int8 input whose readers take int8 joins in int8: float32 inputs quantized
    // straight onto its grid (one rounding, as the float join then a quantize), int8 ones copied
    // or requantized by a table; one read in float32 (a graph output, a float layer) stays float32
    if (!exclude.has(node.name) && L instanceof nn.Concat && ins.some((i) => q8.has(val(i))) && readersInt8(node.name)) {
      const qy = qOf(node.name);
      const xs = ins.map((old): [string, QParams] => {
        const v = val(old);
        if (q8.has(v)) return [v, q8.get(v)!];
        const key = `${v}.quantize.${node.name}`;
        if (!bridges.has(key)) bridges.set(key, add(key, new nn.QuantizeLinear(qy, { name: key }), [v]));
        return [key, qy];
      });
      add(node.name, new nn.QConcat({ dim: L.dim, inputs: xs.map(([, q]) => q), y: qy, name: node.name }), xs.map(([v]) => v));
      q8.set(node.name, qy);
      continue;
    }
    if (!exclude.has(node.name) && int8In && L instanceof nn.Add && ins.length === 2 && L.constant === null) {
      const [sa, sb] = node.inputShapes;
      if (sa.length === sb.length && sa.every((d, k) => d === sb[k])) {
        let last = node;
        const act = sole(node.name);
        const c = act ? act.layer.clampAtInference() : null;
        if (act && c) {
          last = act;
          fused.add(act.name);
        }
        const qy = qOf(last.name);
        const [a, b] = ins.map(val);
        add(node.name, new nn.QAdd({ a: q8.get(a)!, b: q8.get(b)!, y: qy, clamp: c ? { min: c.min, max: c.max } : undefined, name: node.name }), [a, b]);
        q8.set(node.name, qy);
        renamed.set(last.name, node.name);
        continue;
      }
    }
    add(node.name, cloneLayer(L), ins.map(asF32));
  }
  // the outputs keep their names: an int8 output is dequantized under the output's own name (the
  // int8 node that had it becomes `<name>.int8`)
  for (const o of model.outputNames) {
    const v = val(o), q = q8.get(v);
    if (!q) continue;
    let from = v;
    if (v === o) {
      from = `${o}.int8`;
      for (const sp of specs) {
        if (sp.name === o) sp.layer.name = sp.name = from;
        sp.inputs = (sp.inputs as string[]).map((i) => (i === o ? from : i));
      }
    }
    add(o, new nn.DequantizeLinear(q, { name: o }), [from]);
  }
  return new Graph({ inputs: model.inputShapes, nodes: specs, outputs: [...model.outputNames] });
}
