// Helpers shared by the pooling kernels (assembly/pool2d.ts: forward; assembly/pool2d-backward.ts:
// backward): the window geometry block's slots, column loads, tap bounds, row fills and sums,
// adaptive pooling's window tables and masked gathers, and the specialised rows of 2×2 and 3×3
// stride-2 max pooling.
//
// NOT part of the ABI: assembly/index.ts never names this file, and `export *` from a kernel file
// does not re-export what that file imports, so these `@inline export` helpers are inlined into
// the kernels that import them, and the plain `export function`s (the max-pooling rows, kept as
// functions of their own so that V8 allocates registers for their small loops alone) are
// internal functions: neither becomes an export of simdnet.wasm.
//
// The window geometry block (i32[15], written by src/ops/pool2d.ts):
//   0 H, 1 W        input plane           2 OH, 3 OW   output plane
//   4 KH, 5 KW      kernel                6 SH, 7 SW   stride
//   8 DH, 9 DW      dilation (max only)   10 PT, 11 PL, 12 PB, 13 PR   padding top/left/bottom/right
//   14 countIncludePad (avg only: 1 divides by the window clipped to the padded input, 0 by the
//      number of real input elements)
// Byte offsets of those slots:
export const G_H = 0, G_W = 4, G_OH = 8, G_OW = 12, G_KH = 16, G_KW = 20, G_SH = 24, G_SW = 28;
export const G_DH = 32, G_DW = 36, G_PT = 40, G_PL = 44, G_PB = 48, G_PR = 52, G_CIP = 56;

/** Four window columns at p, p + s, p + 2s, p + 3s (elements); mode 1 / 2 = stride 1 / 2, 0 = any. */
@inline export function load4(p: usize, mode: i32, sBytes: usize): v128 {
  if (mode == 1) return v128.load(p);
  // may read one float past the last lane: inside the row or the allocation's padding
  if (mode == 2) return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + sBytes));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * sBytes));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * sBytes));
}

// (Both run once per output row or column: an integer division there costs as much as a few
// vector steps, so the common undilated case skips it.)

/** First kernel tap t ≥ 0 with start + t·d ≥ 0. */
@inline export function firstTap(start: i32, d: i32): i32 {
  return start < 0 ? (d == 1 ? -start : (d - 1 - start) / d) : 0;
}

/** One past the last kernel tap t < k with start + t·d < n. */
@inline export function endTap(start: i32, d: i32, k: i32, n: i32): i32 {
  const room = n - 1 - start;
  return room < 0 ? 0 : min(k, (d == 1 ? room : room / d) + 1);
}

// ---- window geometry -------------------------------------------------------------------------
// Written once for the forward and backward kernels. `axis` 0 reads the block's row slots (H, KH,
// SH, PT, PB), 1 its column slots (W, KW, SW, PL, PR): each pair sits one slot apart.

/** First output column whose window starts inside the input (at most OW): the interior's start. */
@inline export function interiorLo(g: usize): i32 {
  const SW = load<i32>(g, G_SW);
  return min(load<i32>(g, G_OW), (load<i32>(g, G_PL) + SW - 1) / SW);
}

/**
 * One past the last output column (≥ lo, ≤ OW) whose window, KW taps DW apart (average pooling
 * passes DW = 1: it ignores dilation), ends inside the input: interior columns [lo, hi) have every
 * tap in [0, W).
 */
@inline export function interiorHi(g: usize, lo: i32, DW: i32): i32 {
  const reach = load<i32>(g, G_W) - 1 + load<i32>(g, G_PL) - (load<i32>(g, G_KW) - 1) * DW;
  return max(lo, min(load<i32>(g, G_OW), reach < 0 ? 0 : reach / load<i32>(g, G_SW) + 1));
}

/** Where output i's window starts along `axis` (i·stride − padding before; may be negative). */
@inline export function avgStart(g: usize, axis: i32, i: i32): i32 {
  const a = g + (<usize>axis << 2);
  return i * load<i32>(a, G_SH) - load<i32>(a, G_PT);
}

