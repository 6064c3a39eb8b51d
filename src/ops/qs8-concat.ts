// int8 concatenation (a quantized Inception / ShuffleNet join): each input keeps its bytes where
// its quantization is the output's, and is requantized through a 256-byte table where it is not —
// the table of DequantizeLinear → QuantizeLinear in float32, so the bytes are those of the float
// round trip. Kernel: assembly/qs8-concat.ts.
import { Tensor, type Shape } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { concatGeometry } from './concat.js';
import { activationTable, qparamsArg, type QParams } from './qs8.js';
import { type Prepared, releaseAll, runOnce } from './prepared.js';
import { describe, tensorArg } from './validate.js';

/** The table mapping x's grid onto y's, or null where it is the identity (the same quantization: a copy). */
function requantTable(x: QParams, y: QParams): Int8Array | null {
  const t = activationTable((v) => v, x, y);
  return t.every((v, i) => v === i - 128) ? null : t;
}

/**
 * concatQs8 prepared for int8 inputs of `shapes` along `dim`, input i quantized with xs[i], the
 * output with y: inputs = one address per tensor, in order; output int8 of the joined shape.
 * Owns one block: the tables (256 bytes each), then k triples [address, bytes a row, table or 0]
 * whose addresses run() writes on every call. Not in place: the output must not overlap an input.
 */
export function prepareConcatQs8(shapes: readonly Shape[], dim: number | undefined, xs: readonly QParams[], y: QParams): Prepared {
  const op = 'concatQs8';
  const { outShape, outer, lengths } = concatGeometry(op, shapes, dim ?? 1, 'tensors', 'dim');
  const k = lengths.length;
  if (!Array.isArray(xs)) throw new TypeError(`${op}: xs must be an array of { scale, zeroPoint } (one per tensor), got ${describe(xs)}`);
  if (xs.length !== k) throw new RangeError(`${op}: xs has ${xs.length} quantization${xs.length === 1 ? '' : 's'} but there ${k === 1 ? 'is 1 tensor' : `are ${k} tensors`}; give one per tensor`);
  const qx = xs.map((q, i) => qparamsArg(op, `xs[${i}]`, q));
  const qy = qparamsArg(op, 'y', y);
  if (outShape.reduce((a, b) => a * b, 1) === 0) return { outShape, scratchBytes: 0, run() {}, dispose() {} };
  const tables = qx.map((q) => requantTable(q, qy));
  const used = tables.filter((t) => t !== null) as Int8Array[];
  const h = heap();
  let block = h.alloc(256 * used.length + 12 * k);
  const at = block + 256 * used.length;
  const words: number[] = [];
  let j = 0;
  tables.forEach((t, i) => words.push(0, lengths[i], t === null ? 0 : block + 256 * j++));
  used.forEach((t, i) => h.u8view().set(new Uint8Array(t.buffer, t.byteOffset, 256), block + 256 * i));
  h.i32view().set(words, at >>> 2);
  return {
    outShape,
    scratchBytes: 0,
    run(inputs, out) {
      const i32 = heap().i32view();
      for (let t = 0; t < k; t++) i32[(at >>> 2) + 3 * t] = inputs[t];
      kernels().concat_qs8_simd(at, k, outer, out);
    },
    dispose() {
      releaseAll([block]);
      block = 0;
    },
  };
}

/**
 * Joins int8 tensors along `dim` (default 1, the channels of NCHW; negative counts from the end),
 * tensors[i] quantized with xs[i], into an int8 tensor quantized with y: each input requantized as
 * DequantizeLinear → QuantizeLinear in float32 would (copied as it is where xs[i] is y).
 */
export function concatQs8(tensors: readonly Tensor[], dim: number | undefined, xs: readonly QParams[], y: QParams): Tensor {
  const op = 'concatQs8';
  if (!Array.isArray(tensors)) throw new TypeError(`${op}: tensors must be an array of int8 Tensors, got ${describe(tensors)}`);
  if (tensors.length === 0) throw new RangeError(`${op}: needs at least one tensor, got an empty list`);
  const ts = tensors.map((t, i) => tensorArg(op, `tensors[${i}]`, t, 'int8'));
  return runOnce(prepareConcatQs8(ts.map((t) => t.shape), dim, xs, y), ts.map((t) => t.ptr), (s) => Tensor.empty(s, 'int8'));
}
