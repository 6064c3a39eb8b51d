// ONNX → Graph. The file is decoded (onnx-proto.ts), then its nodes are walked in order: each
// operator handler (onnx-ops.ts, onnx-shape-ops.ts) turns its node into layers, folds it into the
// layer before it (batch norm and bias adds into Conv/Gemm/MatMul, zero Pad into Conv), or
// evaluates it on constants (shape arithmetic). Activations carry per-sample shapes (the ONNX
// batch dimension is dropped), so every layer's shape inference runs as the graph is built, and
// no tensor is allocated until the whole graph is known: weights go in last.
import { Graph } from '../graph/graph.js';
import type { Layer } from '../nn/layer.js';
import { Identity } from '../nn/identity.js';
import type { OnnxAttr, OnnxNode } from './onnx-proto.js';
import { OnnxError, decodeModel, DT, dtName } from './onnx-proto.js';
import { OPS } from './onnx-ops.js';
import { constOf } from './onnx-const-ops.js';

export const MIN_OPSET = 7;
export const MAX_OPSET = 21;
/** Largest per-sample activation accepted (elements), against forged shapes. */
const MAX_ELEMENTS = 2 ** 28;

/** An activation: a graph input or a layer's output, with its per-sample shape. */
export interface Act { kind: 'act'; node: string; shape: number[] }
/** A constant tensor (initializer, Constant, or folded arithmetic); `ints` holds integer data exactly. */
export interface Const { kind: 'const'; dims: number[]; data: Float32Array; ints: number[] | null }
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
  /** Weights by parameter name, assigned once the graph is built. */
  params: Record<string, Float32Array>;
}

export interface FromOnnxOptions {
  /** Per-sample shapes of inputs whose dimensions the file leaves symbolic or unknown. */
  inputShapes?: Record<string, number[]>;
}

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

  constructor(readonly opset: number, readonly limit: number, nodes: OnnxNode[], outputs: string[]) {
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
  addLayer(layer: Layer, inputs: Act[], params: Record<string, Float32Array> = {}, name?: string): Act {
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

  /** Marks a value that no one may read (an unsupported extra output). */
  unusedOutput(i: number, what: string): void {
    const name = this.node.outputs[i];
    if (name && (this.uses.get(name) ?? 0) > 0) throw this.fail(`its ${what} output '${name}' is used, which is not supported`);
  }
}

/** Reads an ONNX model (bytes of a .onnx file) into a Graph with its weights. */
export function fromONNX(bytes: Uint8Array | ArrayBuffer, options: FromOnnxOptions = {}): Graph {
  const u8 = bytes instanceof Uint8Array ? bytes : bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : null;
  if (u8 === null) throw new TypeError('io.fromONNX: bytes must be a Uint8Array or an ArrayBuffer');
  if (u8.length >= 8 && String.fromCharCode(...u8.subarray(0, 7)) === 'SIMDNET') {
    throw new OnnxError('this is a simdnet model file, not ONNX: use io.load');
  }
  if (options === null || typeof options !== 'object') throw new TypeError('io.fromONNX: options must be an object');
  for (const k of Object.keys(options)) if (k !== 'inputShapes') throw new TypeError(`io.fromONNX: unknown option '${k}' (known: inputShapes)`);
  const givenShapes = options.inputShapes ?? {};
  for (const [k, v] of Object.entries(givenShapes)) {
    if (!Array.isArray(v)) throw new TypeError(`io.fromONNX: options.inputShapes.${k} must be a per-sample shape such as [3, 224, 224]`);
  }
  if (u8.length === 0) throw new OnnxError('the file is empty');
  const m = decodeModel(u8);
  const g = m.graph;
  if (g === null) throw new OnnxError('the file has no graph (not an ONNX model?)');
  const main = m.opsets.filter((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (main.length === 0) throw new OnnxError(`the model imports no version of the default operator set (opset_import: ${JSON.stringify(m.opsets)})`);
  const opset = main[0].version;
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OnnxError(`opset ${opset} is not supported (this importer reads opsets ${MIN_OPSET} to ${MAX_OPSET})`);
  }

  const c = new Ctx(opset, u8.length, g.nodes, g.outputs.map((o) => o.name));
  const inits = new Set<string>();
  for (const t of g.initializers) {
    if (c.values.has(t.name)) throw new OnnxError(`initializer '${t.name}' appears twice`);
    inits.add(t.name);
    c.reserve(t.name);
    c.values.set(t.name, constOf(t, u8.length));
  }
  const inputs: Record<string, number[]> = {};
  for (const vi of g.inputs) {
    if (inits.has(vi.name)) continue; // IR < 4 lists weights as inputs too
    if (vi.name === '' || vi.name in inputs) throw new OnnxError(`graph input '${vi.name}' is unnamed or appears twice`);
    if (vi.elemType !== DT.FLOAT && vi.elemType !== 0) throw new OnnxError(`graph input '${vi.name}' has element type ${dtName(vi.elemType)}; only FLOAT inputs are supported`);
    const given = Object.prototype.hasOwnProperty.call(givenShapes, vi.name) ? givenShapes[vi.name] : undefined;
    let shape: number[];
    if (given !== undefined) shape = given.slice();
    else {
      if (vi.dims === null || vi.dims.length < 2) {
        throw new OnnxError(`graph input '${vi.name}' has ${vi.dims === null ? 'no shape' : `shape [${vi.dims.join(', ')}]`}; give its per-sample shape with options.inputShapes`);
      }
      const rest = vi.dims.slice(1);
      if (rest.some((d) => typeof d !== 'number' || d < 1)) {
        throw new OnnxError(`graph input '${vi.name}' has shape [${vi.dims.map((d) => d ?? '?').join(', ')}]; only the batch (first) dimension may be symbolic (or give options.inputShapes)`);
      }
      shape = rest as number[];
      if (typeof vi.dims[0] === 'number' && vi.dims[0] > 0) c.batchHint = vi.dims[0];
    }
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1) || shape.reduce((a, b) => a * b, 1) > MAX_ELEMENTS) {
      throw new OnnxError(`graph input '${vi.name}' has an unusable per-sample shape [${shape.join(', ')}]`);
    }
    inputs[vi.name] = shape;
    c.reserve(vi.name);
    c.values.set(vi.name, { kind: 'act', node: vi.name, shape });
  }
  if (Object.keys(inputs).length === 0) throw new OnnxError('the graph has no inputs besides its initializers');
  for (const k of Object.keys(givenShapes)) {
    if (!(k in inputs)) throw new TypeError(`io.fromONNX: options.inputShapes names '${k}', which is not an input of this model (${Object.keys(inputs).join(', ')})`);
  }

  g.nodes.forEach((n, i) => {
    c.begin(n, i);
    if (n.domain !== '' && n.domain !== 'ai.onnx') throw c.fail(`operator domain '${n.domain}' is not supported (only the default ONNX domain)`);
    for (const o of n.outputs) if (o !== '' && c.values.has(o)) throw c.fail(`output '${o}' is produced twice`);
    const handler = Object.prototype.hasOwnProperty.call(OPS, n.opType) ? OPS[n.opType] : undefined;
    if (!handler) throw c.fail(`operator '${n.opType}' is not supported`);
    try {
      handler(c, n);
    } catch (e) {
      if (e instanceof OnnxError) throw e;
      throw c.fail((e as Error).message);
    }
  });
  return assemble(c, inputs, g.outputs.map((o) => o.name), { producer: m.producer, opset, irVersion: m.irVersion });
}

