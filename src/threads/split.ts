// How each kernel's work is cut across threads: by output range only, so every output element is
// computed by the same code in the same order whatever the thread count (results are bitwise
// identical to one thread). A splitter turns one call's arguments into the arguments of each part
// (the pool's threads take the parts as tasks, a few per thread so that a slower thread is
// balanced out), or returns null when the call is too small: a part should hold minPartNs of
// single-thread work (6 µs while the workers poll for work, 40 µs once they sleep; see
// jobPolicy). Ops with many blocks make their own tasks (parallel.ts, tasksWorth).
//
// Weight gradients are split by output channel (each thread owns whole rows of dW and sums over
// every image itself), so they too are reduced in one fixed order. Kernels that are not here run
// on the calling thread: reductions into one value (the losses), the bias gradient (its plane
// sums stride by the channel count), kernels that share one scratch buffer (average pooling's
// backward row, adaptive pooling's window tables, LRN's backward), and depthwise convolutions
// (their ops cut them by image instead).
import type { Kernels } from '../wasm/abi.js';
import type { Heap } from '../wasm/heap.js';

export interface SplitContext {
  heap: Heap;
  /** Byte address of part t's parameter-block scratch (64 i32 slots), t < MAX_PARTS. */
  scratch(t: number): number;
  /** Single-thread nanoseconds a part should at least hold now (the pool sets it per call). */
  minPartNs: number;
  /** Parts to aim for at most: a few per thread, so a slower thread takes fewer. */
  maxParts: number;
}

export type Splitter = (a: number[], threads: number, ctx: SplitContext) => number[][] | null;

/** Parts one call may be cut into at most (the pool's parameter-block scratch holds this many). */
export const MAX_PARTS = 64;

/** When handing work to the threads pays (see jobPolicy). */
export interface JobPolicy {
  /** A part (a task) should hold at least this many single-thread ns while workers are awake. */
  minPartNs: number;
  /** ... and this many while they sleep (waking one costs 30–130 µs on a VM). */
  coldPartNs: number;
  /** A job is handed to sleeping workers only when it holds this many ns in all. */
  coldJobNs: number;
  /** Parts to aim for per thread: more balance a slow thread out, fewer cost less to hand out. */
  partsPerThread: number;
}

const DEFAULT_POLICY: JobPolicy = { minPartNs: 6_000, coldPartNs: 40_000, coldJobNs: 120_000, partsPerThread: 4 };
let policy: JobPolicy = DEFAULT_POLICY;

export function jobPolicy(): JobPolicy {
  return policy;
}

/**
 * Tests set 0: every job and every call that can be split is split (into as many parts as the
 * policy allows), so the reference tests check each split; Infinity: nothing is; undefined: the
 * default policy.
 */
export function setSplitThreshold(ns: number | undefined): void {
  policy = ns === undefined ? DEFAULT_POLICY : { minPartNs: ns, coldPartNs: ns, coldJobNs: ns, partsPerThread: DEFAULT_POLICY.partsPerThread };
}
/** Rough single-thread rate of the GEMM-like kernels, used to size parts and tasks (not to promise speed). */
const GEMM_FLOP_PER_NS = 40;

/** Single-thread ns of a GEMM-like pass of `flops` floating-point operations. */
export const gemmNs = (flops: number): number => flops / GEMM_FLOP_PER_NS;

function partsFor(ctx: SplitContext, workNs: number, units: number): number {
  const worth = ctx.minPartNs > 0 ? Math.floor(workNs / ctx.minPartNs) : ctx.maxParts;
  return Math.max(1, Math.min(ctx.maxParts, worth, units));
}

/** Single-thread ns an op's task should hold at least (a task costs about a microsecond). */
const MIN_TASK_NS = 20_000;

/**
 * Tasks worth making of workNs single-thread ns cut into at most `units` pieces (ops' jobs): as
 * many as keep each above MIN_TASK_NS, so that a slower thread is balanced out to within one small
 * task, and at least one per thread while each still holds minPartNs.
 */
export function tasksWorth(workNs: number, threads: number, units: number): number {
  const { minPartNs } = policy;
  if (minPartNs === 0) return Math.max(1, units);
  const small = Math.floor(workNs / Math.max(minPartNs, MIN_TASK_NS));
  const perThread = Math.min(threads, Math.floor(workNs / minPartNs));
  return Math.max(1, Math.min(units, Math.max(small, perThread)));
}

