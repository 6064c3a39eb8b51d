// The parts of onnx.proto that model files use, decoded with our protobuf reader into plain
// objects (onnx-write.ts encodes them). Field numbers from onnx/onnx.proto (IR version 3–10):
//
//   ModelProto          ir_version=1 producer_name=2 producer_version=3 domain=4 model_version=5
//                       doc_string=6 graph=7 opset_import=8 metadata_props=14
//   OperatorSetIdProto  domain=1 version=2
//   GraphProto          node=1 name=2 initializer=5 doc_string=10 input=11 output=12 value_info=13
//   NodeProto           input=1 output=2 name=3 op_type=4 attribute=5 doc_string=6 domain=7
//   AttributeProto      name=1 f=2 i=3 s=4 t=5 g=6 floats=7 ints=8 strings=9 tensors=10 graphs=11
//                       type=20
//   TensorProto         dims=1 data_type=2 float_data=4 int32_data=5 string_data=6 int64_data=7
//                       name=8 raw_data=9 double_data=10 uint64_data=11 data_location=14
//                       external_data=13
//   ValueInfoProto      name=1 type=2;  TypeProto tensor_type=1;  TypeProto.Tensor elem_type=1 shape=2
//   TensorShapeProto    dim=1;  Dimension dim_value=1 dim_param=2
import { Reader, ProtobufError, WIRE_LEN, WIRE_VARINT, WIRE_I32 } from './protobuf.js';

export class OnnxError extends Error {
  constructor(message: string) {
    super(`ONNX: ${message}`);
    this.name = 'OnnxError';
  }
}

export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, DOUBLE: 11 } as const;
const DT_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING',
  9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 16: 'BFLOAT16', 17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4', 23: 'FLOAT4E2M1',
};
export const dtName = (t: number) => DT_NAMES[t] ?? `data type ${t}`;
const LITTLE = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  raw: Uint8Array | null;
  floats: number[];
  floatRuns: Uint8Array[];
  ints: number[]; // int32_data and int64_data
  doubles: number[];
  doubleRuns: Uint8Array[];
  external: boolean;
}

export interface OnnxAttr {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats: number[];
  ints: number[];
  hasGraph: boolean;
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, OnnxAttr>;
}

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** Dimensions: a number, a symbolic name, or null when unknown; null for no shape at all. */
  dims: (number | string | null)[] | null;
}

