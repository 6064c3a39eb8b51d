// The native model file: one binary with a fixed header, the graph as JSON, and the weights as
// 16-byte aligned little-endian float32 arrays (int8 for a quantized layer's weights: the entry
// then says dtype "int8"; an entry without dtype is float32, so older files read unchanged),
// protected by a CRC-32.
//
//   offset  size  field
//   0       8     magic "SIMDNET\0"
//   8       4     format version (u32 LE) = 1
//   12      4     JSON byte length (u32 LE)
//   16      8     weights byte length (f64-safe u64 LE: low u32, high u32)
//   24      4     CRC-32 of everything after the 32-byte header
//   28      4     reserved (0)
//   32      …     JSON (UTF-8), zero-padded to a multiple of 16
//   …       …     weights: each tensor at its recorded offset, 16-byte aligned
//
// Declared sizes are checked against the file size before anything is allocated; a file that fails
// any check is refused with an error that says which, and nothing is built.
import { Graph } from '../graph/graph.js';
import { Layer } from '../nn/layer.js';
import { crc32 } from './crc32.js';
import { layerFactory } from '../nn/registry.js';
import { checkMetadata } from '../graph/metadata.js';
import { describe } from '../ops/validate.js';

const MAGIC = [0x53, 0x49, 0x4d, 0x44, 0x4e, 0x45, 0x54, 0x00]; // "SIMDNET\0"
export const FORMAT_VERSION = 1;
const HEADER = 32;
const LITTLE = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

interface TensorEntry { name: string; shape: number[]; offset: number; dtype?: 'int8' }
interface FileJson {
  format: 'simdnet';
  version: number;
  graph: {
    inputs: Record<string, number[]>;
    nodes: { name: string; type: string; config: Record<string, unknown>; inputs: string[] }[];
    outputs: string[];
  };
  tensors: TensorEntry[];
  metadata?: Record<string, unknown>;
}

export class ModelFileError extends Error {
  constructor(message: string) {
    super(`model file: ${message}`);
    this.name = 'ModelFileError';
  }
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

/** Serialises a model (topology + every parameter and buffer) to bytes. */
export function save(model: Graph, options: { metadata?: Record<string, unknown> } = {}): Uint8Array {
  if (!(model instanceof Graph)) throw new TypeError('io.save: model must be a Graph or Sequential');
  const params = model.namedParams();
  const tensors: TensorEntry[] = [];
  let off = 0;
  for (const p of params) {
    tensors.push({ name: p.name, shape: [...p.param.shape], offset: off, ...(p.param.dtype === 'int8' ? { dtype: 'int8' as const } : {}) });
    off += align16(p.param.size * p.param.bytesPerElement);
  }
  const metadata = { ...model.metadata, ...(options.metadata ?? {}) };
  const outShape = model.outputShape;
  checkMetadata('io.save', metadata, outShape.length === 1 ? outShape[0] : undefined);
  const json: FileJson = {
    format: 'simdnet',
    version: FORMAT_VERSION,
    graph: {
      inputs: Object.fromEntries(Object.entries(model.inputShapes).map(([k, v]) => [k, [...v]])),
      nodes: model.nodes.map((n) => ({ name: n.name, type: n.layer.type, config: n.layer.config(), inputs: [...n.inputs] })),
      outputs: [...model.outputNames],
    },
    tensors,
    metadata,
  };
  const text = new TextEncoder().encode(JSON.stringify(json));
  const jsonLen = align16(text.length);
  const out = new Uint8Array(HEADER + jsonLen + off);
  out.set(MAGIC, 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint32(12, text.length, true);
  dv.setUint32(16, off % 2 ** 32, true);
  dv.setUint32(20, Math.floor(off / 2 ** 32), true);
  out.set(text, HEADER);
  const base = HEADER + jsonLen;
  params.forEach((p, i) => {
    if (p.param.dtype === 'int8') {
      const q = p.param.value.toInt8Array();
      out.set(new Uint8Array(q.buffer, q.byteOffset, q.length), base + tensors[i].offset);
    } else writeF32(out, base + tensors[i].offset, p.param.value.toFloat32Array());
  });
  dv.setUint32(24, crc32(out.subarray(HEADER)), true);
  return out;
}

/** Rebuilds a model from bytes made by save(). Throws ModelFileError for anything malformed. */
export function load(bytes: Uint8Array | ArrayBuffer): Graph {
  const u8 = bytes instanceof Uint8Array ? bytes : bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : null;
  if (u8 === null) throw new TypeError('io.load: bytes must be a Uint8Array or an ArrayBuffer');
  if (u8.length < HEADER) throw new ModelFileError(`truncated: ${u8.length} bytes, shorter than the ${HEADER}-byte header`);
  for (let i = 0; i < 8; i++) {
    if (u8[i] !== MAGIC[i]) {
      const looksOnnx = u8[0] === 0x08;
      throw new ModelFileError(`not a simdnet model (bad magic bytes)${looksOnnx ? '; it looks like an ONNX file: use io.fromONNX' : ''}`);
    }
  }
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== FORMAT_VERSION) throw new ModelFileError(`format version ${version} is not supported (this simdnet reads version ${FORMAT_VERSION})`);
  const jsonLen = dv.getUint32(12, true);
  const weightLen = dv.getUint32(16, true) + dv.getUint32(20, true) * 2 ** 32;
  const expected = HEADER + align16(jsonLen) + weightLen;
  if (expected !== u8.length) {
    throw new ModelFileError(
      `${expected > u8.length ? 'truncated' : 'has trailing bytes'}: the header declares ${jsonLen} bytes of JSON and ${weightLen} bytes of weights ` +
        `(${expected} bytes in all) but the file has ${u8.length}`,
    );
  }
  const stored = dv.getUint32(24, true);
  const actual = crc32(u8.subarray(HEADER));
  if (stored !== actual) throw new ModelFileError(`corrupt: checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})`);

  let json: FileJson;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(u8.subarray(HEADER, HEADER + jsonLen)));
  } catch (e) {
    throw new ModelFileError(`the graph JSON does not parse: ${(e as Error).message}`);
  }
  const base = HEADER + align16(jsonLen);
  return build(json, u8, base, weightLen);
}