/** p + 1 boundaries from 0 to total, inner ones multiples of align, as even as that allows. */
function cuts(total: number, p: number, align: number): number[] {
  const b = [0];
  for (let i = 1; i < p; i++) {
    const c = Math.round((total * i) / p / align) * align;
    b.push(Math.min(total, Math.max(b[i - 1]!, c)));
  }
  b.push(total);
  return b;
}

/** Parts from boundaries: make(part args copy, start, count, part index). Empty parts dropped. */
function partsOf(a: number[], b: number[], make: (c: number[], start: number, count: number, t: number) => void): number[][] | null {
  const out: number[][] = [];
  for (let i = 0; i + 1 < b.length; i++) {
    const count = b[i + 1]! - b[i]!;
    if (count <= 0) continue;
    const c = a.slice();
    make(c, b[i]!, count, out.length);
    out.push(c);
  }
  return out.length > 1 ? out : null;
}

/** Adds bytes to the pointer at c[i] unless it is 0 (an absent optional operand). */
function bump(c: number[], i: number, bytes: number): void {
  if (c[i] !== 0) c[i] = c[i]! + bytes;
}

/** Elementwise kernels: n elements at index nIdx, float pointers at ptrs. */
function elementwise(ptrs: number[], nIdx: number, nsPerElement: number): Splitter {
  return (a, _threads, ctx) => {
    const n = a[nIdx]!;
    const p = partsFor(ctx, n * nsPerElement, Math.ceil(n / 64));
    if (p < 2) return null;
    return partsOf(a, cuts(n, p, 16), (c, s, k) => {
      for (const i of ptrs) bump(c, i, s * 4);
      c[nIdx] = k;
    });
  };
}

/** Kernels over [start, end) at indexes lo, lo + 1 (planes, columns, channels). */
function range(lo: number, align: number, nsPerUnit: (a: number[], ctx: SplitContext) => number): Splitter {
  return (a, _threads, ctx) => {
    const s0 = a[lo]!, e0 = a[lo + 1]!;
    const n = e0 - s0;
    if (n < 2) return null;
    const p = partsFor(ctx, n * nsPerUnit(a, ctx), n);
    if (p < 2) return null;
    return partsOf(a, cuts(n, p, align), (c, s, k) => {
      c[lo] = s0 + s;
      c[lo + 1] = s0 + s + k;
    });
  };
}

/** Row kernels: `rows` at rowsIdx, each rowFloats(a) floats apart in every pointer of ptrs. */
function rows(ptrs: number[], rowsIdx: number, rowFloats: (a: number[]) => number, nsPerFloat: number): Splitter {
  return (a, _threads, ctx) => {
    const r = a[rowsIdx]!, f = rowFloats(a);
    const p = partsFor(ctx, r * f * nsPerFloat, r);
    if (p < 2) return null;
    return partsOf(a, cuts(r, p, 1), (c, s, k) => {
      for (const i of ptrs) bump(c, i, s * f * 4);
      c[rowsIdx] = k;
    });
  };
}

/** The i32 geometry slot i of the block at a[idx] (read on the calling thread). */
function geom(ctx: SplitContext, ptr: number, i: number): number {
  return ctx.heap.i32view()[(ptr >> 2) + i]!;
}

/** Copies the parameter block at ptr (len slots) to thread t's scratch with some slots changed. */
function paramCopy(ctx: SplitContext, ptr: number, len: number, t: number, set: Record<number, number>): number {
  const v = ctx.heap.i32view();
  const d = ctx.scratch(t);
  v.copyWithin(d >> 2, ptr >> 2, (ptr >> 2) + len);
  for (const [k, val] of Object.entries(set)) v[(d >> 2) + Number(k)] = val;
  return d;
}

/**
 * GEMM forms: C (M × N) cut along the longer side, so that each part re-reads the smaller
 * operand: column strips of whole 8-column panels re-read all of A (M·K), row blocks (multiples
 * of rowAlign) all of B (K·N). A dense layer's W [out, in] as A is read once in all that way,
 * not once per part. The other side is cut when the longer one has too few units. The callbacks
 * move each part's operands.
 */
function gemm(
  Mi: number, Ni: number, Ki: number, rowAlign: number,
  byCols: (c: number[], j0: number) => void,
  byRows: (c: number[], i0: number) => void,
): Splitter {
  return (a, threads, ctx) => {
    const M = a[Mi]!, N = a[Ni]!, K = a[Ki]!;
    const work = gemmNs(2 * M * N * K);
    const panels = Math.ceil(N / 8), rowBlocks = Math.ceil(M / rowAlign);
    const colsFirst = N >= M ? panels >= threads || panels >= rowBlocks : rowBlocks < threads && panels > rowBlocks;
    if (colsFirst) {
      const p = partsFor(ctx, work, panels);
      if (p < 2) return null;
      return partsOf(a, cuts(N, p, 8), (c, s, k) => { byCols(c, s); c[Ni] = k; });
    }
    const p = partsFor(ctx, work, Math.ceil(M / rowAlign));
    if (p < 2) return null;
    return partsOf(a, cuts(M, p, rowAlign), (c, s, k) => { byRows(c, s); c[Mi] = k; });
  };
}

