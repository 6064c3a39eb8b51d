// Layout copies: concat (PyTorch's torch.cat) and flatten. Both return new tensors; the data
// moves with SIMD block copies and never leaves wasm memory.
import { Tensor, checkShape } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { describe, fmtShape, tensorArg } from './validate.js';

/** An integer dim in [−r, r) resolved to [0, r); the message names the op, the argument and the shape. */
function dimArg(op: string, name: string, v: unknown, shape: readonly number[], r: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: ${name} must be an integer, got ${describe(v)}`);
  if (v < -r || v >= r) {
    throw new RangeError(`${op}: ${name} ${v} is out of range for shape ${fmtShape(shape)} (rank ${shape.length}; valid ${-r}..${r - 1})`);
  }
  return v < 0 ? v + r : v;
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
  const first = ts[0];
  const r = first.rank;
  if (r === 0) throw new RangeError(`${op}: tensors[0] has shape [] (rank 0); a scalar cannot be concatenated, reshape it to [1]`);
  const ax = dimArg(op, 'axis', axis, first.shape, r);
  let total = 0;
  for (let i = 0; i < ts.length; i++) {
    const s = ts[i].shape;
    if (s.length !== r) {
      throw new RangeError(
        `${op}: tensors[${i}] has rank ${s.length} (shape ${fmtShape(s)}) but tensors[0] has rank ${r} (shape ${fmtShape(first.shape)}); all must have the same rank`,
      );
    }
    for (let d = 0; d < r; d++) {
      if (d !== ax && s[d] !== first.shape[d]) {
        throw new RangeError(
          `${op}: tensors[${i}] has shape ${fmtShape(s)} but tensors[0] has shape ${fmtShape(first.shape)}; ` +
            `they must match in every dimension except axis ${ax} (dimension ${d}: ${s[d]} vs ${first.shape[d]})`,
        );
      }
    }
    total += s[ax];
  }
  const out = first.shape.slice();
  out[ax] = total;
  const y = Tensor.empty(out);
  if (y.size === 0) return y;
  let outer = 1, inner = 1;
  for (let d = 0; d < ax; d++) outer *= out[d];
  for (let d = ax + 1; d < r; d++) inner *= out[d];
  const h = heap();
  const params = h.alloc(8 * ts.length);
  try {
    const i32 = new Int32Array(h.u8view().buffer, params, 2 * ts.length);
    ts.forEach((t, i) => {
      i32[2 * i] = t.ptr;
      i32[2 * i + 1] = t.shape[ax] * inner;
    });
    kernels().concat_f32_simd(params, ts.length, outer, y.ptr);
  } finally {
    h.release(params);
  }
  return y;
}

/**
 * PyTorch's flatten: dims startDim..endDim (inclusive; defaults 1 and −1, as nn.Flatten) merged
 * into one. A rank-0 tensor becomes [1]. Returns a new tensor (a copy).
 */
export function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor {
  const op = 'flatten';
  const t = tensorArg(op, 'x', x);
  const shape = t.rank === 0 ? [1] : t.shape;
  const r = shape.length;
  const s = dimArg(op, 'startDim', startDim, t.shape, r);
  const e = dimArg(op, 'endDim', endDim, t.shape, r);
  if (s > e) {
    throw new RangeError(`${op}: startDim ${startDim} (dimension ${s}) comes after endDim ${endDim} (dimension ${e}) for shape ${fmtShape(t.shape)}`);
  }
  const out = [...shape.slice(0, s), shape.slice(s, e + 1).reduce((a, b) => a * b, 1), ...shape.slice(e + 1)];
  const y = Tensor.empty(out);
  if (y.size > 0) kernels().copy_f32_simd(t.ptr, y.ptr, t.size);
  return y;
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
