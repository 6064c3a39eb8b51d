// ONNX operators evaluated at import time on constants: Constant, ConstantOfShape, Shape, Gather,
// Slice, Transpose, Cast, Concat and arithmetic of constants: what exporters emit to compute shapes
// and pads (Shape → Gather → Unsqueeze → Concat → Reshape for x.view(x.size(0), −1); PyTorch's
// F.pad at opset ≥ 11 as ConstantOfShape → Concat → Reshape → Slice → Transpose → Cast). The batch
// size is unknown at import: a shape vector that holds it carries the marker 'N', and it may only
// end up in front, where it came from. Computed constants are capped by the file size, so a forged
// shape cannot make the importer allocate more than the file could describe.
import type { OnnxNode, OnnxTensor } from './onnx-proto.js';
import { DT, dtName, tensorFloats, tensorInts } from './onnx-proto.js';
import { fmt, prod, type Const, type Ctx, type Sym, type Value, type Handler } from './onnx-context.js';

export type Elem = number | 'N';

/** A constant from a TensorProto (initializer or Constant's value). */
export function constOf(t: OnnxTensor, limit: number): Const {
  if (t.dataType === DT.UINT8 || t.dataType === DT.INT8) {
    const ints = tensorInts(t, limit);
    return { kind: 'const', dims: t.dims.slice(), data: Float32Array.from(ints), ints, elem: t.dataType === DT.INT8 ? 'int8' : 'uint8' };
  }
  if (t.dataType === DT.INT64 || t.dataType === DT.INT32) {
    const ints = tensorInts(t, limit);
    return { kind: 'const', dims: t.dims.slice(), data: Float32Array.from(ints), ints, ...(t.dataType === DT.INT32 ? { elem: 'int32' as const } : {}) };
  }
  return { kind: 'const', dims: t.dims.slice(), data: tensorFloats(t, limit), ints: null };
}

export const intConst = (dims: number[], ints: number[]): Const => ({ kind: 'const', dims, data: Float32Array.from(ints), ints });

/** An integer vector (or scalar) value, from an integer constant or a Sym. */
export function ivec(c: Ctx, v: Value | null, what: string): { dims: number[]; elems: Elem[] } {
  if (v === null) throw c.fail(`${what} is missing`);
  if (v.kind === 'sym') return { dims: v.dims, elems: v.elems };
  if (v.kind === 'const') {
    const elems = v.ints ?? Array.from(v.data);
    if (elems.some((e) => !Number.isInteger(e))) throw c.fail(`${what} must hold integers`);
    return { dims: v.dims, elems };
  }
  throw c.fail(`${what} must be a constant (or computed from shapes), not an activation`);
}

export function vec(dims: number[], elems: Elem[]): Const | Sym {
  return elems.includes('N') ? { kind: 'sym', dims, elems } : intConst(dims, elems as number[]);
}

/** Normalises an axis of a rank-r tensor (negative counts from the end). */
export function normAxis(c: Ctx, axis: number, r: number): number {
  const a = axis < 0 ? axis + r : axis;
  if (!Number.isInteger(a) || a < 0 || a >= r) throw c.fail(`axis ${axis} is out of range for a rank-${r} tensor`);
  return a;
}

/** Elementwise arithmetic on two constants of one shape (or one of a single element). */
export function constBinary(c: Ctx, a: Const, b: Const, f: (p: number, q: number) => number): Const {
  const n = Math.max(a.data.length, b.data.length);
  if (a.data.length !== b.data.length && a.data.length !== 1 && b.data.length !== 1) {
    throw c.fail(`constant arithmetic on ${fmt(a.dims)} and ${fmt(b.dims)} needs broadcasting, which is not supported`);
  }
  const dims = a.data.length >= b.data.length ? a.dims : b.dims;
  const at = (k: Const, i: number) => (k.ints ? k.ints[k.ints.length === 1 ? 0 : i] : k.data[k.data.length === 1 ? 0 : i]);
  const out = Array.from({ length: n }, (_, i) => f(at(a, i), at(b, i)));
  if (a.ints && b.ints) return intConst(dims.slice(), out);
  return { kind: 'const', dims: dims.slice(), data: Float32Array.from(out), ints: null };
}

/** Concat of constants / shape vectors (rank 1, axis 0). */
export function constConcat(c: Ctx, n: OnnxNode): Const | Sym {
  const parts = n.inputs.map((_, i) => {
    const v = c.input(i);
    if (v !== null && v.kind === 'const' && v.ints === null && v.dims.length === 1) return { dims: v.dims, elems: Array.from(v.data) as Elem[] };
    return ivec(c, v, `input ${i}`);
  });
  if (parts.some((p) => p.dims.length !== 1)) throw c.fail('only rank-1 constants can be concatenated at import time');
  normAxis(c, c.attrInt('axis', 0), 1);
  const elems = parts.flatMap((p) => p.elems);
  const floats = n.inputs.some((_, i) => { const v = c.input(i); return v?.kind === 'const' && v.ints === null; });
  if (floats) return { kind: 'const', dims: [elems.length], data: Float32Array.from(elems as number[]), ints: null };
  return vec([elems.length], elems);
}

