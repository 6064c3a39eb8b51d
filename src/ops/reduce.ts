// Reductions over any set of axes (ONNX ReduceSum / ReduceMean / ReduceMax, PyTorch's sum / mean /
// amax) and ONNX GlobalMaxPool. Adjacent reduced dims merge, as do adjacent kept dims, so x is
// seen as runs [K, R, K, R, …]; each run of reduced dims is one kernel pass over
// [outer, r, inner] (last run first, through scratch), so a global pool over H, W is one
// contiguous pass over [N·C, H·W, 1] and a mean over C of NCHW one pass over [N, C, H·W].
// reduceMax's gradient goes to the FIRST maximal element of each reduced slice (row-major order
// over the reduced axes), as torch.max(dim) and ONNX ArgMax do; PyTorch's amax splits it evenly
// among ties instead. With distinct values the two agree.
import { Tensor, type Shape } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { alignUp } from '../wasm/heap.js';
import { type Prepared, runOnce } from './prepared.js';
import { axesArg, boolArg, sizeOf } from './axes.js';
import { fmtShape, rankArg, shapeArg, tensorArg } from './validate.js';

export type ReduceKind = 'sum' | 'mean' | 'max';
/** Axes to reduce: one, several, or null/undefined/[] for all (negative axes count from the end). */
export type Axes = number | readonly number[] | null | undefined;

const NAMES: Record<ReduceKind, string> = { sum: 'reduceSum', mean: 'reduceMean', max: 'reduceMax' };

/** One kernel pass: x viewed as [outer, r, inner] reduced over r. */
interface Pass { outer: number; r: number; inner: number }

interface Plan {
  xShape: number[];
  outShape: number[];
  passes: Pass[];
  /** Elements after each pass (the last is the output's). */
  sizes: number[];
}

function plan(op: string, kind: ReduceKind, xShape: unknown, axes: unknown, keepdims: unknown): Plan {
  const xs = shapeArg(op, 'xShape', xShape);
  const keep = boolArg(op, 'keepdims', keepdims, true);
  const ax = axesArg(op, 'axes', axes, xs);
  const red = xs.map((_, d) => ax.includes(d));
  const outShape: number[] = [];
  xs.forEach((n, d) => {
    if (!red[d]) outShape.push(n);
    else if (keep) outShape.push(1);
  });
  if (kind === 'max' && ax.some((d) => xs[d] === 0) && sizeOf(outShape) > 0) {
    throw new RangeError(`${op}: cannot take the maximum over an empty dimension (x ${fmtShape(xs)}, axes [${ax.join(', ')}])`);
  }
  // merge adjacent dims of the same kind into groups
  const groups: { n: number; red: boolean }[] = [];
  xs.forEach((n, d) => {
    const last = groups[groups.length - 1];
    if (last && last.red === red[d]) last.n *= n;
    else groups.push({ n, red: red[d] });
  });
  const passes: Pass[] = [];
  const sizes: number[] = [];
  const cur = groups.map((g) => g.n);
  for (let g = groups.length - 1; g >= 0; g--) {
    if (!groups[g].red || cur[g] === 1) continue;
    passes.push({ outer: sizeOf(cur.slice(0, g)), r: cur[g], inner: sizeOf(cur.slice(g + 1)) });
    cur[g] = 1;
    sizes.push(sizeOf(cur));
  }
  return { xShape: xs, outShape, passes, sizes };
}

/** Scratch for intermediate results: two ping-pong buffers of the largest intermediate. */
function scratchOf(p: Plan): { bytes: number; half: number } {
  const inter = p.sizes.slice(0, -1);
  if (inter.length === 0) return { bytes: 0, half: 0 };
  const half = alignUp(Math.max(...inter) * 4 + 16, 16);
  return { bytes: inter.length > 1 ? 2 * half : half, half };
}

function prepare(kind: ReduceKind, xShape: Shape, axes: Axes, keepdims: boolean | undefined): Prepared {
  const op = NAMES[kind];
  const p = plan(op, kind, xShape, axes, keepdims);
  const { bytes, half } = scratchOf(p);
  const n = sizeOf(p.xShape), m = sizeOf(p.outShape);
  return {
    outShape: p.outShape,
    scratchBytes: bytes,
    run(inputs, out, scratch) {
      if (m === 0) return;
      const k = kernels();
      if (p.passes.length === 0 || n === 0) {
        // nothing reduced (every reduced dim is 1), or sums over an empty set
        if (n === 0) k.fill_f32_simd(out, m, kind === 'sum' ? 0 : NaN);
        else k.copy_f32_simd(inputs[0], out, m);
        return;
      }
      let src = inputs[0];
      p.passes.forEach((s, i) => {
        const dst = i === p.passes.length - 1 ? out : scratch + (i % 2) * half;
        if (kind === 'max') k.reduce_max_f32_simd(src, dst, s.outer, s.r, s.inner);
        else k.reduce_sum_f32_simd(src, dst, s.outer, s.r, s.inner, kind === 'mean' ? 1 / s.r : 1);
        src = dst;
      });
    },
    dispose() {},
  };
}