export interface OnnxGraphProto {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModelProto {
  irVersion: number;
  producer: string;
  opsets: { domain: string; version: number }[];
  graph: OnnxGraphProto | null;
  /** metadata_props, in file order. */
  metadata: { key: string; value: string }[];
}

/** Decodes a ModelProto; malformed bytes become an OnnxError saying where. */
export function decodeModel(bytes: Uint8Array): OnnxModelProto {
  try {
    return model(new Reader(bytes));
  } catch (e) {
    if (e instanceof ProtobufError) throw new OnnxError(`malformed file: ${e.message}`);
    throw e;
  }
}

function model(r: Reader): OnnxModelProto {
  const m: OnnxModelProto = { irVersion: 0, producer: '', opsets: [], graph: null, metadata: [] };
  while (!r.done) {
    const f = r.key();
    if (f === 1 && r.wire === WIRE_VARINT) m.irVersion = r.int64();
    else if (f === 2 && r.wire === WIRE_LEN) m.producer = r.string();
    else if (f === 7 && r.wire === WIRE_LEN) m.graph = graph(r.message());
    else if (f === 8 && r.wire === WIRE_LEN) {
      const s = r.message();
      const o = { domain: '', version: 0 };
      while (!s.done) {
        const g = s.key();
        if (g === 1 && s.wire === WIRE_LEN) o.domain = s.string();
        else if (g === 2 && s.wire === WIRE_VARINT) o.version = s.int64();
        else s.skip();
      }
      m.opsets.push(o);
    } else if (f === 14 && r.wire === WIRE_LEN) {
      const s = r.message();
      const e = { key: '', value: '' };
      while (!s.done) {
        const g = s.key();
        if (g === 1 && s.wire === WIRE_LEN) e.key = s.string();
        else if (g === 2 && s.wire === WIRE_LEN) e.value = s.string();
        else s.skip();
      }
      m.metadata.push(e);
    } else r.skip();
  }
  return m;
}

function graph(r: Reader): OnnxGraphProto {
  const g: OnnxGraphProto = { name: '', nodes: [], initializers: [], inputs: [], outputs: [] };
  while (!r.done) {
    const f = r.key();
    if (f === 1 && r.wire === WIRE_LEN) g.nodes.push(node(r.message()));
    else if (f === 2 && r.wire === WIRE_LEN) g.name = r.string();
    else if (f === 5 && r.wire === WIRE_LEN) g.initializers.push(tensor(r.message()));
    else if (f === 11 && r.wire === WIRE_LEN) g.inputs.push(valueInfo(r.message()));
    else if (f === 12 && r.wire === WIRE_LEN) g.outputs.push(valueInfo(r.message()));
    else r.skip();
  }
  return g;
}

function node(r: Reader): OnnxNode {
  const n: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attrs: new Map() };
  while (!r.done) {
    const f = r.key();
    if (f === 1 && r.wire === WIRE_LEN) n.inputs.push(r.string());
    else if (f === 2 && r.wire === WIRE_LEN) n.outputs.push(r.string());
    else if (f === 3 && r.wire === WIRE_LEN) n.name = r.string();
    else if (f === 4 && r.wire === WIRE_LEN) n.opType = r.string();
    else if (f === 7 && r.wire === WIRE_LEN) n.domain = r.string();
    else if (f === 5 && r.wire === WIRE_LEN) {
      const a = attribute(r.message());
      n.attrs.set(a.name, a);
    } else r.skip();
  }
  return n;
}

function attribute(r: Reader): OnnxAttr {
  const a: OnnxAttr = { name: '', type: 0, floats: [], ints: [], hasGraph: false };
  while (!r.done) {
    const f = r.key();
    if (f === 1 && r.wire === WIRE_LEN) a.name = r.string();
    else if (f === 20 && r.wire === WIRE_VARINT) a.type = r.int32();
    else if (f === 2 && r.wire === WIRE_I32) a.f = r.float();
    else if (f === 3 && r.wire === WIRE_VARINT) a.i = r.int64();
    else if (f === 4 && r.wire === WIRE_LEN) a.s = r.bytes();
    else if (f === 5 && r.wire === WIRE_LEN) a.t = tensor(r.message());
    else if (f === 6 && r.wire === WIRE_LEN) {
      a.hasGraph = true;
      r.skip();
    } else if (f === 7) {
      const run = r.repeatedFloat(a.floats, `attribute '${a.name}' floats`);
      if (run) pushFloats(a.floats, run);
    } else if (f === 8) r.repeatedInt64(a.ints, `attribute '${a.name}' ints`);
    else r.skip();
  }
  return a;
}

function pushFloats(out: number[], run: Uint8Array): void {
  const dv = new DataView(run.buffer, run.byteOffset, run.byteLength);
  for (let i = 0; i < run.length; i += 4) out.push(dv.getFloat32(i, true));
}

function tensor(r: Reader): OnnxTensor {
  const t: OnnxTensor = { name: '', dims: [], dataType: 0, raw: null, floats: [], floatRuns: [], ints: [], doubles: [], doubleRuns: [], external: false };
  while (!r.done) {
    const f = r.key();
    if (f === 1) r.repeatedInt64(t.dims, 'tensor dims');
    else if (f === 2 && r.wire === WIRE_VARINT) t.dataType = r.int32();
    else if (f === 4) {
      const run = r.repeatedFloat(t.floats, 'tensor float_data');
      if (run) t.floatRuns.push(run);
    } else if (f === 5) {
      if (r.wire === WIRE_VARINT) t.ints.push(r.int32());
      else if (r.wire === WIRE_LEN) {
        const s = r.message();
        while (!s.done) t.ints.push(s.int32());
      } else r.skip();
    } else if (f === 7) r.repeatedInt64(t.ints, 'tensor int64_data');
    else if (f === 8 && r.wire === WIRE_LEN) t.name = r.string();
    else if (f === 9 && r.wire === WIRE_LEN) t.raw = r.bytes();
    else if (f === 10) {
      if (r.wire === WIRE_LEN) t.doubleRuns.push(r.bytes());
      else if (r.wire === 1) t.doubles.push(r.double());
      else r.skip();
    } else if (f === 13) {
      t.external = true;
      r.skip();
    } else if (f === 14 && r.wire === WIRE_VARINT) {
      if (r.int32() === 1) t.external = true;
    } else r.skip();
  }
  return t;
}