function gather(c: Ctx): void {
  const data = ivec(c, c.input(0), 'the data');
  if (data.dims.length !== 1) throw c.fail('Gather is supported at import time on shape vectors (rank 1) only');
  normAxis(c, c.attrInt('axis', 0), 1);
  const idx = ivec(c, c.input(1), 'the indices');
  if (idx.elems.includes('N')) throw c.fail('the indices must be constants');
  const elems = (idx.elems as number[]).map((i) => {
    const j = i < 0 ? i + data.elems.length : i;
    if (j < 0 || j >= data.elems.length) throw c.fail(`index ${i} is out of range for ${data.elems.length} elements`);
    return data.elems[j];
  });
  c.set(vec(idx.dims, elems));
}

function constant(c: Ctx, n: OnnxNode): void {
  const a = c.attr('value');
  let k: Const;
  if (a?.t !== undefined) k = constOf(a.t, c.limit);
  else if (c.attr('value_float')?.f !== undefined) k = { kind: 'const', dims: [], data: Float32Array.of(c.attrFloat('value_float', 0)), ints: null };
  else if (c.attr('value_floats')) k = { kind: 'const', dims: [c.attr('value_floats')!.floats.length], data: Float32Array.from(c.attr('value_floats')!.floats), ints: null };
  else if (c.attr('value_int')?.i !== undefined) k = intConst([], [c.attrInt('value_int', 0)]);
  else if (c.attr('value_ints')) k = intConst([c.attrInts('value_ints')!.length], c.attrInts('value_ints')!);
  else throw c.fail(`only tensor, float and int values are supported (attributes: ${[...n.attrs.keys()].join(', ') || 'none'})`);
  c.set(k);
}

function shape(c: Ctx): void {
  const v = c.input(0);
  let dims: Elem[];
  if (v?.kind === 'act') dims = ['N', ...v.shape];
  else if (v?.kind === 'const' || v?.kind === 'sym') dims = v.dims;
  else throw c.fail('the input is missing or a pending Pad');
  const r = dims.length;
  const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
  const start = clampAxis(c.attrInt('start', 0)), end = clampAxis(c.attrInt('end', r));
  const out = dims.slice(start, Math.max(start, end));
  c.set(vec([out.length], out));
}

function cast(c: Ctx): void {
  const v = c.input(0);
  const to = c.attrInt('to', 0);
  if (v?.kind === 'act') {
    // ArgMax / ArgMin indices are float32 integers in our graphs: casting them to an integer type keeps them
    const indices = c.specs.find((s) => s.name === v.node)?.layer.type.startsWith('Arg') === true;
    if (to !== DT.FLOAT && !(indices && (to === DT.INT64 || to === DT.INT32))) throw c.fail(`casting an activation to ${dtName(to)} is not supported`);
    return void c.set(v);
  }
  if (v?.kind === 'sym') return void c.set(v);
  if (v?.kind !== 'const') throw c.fail('the input is missing');
  if (to === DT.FLOAT || to === DT.DOUBLE) return void c.set({ kind: 'const', dims: v.dims, data: v.data.slice(), ints: null });
  if (to === DT.INT64 || to === DT.INT32) {
    const ints = v.ints ?? Array.from(v.data, (x) => Math.trunc(x));
    return void c.set(intConst(v.dims, ints));
  }
  throw c.fail(`casting to ${dtName(to)} is not supported`);
}

/** ConstantOfShape: a constant of the given shape filled with `value` (default float 0). */
function constantOfShape(c: Ctx): void {
  const sh = ivec(c, c.input(0), 'the shape');
  if (sh.elems.includes('N')) throw c.fail('a constant the size of the batch is not supported');
  const dims = sh.elems as number[];
  // constants computed at import time are small (shapes, pads); cap them by the file size
  if (dims.some((d) => d < 0) || prod(dims) > Math.min(c.limit, 2 ** 24)) throw c.fail(`shape ${fmt(dims)} is invalid or larger than the file could justify`);
  const t = c.attr('value')?.t;
  const fill = t ? constOf(t, c.limit) : null;
  if (fill && fill.data.length !== 1) throw c.fail('value must hold one element');
  const n = prod(dims);
  if (fill?.ints) return void c.set(intConst(dims, new Array(n).fill(fill.ints[0])));
  c.set({ kind: 'const', dims, data: new Float32Array(n).fill(fill ? fill.data[0] : 0), ints: null });
}