/** reduceSum prepared for x of xShape: inputs [x]; output of the reduced shape; scratch when several runs of axes are reduced. */
export function prepareReduceSum(xShape: Shape, axes?: Axes, keepdims?: boolean): Prepared {
  return prepare('sum', xShape, axes, keepdims);
}

/** reduceMean prepared for x of xShape; as prepareReduceSum. */
export function prepareReduceMean(xShape: Shape, axes?: Axes, keepdims?: boolean): Prepared {
  return prepare('mean', xShape, axes, keepdims);
}

/** reduceMax prepared for x of xShape; as prepareReduceSum. */
export function prepareReduceMax(xShape: Shape, axes?: Axes, keepdims?: boolean): Prepared {
  return prepare('max', xShape, axes, keepdims);
}

const empty = (s: Shape) => Tensor.empty(s);

/**
 * Σ of x over `axes` (default: all; negative axes count from the end). keepdims (default true,
 * as ONNX) keeps each reduced dim as 1; false drops them (PyTorch's keepdim=False).
 */
export function reduceSum(x: Tensor, axes?: Axes, keepdims?: boolean): Tensor {
  const t = tensorArg('reduceSum', 'x', x);
  return runOnce(prepareReduceSum(t.shape, axes, keepdims), [t.ptr], empty);
}

/** Mean of x over `axes` (as reduceSum); a mean over no elements is NaN, as PyTorch. */
export function reduceMean(x: Tensor, axes?: Axes, keepdims?: boolean): Tensor {
  const t = tensorArg('reduceMean', 'x', x);
  return runOnce(prepareReduceMean(t.shape, axes, keepdims), [t.ptr], empty);
}

/** Maximum of x over `axes` (as reduceSum); NaN propagates; an empty reduced dim is an error. */
export function reduceMax(x: Tensor, axes?: Axes, keepdims?: boolean): Tensor {
  const t = tensorArg('reduceMax', 'x', x);
  return runOnce(prepareReduceMax(t.shape, axes, keepdims), [t.ptr], empty);
}

/** ONNX GlobalMaxPool: the maximum over every spatial dim of x [N, C, …spatial], kept as 1s. */
export function prepareGlobalMaxPool2d(xShape: Shape): Prepared {
  const op = 'globalMaxPool2d';
  const xs = shapeArg(op, 'xShape', xShape);
  if (xs.length < 3) throw new RangeError(`${op}: x must have rank ≥ 3 (N, C, spatial dims), got shape ${fmtShape(xs)}`);
  if (xs.slice(2).includes(0)) throw new RangeError(`${op}: x ${fmtShape(xs)} has an empty spatial dim; there is no maximum over it`);
  return prepare('max', xs, xs.slice(2).map((_, i) => i + 2), true);
}