function valueInfo(r: Reader): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', elemType: 0, dims: null };
  while (!r.done) {
    const f = r.key();
    if (f === 1 && r.wire === WIRE_LEN) v.name = r.string();
    else if (f === 2 && r.wire === WIRE_LEN) {
      const tp = r.message();
      while (!tp.done) {
        if (tp.key() === 1 && tp.wire === WIRE_LEN) {
          const tt = tp.message();
          while (!tt.done) {
            const g = tt.key();
            if (g === 1 && tt.wire === WIRE_VARINT) v.elemType = tt.int32();
            else if (g === 2 && tt.wire === WIRE_LEN) v.dims = shape(tt.message());
            else tt.skip();
          }
        } else tp.skip();
      }
    } else r.skip();
  }
  return v;
}

function shape(r: Reader): (number | string | null)[] {
  const dims: (number | string | null)[] = [];
  while (!r.done) {
    if (r.key() === 1 && r.wire === WIRE_LEN) {
      const d = r.message();
      let dim: number | string | null = null;
      while (!d.done) {
        const g = d.key();
        if (g === 1 && d.wire === WIRE_VARINT) dim = d.int64();
        else if (g === 2 && d.wire === WIRE_LEN) dim = d.string();
        else d.skip();
      }
      dims.push(dim);
    } else r.skip();
  }
  return dims;
}

// ---- tensor values ----------------------------------------------------------------------------

/** Element count of a tensor's dims, checked (non-negative integers, at most `limit`). */
export function tensorSize(t: OnnxTensor, limit: number): number {
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isInteger(d) || d < 0) throw new OnnxError(`tensor '${t.name}' has a dimension ${d}`);
    n *= d;
    if (n > limit) throw new OnnxError(`tensor '${t.name}' declares dims [${t.dims.join(', ')}], more elements than the file could hold`);
  }
  return n;
}

/** A float tensor's values (FLOAT or DOUBLE), checked against its dims. */
export function tensorFloats(t: OnnxTensor, limit: number): Float32Array {
  const n = tensorSize(t, limit);
  if (t.external) throw new OnnxError(`tensor '${t.name}' keeps its data in an external file, which is not supported (embed the weights)`);
  const count = (have: number) => {
    if (have !== n) throw new OnnxError(`tensor '${t.name}' has dims [${t.dims.join(', ')}] (${n} elements) but holds ${have} values`);
  };
  if (t.dataType === DT.FLOAT) {
    if (t.raw !== null) {
      if (t.raw.length !== n * 4) throw new OnnxError(`tensor '${t.name}' has dims [${t.dims.join(', ')}] (${n} floats) but ${t.raw.length} bytes of raw data`);
      const out = new Float32Array(n);
      if (LITTLE) new Uint8Array(out.buffer).set(t.raw);
      else {
        const dv = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
        for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      }
      return out;
    }
    const runLen = t.floatRuns.reduce((a, b) => a + b.length / 4, 0);
    count(runLen + t.floats.length);
    const out = new Float32Array(n);
    let k = 0;
    for (const run of t.floatRuns) {
      const dv = new DataView(run.buffer, run.byteOffset, run.byteLength);
      for (let i = 0; i < run.length; i += 4) out[k++] = dv.getFloat32(i, true);
    }
    for (const v of t.floats) out[k++] = v;
    return out;
  }
  if (t.dataType === DT.DOUBLE) {
    if (t.raw !== null) {
      if (t.raw.length !== n * 8) throw new OnnxError(`tensor '${t.name}' has ${n} doubles but ${t.raw.length} bytes of raw data`);
      const dv = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
      return Float32Array.from({ length: n }, (_, i) => dv.getFloat64(8 * i, true));
    }
    const runLen = t.doubleRuns.reduce((a, b) => a + Math.floor(b.length / 8), 0);
    count(runLen + t.doubles.length);
    const out = new Float32Array(n);
    let k = 0;
    for (const run of t.doubleRuns) {
      const dv = new DataView(run.buffer, run.byteOffset, run.byteLength);
      for (let i = 0; i + 8 <= run.length; i += 8) out[k++] = dv.getFloat64(i, true);
    }
    for (const v of t.doubles) out[k++] = v;
    return out;
  }
  if (t.dataType === DT.INT64 || t.dataType === DT.INT32) return Float32Array.from(tensorInts(t, limit));
  if ([4, 5, 17, 18, 19, 20, 21, 22, 23].includes(t.dataType)) {
    throw new OnnxError(`tensor '${t.name}' has element type ${dtName(t.dataType)}; quantized tensors are supported in UINT8 and INT8 (with INT32 biases) only`);
  }
  throw new OnnxError(`tensor '${t.name}' has element type ${dtName(t.dataType)}; only FLOAT (and DOUBLE, INT64, INT32, UINT8, INT8 constants) are supported`);
}