/** Direct stride-1 convolutions: by image when there are enough, else by 8-channel panels. */
const directConv: Splitter = (a, threads, ctx) => {
  const pp = a[4]!;
  const C = geom(ctx, pp, 0), O = geom(ctx, pp, 3), kh = geom(ctx, pp, 4), kw = geom(ctx, pp, 5);
  const oh = geom(ctx, pp, 9), ow = geom(ctx, pp, 10), N = geom(ctx, pp, 11);
  const xStride = geom(ctx, pp, 12), yStride = geom(ctx, pp, 13);
  const K = C * kh * kw;
  const work = gemmNs(2 * N * O * oh * ow * K);
  if (N >= threads) {
    const p = partsFor(ctx, work, N);
    if (p < 2) return null;
    return partsOf(a, cuts(N, p, 1), (c, s, k, t) => {
      c[0] = c[0]! + s * xStride * 4;
      c[3] = c[3]! + s * yStride * 4;
      c[4] = paramCopy(ctx, pp, 14, t, { 11: k });
    });
  }
  const p = partsFor(ctx, work, Math.ceil(O / 8));
  if (p < 2) return null;
  return partsOf(a, cuts(O, p, 8), (c, s, k, t) => {
    c[1] = c[1]! + (s / 8) * K * 32;
    bump(c, 2, s * 4);
    c[3] = c[3]! + s * oh * ow * 4;
    c[4] = paramCopy(ctx, pp, 14, t, { 3: k });
  });
};

/** im2col by input channel (each channel's kh·kw rows of col are its own). */
const im2col: Splitter = (a, _threads, ctx) => {
  const pp = a[3]!;
  const C = geom(ctx, pp, 0), H = geom(ctx, pp, 1), W = geom(ctx, pp, 2), kh = geom(ctx, pp, 3), kw = geom(ctx, pp, 4);
  const ow = geom(ctx, pp, 11);
  const ldCol = a[2]!, count = a[5]! - a[4]!;
  const p = partsFor(ctx, C * kh * kw * count * ow * 0.25, C);
  if (p < 2) return null;
  return partsOf(a, cuts(C, p, 1), (c, s, k, t) => {
    c[0] = c[0]! + s * H * W * 4;
    c[1] = c[1]! + s * kh * kw * ldCol * 4;
    c[3] = paramCopy(ctx, pp, 12, t, { 0: k });
  });
};

/** col2im by input channel: each part adds into whole planes of x only (its own end guard). */
const col2im: Splitter = (a, _threads, ctx) => {
  const pp = a[2]!;
  const C = geom(ctx, pp, 0), H = geom(ctx, pp, 1), W = geom(ctx, pp, 2), kh = geom(ctx, pp, 3), kw = geom(ctx, pp, 4);
  const ow = geom(ctx, pp, 11);
  const count = a[4]! - a[3]!;
  const p = partsFor(ctx, C * kh * kw * count * ow * 0.3, C);
  if (p < 2) return null;
  return partsOf(a, cuts(C, p, 1), (c, s, k, t) => {
    c[0] = c[0]! + s * kh * kw * count * ow * 4;
    c[1] = c[1]! + s * H * W * 4;
    c[2] = paramCopy(ctx, pp, 12, t, { 0: k });
  });
};

/** The direct filter gradient over a batch, by pairs of output channels (rows of dW). */
const filterS1: Splitter = (a, _threads, ctx) => {
  const pp = a[3]!;
  const C = geom(ctx, pp, 0), O = geom(ctx, pp, 3), kh = geom(ctx, pp, 4), kw = geom(ctx, pp, 5);
  const oh = geom(ctx, pp, 9), ow = geom(ctx, pp, 10), N = geom(ctx, pp, 11);
  const K = C * kh * kw;
  const p = partsFor(ctx, gemmNs(2 * N * O * oh * ow * K), Math.ceil(O / 2));
  if (p < 2) return null;
  return partsOf(a, cuts(O, p, 2), (c, s, k, t) => {
    c[1] = c[1]! + s * oh * ow * 4;
    c[2] = c[2]! + s * K * 4;
    c[3] = paramCopy(ctx, pp, 14, t, { 3: k });
  });
};