/** ONNX GlobalMaxPool (PyTorch's AdaptiveMaxPool2d(1)): x [N, C, H, W] → [N, C, 1, 1]. */
export function globalMaxPool2d(x: Tensor): Tensor {
  const t = tensorArg('globalMaxPool2d', 'x', x);
  return runOnce(prepareGlobalMaxPool2d(t.shape), [t.ptr], empty);
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────

function checkDy(op: string, dy: Tensor, p: Plan): void {
  if (dy.rank !== p.outShape.length || dy.shape.some((v, i) => v !== p.outShape[i])) {
    throw new RangeError(`${op}: dy has shape ${fmtShape(dy.shape)} but the forward output for x ${fmtShape(p.xShape)} has shape ${fmtShape(p.outShape)}; they must match`);
  }
}

/** Runs `step(src, dst, pass)` over passes into fresh temporaries; the last writes into `last`. */
function chain(passes: Pass[], sizes: number[], first: number, last: number, step: (src: number, dst: number, s: Pass, i: number) => void): void {
  const h = heap();
  const tmp: number[] = [];
  try {
    let src = first;
    passes.forEach((s, i) => {
      const dst = i === passes.length - 1 ? last : h.alloc(sizes[i] * 4);
      if (dst !== last) tmp.push(dst);
      step(src, dst, s, i);
      src = dst;
    });
  } finally {
    for (const q of tmp) h.release(q);
  }
}

function sumBackward(kind: 'sum' | 'mean', dy: Tensor, xShape: Shape, axes: Axes, keepdims: boolean | undefined): Tensor {
  const op = `${NAMES[kind]}Backward`;
  const d = tensorArg(op, 'dy', dy);
  const p = plan(op, kind, xShape, axes, keepdims);
  checkDy(op, d, p);
  const dx = Tensor.empty(p.xShape);
  const n = dx.size;
  if (n === 0) return dx;
  const k = kernels();
  if (p.passes.length === 0) {
    k.copy_f32_simd(d.ptr, dx.ptr, n);
    return dx;
  }
  // the forward passes undone in reverse order: each a broadcast over its r
  const rev = p.passes.slice().reverse();
  const sizes = rev.map((s) => s.outer * s.r * s.inner);
  try {
    chain(rev, sizes, d.ptr, dx.ptr, (src, dst, s) => k.reduce_bwd_f32_simd(src, dst, s.outer, s.r, s.inner, kind === 'mean' ? 1 / s.r : 1));
  } catch (e) {
    dx.dispose();
    throw e;
  }
  return dx;
}

/** reduceSum's gradient: dy (the forward output's shape) broadcast back to xShape. */
export function reduceSumBackward(dy: Tensor, xShape: Shape, axes?: Axes, keepdims?: boolean): Tensor {
  return sumBackward('sum', dy, xShape, axes, keepdims);
}

/** reduceMean's gradient: dy broadcast back to xShape, divided by the number of reduced elements. */
export function reduceMeanBackward(dy: Tensor, xShape: Shape, axes?: Axes, keepdims?: boolean): Tensor {
  return sumBackward('mean', dy, xShape, axes, keepdims);
}

/**
 * reduceMax's gradient: dy routed to the first maximal element of each reduced slice of x (the
 * forward input; row-major order over the reduced axes), zero elsewhere. axes, keepdims as forward.
 */
export function reduceMaxBackward(dy: Tensor, x: Tensor, axes?: Axes, keepdims?: boolean): Tensor {
  return maxBackward('reduceMaxBackward', dy, x, axes, keepdims);
}

function maxBackward(op: string, dy: unknown, x: unknown, axes: unknown, keepdims: unknown): Tensor {
  const d = tensorArg(op, 'dy', dy);
  const t = tensorArg(op, 'x', x);
  const p = plan(op, 'max', t.shape, axes, keepdims);
  checkDy(op, d, p);
  const dx = Tensor.empty(p.xShape);
  if (dx.size === 0) return dx;
  const k = kernels(), h = heap();
  if (p.passes.length === 0) {
    k.copy_f32_simd(d.ptr, dx.ptr, dx.size);
    return dx;
  }
  // the forward's intermediates again (pass i reads ys[i], writes ys[i + 1]); then back, one pass at a time
  const ys = [t.ptr];
  const grads: number[] = [];
  try {
    p.passes.forEach((s, i) => {
      ys.push(h.alloc(p.sizes[i] * 4));
      k.reduce_max_f32_simd(ys[i], ys[i + 1], s.outer, s.r, s.inner);
    });
    let g = d.ptr;
    for (let i = p.passes.length - 1; i >= 0; i--) {
      const s = p.passes[i];
      const dst = i === 0 ? dx.ptr : h.alloc(s.outer * s.r * s.inner * 4);
      if (i > 0) grads.push(dst);
      k.reduce_max_bwd_f32_simd(ys[i], ys[i + 1], g, dst, s.outer, s.r, s.inner);
      g = dst;
    }
    return dx;
  } catch (e) {
    dx.dispose();
    throw e;
  } finally {
    for (const q of [...ys.slice(1), ...grads]) h.release(q);
  }
}

/** globalMaxPool2d's gradient: dy [N, C, 1, 1] routed to the first maximum of each plane of x. */
export function globalMaxPool2dBackward(dy: Tensor, x: Tensor): Tensor {
  const op = 'globalMaxPool2dBackward';
  const t = tensorArg(op, 'x', x);
  if (t.rank < 3) rankArg(op, 'x', x, [3, 4, 5], 'N, C, spatial dims');
  return maxBackward(op, dy, t, t.shape.slice(2).map((_, i) => i + 2), true);
}