/** One past the last input index of the average window from `start` along `axis` (real inputs end at min(start + K, n + padAfter, n)). */
@inline export function avgEnd(g: usize, axis: i32, start: i32): i32 {
  const a = g + (<usize>axis << 2);
  const n = load<i32>(a, G_H);
  return min(min(start + load<i32>(a, G_KH), n + load<i32>(a, G_PB)), n);
}

/**
 * The average window's extent along `axis` in PyTorch's divisor: clipped to the padded input
 * (min(start + K, n + padAfter) − start) when countIncludePad, else the real inputs
 * [max(start, 0), avgEnd).
 */
@inline export function avgDivisor(g: usize, axis: i32, start: i32): i32 {
  const a = g + (<usize>axis << 2);
  const n = load<i32>(a, G_H);
  const endPad = min(start + load<i32>(a, G_KH), n + load<i32>(a, G_PB));
  return load<i32>(g, G_CIP) != 0 ? endPad - start : min(endPad, n) - max(start, 0);
}

/** Zeroes n floats at p (bulk memory's fill: V8 runs it as memset). */
@inline export function zeroF32(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 2);
}

/** d[i] += s[i] for i in [0, n): 8 per step, then 4, then one at a time. */
// (called once per row: a function of its own, not inlined at each call site)
export function addRow(d: usize, s: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
    v128.store(d + o, f32x4.add(v128.load(d + o, 16), v128.load(s + o, 16)), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
  }
}

// ---- adaptive windows ----------------------------------------------------------------------
// Output cell i of n spans input [⌊i·N/n⌋, ⌈(i+1)·N/n⌉) (PyTorch). Lengths are ⌈N/n⌉ or ⌈N/n⌉ + 1,
// so 4 neighbouring windows differ by at most one element: a gather of 4 lanes over the longest,
// masked per lane, wastes little. The input columns an output column covers are, symmetrically,
// j in [⌊c·n/N⌋, ⌈(c+1)·n/N⌉): the backward gathers over those the same way.

/** ⌊i·N/n⌋: the first input index of window i (i64: i·N may pass 2³¹). */
@inline export function winStart(i: i32, N: i32, n: i32): i32 {
  return <i32>((<i64>i * <i64>N) / <i64>n);
}

/** ⌈(i+1)·N/n⌉: one past the last input index of window i. */
@inline export function winEnd(i: i32, N: i32, n: i32): i32 {
  return <i32>(((<i64>(i + 1) * <i64>N) + <i64>(n - 1)) / <i64>n);
}

/** n rounded up to a multiple of 4 (whole v128 groups of a table). */
@inline export function align4(n: i32): i32 {
  return (n + 3) & ~3;
}

/** Writes start and length of the windows i in [0, n) over N (i32 arrays, padded to align4(n) with 0, 0). */
@inline export function windowTable(startPtr: usize, lenPtr: usize, N: i32, n: i32): void {
  for (let i = 0; i < align4(n); i++) {
    const s = i < n ? winStart(i, N, n) : 0;
    store<i32>(startPtr + (<usize>i << 2), s);
    store<i32>(lenPtr + (<usize>i << 2), i < n ? winEnd(i, N, n) - s : 0);
  }
}

/** Lane k = Σ_{t < len[k]} src[start[k] + t], for the 4 lanes of start/len (f32 src, byte address). */
@inline export function gatherSum4(src: usize, st: v128, ln: v128): v128 {
  const l2 = i32x4.max_s(ln, v128.shuffle<i32>(ln, ln, 2, 3, 0, 1));
  const longest = max(i32x4.extract_lane(l2, 0), i32x4.extract_lane(l2, 1));
  const p0 = src + (<usize>i32x4.extract_lane(st, 0) << 2), p1 = src + (<usize>i32x4.extract_lane(st, 1) << 2);
  const p2 = src + (<usize>i32x4.extract_lane(st, 2) << 2), p3 = src + (<usize>i32x4.extract_lane(st, 3) << 2);
  let acc = f32x4.splat(0);
  for (let t = 0; t < longest; t++) {
    const o = <usize>t << 2;
    let v = f32x4.splat(load<f32>(p0 + o));
    v = f32x4.replace_lane(v, 1, load<f32>(p1 + o));
    v = f32x4.replace_lane(v, 2, load<f32>(p2 + o));
    v = f32x4.replace_lane(v, 3, load<f32>(p3 + o));
    // a lane past its window reads its neighbour's elements (or the scratch's padding): masked off
    acc = f32x4.add(acc, v128.and(v, i32x4.gt_s(ln, i32x4.splat(t))));
  }
  return acc;
}