/** An integer tensor's values (INT64 or INT32; UINT8 and INT8, the quantized tensors), checked against its dims. */
export function tensorInts(t: OnnxTensor, limit: number): number[] {
  const n = tensorSize(t, limit);
  if (t.external) throw new OnnxError(`tensor '${t.name}' keeps its data in an external file, which is not supported`);
  if (t.dataType === DT.UINT8 || t.dataType === DT.INT8) {
    // raw bytes, or one value per int32_data entry
    const signed = t.dataType === DT.INT8;
    if (t.raw !== null) {
      if (t.raw.length !== n) throw new OnnxError(`tensor '${t.name}' has ${n} ${dtName(t.dataType)} values but ${t.raw.length} bytes of raw data`);
      return Array.from(signed ? new Int8Array(t.raw.buffer, t.raw.byteOffset, n) : t.raw);
    }
    if (t.ints.length !== n) throw new OnnxError(`tensor '${t.name}' has dims [${t.dims.join(', ')}] (${n} elements) but holds ${t.ints.length} values`);
    const [lo, hi] = signed ? [-128, 127] : [0, 255];
    if (t.ints.some((v) => v < lo || v > hi)) throw new OnnxError(`tensor '${t.name}' (${dtName(t.dataType)}) holds values outside ${lo}…${hi}`);
    return t.ints.slice();
  }
  if (t.dataType !== DT.INT64 && t.dataType !== DT.INT32) {
    if (t.dataType === DT.FLOAT || t.dataType === DT.DOUBLE) {
      const f = tensorFloats(t, limit);
      if (f.every((v) => Number.isInteger(v))) return Array.from(f);
    }
    throw new OnnxError(`tensor '${t.name}' has element type ${dtName(t.dataType)} where integers (INT64) are expected`);
  }
  if (t.raw !== null) {
    const w = t.dataType === DT.INT64 ? 8 : 4;
    if (t.raw.length !== n * w) throw new OnnxError(`tensor '${t.name}' has ${n} ${dtName(t.dataType)} values but ${t.raw.length} bytes of raw data`);
    const dv = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      if (w === 4) out.push(dv.getInt32(4 * i, true));
      else {
        const v = dv.getInt32(8 * i + 4, true) * 4294967296 + dv.getUint32(8 * i, true);
        out.push(Number.isSafeInteger(v) ? v : Math.sign(v) * 2 ** 53); // INT64_MAX/MIN: clamped, as the reader does
      }
    }
    return out;
  }
  if (t.ints.length !== n) throw new OnnxError(`tensor '${t.name}' has dims [${t.dims.join(', ')}] (${n} elements) but holds ${t.ints.length} values`);
  return t.ints.slice();
}
