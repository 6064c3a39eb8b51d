// Graph → ONNX (opset 13). Each layer becomes one or two standard operators with its weights as
// initializers; value names are our node names, the batch dimension is symbolic ('N' by default).
// Pooling is written so that any runtime computes PyTorch's numbers: ceil rounding becomes
// explicit extra end padding that never counts (MaxPool's −∞, AveragePool without
// count_include_pad), and counted zero padding becomes an explicit Pad, as PyTorch's exporter does.
import { Graph } from '../graph/graph.js';
import type { GraphNode } from '../graph/topology.js';
import { window2d } from '../ops/shape.js';
import { Conv2d } from '../nn/conv2d.js';
import { Linear } from '../nn/linear.js';
import { MaxPool2d } from '../nn/maxpool2d.js';
import { AvgPool2d } from '../nn/avgpool2d.js';
import { GlobalAvgPool2d } from '../nn/globalavgpool2d.js';
import { AdaptiveAvgPool2d } from '../nn/adaptiveavgpool2d.js';
import { ReLU } from '../nn/relu.js';
import { LeakyReLU } from '../nn/leakyrelu.js';
import { Sigmoid } from '../nn/sigmoid.js';
import { Tanh } from '../nn/tanh.js';
import { Softmax } from '../nn/softmax.js';
import { Dropout } from '../nn/dropout.js';
import { LocalResponseNorm } from '../nn/localresponsenorm.js';
import { BatchNorm2d } from '../nn/batchnorm2d.js';
import { Flatten } from '../nn/flatten.js';
import { Reshape } from '../nn/reshape.js';
import { Identity } from '../nn/identity.js';
import { Add } from '../nn/add.js';
import { Concat } from '../nn/concat.js';
import { OnnxError } from './onnx-proto.js';
import { encodeModel, type AttrOut, type NodeOut, type TensorOut } from './onnx-write.js';

export interface ToOnnxOptions {
  /** The batch dimension written into input and output shapes: a name (symbolic, default 'N') or a number. */
  batch?: string | number;
  /** The graph's name in the file (default 'simdnet'). */
  graphName?: string;
}

export const EXPORT_OPSET = 13;

/** Writes a model as an ONNX file (opset 13, IR version 7) with its weights embedded. */
export function toONNX(model: Graph, options: ToOnnxOptions = {}): Uint8Array {
  if (!(model instanceof Graph)) throw new TypeError('io.toONNX: model must be a Graph or Sequential');
  const batch = options.batch ?? 'N';
  if (!(typeof batch === 'string' && batch !== '') && !(Number.isInteger(batch) && (batch as number) > 0)) {
    throw new TypeError(`io.toONNX: options.batch must be a dimension name or a positive integer, got ${String(batch)}`);
  }
  const nodes: NodeOut[] = [];
  const inits: TensorOut[] = [];
  for (const node of model.nodes) emit(node, nodes, inits);
  return encodeModel({
    opset: EXPORT_OPSET,
    irVersion: 7,
    producer: 'simdnet',
    producerVersion: '0.1.0',
    graphName: options.graphName ?? 'simdnet',
    nodes,
    initializers: inits,
    inputs: model.inputNames.map((n) => ({ name: n, dims: [batch, ...model.inputShapes[n]] })),
    outputs: model.outputNames.map((n) => ({ name: n, dims: [batch, ...model.node(n).outputShape] })),
  });
}

const i = (name: string, v: number): AttrOut => ({ name, i: v });
const f = (name: string, v: number): AttrOut => ({ name, f: v });
const ints = (name: string, v: readonly number[]): AttrOut => ({ name, ints: v });

