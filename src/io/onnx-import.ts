// ONNX → Graph. The file is decoded (onnx-proto.ts), then its nodes are walked in order: each
// operator handler (onnx-ops.ts, onnx-shape-ops.ts) turns its node into layers, folds it into the
// layer before it (batch norm and bias adds into Conv/Gemm/MatMul, zero Pad into Conv), or
// evaluates it on constants (shape arithmetic). Activations carry per-sample shapes (the ONNX
// batch dimension is dropped), so every layer's shape inference runs as the graph is built, and
// no tensor is allocated until the whole graph is known: weights go in last. The state the
// handlers share (values, layers made so far, the current node) is onnx-context.ts's Ctx.
import { checkMetadata } from '../graph/metadata.js';
import { Graph } from '../graph/graph.js';
import { Identity } from '../nn/identity.js';
import { OnnxError, decodeModel, DT, dtName } from './onnx-proto.js';
import { Ctx, MAX_ELEMENTS } from './onnx-context.js';
import { OPS } from './onnx-ops.js';
import { MS_HANDLERS, checkOutput, integerInputHandler } from './onnx-quant-ops.js';
import { fuseFloatOutput } from './onnx-qdq.js';
import { constOf } from './onnx-const-ops.js';

export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

export interface FromOnnxOptions {
  /** Per-sample shapes of inputs whose dimensions the file leaves symbolic or unknown. */
  inputShapes?: Record<string, number[]>;
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
  c.ops = OPS;
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
    if (c.skipped.has(n)) return;
    c.begin(n, i);
    const ms = n.domain === 'com.microsoft';
    if (ms && !Object.prototype.hasOwnProperty.call(MS_HANDLERS, n.opType)) {
      throw c.fail(`operator domain 'com.microsoft' is not supported for '${n.opType}' (of its operators only ${Object.keys(MS_HANDLERS).join(' and ')} are read)`);
    }
    if (n.domain !== '' && n.domain !== 'ai.onnx' && !ms) throw c.fail(`operator domain '${n.domain}' is not supported (only the default ONNX domain, and com.microsoft's ${Object.keys(MS_HANDLERS).join(' and ')})`);
    for (const o of n.outputs) if (o !== '' && c.values.has(o)) throw c.fail(`output '${o}' is produced twice`);
    const table = ms ? MS_HANDLERS : OPS;
    const handler = (ms ? null : integerInputHandler(c, n)) ?? (Object.prototype.hasOwnProperty.call(table, n.opType) ? table[n.opType] : undefined);
    if (!handler) throw c.fail(`operator '${n.opType}' is not supported`);
    try {
      handler(c, n);
    } catch (e) {
      if (e instanceof OnnxError) throw e;
      throw c.fail((e as Error).message);
    }
  });
  const model = assemble(c, inputs, g.outputs.map((o) => o.name), { producer: m.producer, opset, irVersion: m.irVersion });
  try {
    Object.assign(model.metadata, readMetadataProps(m.metadata, model.outputShape));
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

function assemble(c: Ctx, inputs: Record<string, number[]>, outputs: string[], info: Record<string, unknown>): Graph {
  if (outputs.length === 0) throw new OnnxError('the graph declares no outputs');
  const outNames: string[] = [];
  for (const o of outputs) {
    const v = c.values.get(o);
    if (v === undefined) throw new OnnxError(`graph output '${o}' is not produced by any node`);
    if (v.kind !== 'act') throw new OnnxError(`graph output '${o}' is ${v.kind === 'padded' ? 'a Pad result' : 'a constant'}, not computed from the inputs`);
    const typed = checkOutput(o, v);
    if (typed) throw new OnnxError(typed);
    if (!v.elem) fuseFloatOutput(c, v.node);
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

/**
 * metadata_props → metadata: JSON values parsed (a value that is not JSON stays a string), the
 * keys the engine reads (preprocess, classNames) checked; 'onnx' is kept for the import's own record.
 */
function readMetadataProps(props: readonly { key: string; value: string }[], out: readonly number[]): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  for (const { key, value } of props) {
    if (key === 'onnx' || key === '__proto__') continue;
    let v: unknown = value;
    try {
      v = JSON.parse(value);
    } catch {
      // a plain string (other exporters write free text)
    }
    meta[key] = v;
  }
  try {
    checkMetadata('metadata_props', meta, out.length === 1 ? out[0] : undefined);
  } catch (e) {
    throw new OnnxError((e as Error).message);
  }
  return meta;
}