// ---- max pooling: 2×2 and 3×3 windows at stride 2 -----------------------------------------------
// Runs of output rows whose window rows all lie inside the plane, n ≥ 4 interior columns each
// (every tap inside the row), 4 columns per step, the last step overlapping the one before when
// n mod 4 ≠ 0. The vertical maximum comes first where no argmax is kept (fewer instructions).
// The maxima use pmax (one instruction; f32x4.max is a NaN-fixing sequence in V8) and the argmax
// strict greater-than, both of which ignore a NaN in their second operand. Rather than test every
// tap for NaN, each step returns the sum of the inputs whose NaN could have been dropped (a NaN
// anywhere makes the sum NaN); a row whose sum is not a number (a NaN, or rarely +∞ meeting −∞)
// ends the run, and the caller redoes that row with the exact loop. Each returns the number of
// rows finished before such a row.

/** True while no lane of s is NaN. */
@inline function noNaN(s: v128): bool {
  return !v128.any_true(f32x4.ne(s, s));
}

/** Four 2×2 maxima from 8 columns of the rows at q and q + row (bytes), stored at o. */
@inline function stepMax2x2(q: usize, row: usize, o: usize): v128 {
  const r0a = v128.load(q), r0b = v128.load(q, 16);
  const r1a = v128.load(q + row), r1b = v128.load(q + row, 16);
  // a NaN in the bottom row is dropped by the vertical max, one in the odd lanes by the last
  const va = f32x4.pmax(r0a, r1a), vb = f32x4.pmax(r0b, r1b);
  const odd = f32x4.shuffle(va, vb, 1, 3, 5, 7);
  v128.store(o, f32x4.pmax(f32x4.shuffle(va, vb, 0, 2, 4, 6), odd));
  return f32x4.add(f32x4.add(r1a, r1b), odd);
}

/**
 * 2×2 stride-2 maxima of `rows` output rows, columns [0, n): xq is the first row's first tap
 * (input rows W floats apart), yq its first output (output rows OW floats apart).
 */
export function rowsMax2x2s2(xq: usize, yq: usize, n: i32, rows: i32, W: i32, OW: i32): i32 {
  return rowsMax(2, xq, yq, n, rows, W, OW);
}

/** As rowsMax2x2s2 for 3×3 windows (three input rows per output row). */
export function rowsMax3x3s2(xq: usize, yq: usize, n: i32, rows: i32, W: i32, OW: i32): i32 {
  return rowsMax(3, xq, yq, n, rows, W, OW);
}

/** The row loop of both: KS (2 or 3, a constant) picks the step. */
@inline function rowsMax(KS: i32, xq: usize, yq: usize, n: i32, rows: i32, W: i32, OW: i32): i32 {
  const row = <usize>W << 2;
  const n4 = n & ~3;
  for (let r = 0; r < rows; r++) {
    const q = xq + <usize>r * (row << 1);
    const o = yq + ((<usize>r * <usize>OW) << 2);
    let s = f32x4.splat(0);
    for (let j = 0; j < n4; j += 4) {
      const qj = q + (<usize>j << 3), oj = o + (<usize>j << 2);
      s = f32x4.add(s, KS == 2 ? stepMax2x2(qj, row, oj) : stepMax3x3(qj, row, oj));
    }
    if (n4 < n) {
      const qj = q + (<usize>(n - 4) << 3), oj = o + (<usize>(n - 4) << 2);
      s = f32x4.add(s, KS == 2 ? stepMax2x2(qj, row, oj) : stepMax3x3(qj, row, oj));
    }
    if (!noNaN(s)) return r;
  }
  return rows;
}

