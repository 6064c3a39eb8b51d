// ArgMax / ArgMin over the middle axis of a row-major f32 tensor viewed as [outer, n, inner]:
//   y[o, j] = the index k < n of the greatest (ArgMin: least) x[o, k, j]
// Ties go to the first such k (select_last_index: the last). NaN counts as greater than every
// number (ArgMin: also chosen), as torch.argmax / torch.argmin do: the first NaN wins.
// ArgMin is ArgMax of the values with their sign bit flipped (−NaN is still NaN, −0 and +0 still tie).
// inner > 1 (the channels of NCHW: a segmentation map) compares 16, then 4, positions at once down
// the n planes, keeping each lane's best value and its index in two vectors; inner = 1 (the last
// axis) keeps the best of each lane along the contiguous row, then merges the four lanes.

import { storeLanes } from "./vmath";

/** Flag bits of argmax_f32_simd. */
const ARGMIN = 1;
const LAST = 2;
const F32_OUT = 4;

/** Lanes where a beats b: a > b, or a is NaN and b is not. */
@inline function better(a: v128, b: v128): v128 {
  return v128.or(f32x4.gt(a, b), v128.andnot(f32x4.ne(a, a), f32x4.ne(b, b)));
}

/** Lanes where v (at a later index) replaces the best so far b: beats it, or (LAST) ties with it. */
@inline function takes(LAST_: bool, v: v128, b: v128): v128 {
  return LAST_ ? v128.not(better(b, v)) : better(v, b);
}

@inline function betterS(a: f32, b: f32): bool {
  return a > b || (a != a && b == b);
}

/** Whether candidate (v, i) beats (best, bi) from another lane: a better value, or a tie (NaN ties NaN) with the smaller index (LAST: the larger). */
@inline function wins(LAST_: bool, v: f32, i: i32, best: f32, bi: i32): bool {
  const tie = v == best || (v != v && best != best);
  return betterS(v, best) || (tie && (LAST_ ? i > bi : i < bi));
}

@inline function flipS(v: f32, sign: u32): f32 {
  return reinterpret<f32>(reinterpret<u32>(v) ^ sign);
}

/** Stores four indices as i32 or (exactly, below 2^24) as f32. */
@inline function storeIdx(p: usize, idx: v128, f32out: bool, lanes: i32): void {
  storeLanes(p, f32out ? f32x4.convert_i32x4_s(idx) : idx, lanes);
}

@inline function storeIdxS(p: usize, k: i32, f32out: bool): void {
  if (f32out) store<f32>(p, <f32>k);
  else store<i32>(p, k);
}

/** 16 positions j … j+15 of one outer slice, down n planes of `stride` bytes. */
@inline function cols16(LAST_: bool, x: usize, y: usize, n: i32, stride: usize, sign: v128, f32out: bool): void {
  let b0 = v128.xor(v128.load(x), sign), b1 = v128.xor(v128.load(x, 16), sign);
  let b2 = v128.xor(v128.load(x, 32), sign), b3 = v128.xor(v128.load(x, 48), sign);
  const zero = i32x4.splat(0);
  let i0 = zero, i1 = zero, i2 = zero, i3 = zero;
  let p = x + stride;
  for (let k = 1; k < n; k++, p += stride) {
    const kv = i32x4.splat(k);
    const v0 = v128.xor(v128.load(p), sign), v1 = v128.xor(v128.load(p, 16), sign);
    const v2 = v128.xor(v128.load(p, 32), sign), v3 = v128.xor(v128.load(p, 48), sign);
    const m0 = takes(LAST_, v0, b0), m1 = takes(LAST_, v1, b1), m2 = takes(LAST_, v2, b2), m3 = takes(LAST_, v3, b3);
    b0 = v128.bitselect(v0, b0, m0); i0 = v128.bitselect(kv, i0, m0);
    b1 = v128.bitselect(v1, b1, m1); i1 = v128.bitselect(kv, i1, m1);
    b2 = v128.bitselect(v2, b2, m2); i2 = v128.bitselect(kv, i2, m2);
    b3 = v128.bitselect(v3, b3, m3); i3 = v128.bitselect(kv, i3, m3);
  }
  storeIdx(y, i0, f32out, 4); storeIdx(y + 16, i1, f32out, 4);
  storeIdx(y + 32, i2, f32out, 4); storeIdx(y + 48, i3, f32out, 4);
}

