// How each kernel's work is cut across threads: by output range only, so every output element is
// computed by the same code in the same order whatever the thread count (results are bitwise
// identical to one thread). A splitter turns one call's arguments into the arguments of each part
// (the pool's threads take the parts as tasks, a few per thread so that a slower thread is
// balanced out), or returns null when the call is too small: a part should hold minPartNs of
// single-thread work (6 µs while the workers poll for work, 40 µs once they sleep; see
// jobPolicy). Ops with many blocks make their own tasks (parallel.ts, tasksWorth).
//
// Which kernels split, and how, is written beside each kernel as a `@split` tag (grammar in
// docs/kernels.md); scripts/gen-abi.mjs turns the tags into SPLIT_SPECS (src/wasm/split-specs.ts), which
// names every argument by its index, so nothing here counts argument positions.
//
// Weight gradients are split by output channel (each thread owns whole rows of dW and sums over
// every image itself), so they too are reduced in one fixed order. Kernels without a tag run
// on the calling thread: reductions into one value (the losses), the bias gradient (its plane
// sums stride by the channel count), kernels that share one scratch buffer (average pooling's
// backward row, adaptive pooling's window tables, LRN's backward), depthwise convolutions
// (their ops cut them by image instead) and the Winograd transforms (their op cuts by tile block).
import type { Kernels } from '../wasm/abi.js';
import { SPLIT_SPECS, type SplitSpec, type SplitFactor } from '../wasm/split-specs.js';
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

/** The value of a size or cost factor for the call with arguments a. */
function factor(f: SplitFactor, a: number[], ctx: SplitContext): number {
  if (typeof f === 'number') return f;
  return f.slot === undefined ? a[f.arg]! : geom(ctx, a[f.arg]!, f.slot);
}

function product(fs: readonly SplitFactor[], a: number[], ctx: SplitContext): number {
  let p = 1;
  for (const f of fs) p *= factor(f, a, ctx);
  return p;
}

/** Cuts the count at s.count into multiples of s.align (at least s.grain a part), moving s.move's pointers. */
function rows(s: Extract<SplitSpec, { kind: 'rows' }>): Splitter {
  return (a, _threads, ctx) => {
    const r = a[s.count]!;
    const p = partsFor(ctx, r * product(s.cost, a, ctx), Math.ceil(r / s.grain));
    if (p < 2) return null;
    const floats = s.move.map((m) => product(m.by, a, ctx));
    return partsOf(a, cuts(r, p, s.align), (c, start, k) => {
      s.move.forEach((m, i) => bump(c, m.arg, start * floats[i]! * 4));
      c[s.count] = k;
    });
  };
}

