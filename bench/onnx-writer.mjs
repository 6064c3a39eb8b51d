// A tiny ONNX writer: just enough protobuf to emit a ModelProto (ir_version 8, opset 13) holding a
// float32 graph of Conv / Gemm / MaxPool / Relu / Flatten / Add nodes with weights as initializers.
// Our own code, no protobuf dependency; used by the benchmarks to feed onnxruntime-web.
//
// Protobuf wire format in one paragraph: a message is a list of fields, each a varint key
// (fieldNumber << 3 | wireType) followed by its value. Wire type 0 = varint (int32/int64/enum,
// two's complement in 10 bytes when negative), 2 = length-delimited (string, bytes, embedded
// message, packed repeated scalars), 5 = 32-bit little-endian (float). onnx.proto is proto2, so
// repeated scalars are written unpacked (one key per element); parsers accept either form.
//
// Field numbers used (from onnx/onnx.proto):
//   ModelProto         ir_version=1 (int64) producer_name=2 producer_version=3 graph=7 opset_import=8
//   OperatorSetIdProto domain=1 (string) version=2 (int64)
//   GraphProto         node=1 name=2 initializer=5 input=11 output=12
//   NodeProto          input=1 output=2 (repeated string) name=3 op_type=4 attribute=5
//   AttributeProto     name=1 f=2 (float) i=3 (int64) floats=7 ints=8 type=20 (AttributeType enum:
//                      FLOAT=1 INT=2 FLOATS=6 INTS=7)
//   TensorProto        dims=1 (repeated int64) data_type=2 (FLOAT=1) name=8 raw_data=9 (bytes, little-endian)
//   ValueInfoProto     name=1 type=2 (TypeProto)
//   TypeProto          tensor_type=1 (TypeProto.Tensor: elem_type=1, shape=2)
//   TensorShapeProto   dim=1 (Dimension: dim_value=1 (int64), dim_param=2 (string))

const utf8 = new TextEncoder();

/** Growable byte buffer with the protobuf primitives. */
class Writer {
  constructor() { this.buf = new Uint8Array(256); this.len = 0; }
  ensure(n) {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b) { this.ensure(1); this.buf[this.len++] = b; }
  /** Unsigned varint of a number or bigint; negative values become their 64-bit two's complement. */
  varint(v) {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) { this.byte(Number(x & 0x7fn) | 0x80); x >>= 7n; }
    this.byte(Number(x));
  }
  key(field, wire) { this.varint((field << 3) | wire); }
  bytes(b) { this.ensure(b.length); this.buf.set(b, this.len); this.len += b.length; }
  finish() { return this.buf.slice(0, this.len); }

  // Field writers: each writes key + value. Undefined values are skipped (proto2 optional).
  int(field, v) { if (v !== undefined) { this.key(field, 0); this.varint(v); } }
  float(field, v) {
    if (v === undefined) return;
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.bytes(b);
  }
  blob(field, b) { if (b !== undefined) { this.key(field, 2); this.varint(b.length); this.bytes(b); } }
  string(field, s) { if (s !== undefined) this.blob(field, utf8.encode(s)); }
  /** Embedded message: `fill(writer)` writes its fields. */
  message(field, fill) { const w = new Writer(); fill(w); this.blob(field, w.finish()); }
}

// ---- the ONNX messages ------------------------------------------------------------------------

const FLOAT = 1; // TensorProto.DataType.FLOAT and TypeProto elem_type
const ATTR = { FLOAT: 1, INT: 2, FLOATS: 6, INTS: 7 };

/** Marks a number as a FLOAT attribute (plain JS integers are written as INT). */
export const float = (v) => ({ float: v });

function writeAttribute(w, name, value) {
  w.string(1, name);
  if (Array.isArray(value)) {
    const floats = value.some((v) => typeof v === 'object');
    if (floats) { for (const v of value) w.float(7, typeof v === 'object' ? v.float : v); w.int(20, ATTR.FLOATS); }
    else { for (const v of value) w.int(8, v); w.int(20, ATTR.INTS); }
  } else if (typeof value === 'object') {
    w.float(2, value.float); w.int(20, ATTR.FLOAT);
  } else {
    if (!Number.isInteger(value)) throw new Error(`onnx-writer: attribute ${name}=${value}: wrap non-integers in float()`);
    w.int(3, value); w.int(20, ATTR.INT);
  }
}

function writeNode(w, n) {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.message(5, (a) => writeAttribute(a, k, v));
}