/** The elements of any constant or shape vector, with a rebuild from new dims and elements. */
function elemsOf(c: Ctx, v: Value | null, what: string): { dims: number[]; elems: Elem[]; make: (d: number[], e: Elem[]) => Value } {
  if (v?.kind === 'const' && v.ints === null) {
    return { dims: v.dims, elems: Array.from(v.data), make: (d, e) => ({ kind: 'const', dims: d, data: Float32Array.from(e as number[]), ints: null }) };
  }
  const iv = ivec(c, v, what);
  return { ...iv, make: (d, e) => vec(d, e) };
}

const strides = (dims: number[]) => dims.map((_, i) => prod(dims.slice(i + 1)));

function slice(c: Ctx): void {
  const x = elemsOf(c, c.input(0), 'the data');
  const r = x.dims.length;
  const list = (i: number, attr: string) => (c.opset < 10 ? c.attrInts(attr) ?? null : c.input(i) === null ? null : (ivec(c, c.input(i), attr).elems as number[]));
  const starts = list(1, 'starts'), ends = list(2, 'ends');
  if (starts === null || ends === null || starts.length !== ends.length) throw c.fail('starts and ends must be given, of one length');
  const axes = (list(3, 'axes') ?? starts.map((_, i) => i)).map((a) => normAxis(c, a, r));
  const steps = list(4, 'steps') ?? starts.map(() => 1);
  const lo = x.dims.map(() => 0), step = x.dims.map(() => 1), count = x.dims.slice();
  axes.forEach((a, k) => {
    const n = x.dims[a], st = steps[k];
    if (!st) throw c.fail('a step of 0 is invalid');
    const clamp = (v: number, min: number, max: number) => Math.min(Math.max(v < 0 ? v + n : v, min), max);
    const b = st > 0 ? clamp(starts[k], 0, n) : clamp(starts[k], -1, n - 1);
    const e = st > 0 ? clamp(ends[k], 0, n) : clamp(ends[k], -1, n - 1);
    lo[a] = b;
    step[a] = st;
    count[a] = Math.max(0, st > 0 ? Math.ceil((e - b) / st) : Math.ceil((b - e) / -st));
  });
  const src = strides(x.dims), out: Elem[] = [];
  const total = prod(count);
  for (let i = 0; i < total; i++) {
    let rem = i, at = 0;
    for (let d = r - 1; d >= 0; d--) {
      const q = rem % count[d];
      rem = Math.floor(rem / count[d]);
      at += (lo[d] + q * step[d]) * src[d];
    }
    out.push(x.elems[at]);
  }
  c.set(x.make(count, out));
}

function transpose(c: Ctx): void {
  const x = elemsOf(c, c.input(0), 'the data');
  const r = x.dims.length;
  const perm = c.attrInts('perm') ?? x.dims.map((_, i) => r - 1 - i);
  if (perm.length !== r || new Set(perm).size !== r || perm.some((p) => p < 0 || p >= r)) throw c.fail(`perm ${fmt(perm)} is not a permutation of ${r} axes`);
  const dims = perm.map((p) => x.dims[p]);
  const src = strides(x.dims), out: Elem[] = [];
  const total = prod(dims);
  for (let i = 0; i < total; i++) {
    let rem = i, at = 0;
    for (let d = r - 1; d >= 0; d--) {
      const q = rem % dims[d];
      rem = Math.floor(rem / dims[d]);
      at += q * src[perm[d]];
    }
    out.push(x.elems[at]);
  }
  c.set(x.make(dims, out));
}

/** Mul / Sub / Div of two constants (shape arithmetic); on activations they are not supported. */
function arith(f: (p: number, q: number) => number, int: (p: number, q: number) => number): Handler {
  return (c) => {
    const a = c.input(0), b = c.input(1);
    if (a?.kind !== 'const' || b?.kind !== 'const') throw c.fail('it is supported on constants only (shape arithmetic), not on activations');
    c.set(constBinary(c, a, b, a.ints && b.ints ? int : f));
  };
}

export const CONST_HANDLERS: Record<string, Handler> = {
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Shape: shape,
  Gather: gather,
  Slice: slice,
  Transpose: (c) => {
    if (c.input(0)?.kind === 'act') throw c.fail('transposing an activation is not supported (only constants)');
    transpose(c);
  },
  Cast: cast,
  Mul: arith((p, q) => p * q, (p, q) => p * q),
  Sub: arith((p, q) => p - q, (p, q) => p - q),
  Div: arith((p, q) => p / q, (p, q) => Math.trunc(p / q)),
};