/** Up to 4 positions (lanes [0, lanes)); dead lanes read past the slice and are never stored. */
@inline function cols4(LAST_: bool, x: usize, y: usize, n: i32, stride: usize, sign: v128, f32out: bool, lanes: i32): void {
  let b = v128.xor(v128.load(x), sign);
  let idx = i32x4.splat(0);
  let p = x + stride;
  for (let k = 1; k < n; k++, p += stride) {
    const v = v128.xor(v128.load(p), sign);
    const m = takes(LAST_, v, b);
    b = v128.bitselect(v, b, m);
    idx = v128.bitselect(i32x4.splat(k), idx, m);
  }
  storeIdx(y, idx, f32out, lanes);
}

/** The index of the best of one contiguous row of n ≥ 1. */
@inline function rowBest(LAST_: bool, x: usize, n: i32, sign: u32): i32 {
  let best = flipS(load<f32>(x), sign);
  let bi = 0;
  let k = 1;
  if (n >= 8) {
    const sv = i32x4.splat(sign);
    let b = v128.xor(v128.load(x), sv);
    let idx = i32x4(0, 1, 2, 3);
    let kv = idx;
    const four = i32x4.splat(4);
    for (k = 4; k + 4 <= n; k += 4) {
      kv = i32x4.add(kv, four);
      const v = v128.xor(v128.load(x + (<usize>k << 2)), sv);
      const m = takes(LAST_, v, b);
      b = v128.bitselect(v, b, m);
      idx = v128.bitselect(kv, idx, m);
    }
    // merge the lanes: each holds the best of the indices ≡ lane (mod 4); a tie goes to the
    // smaller index (LAST: the larger), NaN ties with NaN
    best = f32x4.extract_lane(b, 0);
    bi = i32x4.extract_lane(idx, 0);
    let v = f32x4.extract_lane(b, 1), i = i32x4.extract_lane(idx, 1);
    if (wins(LAST_, v, i, best, bi)) { best = v; bi = i; }
    v = f32x4.extract_lane(b, 2); i = i32x4.extract_lane(idx, 2);
    if (wins(LAST_, v, i, best, bi)) { best = v; bi = i; }
    v = f32x4.extract_lane(b, 3); i = i32x4.extract_lane(idx, 3);
    if (wins(LAST_, v, i, best, bi)) { best = v; bi = i; }
  }
  for (; k < n; k++) {
    const v = flipS(load<f32>(x + (<usize>k << 2)), sign);
    if (LAST_ ? !betterS(best, v) : betterS(v, best)) {
      best = v;
      bi = k;
    }
  }
  return bi;
}

@inline function run(LAST_: bool, xPtr: usize, yPtr: usize, n: i32, inner: i32, flags: i32, start: i32, end: i32): void {
  const sign: u32 = (flags & ARGMIN) != 0 ? 0x80000000 : 0;
  const f32out = (flags & F32_OUT) != 0;
  if (inner == 1) {
    for (let q = start; q < end; q++) storeIdxS(yPtr + (<usize>q << 2), rowBest(LAST_, xPtr + (<usize>q * <usize>n << 2), n, sign), f32out);
    return;
  }
  const sv = i32x4.splat(sign);
  const stride = <usize>inner << 2;
  let q = start;
  while (q < end) {
    const o = q / inner, j0 = q - o * inner;
    const j1 = min(inner, j0 + (end - q));
    const x = xPtr + <usize>o * <usize>n * stride, y = yPtr + (<usize>o * <usize>inner << 2);
    let j = j0;
    for (; j + 16 <= j1; j += 16) cols16(LAST_, x + (<usize>j << 2), y + (<usize>j << 2), n, stride, sv, f32out);
    for (; j < j1; j += 4) cols4(LAST_, x + (<usize>j << 2), y + (<usize>j << 2), n, stride, sv, f32out, min(4, j1 - j));
    q += j1 - j0;
  }
}

/**
 * y[q] for q in [start, end) of the flattened [outer, inner] output: the index k < n of the
 * greatest x[o, k, j] (q = o·inner + j), ties to the first k, NaN greatest (torch.argmax).
 * flags: 1 ArgMin (least instead), 2 select_last_index (ties to the last k), 4 indices written
 * as f32 (exact for n ≤ 2^24; else i32). xPtr: f32 [outer, n, inner], n ≥ 1; yPtr: [outer, inner]
 * i32 or f32. Tails: the last partial vector of positions reads into the next plane or the padding
 * after x; dead lanes are never stored.
 * @split range start=start end=end align=16 cost=n*0.3
 */
export function argmax_f32_simd(xPtr: usize, yPtr: usize, n: i32, inner: i32, flags: i32, start: i32, end: i32): void {
  if ((flags & LAST) != 0) run(true, xPtr, yPtr, n, inner, flags, start, end);
  else run(false, xPtr, yPtr, n, inner, flags, start, end);
}
