// Helpers shared by the pooling kernels (assembly/pool2d.ts: forward; assembly/pool2d-backward.ts:
// backward): the window geometry block's slots, column loads, tap bounds, row fills and sums, and
// adaptive pooling's window tables and masked gathers.
//
// NOT part of the ABI: assembly/index.ts never names this file, and `export *` from a kernel file
// does not re-export what that file imports, so these `@inline export` helpers are inlined into
// the kernels that import them and never become exports of simdnet.wasm.
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

/** First kernel tap t ≥ 0 with start + t·d ≥ 0. */
@inline export function firstTap(start: i32, d: i32): i32 {
  return start < 0 ? (d - 1 - start) / d : 0;
}

/** One past the last kernel tap t < k with start + t·d < n. */
@inline export function endTap(start: i32, d: i32, k: i32, n: i32): i32 {
  const room = n - 1 - start;
  return room < 0 ? 0 : min(k, room / d + 1);
}

/** Zeroes n floats at p: 16 per step, then 4, then one at a time. */
@inline export function zeroF32(p: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const q = p + (<usize>i << 2);
    v128.store(q, z);
    v128.store(q, z, 16);
    v128.store(q, z, 32);
    v128.store(q, z, 48);
  }
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), 0);
}

/** d[i] += s[i] for i in [0, n): 8 per step, then 4, then one at a time. */
@inline export function addRow(d: usize, s: usize, n: i32): void {
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