function emit(node: GraphNode, nodes: NodeOut[], inits: TensorOut[]): void {
  const L = node.layer;
  const name = node.name;
  const x = node.inputs;
  const op = (opType: string, inputs: readonly string[], attrs: AttrOut[] = [], out = name) =>
    nodes.push({ opType, name: out, inputs, outputs: [out], attrs });
  const weight = (suffix: string, data: Float32Array, dims: readonly number[]) => {
    inits.push({ name: `${name}.${suffix}`, dims, floats: data });
    return `${name}.${suffix}`;
  };
  const int64s = (suffix: string, values: number[]) => {
    inits.push({ name: `${name}.${suffix}`, dims: [values.length], int64s: values });
    return `${name}.${suffix}`;
  };
  const refuse = (why: string) => new OnnxError(`layer '${name}' (${L.type}) cannot be exported: ${why}`);
  const inShape = node.inputShapes[0];

  if (L instanceof Conv2d) {
    const g = window2d('toONNX', inShape[1], inShape[2], { kernelSize: L.kernelSize, stride: L.stride, padding: L.padding, dilation: L.dilation });
    const ins = [x[0], weight('weight', L.weight.value.toFloat32Array(), L.weight.shape)];
    if (L.bias) ins.push(weight('bias', L.bias.value.toFloat32Array(), L.bias.shape));
    op('Conv', ins, [
      ints('kernel_shape', L.kernelSize), ints('strides', L.stride), ints('dilations', L.dilation),
      ints('pads', [g.padTop, g.padLeft, g.padBottom, g.padRight]), i('group', L.groups),
    ]);
  } else if (L instanceof Linear) {
    const ins = [x[0], weight('weight', L.weight.value.toFloat32Array(), L.weight.shape)];
    if (L.bias) ins.push(weight('bias', L.bias.value.toFloat32Array(), L.bias.shape));
    op('Gemm', ins, [i('transB', 1)]);
  } else if (L instanceof MaxPool2d || L instanceof AvgPool2d) {
    const max = L instanceof MaxPool2d;
    const g = window2d('toONNX', inShape[1], inShape[2], {
      kernelSize: L.kernelSize, stride: L.stride, padding: L.padding, dilation: L.dilation, rounding: L.ceilMode ? 'ceil' : 'floor',
    });
    // zero padding that counts in the average: an explicit Pad, then pooling over the padded image
    const countedPad = !max && (L as AvgPool2d).countIncludePad && (L.padding[0] > 0 || L.padding[1] > 0);
    const [ph, pw] = countedPad ? [0, 0] : L.padding;
    const h = inShape[1] + (countedPad ? 2 * L.padding[0] : 0), w = inShape[2] + (countedPad ? 2 * L.padding[1] : 0);
    // extra end padding so that floor rounding gives our (PyTorch's) window count
    const extra = (o: number, s: number, k: number, d: number, n: number, p: number) => Math.max(0, (o - 1) * s + d * (k - 1) + 1 - n - 2 * p);
    const eh = extra(g.oh, g.sh, g.kh, g.dh, h, ph), ew = extra(g.ow, g.sw, g.kw, g.dw, w, pw);
    let src = x[0];
    if (countedPad) {
      src = `${name}/pad`;
      const p = int64s('pads', [0, 0, L.padding[0], L.padding[1], 0, 0, L.padding[0], L.padding[1]]);
      op('Pad', [x[0], p], [{ name: 'mode', s: 'constant' }], src);
    }
    const attrs = [ints('kernel_shape', L.kernelSize), ints('strides', L.stride), ints('pads', [ph, pw, ph + eh, pw + ew])];
    if (max) attrs.push(ints('dilations', L.dilation));
    else attrs.push(i('count_include_pad', 0));
    op(max ? 'MaxPool' : 'AveragePool', [src], attrs);
  } else if (L instanceof GlobalAvgPool2d) op('GlobalAveragePool', [x[0]]);
  else if (L instanceof AdaptiveAvgPool2d) {
    const [oh, ow] = L.outputSize;
    if (oh === 1 && ow === 1) op('GlobalAveragePool', [x[0]]);
    else if (inShape[1] % oh === 0 && inShape[2] % ow === 0) {
      const k = [inShape[1] / oh, inShape[2] / ow];
      op('AveragePool', [x[0]], [ints('kernel_shape', k), ints('strides', k)]);
    } else throw refuse(`adaptive pooling of ${inShape[1]}×${inShape[2]} to ${oh}×${ow} has uneven windows, which ONNX pooling cannot express`);
  } else if (L instanceof ReLU) op('Relu', [x[0]]);
  else if (L instanceof LeakyReLU) op('LeakyRelu', [x[0]], [f('alpha', L.negativeSlope)]);
  else if (L instanceof Sigmoid) op('Sigmoid', [x[0]]);
  else if (L instanceof Tanh) op('Tanh', [x[0]]);
  else if (L instanceof Softmax) op(L.log ? 'LogSoftmax' : 'Softmax', [x[0]], [i('axis', L.dim)]);
  else if (L instanceof Dropout) {
    inits.push({ name: `${name}.ratio`, dims: [], floats: Float32Array.of(L.p) });
    op('Dropout', [x[0], `${name}.ratio`]);
  } else if (L instanceof LocalResponseNorm) {
    const [before, after] = L.lrnWindow;
    if (before !== Math.floor((L.size - 1) / 2) || after !== Math.ceil((L.size - 1) / 2)) {
      throw refuse(`its window [${before}, ${after}] differs from ONNX LRN's [${Math.floor((L.size - 1) / 2)}, ${Math.ceil((L.size - 1) / 2)}] for size ${L.size}`);
    }
    op('LRN', [x[0]], [i('size', L.size), f('alpha', L.alpha), f('beta', L.beta), f('bias', L.k)]);
  } else if (L instanceof BatchNorm2d) {
    const c = L.numFeatures;
    const vals = (p: { value: { toFloat32Array(): Float32Array } } | null, d: number) => (p ? p.value.toFloat32Array() : new Float32Array(c).fill(d));
    op('BatchNormalization', [
      x[0], weight('weight', vals(L.weight, 1), [c]), weight('bias', vals(L.bias, 0), [c]),
      weight('runningMean', L.runningMean.value.toFloat32Array(), [c]), weight('runningVar', L.runningVar.value.toFloat32Array(), [c]),
    ], [f('epsilon', L.eps)]);
  } else if (L instanceof Flatten || L instanceof Reshape) {
    const r = inShape.length + 1;
    const whole = L instanceof Flatten && (L.startDim === 1 || L.startDim === 1 - r) && (L.endDim === -1 || L.endDim === r - 1);
    if (whole) op('Flatten', [x[0]], [i('axis', 1)]);
    else op('Reshape', [x[0], int64s('shape', [0, ...node.outputShape])]);
  } else if (L instanceof Identity) op('Identity', [x[0]]);
  else if (L instanceof Add) op(x.length === 2 ? 'Add' : 'Sum', x);
  else if (L instanceof Concat) op('Concat', x, [i('axis', L.dim)]);
  else throw refuse('there is no ONNX mapping for this layer type');
}