/** Cuts the output range [a[s.start], a[s.end]) into multiples of s.align (planes, columns, channels). */
function range(s: Extract<SplitSpec, { kind: 'range' }>): Splitter {
  return (a, _threads, ctx) => {
    const s0 = a[s.start]!, e0 = a[s.end]!;
    const n = e0 - s0;
    if (n < 2) return null;
    const p = partsFor(ctx, n * product(s.cost, a, ctx), n);
    if (p < 2) return null;
    return partsOf(a, cuts(n, p, s.align), (c, start, k) => {
      c[s.start] = s0 + start;
      c[s.end] = s0 + start + k;
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
 * of 4 rows, of 8 when A comes in 8-row panels) all of B (K·N). A dense layer's W [out, in] as A
 * is read once in all that way, not once per part. The other side is cut when the longer one has
 * too few units.
 */
function gemm(s: Extract<SplitSpec, { kind: 'gemm' }>): Splitter {
  const rowAlign = s.aPanel === undefined ? 4 : 8;
  return (a, threads, ctx) => {
    const M = a[s.m]!, N = a[s.n]!, K = a[s.k]!;
    const work = gemmNs(2 * M * N * K);
    const panels = Math.ceil(N / 8), rowBlocks = Math.ceil(M / rowAlign);
    const colsFirst = N >= M ? panels >= threads || panels >= rowBlocks : rowBlocks < threads && panels > rowBlocks;
    if (colsFirst) {
      const p = partsFor(ctx, work, panels);
      if (p < 2) return null;
      return partsOf(a, cuts(N, p, 8), (c, j, k) => {
        c[s.b] = a[s.b]! + (j / 8) * a[s.bPanel]! * 4;
        c[s.c] = a[s.c]! + j * (s.cCol === undefined ? 1 : a[s.cCol]!) * 4;
        c[s.n] = k;
      });
    }
    const p = partsFor(ctx, work, rowBlocks);
    if (p < 2) return null;
    return partsOf(a, cuts(M, p, rowAlign), (c, i, k) => {
      c[s.a] = a[s.a]! + (s.aPanel === undefined ? i * a[s.aRow!]! : (i / 8) * a[s.aPanel]!) * 4;
      c[s.c] = a[s.c]! + i * (s.cRow === undefined ? 1 : a[s.cRow]!) * 4;
      if (s.bias !== undefined) bump(c, s.bias, i * 4);
      c[s.m] = k;
    });
  };
}

/** Direct stride-1 convolutions: by image when there are enough, else by 8-channel panels. */
function directConv(s: Extract<SplitSpec, { kind: 'conv2d_direct' }>): Splitter {
  return (a, threads, ctx) => {
    const pp = a[s.params]!;
    const C = geom(ctx, pp, 0), O = geom(ctx, pp, 3), kh = geom(ctx, pp, 4), kw = geom(ctx, pp, 5);
    const oh = geom(ctx, pp, 9), ow = geom(ctx, pp, 10), N = geom(ctx, pp, 11);
    const xStride = geom(ctx, pp, 12), yStride = geom(ctx, pp, 13);
    const K = C * kh * kw;
    const work = gemmNs(2 * N * O * oh * ow * K);
    if (N >= threads) {
      const p = partsFor(ctx, work, N);
      if (p < 2) return null;
      return partsOf(a, cuts(N, p, 1), (c, n, k, t) => {
        c[s.x] = a[s.x]! + n * xStride * 4;
        c[s.y] = a[s.y]! + n * yStride * 4;
        c[s.params] = paramCopy(ctx, pp, 14, t, { 11: k });
      });
    }
    const p = partsFor(ctx, work, Math.ceil(O / 8));
    if (p < 2) return null;
    return partsOf(a, cuts(O, p, 8), (c, o, k, t) => {
      c[s.w] = a[s.w]! + (o / 8) * K * 32;
      bump(c, s.bias, o * 4);
      c[s.y] = a[s.y]! + o * oh * ow * 4;
      c[s.params] = paramCopy(ctx, pp, 14, t, { 3: k });
    });
  };
}

/**
 * im2col and col2im by input channel: each channel's kh·kw rows of col and its plane of x belong
 * to one part (col2im's parts add into whole planes of x only, each with its own end guard).
 */
function byChannel(s: Extract<SplitSpec, { kind: 'im2col' | 'col2im' }>, nsPerFloat: number): Splitter {
  return (a, _threads, ctx) => {
    const pp = a[s.params]!;
    const C = geom(ctx, pp, 0), H = geom(ctx, pp, 1), W = geom(ctx, pp, 2), kh = geom(ctx, pp, 3), kw = geom(ctx, pp, 4);
    const ow = geom(ctx, pp, 11);
    const rowsOut = a[s.end]! - a[s.start]!;
    const ldCol = s.kind === 'im2col' ? a[s.ldCol]! : rowsOut * ow;
    const p = partsFor(ctx, C * kh * kw * rowsOut * ow * nsPerFloat, C);
    if (p < 2) return null;
    return partsOf(a, cuts(C, p, 1), (c, ch, k, t) => {
      c[s.x] = a[s.x]! + ch * H * W * 4;
      c[s.col] = a[s.col]! + ch * kh * kw * ldCol * 4;
      c[s.params] = paramCopy(ctx, pp, 12, t, { 0: k });
    });
  };
}

/** The direct filter gradient over a batch, by pairs of output channels (rows of dW). */
function filterS1(s: Extract<SplitSpec, { kind: 'filter_s1' }>): Splitter {
  return (a, _threads, ctx) => {
    const pp = a[s.params]!;
    const C = geom(ctx, pp, 0), O = geom(ctx, pp, 3), kh = geom(ctx, pp, 4), kw = geom(ctx, pp, 5);
    const oh = geom(ctx, pp, 9), ow = geom(ctx, pp, 10), N = geom(ctx, pp, 11);
    const K = C * kh * kw;
    const p = partsFor(ctx, gemmNs(2 * N * O * oh * ow * K), Math.ceil(O / 2));
    if (p < 2) return null;
    return partsOf(a, cuts(O, p, 2), (c, o, k, t) => {
      c[s.dy] = a[s.dy]! + o * oh * ow * 4;
      c[s.dw] = a[s.dw]! + o * K * 4;
      c[s.params] = paramCopy(ctx, pp, 14, t, { 3: k });
    });
  };
}

/** The direct filter gradient of one image, by 8-channel panels of dy (rows of dW). */
function filterCt(s: Extract<SplitSpec, { kind: 'filter_ct' }>): Splitter {
  return (a, _threads, ctx) => {
    const pp = a[s.params]!;
    const C = geom(ctx, pp, 0), O = geom(ctx, pp, 3), kh = geom(ctx, pp, 4), kw = geom(ctx, pp, 5);
    const oh = geom(ctx, pp, 8), ow = geom(ctx, pp, 9);
    const K = C * kh * kw, P = oh * ow;
    const p = partsFor(ctx, gemmNs(2 * O * P * K), Math.ceil(O / 8));
    if (p < 2) return null;
    return partsOf(a, cuts(O, p, 8), (c, o, k, t) => {
      c[s.dy] = a[s.dy]! + (o / 8) * P * 32;
      c[s.dw] = a[s.dw]! + o * K * 4;
      c[s.params] = paramCopy(ctx, pp, 10, t, { 3: k });
    });
  };
}

/** The splitter a spec describes (exported for the tests of the tags). */
export function splitterOf(s: SplitSpec): Splitter {
  switch (s.kind) {
    case 'rows': return rows(s);
    case 'range': return range(s);
    case 'gemm': return gemm(s);
    case 'conv2d_direct': return directConv(s);
    case 'im2col': return byChannel(s, 0.25);
    case 'col2im': return byChannel(s, 0.3);
    case 'filter_s1': return filterS1(s);
    case 'filter_ct': return filterCt(s);
  }
}

/** The kernels' splitters, from the `@split` tags of assembly/ (SPLIT_SPECS, scripts/gen-abi.mjs). */
export const SPLITTERS: Partial<Record<keyof Kernels, Splitter>> = Object.fromEntries(
  Object.entries(SPLIT_SPECS).map(([name, spec]) => [name, splitterOf(spec)]),
);