function writeTensor(w, t) {
  for (const d of t.dims) w.int(1, d);
  w.int(2, FLOAT);
  w.string(8, t.name);
  const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
  // raw_data is little-endian; every engine we run on is little-endian, so the bytes go as they are.
  w.blob(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function writeValueInfo(w, v) {
  w.string(1, v.name);
  w.message(2, (type) => type.message(1, (tt) => {
    tt.int(1, FLOAT);
    tt.message(2, (shape) => {
      for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'string' ? dim.string(2, d) : dim.int(1, d)));
    });
  }));
}

/**
 * Serialises a model. spec: { inputs: [{name, shape}], outputs: [{name, shape}],
 * nodes: [{opType, inputs, outputs, name?, attrs?}], initializers: [{name, dims, data}] }.
 * Shapes may hold strings for symbolic dims. Returns the ModelProto bytes.
 */
export function encodeModel(spec, { name = 'simdnet-bench', opset = 13, irVersion = 8 } = {}) {
  const m = new Writer();
  m.int(1, irVersion);
  m.string(2, 'simdnet bench/onnx-writer');
  m.string(3, '0.1');
  m.message(7, (g) => {
    spec.nodes.forEach((n, i) => g.message(1, (nw) => writeNode(nw, { name: `${n.opType}_${i}`, ...n })));
    g.string(2, name);
    for (const t of spec.initializers ?? []) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of spec.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of spec.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  });
  m.message(8, (o) => { o.string(1, ''); o.int(2, opset); });
  return m.finish();
}

// ---- a small graph builder for the benchmark models ------------------------------------------

/**
 * Builds a chain of layers over NCHW float32 tensors. Each method appends nodes and returns the
 * builder; `build()` returns the model bytes. Weights are Float32Arrays in PyTorch layouts
 * (Conv: OIHW, Gemm: [out, in] with transB=1).
 */
export class OnnxGraph {
  constructor(inputShape, inputName = 'x') {
    this.spec = { inputs: [{ name: inputName, shape: inputShape }], outputs: [], nodes: [], initializers: [] };
    this.last = inputName;
    this.n = 0;
  }
  #next(prefix) { return `${prefix}${this.n++}`; }
  #init(prefix, dims, data) {
    const name = this.#next(prefix);
    this.spec.initializers.push({ name, dims, data });
    return name;
  }
  #op(opType, extraInputs, attrs) {
    const out = this.#next(opType.toLowerCase());
    this.spec.nodes.push({ opType, inputs: [this.last, ...extraInputs], outputs: [out], attrs });
    this.last = out;
    return this;
  }
  /** Conv: w [O, C/g, kh, kw], b [O] (or null); stride/padding/dilation as numbers or [h, w]. */
  conv(w, wShape, b, { stride = 1, padding = 0, dilation = 1, groups = 1 } = {}) {
    const pair = (v) => (Array.isArray(v) ? v : [v, v]);
    const [ph, pw] = pair(padding);
    const inputs = [this.#init('W', wShape, w)];
    if (b) inputs.push(this.#init('B', [wShape[0]], b));
    return this.#op('Conv', inputs, {
      kernel_shape: wShape.slice(2), strides: pair(stride), pads: [ph, pw, ph, pw], dilations: pair(dilation), group: groups,
    });
  }
  /** Gemm: y = x · wᵀ + b with w [out, in] (transB = 1). */
  gemm(w, wShape, b) {
    const inputs = [this.#init('W', wShape, w)];
    if (b) inputs.push(this.#init('B', [wShape[0]], b));
    return this.#op('Gemm', inputs, { transB: 1 });
  }
  maxPool(kernel, stride = kernel, padding = 0) {
    return this.#op('MaxPool', [], { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: [padding, padding, padding, padding] });
  }
  relu() { return this.#op('Relu', []); }
  flatten(axis = 1) { return this.#op('Flatten', [], { axis }); }
  /** Elementwise Add of the current value and another named graph value (or a second input). */
  add(other) { return this.#op('Add', [other], undefined); }
  /** Declares an extra graph input (e.g. the second operand of add()). */
  input(name, shape) { this.spec.inputs.push({ name, shape }); return name; }
  build(outputShape, outputName = 'y') {
    // Rename the last value to the requested output name.
    const lastNode = this.spec.nodes[this.spec.nodes.length - 1];
    lastNode.outputs[0] = outputName;
    this.spec.outputs = [{ name: outputName, shape: outputShape }];
    return encodeModel(this.spec);
  }
}