function build(json: FileJson, u8: Uint8Array, base: number, weightLen: number): Graph {
  const bad = (what: string) => new ModelFileError(`malformed graph JSON: ${what}`);
  if (!isObj(json) || json.format !== 'simdnet' || !isObj(json.graph) || !Array.isArray(json.tensors)) throw bad('missing format, graph or tensors');
  const g = json.graph;
  if (!isObj(g.inputs) || !Array.isArray(g.nodes) || !Array.isArray(g.outputs)) throw bad('graph needs inputs, nodes and outputs');
  const layers: Layer[] = [];
  let model: Graph;
  try {
    const nodes = g.nodes.map((n, i) => {
      if (!isObj(n) || typeof n.name !== 'string' || typeof n.type !== 'string' || !Array.isArray(n.inputs)) throw bad(`node ${i} needs name, type and inputs`);
      const make = layerFactory(n.type);
      if (!make) {
        throw new ModelFileError(
          `node '${n.name}' has unknown layer type '${n.type}' (neither built in nor registered): ` +
            `if it is a layer of your own, call nn.registerLayer('${n.type}', (config, name) => new YourLayer(…)) before loading`,
        );
      }
      let layer: unknown;
      try {
        layer = make(isObj(n.config) ? n.config : {}, n.name);
      } catch (e) {
        throw new ModelFileError(`node '${n.name}' (${n.type}) has an invalid config: ${(e as Error).message}`);
      }
      if (!(layer instanceof Layer)) throw new ModelFileError(`node '${n.name}': the factory registered for '${n.type}' returned ${describe(layer)}, not an nn.Layer`);
      if (layer.type !== n.type) throw new ModelFileError(`node '${n.name}': the factory registered for '${n.type}' built a layer of type '${layer.type}'`);
      if (!layer.name) layer.name = n.name;
      layers.push(layer);
      return { name: n.name, layer, inputs: n.inputs as string[] };
    });
    model = new Graph({ inputs: g.inputs as Record<string, number[]>, nodes, outputs: g.outputs as string[] });
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(`the graph is invalid: ${(e as Error).message}`);
  }

  const params = model.namedParams();
  const byName = new Map(json.tensors.map((t) => [isObj(t) ? t.name : '', t]));
  // check every entry before allocating anything
  for (const p of params) {
    const t = byName.get(p.name);
    if (!t) throw new ModelFileError(`tensor '${p.name}' is missing`);
    if (!Array.isArray(t.shape) || t.shape.length !== p.param.shape.length || t.shape.some((d, k) => d !== p.param.shape[k])) {
      throw new ModelFileError(`tensor '${p.name}' has shape ${JSON.stringify(t.shape)}, the layer needs [${p.param.shape.join(', ')}]`);
    }
    const dtype = t.dtype ?? 'float32';
    if (dtype !== p.param.dtype) throw new ModelFileError(`tensor '${p.name}' is stored as ${JSON.stringify(t.dtype ?? 'float32')}, the layer needs ${p.param.dtype}`);
    if (!Number.isInteger(t.offset) || t.offset < 0 || t.offset % 16 !== 0 || t.offset + p.param.size * p.param.bytesPerElement > weightLen) {
      throw new ModelFileError(`tensor '${p.name}' has offset ${JSON.stringify(t.offset)}, outside the ${weightLen}-byte weight block or unaligned`);
    }
  }
  if (json.tensors.length !== params.length) throw new ModelFileError(`the file has ${json.tensors.length} tensors, the model ${params.length}`);
  try {
    for (const p of params) {
      const at = base + byName.get(p.name)!.offset;
      p.param.assign(p.param.dtype === 'int8' ? new Int8Array(u8.buffer, u8.byteOffset + at, p.param.size) : readF32(u8, at, p.param.size));
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  if (isObj(json.metadata)) {
    const out = model.outputShape;
    try {
      checkMetadata('metadata', json.metadata, out.length === 1 ? out[0] : undefined);
    } catch (e) {
      model.dispose();
      throw new ModelFileError((e as Error).message);
    }
    model.metadata = json.metadata;
  }
  return model;
}

function writeF32(out: Uint8Array, at: number, data: Float32Array): void {
  if (LITTLE) out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
  else {
    const dv = new DataView(out.buffer, out.byteOffset);
    for (let i = 0; i < data.length; i++) dv.setFloat32(at + 4 * i, data[i], true);
  }
}

/** A Float32Array of the stored values: a view when aligned on a little-endian machine, else a copy. */
function readF32(u8: Uint8Array, at: number, n: number): Float32Array {
  const abs = u8.byteOffset + at;
  if (LITTLE && abs % 4 === 0) return new Float32Array(u8.buffer, abs, n);
  const out = new Float32Array(n);
  const dv = new DataView(u8.buffer, u8.byteOffset);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat32(at + 4 * i, true);
  return out;
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function isObj(x: unknown): x is Record<string, any> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}