/** The direct filter gradient of one image, by 8-channel panels of dy (rows of dW). */
const filterCt: Splitter = (a, _threads, ctx) => {
  const pp = a[4]!;
  const C = geom(ctx, pp, 0), O = geom(ctx, pp, 3), kh = geom(ctx, pp, 4), kw = geom(ctx, pp, 5);
  const oh = geom(ctx, pp, 8), ow = geom(ctx, pp, 9);
  const K = C * kh * kw, P = oh * ow;
  const p = partsFor(ctx, gemmNs(2 * O * P * K), Math.ceil(O / 8));
  if (p < 2) return null;
  return partsOf(a, cuts(O, p, 8), (c, s, k, t) => {
    c[1] = c[1]! + (s / 8) * P * 32;
    c[2] = c[2]! + s * K * 4;
    c[4] = paramCopy(ctx, pp, 10, t, { 3: k });
  });
};

/** ns per plane of a pooling geometry block at a[gi] (H·W input floats read). */
const planeOf = (gi: number) => (a: number[], ctx: SplitContext): number => geom(ctx, a[gi]!, 0) * geom(ctx, a[gi]!, 1) * 0.2;

export const SPLITTERS: Partial<Record<keyof Kernels, Splitter>> = {
  copy_f32_simd: elementwise([0, 1], 2, 0.1),
  fill_f32_simd: elementwise([0], 1, 0.05),
  relu_f32_simd: elementwise([0, 1], 2, 0.1),
  leaky_relu_f32_simd: elementwise([0, 1], 2, 0.1),
  sigmoid_f32_simd: elementwise([0, 1], 2, 0.5),
  tanh_f32_simd: elementwise([0, 1], 2, 0.5),
  relu_bwd_f32_simd: elementwise([0, 1, 2], 3, 0.15),
  leaky_relu_bwd_f32_simd: elementwise([0, 1, 2], 3, 0.15),
  sigmoid_bwd_f32_simd: elementwise([0, 1, 2], 3, 0.15),
  tanh_bwd_f32_simd: elementwise([0, 1, 2], 3, 0.15),
  add_f32_simd: elementwise([0, 1, 2], 3, 0.15),
  mul_f32_simd: elementwise([0, 1, 2], 3, 0.15),
  scale_f32_simd: elementwise([0, 1], 2, 0.1),
  add_inc_f32_simd: elementwise([0, 1], 2, 0.15),
  sgd_f32_simd: elementwise([0, 1, 2], 3, 0.3),
  adam_f32_simd: elementwise([0, 1, 2, 3], 4, 0.5),

  softmax_f32_simd: rows([0, 1], 2, (a) => a[3]!, 1),
  log_softmax_f32_simd: rows([0, 1], 2, (a) => a[3]!, 1),
  softmax_bwd_f32_simd: rows([0, 1, 2], 3, (a) => a[4]!, 0.5),
  log_softmax_bwd_f32_simd: rows([0, 1, 2], 3, (a) => a[4]!, 0.5),
  softmax_f32_strided_simd: rows([0, 1], 2, (a) => a[3]! * a[4]!, 1),
  log_softmax_f32_strided_simd: rows([0, 1], 2, (a) => a[3]! * a[4]!, 1),
  softmax_bwd_f32_strided_simd: rows([0, 1, 2], 3, (a) => a[4]! * a[5]!, 0.5),
  log_softmax_bwd_f32_strided_simd: rows([0, 1, 2], 3, (a) => a[4]! * a[5]!, 0.5),
  add_f32_row_simd: rows([0, 2], 3, (a) => a[4]!, 0.15),
  mul_f32_row_simd: rows([0, 2], 3, (a) => a[4]!, 0.15),
  add_f32_channel_simd: rows([0, 2], 3, (a) => a[4]! * a[5]!, 0.15),
  mul_f32_channel_simd: rows([0, 2], 3, (a) => a[4]! * a[5]!, 0.15),

  maxpool2d_f32_simd: range(4, 1, planeOf(3)),
  avgpool2d_f32_simd: range(3, 1, planeOf(2)),
  global_avgpool2d_f32_simd: range(3, 1, (a) => a[2]! * 0.1),
  maxpool2d_bwd_f32_simd: range(5, 1, (a) => a[3]! * 0.2),
  maxpool2d_bwd_f32_recompute_simd: range(4, 1, planeOf(3)),
  global_avgpool2d_bwd_f32_simd: range(3, 1, (a) => a[2]! * 0.1),
  batchnorm_f32_simd: range(6, 1, (a) => a[5]! * 0.1),
  batchnorm_train_f32_simd: range(7, 1, (a) => a[6]! * 0.1),
  batchnorm_bwd_data_f32_simd: range(6, 1, (a) => a[5]! * 0.15),
  batchnorm_stats_f32_simd: range(8, 4, (a) => a[4]! * a[6]! * 0.3),
  batchnorm_bwd_reduce_f32_simd: range(7, 4, (a) => a[4]! * a[6]! * 0.3),
  dropout_f32_simd: range(2, 16, () => 0.3),
  dropout_f32_mask_simd: range(3, 16, () => 0.3),
  lrn_f32_simd: range(2, 4, (a) => a[4]! * 2),

  gemm_f32_4x8_minmax_simd: gemm(8, 9, 10, 4,
    (c, j) => { c[2] = c[2]! + (j / 8) * c[4]! * 4; c[5] = c[5]! + j * 4; },
    (c, i) => { c[0] = c[0]! + i * c[1]! * 4; c[5] = c[5]! + i * c[6]! * 4; bump(c, 7, i * 4); }),
  gemm_f32_ct_4x8_minmax_simd: gemm(8, 9, 10, 4,
    (c, j) => { c[2] = c[2]! + (j / 8) * c[4]! * 4; c[5] = c[5]! + j * c[6]! * 4; },
    (c, i) => { c[0] = c[0]! + i * c[1]! * 4; c[5] = c[5]! + i * 4; bump(c, 7, i * 4); }),
  gemm_f32_ta_4x8_simd: gemm(8, 9, 10, 8,
    (c, j) => { c[3] = c[3]! + (j / 8) * c[5]! * 4; c[6] = c[6]! + j * 4; },
    (c, i) => { c[0] = c[0]! + (i / 8) * c[2]! * 4; c[6] = c[6]! + i * c[7]! * 4; }),
  gemm_f32_ta_4x8_inc_simd: gemm(8, 9, 10, 8,
    (c, j) => { c[3] = c[3]! + (j / 8) * c[5]! * 4; c[6] = c[6]! + j * 4; },
    (c, i) => { c[0] = c[0]! + (i / 8) * c[2]! * 4; c[6] = c[6]! + i * c[7]! * 4; }),
  gemm_f32_ct_4x8_inc_simd: gemm(7, 8, 9, 4,
    (c, j) => { c[2] = c[2]! + (j / 8) * c[4]! * 4; c[5] = c[5]! + j * c[6]! * 4; },
    (c, i) => { c[0] = c[0]! + i * c[1]! * 4; c[5] = c[5]! + i * 4; }),
  gemm_pack_f32_t_p8_simd: (a, _threads, ctx) => {
    const N = a[3]!, K = a[4]!;
    const p = partsFor(ctx, N * K * 0.15, Math.ceil(N / 8));
    if (p < 2) return null;
    return partsOf(a, cuts(N, p, 8), (c, s, k) => { c[0] = c[0]! + s * c[1]! * 4; c[2] = c[2]! + (s / 8) * K * 32; c[3] = k; });
  },
  gemm_pack_f32_p8_simd: (a, _threads, ctx) => {
    const K = a[3]!, N = a[4]!;
    const p = partsFor(ctx, N * K * 0.15, Math.ceil(N / 8));
    if (p < 2) return null;
    return partsOf(a, cuts(N, p, 8), (c, s, k) => { c[0] = c[0]! + s * 4; c[2] = c[2]! + (s / 8) * K * 32; c[4] = k; });
  },
  gemv_f32_minmax_simd: (a, _threads, ctx) => {
    const M = a[5]!, K = a[6]!;
    const p = partsFor(ctx, M * K * 0.1, Math.ceil(M / 4));
    if (p < 2) return null;
    return partsOf(a, cuts(M, p, 4), (c, s, k) => { c[0] = c[0]! + s * c[1]! * 4; c[3] = c[3]! + s * 4; bump(c, 4, s * 4); c[5] = k; });
  },
  conv2d_im2col_f32_simd: im2col,
  conv2d_col2im_f32_simd: col2im,
  conv2d_bwd_filter_f32_s1_2x4_simd: filterS1,
  conv2d_bwd_filter_f32_ct_4x8_simd: filterCt,
  conv2d_f32_s1_4x8_minmax_simd: directConv,
  conv2d_f32_s1_ct_4x8_minmax_simd: directConv,
};