function assemble(c: Ctx, inputs: Record<string, number[]>, outputs: string[], info: Record<string, unknown>): Graph {
  if (outputs.length === 0) throw new OnnxError('the graph declares no outputs');
  const outNames: string[] = [];
  for (const o of outputs) {
    const v = c.values.get(o);
    if (v === undefined) throw new OnnxError(`graph output '${o}' is not produced by any node`);
    if (v.kind !== 'act') throw new OnnxError(`graph output '${o}' is ${v.kind === 'padded' ? 'a Pad result' : 'a constant'}, not computed from the inputs`);
    let node = v.node;
    if (node !== o) {
      const spec = c.specs.find((s) => s.name === node);
      const readers = c.specs.some((s) => s.inputs.includes(node)) || outNames.includes(node);
      if (spec && !readers) {
        spec.name = o;
        spec.layer.name = o;
        node = o;
      } else {
        c.specs.push({ name: o, layer: new Identity({ name: o }), inputs: [node], shape: v.shape, params: {} });
        node = o;
      }
    }
    outNames.push(node);
  }
  // keep only the layers the outputs depend on
  const byName = new Map(c.specs.map((s) => [s.name, s]));
  const live = new Set<string>();
  const stack = [...outNames];
  while (stack.length) {
    const n = stack.pop()!;
    if (live.has(n)) continue;
    live.add(n);
    for (const i of byName.get(n)?.inputs ?? []) stack.push(i);
  }
  const specs = c.specs.filter((s) => live.has(s.name));
  let model: Graph;
  try {
    model = new Graph({ inputs, nodes: specs.map((s) => ({ name: s.name, layer: s.layer, inputs: s.inputs })), outputs: outNames });
  } catch (e) {
    throw new OnnxError(`the mapped graph is invalid: ${(e as Error).message}`);
  }
  try {
    for (const s of specs) {
      for (const p of s.layer.params()) {
        const data = s.params[p.name];
        if (data === undefined) throw new OnnxError(`internal: no data for ${s.name}.${p.name}`);
        p.assign(data);
      }
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  model.metadata = { onnx: { ...info, inputs: Object.keys(inputs), outputs } };
  return model;
}
