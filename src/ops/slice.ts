// slice (ONNX Slice: starts, ends, axes, steps with negative indices, clamping and negative
// steps) and split (torch.split with sizes / torch.chunk with a count; ONNX Split), with their
// backward ops. slice walks the selected box with the strided copy of ops/transpose.ts (adjacent
// dims merged, so whole rows move as block copies), on float32 or int8 (bytes: a quantized
// activation keeps its scale and zero point); its backward scatters dy into zeros (float32). split is
// concat's backward kernel (one block copy per output per outer row); its backward is concat.
import { Tensor, type Shape } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { type Prepared, paramBlock, releaseAll, runOnce } from './prepared.js';
import { axisIndex, sizeOf, stridesOf } from './axes.js';
import { prepareConcat } from './concat.js';
import { type MoveDType, type StridedBox, MOVE_DTYPES, copyStrided, elemBytes, mergeBox, moveDtype, stridedKernel, stridedParams } from './strided.js';
import { describe, fmtShape, shapeArg, tensorArg } from './validate.js';

/** An index: an integer or ±Infinity (ONNX's INT64 sentinels). */
function indexList(op: string, name: string, v: unknown, len: number | null): number[] {
  if (!Array.isArray(v)) throw new TypeError(`${op}: ${name} must be an array of integers, got ${describe(v)}`);
  if (len !== null && v.length !== len) throw new RangeError(`${op}: ${name} has ${v.length} entries but starts has ${len}; they must have the same length`);
  v.forEach((a, i) => {
    if (typeof a !== 'number' || !(Number.isInteger(a) || a === Infinity || a === -Infinity)) {
      throw new TypeError(`${op}: ${name}[${i}] must be an integer, got ${describe(a)}`);
    }
  });
  return v.slice();
}

interface SliceGeometry { outShape: number[]; box: StridedBox; offset: number }

function sliceGeometry(op: string, xShape: unknown, starts: unknown, ends: unknown, axes: unknown, steps: unknown): SliceGeometry {
  const xs = shapeArg(op, 'xShape', xShape);
  const st = indexList(op, 'starts', starts, null);
  const en = indexList(op, 'ends', ends, st.length);
  const ax = axes === undefined || axes === null ? st.map((_, i) => i) : indexList(op, 'axes', axes, st.length).map((a, i) => axisIndex(op, `axes[${i}]`, a, xs));
  const sp = steps === undefined || steps === null ? st.map(() => 1) : indexList(op, 'steps', steps, st.length);
  const start = xs.map(() => 0), step = xs.map(() => 1), outShape = xs.slice();
  const seen = new Set<number>();
  ax.forEach((a, i) => {
    if (seen.has(a)) throw new RangeError(`${op}: axes names dimension ${a} twice (axes ${describe(axes)})`);
    seen.add(a);
    const n = xs[a], s = sp[i];
    if (s === 0 || !Number.isFinite(s)) throw new RangeError(`${op}: steps[${i}] must be a non-zero integer, got ${s}`);
    // the spec text's clamping: with a negative step, a start before the first element
    // clamps to 0 (and so takes element 0), where NumPy's slicing would give nothing
    let b = st[i] < 0 ? st[i] + n : st[i], e = en[i] < 0 ? en[i] + n : en[i];
    if (s > 0) {
      b = Math.min(Math.max(b, 0), n);
      e = Math.min(Math.max(e, 0), n);
    } else {
      b = Math.min(Math.max(b, 0), n - 1);
      e = Math.min(Math.max(e, -1), n - 1);
    }
    start[a] = b;
    step[a] = s;
    outShape[a] = n === 0 ? 0 : Math.max(0, Math.ceil((e - b) / s));
  });
  const xst = stridesOf(xs);
  const offset = outShape.every((n) => n > 0) ? start.reduce((acc, b, d) => acc + b * xst[d], 0) : 0;
  const box = mergeBox({ dims: outShape, src: xst.map((v, d) => v * step[d]), dst: stridesOf(outShape) });
  if (box.dims.length > 6) throw new RangeError(`${op}: x ${fmtShape(xs)} sliced this way needs a walk over ${box.dims.length} dims; at most 6 are supported`);
  return { outShape, box, offset };
}

/**
 * slice prepared for x of xShape (arguments as slice): inputs [x]; output of the sliced shape, of
 * x's dtype ('float32', or 'int8': bytes moved as they are). Owns a parameter block. Not in place.
 */
export function prepareSlice(
  xShape: Shape, starts: readonly number[], ends: readonly number[], axes?: readonly number[] | null, steps?: readonly number[] | null, dtype?: MoveDType,
): Prepared {
  const g = sliceGeometry('slice', xShape, starts, ends, axes, steps);
  const dt = moveDtype('slice', dtype);
  const none = { outShape: g.outShape, scratchBytes: 0 };
  if (sizeOf(g.outShape) === 0) return { ...none, run() {}, dispose() {} };
  let params = paramBlock(stridedParams(g.box));
  const off = g.offset * elemBytes(dt);
  const walk = stridedKernel(dt);
  return {
    ...none,
    run: (inputs, out) => walk(inputs[0] + off, out, params),
    dispose() {
      releaseAll([params]);
      params = 0;
    },
  };
}

/**
 * ONNX Slice: along axes[i] (default 0, 1, …) takes starts[i], starts[i] + steps[i], … up to
 * (not including) ends[i]; negative starts/ends count from the end, out-of-range ones are
 * clamped (±Infinity allowed), negative steps walk backwards. Returns a new tensor of x's dtype
 * (float32 or int8).
 */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[], axes?: readonly number[] | null, steps?: readonly number[] | null): Tensor {
  const t = tensorArg('slice', 'x', x, MOVE_DTYPES);
  const dt = t.dtype as MoveDType;
  return runOnce(prepareSlice(t.shape, starts, ends, axes, steps, dt), [t.ptr], (s) => Tensor.empty(s, dt));
}

