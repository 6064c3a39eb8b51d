// The ONNX importer's context: the values an import has named so far (activations, constants,
// symbolic shape vectors, pending pads), the layers it has made, and the node being mapped.
// onnx-import.ts drives it; the operator handlers (onnx-ops.ts, onnx-shape-ops.ts,
// onnx-const-ops.ts) read and write it, and import their types from here, not from the driver.
import type { Layer } from '../nn/layer.js';
import type { OnnxAttr, OnnxNode } from './onnx-proto.js';
import { OnnxError } from './onnx-proto.js';

/** Largest per-sample activation accepted (elements), against forged shapes. */
export const MAX_ELEMENTS = 2 ** 28;

/**
 * The integer element types of quantized ONNX values. An activation marked 'uint8' or 'int8' is an
 * int8 tensor of ours ('uint8' holds the ONNX value − 128); one marked 'int32' is a float32 tensor
 * holding exact integers (ConvInteger, MatMulInteger).
 */
export type IntElem = 'uint8' | 'int8' | 'int32';
/** An activation: a graph input or a layer's output, with its per-sample shape (elem: not float, see IntElem). */
export interface Act { kind: 'act'; node: string; shape: number[]; elem?: IntElem }
/** A constant tensor (initializer, Constant, or folded arithmetic); `ints` holds integer data exactly; elem: its 8- or 32-bit integer type. */
export interface Const { kind: 'const'; dims: number[]; data: Float32Array; ints: number[] | null; elem?: IntElem }
/** An integer vector that holds the (unknown) batch size somewhere: Shape() of an activation and what follows. */
export interface Sym { kind: 'sym'; dims: number[]; elems: (number | 'N')[] }
/** An activation padded with zeros by a Pad node, waiting to be folded into the Conv that reads it. */
export interface Padded { kind: 'padded'; src: Act; pads: [number, number, number, number] }
export type Value = Act | Const | Sym | Padded;

export interface Spec {
  name: string;
  layer: Layer;
  inputs: string[];
  shape: number[];
  /** Weights by parameter name, assigned once the graph is built (Int8Array: a quantized layer's int8 weights). */
  params: Record<string, Float32Array | Int8Array>;
}

/** The product of dims (1 for none). */
export const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);
/** Dims (or vector elements) as messages print them: [a, b, c]. */
export const fmt = (a: readonly unknown[]) => `[${a.join(', ')}]`;

/** An operator handler: maps node n (the context's current node) into layers or values. */
export type Handler = (c: Ctx, n: OnnxNode) => void;

/** The state of one import: values by ONNX name, the layers made so far, the node being mapped. */
export class Ctx {
  readonly values = new Map<string, Value>();
  readonly specs: Spec[] = [];
  readonly uses = new Map<string, number>();
  readonly graphOutputs: Set<string>;
  private readonly taken = new Set<string>();
  node!: OnnxNode;
  private label = '';
  /** The batch size a file with static shapes was exported with (a Reshape to [B, …] keeps the batch). */
  batchHint: number | null = null;

  /** Nodes a handler mapped ahead of their turn (a fused pattern): the walk passes over them. */
  readonly skipped = new Set<OnnxNode>();

  /** The operator table (set by the driver), for handlers that map a node through another operator's handler. */
  ops: Record<string, Handler> = {};

  constructor(readonly opset: number, readonly limit: number, readonly nodes: readonly OnnxNode[], outputs: string[]) {
    this.graphOutputs = new Set(outputs);
    for (const n of nodes) for (const i of n.inputs) if (i !== '') this.uses.set(i, (this.uses.get(i) ?? 0) + 1);
    for (const o of outputs) this.uses.set(o, (this.uses.get(o) ?? 0) + 1);
    for (const n of nodes) for (const o of n.outputs) this.taken.add(o);
  }

  /** Marks a graph input or initializer name as used (generated node names avoid it). */
  reserve(name: string): void {
    this.taken.add(name);
  }

  begin(n: OnnxNode, index: number): void {
    this.node = n;
    this.label = `node '${n.name || n.outputs[0] || `#${index}`}' (${n.opType}, opset ${this.opset})`;
  }

  fail(msg: string): OnnxError {
    return new OnnxError(`${this.label}: ${msg}`);
  }

  /** Input i of the current node ('' or missing → null). */
  input(i: number): Value | null {
    const name = this.node.inputs[i];
    if (name === undefined || name === '') return null;
    const v = this.values.get(name);
    if (v === undefined) throw this.fail(`input '${name}' is not a graph input, an initializer or the output of an earlier node`);
    return v;
  }