/**
 * Four 2×2 maxima and argmaxes: base holds the in-plane index of each window's top-left tap, down
 * W. Row-major order: each row's first maximum (odd wins only if greater), then the bottom row's
 * only if greater than the top's; a true compare is −1, so base − t adds the column.
 */
@inline function stepArgmax2x2(q: usize, row: usize, o: usize, io: usize, base: v128, down: v128): v128 {
  const r0a = v128.load(q), r0b = v128.load(q, 16);
  const r1a = v128.load(q + row), r1b = v128.load(q + row, 16);
  const e0 = f32x4.shuffle(r0a, r0b, 0, 2, 4, 6), o0 = f32x4.shuffle(r0a, r0b, 1, 3, 5, 7);
  const e1 = f32x4.shuffle(r1a, r1b, 0, 2, 4, 6), o1 = f32x4.shuffle(r1a, r1b, 1, 3, 5, 7);
  const t0 = f32x4.gt(o0, e0), t1 = f32x4.gt(o1, e1);
  const m0 = f32x4.pmax(e0, o0), m1 = f32x4.pmax(e1, o1);
  const t = f32x4.gt(m1, m0);
  v128.store(o, f32x4.pmax(m0, m1));
  v128.store(io, v128.bitselect(i32x4.sub(i32x4.add(base, down), t1), i32x4.sub(base, t0), t));
  return f32x4.add(f32x4.add(o0, r1a), r1b);
}

/**
 * rowsMax2x2s2 with argmaxes: xp is the plane, start the first row's first tap (ih·W + iw) in it;
 * yq / iq the first output and index.
 */
export function rowsArgmax2x2s2(xp: usize, yq: usize, iq: usize, start: i32, n: i32, rows: i32, W: i32, OW: i32): i32 {
  return rowsArgmax(2, xp, yq, iq, start, n, rows, W, OW);
}

/** rowsArgmax2x2s2 for 3×3 windows. */
export function rowsArgmax3x3s2(xp: usize, yq: usize, iq: usize, start: i32, n: i32, rows: i32, W: i32, OW: i32): i32 {
  return rowsArgmax(3, xp, yq, iq, start, n, rows, W, OW);
}

/** The row loop of both (see rowsMax). */
@inline function rowsArgmax(KS: i32, xp: usize, yq: usize, iq: usize, start: i32, n: i32, rows: i32, W: i32, OW: i32): i32 {
  const row = <usize>W << 2;
  const n4 = n & ~3;
  const down = i32x4.splat(W);
  for (let r = 0; r < rows; r++) {
    const st = start + 2 * r * W;
    const q = xp + (<usize>st << 2);
    const off = (<usize>r * <usize>OW) << 2;
    let s = f32x4.splat(0);
    for (let j = 0; j < n; j += 4) {
      // the last step overlaps the one before when n mod 4 ≠ 0
      const jj = j < n4 ? j : n - 4;
      const o = off + (<usize>jj << 2);
      const base = i32x4.add(i32x4.splat(st + 2 * jj), i32x4(0, 2, 4, 6));
      const qj = q + (<usize>jj << 3);
      s = f32x4.add(s, KS == 2 ? stepArgmax2x2(qj, row, yq + o, iq + o, base, down) : stepArgmax3x3(qj, row, yq + o, iq + o, base, down));
    }
    if (!noNaN(s)) return r;
  }
  return rows;
}

/**
 * Four 3×3 maxima from the rows at q, q + row, q + 2·row: window columns 2j, 2j + 1, 2j + 2 are
 * the even and odd lanes of 8 floats and the even lanes shifted by one with float 8 (a splat load:
 * nothing is read past the last window).
 */