/** slice's gradient: dy scattered into zeros of xShape at the positions slice read. */
export function sliceBackward(dy: Tensor, xShape: Shape, starts: readonly number[], ends: readonly number[], axes?: readonly number[] | null, steps?: readonly number[] | null): Tensor {
  const op = 'sliceBackward';
  const d = tensorArg(op, 'dy', dy);
  const g = sliceGeometry(op, xShape, starts, ends, axes, steps);
  if (d.rank !== g.outShape.length || d.shape.some((v, i) => v !== g.outShape[i])) {
    throw new RangeError(`${op}: dy has shape ${fmtShape(d.shape)} but the slice of x ${fmtShape(xShape)} has shape ${fmtShape(g.outShape)}; they must match`);
  }
  const dx = Tensor.zeros(xShape);
  if (d.size === 0) return dx;
  try {
    // the forward box with its strides swapped: read dy contiguously, write x's positions
    copyStrided(d.ptr, dx.ptr + g.offset * 4, { dims: g.box.dims, src: g.box.dst, dst: g.box.src });
  } catch (e) {
    dx.dispose();
    throw e;
  }
  return dx;
}

// ── split ────────────────────────────────────────────────────────────────────────────────────

/** A Prepared with several outputs (one address each, in order). */
export interface PreparedSplit {
  readonly outShapes: Shape[];
  readonly scratchBytes: number;
  run(inputs: readonly number[], outs: readonly number[], scratch: number): void;
  dispose(): void;
}

function splitSizes(op: string, v: unknown, n: number, xs: number[], ax: number): number[] {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${op}: a count of chunks must be a positive integer, got ${describe(v)}`);
    // torch.chunk: chunks of ⌈n / count⌉, the last smaller (so possibly fewer than count chunks)
    const size = Math.max(1, Math.ceil(n / v));
    const out: number[] = [];
    for (let at = 0; at < n; at += size) out.push(Math.min(size, n - at));
    return out.length > 0 ? out : [0];
  }
  if (!Array.isArray(v) || v.length === 0 || v.some((s) => typeof s !== 'number' || !Number.isInteger(s) || s < 0)) {
    throw new TypeError(`${op}: sizes must be a positive integer (a count) or a non-empty array of integers ≥ 0, got ${describe(v)}`);
  }
  const total = v.reduce((a: number, b: number) => a + b, 0);
  if (total !== n) throw new RangeError(`${op}: sizes [${v.join(', ')}] add up to ${total} but x ${fmtShape(xs)} has ${n} along axis ${ax}`);
  return v.slice();
}

/**
 * split prepared for x of xShape: inputs [x]; one output per piece (outShapes), along `axis`
 * (default 0). sizesOrCount: the pieces' sizes (torch.split with a list, ONNX Split's split), or
 * a count of chunks (torch.chunk: pieces of ⌈n / count⌉, the last smaller, so possibly fewer).
 */
export function prepareSplit(xShape: Shape, sizesOrCount: number | readonly number[], axis = 0): PreparedSplit {
  const op = 'split';
  const xs = shapeArg(op, 'xShape', xShape);
  if (xs.length === 0) throw new RangeError(`${op}: x has shape [] (rank 0); a scalar cannot be split`);
  const ax = axisIndex(op, 'axis', axis, xs);
  const sizes = splitSizes(op, sizesOrCount, xs[ax], xs, ax);
  const outShapes = sizes.map((s) => xs.map((n, d) => (d === ax ? s : n)));
  const outer = sizeOf(xs.slice(0, ax)), inner = sizeOf(xs.slice(ax + 1));
  const k = sizes.length;
  if (sizeOf(xs) === 0) return { outShapes, scratchBytes: 0, run() {}, dispose() {} };
  let params = paramBlock(sizes.flatMap((s) => [0, s * inner]));
  return {
    outShapes,
    scratchBytes: 0,
    run(inputs, outs) {
      const i32 = heap().i32view();
      for (let t = 0; t < k; t++) i32[(params >>> 2) + 2 * t] = outs[t];
      kernels().concat_bwd_f32_simd(inputs[0], params, k, outer);
    },
    dispose() {
      releaseAll([params]);
      params = 0;
    },
  };
}

/** torch.split / torch.chunk / ONNX Split: x cut along `axis` (default 0) into new tensors. */
export function split(x: Tensor, sizesOrCount: number | readonly number[], axis = 0): Tensor[] {
  const t = tensorArg('split', 'x', x);
  const p = prepareSplit(t.shape, sizesOrCount, axis);
  const outs: Tensor[] = [];
  try {
    for (const s of p.outShapes) outs.push(Tensor.empty(s));
    p.run([t.ptr], outs.map((o) => o.ptr), 0);
    return outs;
  } catch (e) {
    for (const o of outs) o.dispose();
    throw e;
  } finally {
    p.dispose();
  }
}

/** split's gradient: the pieces' gradients joined along `axis` (the concat kernel). */
export function splitBackward(dys: readonly Tensor[], axis = 0): Tensor {
  const op = 'splitBackward';
  if (!Array.isArray(dys)) throw new TypeError(`${op}: dys must be an array of Tensors (one per piece), got ${describe(dys)}`);
  const ts = dys.map((d, i) => tensorArg(op, `dys[${i}]`, d));
  if (ts.length === 0) throw new RangeError(`${op}: dys needs at least one tensor (one per piece), got an empty list`);
  return runOnce(prepareConcat(ts.map((t) => t.shape), axis, op, 'dys'), ts.map((t) => t.ptr), (s) => Tensor.empty(s));
}