  /** Input i as an activation (not a constant). */
  act(i: number, what = `input ${i}`): Act {
    const v = this.input(i);
    if (v === null) throw this.fail(`${what} is missing`);
    if (v.kind === 'padded') throw this.fail(`${what} comes from a Pad node; a zero Pad is supported only directly before a Conv (or an AveragePool)`);
    if (v.kind !== 'act') throw this.fail(`${what} ('${this.node.inputs[i]}') is a constant; this operator is supported on activations only`);
    if (v.elem !== undefined) throw this.fail(`${what} ('${this.node.inputs[i]}') is a ${v.elem.toUpperCase()} tensor; this operator reads it as float (put a DequantizeLinear before it)`);
    return v;
  }

  /** Input i as a constant, or null when absent. */
  konst(i: number, what: string, required = true): Const | null {
    const v = this.input(i);
    if (v === null) {
      if (required) throw this.fail(`${what} is missing`);
      return null;
    }
    if (v.kind !== 'const') throw this.fail(`${what} ('${this.node.inputs[i]}') must be a constant (an initializer or a Constant node)`);
    if (v.elem === 'uint8' || v.elem === 'int8') throw this.fail(`${what} ('${this.node.inputs[i]}') is a ${v.elem.toUpperCase()} tensor; this operator reads it as float (put a DequantizeLinear before it)`);
    return v;
  }

  attr(name: string): OnnxAttr | undefined {
    return this.node.attrs.get(name);
  }
  attrInt(name: string, dflt: number): number {
    const a = this.attr(name);
    return a === undefined ? dflt : a.i ?? dflt;
  }
  attrFloat(name: string, dflt: number): number {
    const a = this.attr(name);
    return a === undefined ? dflt : a.f ?? dflt;
  }
  attrInts(name: string): number[] | undefined {
    const a = this.attr(name);
    return a === undefined ? undefined : a.ints;
  }
  attrString(name: string, dflt: string): string {
    const a = this.attr(name);
    return a?.s === undefined ? dflt : new TextDecoder().decode(a.s);
  }

  /** A node name not used by any ONNX value nor by a layer so far. */
  fresh(base: string): string {
    let name = base;
    for (let k = 2; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }

  /** Adds a layer reading `inputs`; its node is named `name` (default: the node's first output). */
  addLayer(layer: Layer, inputs: Act[], params: Spec['params'] = {}, name?: string): Act {
    const out = name ?? this.node.outputs[0];
    if (!out) throw this.fail('the node has no output name');
    layer.name = out;
    let shape: number[];
    try {
      shape = [...layer.outputShape(inputs.map((a) => a.shape))];
    } catch (e) {
      throw this.fail((e as Error).message);
    }
    if (shape.reduce((a, b) => a * b, 1) > MAX_ELEMENTS) throw this.fail(`its output [N, ${shape.join(', ')}] is too large`);
    this.specs.push({ name: out, layer, inputs: inputs.map((a) => a.node), shape, params });
    const act: Act = { kind: 'act', node: out, shape };
    this.values.set(out, act);
    return act;
  }

  /** Sets output i of the current node. */
  set(v: Value, i = 0): void {
    const name = this.node.outputs[i];
    if (name) this.values.set(name, v);
  }

  /** The layer that produced `a`, when `a` is read once (by the current node) and is no graph output. */
  foldable(a: Act, inputIndex: number): Spec | null {
    const name = this.node.inputs[inputIndex];
    if ((this.uses.get(name) ?? 0) !== 1 || this.graphOutputs.has(name)) return null;
    const spec = this.specs.find((s) => s.name === a.node);
    return spec ?? null;
  }

  /** Renames a folded-into layer after the current node's output, which now stands for it. */
  absorb(spec: Spec, layer: Layer = spec.layer): Act {
    const out = this.node.outputs[0];
    if (!out) throw this.fail('the node has no output name');
    spec.name = out;
    spec.layer = layer;
    layer.name = out;
    const act: Act = { kind: 'act', node: out, shape: spec.shape };
    this.values.set(out, act);
    return act;
  }

  /** The nodes that read value `name` (each once per input slot that names it). */
  consumers(name: string): OnnxNode[] {
    return this.nodes.filter((n) => n.inputs.includes(name));
  }

  /** True when value `name` is read by exactly one node input and is no graph output. */
  usedOnce(name: string): boolean {
    return (this.uses.get(name) ?? 0) === 1 && !this.graphOutputs.has(name);
  }

  /** Marks a value that no one may read (an unsupported extra output). */
  unusedOutput(i: number, what: string): void {
    const name = this.node.outputs[i];
    if (name && (this.uses.get(name) ?? 0) > 0) throw this.fail(`its ${what} output '${name}' is used, which is not supported`);
  }
}
