// Encoding an ONNX ModelProto with our protobuf writer (field numbers as listed in onnx-proto.ts).
import { Writer } from './protobuf.js';
import { DT } from './onnx-proto.js';

export type AttrOut = { name: string } & ({ i: number } | { f: number } | { ints: readonly number[] } | { floats: readonly number[] } | { s: string });
export interface NodeOut {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: readonly AttrOut[];
  /** Operator domain; omitted = the default ONNX domain. */
  domain?: string;
}
export interface TensorOut {
  name: string;
  dims: readonly number[];
  floats?: Float32Array;
  int64s?: readonly number[];
  /** Quantized tensors: INT8, UINT8 or INT32 values (raw little-endian). */
  int8s?: Int8Array;
  uint8s?: Uint8Array;
  int32s?: Int32Array;
}
export interface ValueOut {
  name: string;
  dims: readonly (number | string)[];
  /** Element type (default FLOAT). */
  elemType?: number;
}
export interface ModelOut {
  opset: number;
  irVersion: number;
  producer: string;
  producerVersion: string;
  graphName: string;
  nodes: readonly NodeOut[];
  initializers: readonly TensorOut[];
  inputs: readonly ValueOut[];
  outputs: readonly ValueOut[];
  /** ModelProto.metadata_props: key → value strings. */
  metadata?: readonly { key: string; value: string }[];
}

const LE = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

function writeTensor(w: Writer, t: TensorOut): void {
  w.ints(1, t.dims);
  if (t.floats) {
    w.int(2, DT.FLOAT);
    w.string(8, t.name);
    let raw: Uint8Array;
    if (LE) raw = new Uint8Array(t.floats.buffer, t.floats.byteOffset, t.floats.byteLength);
    else {
      raw = new Uint8Array(t.floats.length * 4);
      const dv = new DataView(raw.buffer);
      t.floats.forEach((v, i) => dv.setFloat32(4 * i, v, true));
    }
    w.bytes(9, raw);
  } else if (t.int8s || t.uint8s) {
    w.int(2, t.int8s ? DT.INT8 : DT.UINT8);
    w.string(8, t.name);
    const a = (t.int8s ?? t.uint8s)!;
    w.bytes(9, new Uint8Array(a.buffer, a.byteOffset, a.length));
  } else if (t.int32s) {
    w.int(2, DT.INT32);
    w.string(8, t.name);
    const raw = new Uint8Array(t.int32s.length * 4);
    const dv = new DataView(raw.buffer);
    t.int32s.forEach((v, i) => dv.setInt32(4 * i, v, true));
    w.bytes(9, raw);
  } else {
    w.int(2, DT.INT64);
    w.ints(7, t.int64s ?? []);
    w.string(8, t.name);
  }
}

function writeValue(w: Writer, v: ValueOut): void {
  w.string(1, v.name);
  w.message(2, (tp) =>
    tp.message(1, (tt) => {
      tt.int(1, v.elemType ?? DT.FLOAT);
      tt.message(2, (sh) => {
        for (const d of v.dims) sh.message(1, (dm) => (typeof d === 'number' ? dm.int(1, d) : dm.string(2, d)));
      });
    }),
  );
}

const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 };

function writeAttr(w: Writer, a: AttrOut): void {
  w.string(1, a.name);
  if ('i' in a) w.int(3, a.i).int(20, ATTR.INT);
  else if ('f' in a) w.float(2, a.f).int(20, ATTR.FLOAT);
  else if ('ints' in a) w.ints(8, a.ints).int(20, ATTR.INTS);
  else if ('floats' in a) w.floats(7, a.floats).int(20, ATTR.FLOATS);
  else w.string(4, a.s).int(20, ATTR.STRING);
}

/** Encodes a ModelProto. */
export function encodeModel(m: ModelOut): Uint8Array {
  const w = new Writer();
  w.int(1, m.irVersion);
  w.string(2, m.producer);
  w.string(3, m.producerVersion);
  w.message(7, (g) => {
    for (const n of m.nodes) {
      g.message(1, (nw) => {
        for (const i of n.inputs) nw.string(1, i);
        for (const o of n.outputs) nw.string(2, o);
        nw.string(3, n.name);
        nw.string(4, n.opType);
        for (const a of n.attrs ?? []) nw.message(5, (aw) => writeAttr(aw, a));
        if (n.domain) nw.string(7, n.domain);
      });
    }
    g.string(2, m.graphName);
    for (const t of m.initializers) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of m.inputs) g.message(11, (vw) => writeValue(vw, v));
    for (const v of m.outputs) g.message(12, (vw) => writeValue(vw, v));
  });
  w.message(8, (o) => o.string(1, '').int(2, m.opset));
  for (const p of m.metadata ?? []) w.message(14, (e) => e.string(1, p.key).string(2, p.value));
  return w.finish();
}
