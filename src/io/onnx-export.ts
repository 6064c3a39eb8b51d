// Graph → ONNX (opset 13). Each layer writes itself (Layer.toOnnx) through an emitter that
// collects operator nodes and initializers; value names are our node names, the batch dimension
// is symbolic ('N' by default). A layer type without an ONNX form refuses with its name.
import { Graph } from '../graph/graph.js';
import type { GraphNode } from '../graph/topology.js';
import type { OnnxEmitter } from '../nn/lowering.js';
import { checkMetadata } from '../graph/metadata.js';
import { OnnxError, DT } from './onnx-proto.js';
import type { DType } from '../tensor.js';
import { encodeModel, type NodeOut, type TensorOut } from './onnx-write.js';

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
  // metadata travels as metadata_props, each value JSON (preprocess and classNames checked first);
  // 'onnx' is what an import recorded about its source file, not carried on
  const out = model.outputShape;
  checkMetadata('io.toONNX', model.metadata, out.length === 1 ? out[0] : undefined);
  const metadata = Object.entries(model.metadata)
    .filter(([k, v]) => k !== 'onnx' && v !== undefined)
    .map(([key, v]) => ({ key, value: JSON.stringify(v) }));
  const nodes: NodeOut[] = [];
  const inits: TensorOut[] = [];
  // element types as they flow (an int8 value is written as an INT8 tensor)
  const dtypes = new Map<string, DType>(model.inputNames.map((n) => [n, 'float32']));
  for (const node of model.nodes) {
    const ins = node.inputs.map((i) => dtypes.get(i) ?? 'float32');
    dtypes.set(node.name, node.layer.outputDtype(ins));
    node.layer.toOnnx(emitter(node, ins, nodes, inits));
  }
  return encodeModel({
    opset: EXPORT_OPSET,
    irVersion: 7,
    producer: 'simdnet',
    producerVersion: '0.1.0',
    graphName: options.graphName ?? 'simdnet',
    nodes,
    initializers: inits,
    inputs: model.inputNames.map((n) => ({ name: n, dims: [batch, ...model.inputShapes[n]] })),
    outputs: model.outputNames.map((n) => ({ name: n, dims: [batch, ...model.node(n).outputShape], elemType: dtypes.get(n) === 'int8' ? DT.INT8 : DT.FLOAT })),
    metadata,
  });
}

function emitter(node: GraphNode, inputDtypes: DType[], nodes: NodeOut[], inits: TensorOut[]): OnnxEmitter {
  const name = node.name;
  return {
    name,
    inputs: node.inputs,
    inputShapes: node.inputShapes,
    inputDtypes,
    outputShape: node.outputShape,
    opset: EXPORT_OPSET,
    op(opType, inputs, attrs = [], out = name) {
      nodes.push({ opType, name: out, inputs, outputs: [out], attrs });
      return out;
    },
    weight(suffix, data, dims) {
      inits.push({ name: `${name}.${suffix}`, dims, floats: data });
      return `${name}.${suffix}`;
    },
    int64s(suffix, values) {
      inits.push({ name: `${name}.${suffix}`, dims: [values.length], int64s: values });
      return `${name}.${suffix}`;
    },
    int8s(suffix, data, dims) {
      inits.push({ name: `${name}.${suffix}`, dims, int8s: data });
      return `${name}.${suffix}`;
    },
    int32s(suffix, data, dims) {
      inits.push({ name: `${name}.${suffix}`, dims, int32s: data });
      return `${name}.${suffix}`;
    },
    refuse(why) {
      return new OnnxError(`io.toONNX: layer '${name}' (${node.layer.type}) cannot be exported: ${why}`);
    },
  };
}