@inline function stepMax3x3(q: usize, row: usize, o: usize): v128 {
  const q1 = q + row, q2 = q1 + row;
  const a1 = v128.load(q1), b1 = v128.load(q1, 16), c1 = v128.load32_splat(q1, 32);
  const a2 = v128.load(q2), b2 = v128.load(q2, 16), c2 = v128.load32_splat(q2, 32);
  const va = f32x4.pmax(f32x4.pmax(v128.load(q), a1), a2);
  const vb = f32x4.pmax(f32x4.pmax(v128.load(q, 16), b1), b2);
  const vc = f32x4.pmax(f32x4.pmax(v128.load32_splat(q, 32), c1), c2);
  const even = f32x4.shuffle(va, vb, 0, 2, 4, 6);
  const odd = f32x4.shuffle(va, vb, 1, 3, 5, 7);
  const next = f32x4.shuffle(even, vc, 1, 2, 3, 4);
  v128.store(o, f32x4.pmax(f32x4.pmax(even, odd), next));
  // rows 1 and 2 are dropped by the vertical max, odd and next by the last two
  return f32x4.add(f32x4.add(f32x4.add(a1, a2), f32x4.add(b1, b2)), f32x4.add(f32x4.add(c1, c2), f32x4.add(odd, next)));
}

/** Four 3×3 maxima and argmaxes (see stepArgmax2x2); returns the sum of every input. */
@inline function stepArgmax3x3(q: usize, row: usize, o: usize, io: usize, base: v128, down: v128): v128 {
  const two = i32x4.splat(2);
  const q1 = q + row, q2 = q1 + row;
  const a0 = v128.load(q), b0 = v128.load(q, 16), c0 = v128.load32_splat(q, 32);
  const a1 = v128.load(q1), b1 = v128.load(q1, 16), c1 = v128.load32_splat(q1, 32);
  const a2 = v128.load(q2), b2 = v128.load(q2, 16), c2 = v128.load32_splat(q2, 32);
  // each row's first maximum over its three columns (a later column only if greater)
  const e0 = f32x4.shuffle(a0, b0, 0, 2, 4, 6), o0 = f32x4.shuffle(a0, b0, 1, 3, 5, 7), n0 = f32x4.shuffle(e0, c0, 1, 2, 3, 4);
  const e1 = f32x4.shuffle(a1, b1, 0, 2, 4, 6), o1 = f32x4.shuffle(a1, b1, 1, 3, 5, 7), n1 = f32x4.shuffle(e1, c1, 1, 2, 3, 4);
  const e2 = f32x4.shuffle(a2, b2, 0, 2, 4, 6), o2 = f32x4.shuffle(a2, b2, 1, 3, 5, 7), n2 = f32x4.shuffle(e2, c2, 1, 2, 3, 4);
  const base1 = i32x4.add(base, down), base2 = i32x4.add(base1, down);
  let m0 = f32x4.pmax(e0, o0), m1 = f32x4.pmax(e1, o1), m2 = f32x4.pmax(e2, o2);
  let i0 = i32x4.sub(base, f32x4.gt(o0, e0));
  let i1 = i32x4.sub(base1, f32x4.gt(o1, e1));
  let i2 = i32x4.sub(base2, f32x4.gt(o2, e2));
  i0 = v128.bitselect(i32x4.add(base, two), i0, f32x4.gt(n0, m0));
  i1 = v128.bitselect(i32x4.add(base1, two), i1, f32x4.gt(n1, m1));
  i2 = v128.bitselect(i32x4.add(base2, two), i2, f32x4.gt(n2, m2));
  m0 = f32x4.pmax(m0, n0);
  m1 = f32x4.pmax(m1, n1);
  m2 = f32x4.pmax(m2, n2);
  // then the rows in order, a later row only if greater
  const t1 = f32x4.gt(m1, m0);
  m0 = f32x4.pmax(m0, m1);
  i0 = v128.bitselect(i1, i0, t1);
  const t2 = f32x4.gt(m2, m0);
  v128.store(o, f32x4.pmax(m0, m2));
  v128.store(io, v128.bitselect(i2, i0, t2));
  const s0 = f32x4.add(f32x4.add(a0, b0), c0);
  const s1 = f32x4.add(f32x4.add(a1, b1), c1);
  const s2 = f32x4.add(f32x4.add(a2, b2), c2);
  return f32x4.add(f32x4.add(s0, s1), s2);
}
