// Layout copies: concat (PyTorch's torch.cat) and flatten. Both return new tensors; the data
// moves with SIMD block copies and never leaves wasm memory. prepareConcat / prepareFlatten are
// the same work planned from shapes once, for compiled plans; the eager ops wrap them.
import { Tensor, checkShape, type Shape } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { type Prepared, paramBlock, releaseAll, runOnce } from './prepared.js';
import { describe, fmtShape, tensorArg, shapeArg } from './validate.js';

/** An integer dim in [−r, r) resolved to [0, r); the message names the op, the argument and the shape. */
function dimArg(op: string, name: string, v: unknown, shape: readonly number[], r: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: ${name} must be an integer, got ${describe(v)}`);
  if (v < -r || v >= r) {
    throw new RangeError(`${op}: ${name} ${v} is out of range for shape ${fmtShape(shape)} (rank ${shape.length}; valid ${-r}..${r - 1})`);
  }
  return v < 0 ? v + r : v;
}


/** A concat's checked geometry: the output shape, the rows before the axis, each input's elements per row. */
export interface ConcatGeometry {
  outShape: number[];
  outer: number;
  lengths: number[];
}

/**
 * The shapes of a concat along `axis` checked (same rank ≥ 1, equal off the axis; messages name
 * the op, the inputs `${list}[i]` and the axis argument `axisName`) and its geometry.
 */
export function concatGeometry(op: string, shapes: readonly Shape[], axis: unknown, list = 'tensors', axisName = 'axis'): ConcatGeometry {
  if (!Array.isArray(shapes)) throw new TypeError(`${op}: shapes must be an array of shapes, got ${describe(shapes)}`);
  if (shapes.length === 0) throw new RangeError(`${op}: needs at least one tensor, got an empty list`);
  const ss = shapes.map((s, i) => shapeArg(op, `shapes[${i}]`, s));
  const first = ss[0];
  const r = first.length;
  if (r === 0) throw new RangeError(`${op}: ${list}[0] has shape [] (rank 0); a scalar cannot be concatenated, reshape it to [1]`);
  const ax = dimArg(op, axisName, axis, first, r);
  let total = 0;
  for (let i = 0; i < ss.length; i++) {
    const s = ss[i];
    if (s.length !== r) {
      throw new RangeError(
        `${op}: ${list}[${i}] has rank ${s.length} (shape ${fmtShape(s)}) but ${list}[0] has rank ${r} (shape ${fmtShape(first)}); all must have the same rank`,
      );
    }
    for (let d = 0; d < r; d++) {
      if (d !== ax && s[d] !== first[d]) {
        throw new RangeError(
          `${op}: ${list}[${i}] has shape ${fmtShape(s)} but ${list}[0] has shape ${fmtShape(first)}; ` +
            `they must match in every dimension except ${axisName} ${ax} (dimension ${d}: ${s[d]} vs ${first[d]})`,
        );
      }
    }
    total += s[ax];
  }
  const outShape = first.slice();
  outShape[ax] = total;
  let outer = 1, inner = 1;
  for (let d = 0; d < ax; d++) outer *= outShape[d];
  for (let d = ax + 1; d < r; d++) inner *= outShape[d];
  return { outShape, outer, lengths: ss.map((s) => s[ax] * inner) };
}

/**
 * concat prepared for inputs of `shapes` along `axis` (default 1): inputs = one address per
 * tensor, in order; output of the joined shape. Messages as concat's (inputs named tensors[i]).
 * Owns a parameter block of [address, length] pairs whose addresses run() writes on every call.
 * Not in place: the output must not overlap any input.
 */
export function prepareConcat(shapes: readonly Shape[], axis = 1, op = 'concat', list = 'tensors'): Prepared {
  const { outShape, outer, lengths } = concatGeometry(op, shapes, axis, list);
  const k = lengths.length;
  if (outShape.reduce((a, b) => a * b, 1) === 0) return { outShape, scratchBytes: 0, run() {}, dispose() {} };
  const join = { outer, lengths, without: (placed: readonly number[]) => sliceCopies(outShape, outer, lengths, placed) };
  // addresses are filled in by run(); the lengths are fixed
  let params = paramBlock(lengths.flatMap((n) => [0, n]));
  return {
    outShape,
    scratchBytes: 0,
    join,
    run(inputs, out) {
      const i32 = heap().i32view();
      const at = params >>> 2;
      for (let t = 0; t < k; t++) i32[at + 2 * t] = inputs[t];
      kernels().concat_f32_simd(params, k, outer, out);
    },
    dispose() {
      releaseAll([params]);
      params = 0;
    },
  };
}

/**
 * A concat that copies only the inputs not in `placed` (their producers wrote them into their
 * slices of the output already): input t into floats [off_t, off_t + lengths[t]) of each of the
 * `outer` rows of the output, one copy_f32_simd per input and row.
 */
function sliceCopies(outShape: Shape, outer: number, lengths: readonly number[], placed: readonly number[]): Prepared {
  const row = lengths.reduce((a, b) => a + b, 0);
  const copies: { t: number; off: number; n: number }[] = [];
  let off = 0;
  lengths.forEach((n, t) => {
    if (!placed.includes(t) && n > 0) copies.push({ t, off, n });
    off += n;
  });
  return {
    outShape,
    scratchBytes: 0,
    run(inputs, out) {
      const k = kernels();
      for (const c of copies) for (let o = 0; o < outer; o++) k.copy_f32_simd(inputs[c.t] + o * c.n * 4, out + (o * row + c.off) * 4, c.n);
    },
    dispose() {},
  };
}

/**
 * flatten prepared for x of xShape (startDim, endDim as flatten): inputs [x]; output of the
 * flattened shape. In place allowed (out === x: the copy writes back the same bits), though a
 * plan may rather let the output alias the input and skip the call.
 */
export function prepareFlatten(xShape: Shape, startDim = 1, endDim = -1): Prepared {
  const op = 'flatten';
  const given = shapeArg(op, 'xShape', xShape);
  const shape = given.length === 0 ? [1] : given;
  const r = shape.length;
  const s = dimArg(op, 'startDim', startDim, given, r);
  const e = dimArg(op, 'endDim', endDim, given, r);
  if (s > e) {
    throw new RangeError(`${op}: startDim ${startDim} (dimension ${s}) comes after endDim ${endDim} (dimension ${e}) for shape ${fmtShape(given)}`);
  }
  const outShape = [...shape.slice(0, s), shape.slice(s, e + 1).reduce((a, b) => a * b, 1), ...shape.slice(e + 1)];
  const n = outShape.reduce((a, b) => a * b, 1);
  return {
    outShape,
    scratchBytes: 0,
    run(inputs, out) {
      if (n > 0) kernels().copy_f32_simd(inputs[0], out, n);
    },
    dispose() {},
  };
}

/**
 * Joins tensors along `axis` (default 1, the channels of NCHW; negative counts from the end).
 * All tensors must have the same rank (≥ 1) and the same size in every other dimension.
 */
export function concat(tensors: readonly Tensor[], axis = 1): Tensor {
  const op = 'concat';
  if (!Array.isArray(tensors)) throw new TypeError(`${op}: tensors must be an array of Tensors, got ${describe(tensors)}`);
  if (tensors.length === 0) throw new RangeError(`${op}: needs at least one tensor, got an empty list`);
  const ts = tensors.map((t, i) => tensorArg(op, `tensors[${i}]`, t));
  return runOnce(prepareConcat(ts.map((t) => t.shape), axis), ts.map((t) => t.ptr), (s) => Tensor.empty(s));
}

/**
 * PyTorch's flatten: dims startDim..endDim (inclusive; defaults 1 and −1, as nn.Flatten) merged
 * into one. A rank-0 tensor becomes [1]. Returns a new tensor (a copy).
 */
export function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor {
  // int8 (quantized activations): the same bytes under the flattened shape
  if (x instanceof Tensor && !x.disposed && x.dtype === 'int8') {
    const p = prepareFlatten(x.shape, startDim, endDim);
    p.dispose();
    return x.reshape(p.outShape);
  }
  const t = tensorArg('flatten', 'x', x);
  return runOnce(prepareFlatten(t.shape, startDim, endDim), [t.ptr], (s) => Tensor.empty(s));
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────

function shapeListArg(op: string, shapes: unknown): number[][] {
  if (!Array.isArray(shapes)) throw new TypeError(`${op}: shapes must be an array of shapes (the inputs' shapes), got ${describe(shapes)}`);
  if (shapes.length === 0) throw new RangeError(`${op}: shapes needs at least one shape, got an empty list`);
  return shapes.map((s, i) => {
    if (!Array.isArray(s)) throw new TypeError(`${op}: shapes[${i}] must be an array of non-negative integers, got ${describe(s)}`);
    checkShape(s, `${op}: shapes[${i}]`);
    return s.slice();
  });
}

/**
 * concat's gradient (the split): dy cut along `axis` (default 1) into one new tensor per input
 * shape, in order. `shapes` are the forward inputs' shapes; dy must have their concat's shape.
 */
export function concatBackward(dy: Tensor, shapes: readonly (readonly number[])[], axis = 1): Tensor[] {
  const op = 'concatBackward';
  const d = tensorArg(op, 'dy', dy);
  const ss = shapeListArg(op, shapes);
  const first = ss[0];
  const r = first.length;
  if (r === 0) throw new RangeError(`${op}: shapes[0] is [] (rank 0); a scalar cannot be concatenated`);
  const ax = dimArg(op, 'axis', axis, first, r);
  let total = 0;
  for (let i = 0; i < ss.length; i++) {
    const s = ss[i];
    if (s.length !== r) {
      throw new RangeError(`${op}: shapes[${i}] ${fmtShape(s)} has rank ${s.length} but shapes[0] ${fmtShape(first)} has rank ${r}; all must have the same rank`);
    }
    for (let k = 0; k < r; k++) {
      if (k !== ax && s[k] !== first[k]) {
        throw new RangeError(
          `${op}: shapes[${i}] is ${fmtShape(s)} but shapes[0] is ${fmtShape(first)}; they must match in every dimension except axis ${ax} (dimension ${k}: ${s[k]} vs ${first[k]})`,
        );
      }
    }
    total += s[ax];
  }
  const out = first.slice();
  out[ax] = total;
  if (d.rank !== r || d.shape.some((v, k) => v !== out[k])) {
    throw new RangeError(`${op}: dy has shape ${fmtShape(d.shape)} but the concat of shapes along axis ${ax} has shape ${fmtShape(out)}; they must match`);
  }
  const xs: Tensor[] = [];
  const h = heap();
  let params = -1;
  try {
    for (const s of ss) xs.push(Tensor.empty(s));
    if (d.size === 0) return xs;
    let outer = 1, inner = 1;
    for (let k = 0; k < ax; k++) outer *= out[k];
    for (let k = ax + 1; k < r; k++) inner *= out[k];
    params = h.alloc(8 * xs.length);
    const i32 = h.i32view();
    xs.forEach((x, i) => {
      i32[(params >>> 2) + 2 * i] = x.ptr;
      i32[(params >>> 2) + 2 * i + 1] = ss[i][ax] * inner;
    });
    kernels().concat_bwd_f32_simd(d.ptr, params, xs.length, outer);
    return xs;
  } catch (e) {
    for (const x of xs) x.dispose();
    throw e;
  } finally {
    if (params >= 0) h.release(params);
  }
}

/**
 * flatten's gradient: dy copied into a new tensor of xShape (the forward input's shape). dy
 * must have the shape flatten(x, startDim, endDim) gives for some startDim ≤ endDim.
 */
export function flattenBackward(dy: Tensor, xShape: readonly number[]): Tensor {
  const op = 'flattenBackward';
  const d = tensorArg(op, 'dy', dy);
  if (!Array.isArray(xShape)) throw new TypeError(`${op}: xShape must be an array of non-negative integers, got ${describe(xShape)}`);
  checkShape(xShape, `${op}: xShape`);
  const s = xShape.length === 0 ? [1] : xShape;
  let ok = false;
  for (let a = 0; a < s.length && !ok; a++) {
    for (let b = a; b < s.length && !ok; b++) {
      const f = [...s.slice(0, a), s.slice(a, b + 1).reduce((m, v) => m * v, 1), ...s.slice(b + 1)];
      ok = f.length === d.rank && f.every((v, i) => v === d.shape[i]);
    }
  }
  if (!ok) {
    const f = s.length > 1 ? [s[0], s.slice(1).reduce((m, v) => m * v, 1)] : s;
    throw new RangeError(
      `${op}: dy has shape ${fmtShape(d.shape)}, which no flatten of x ${fmtShape(xShape)} gives (flatten(x, 1, -1) gives ${fmtShape(f)})`,
    );
  }
  const dx = Tensor.empty(xShape);
  if (dx.size > 0) kernels().copy_f32_simd(d.ptr, dx.ptr, dx.size);
  return dx;
}
