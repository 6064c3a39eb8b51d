// Reductions over the middle axis of a row-major f32 tensor viewed as [outer, r, inner]:
//   sum:  y[o, j] = scale · Σ_k x[o, k, j]      (scale = 1 for a sum, 1/r for a mean)
//   max:  y[o, j] = max_k x[o, k, j]            (NaN anywhere in a slice gives NaN, as PyTorch's amax)
// Reductions over several axes are several calls, one per run of adjacent reduced axes (src/ops).
// inner = 1 (e.g. the last axis, or a global pool over H·W seen as [N·C, H·W, 1]) reduces each
// contiguous row with four vector accumulators; inner > 1 (e.g. a mean over C of NCHW) adds whole
// vectors of inner positions, 16 then 4 at a time. Accumulation is f32.

import { hsum, hmax, laneMask, storeLanes } from "./vmath";

/** Σ of one contiguous row of n; the partial last vector reads into the padding, its dead lanes masked. */
@inline function rowSum(x: usize, n: i32): f32 {
  const z = f32x4.splat(0);
  let s0 = z, s1 = z, s2 = z, s3 = z;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    s0 = f32x4.add(s0, v128.load(p));
    s1 = f32x4.add(s1, v128.load(p, 16));
    s2 = f32x4.add(s2, v128.load(p, 32));
    s3 = f32x4.add(s3, v128.load(p, 48));
  }
  for (; i + 4 <= n; i += 4) s0 = f32x4.add(s0, v128.load(x + (<usize>i << 2)));
  if (i < n) s1 = f32x4.add(s1, v128.and(v128.load(x + (<usize>i << 2)), laneMask(n - i)));
  return f32x4.extract_lane(hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3))), 0);
}

/** max of one contiguous row of n (f32x4.max propagates NaN); dead tail lanes become −Infinity. */
@inline function rowMax(x: usize, n: i32): f32 {
  const ninf = f32x4.splat(-Infinity);
  let m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    m0 = f32x4.max(m0, v128.load(p));
    m1 = f32x4.max(m1, v128.load(p, 16));
    m2 = f32x4.max(m2, v128.load(p, 32));
    m3 = f32x4.max(m3, v128.load(p, 48));
  }
  for (; i + 4 <= n; i += 4) m0 = f32x4.max(m0, v128.load(x + (<usize>i << 2)));
  if (i < n) m1 = f32x4.max(m1, v128.bitselect(v128.load(x + (<usize>i << 2)), ninf, laneMask(n - i)));
  let m = f32x4.max(f32x4.max(m0, m1), f32x4.max(m2, m3));
  m = f32x4.max(m, v128.shuffle<f32>(m, m, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.max(m, v128.shuffle<f32>(m, m, 1, 0, 3, 2)), 0);
}

/** One vector step of the strided reduction: MAX selects max, else add. */
@inline function acc(MAX: bool, a: v128, v: v128): v128 {
  return MAX ? f32x4.max(a, v) : f32x4.add(a, v);
}

/** 16 inner positions of one outer slice, reduced over r rows of stride bytes. */
@inline function cols16(MAX: bool, x: usize, y: usize, r: i32, stride: usize, scale: v128): void {
  const init = MAX ? f32x4.splat(-Infinity) : f32x4.splat(0);
  let a0 = init, a1 = init, a2 = init, a3 = init;
  let p = x;
  for (let k = 0; k < r; k++, p += stride) {
    a0 = acc(MAX, a0, v128.load(p));
    a1 = acc(MAX, a1, v128.load(p, 16));
    a2 = acc(MAX, a2, v128.load(p, 32));
    a3 = acc(MAX, a3, v128.load(p, 48));
  }
  if (!MAX) {
    a0 = f32x4.mul(a0, scale); a1 = f32x4.mul(a1, scale); a2 = f32x4.mul(a2, scale); a3 = f32x4.mul(a3, scale);
  }
  v128.store(y, a0); v128.store(y, a1, 16); v128.store(y, a2, 32); v128.store(y, a3, 48);
}

/** Up to 4 inner positions (lanes [0, lanes)); dead lanes read past the slice and are never stored. */
@inline function cols4(MAX: bool, x: usize, y: usize, r: i32, stride: usize, scale: v128, lanes: i32): void {
  let a = MAX ? f32x4.splat(-Infinity) : f32x4.splat(0);
  let p = x;
  for (let k = 0; k < r; k++, p += stride) a = acc(MAX, a, v128.load(p));
  storeLanes(y, MAX ? a : f32x4.mul(a, scale), lanes);
}

@inline function reduce(MAX: bool, xPtr: usize, yPtr: usize, outer: i32, r: i32, inner: i32, scale: f32): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const x = xPtr + (<usize>o * <usize>r << 2);
      store<f32>(yPtr + (<usize>o << 2), MAX ? rowMax(x, r) : rowSum(x, r) * scale);
    }
    return;
  }
  const stride = <usize>inner << 2;
  const sv = f32x4.splat(scale);
  for (let o = 0; o < outer; o++) {
    const x = xPtr + <usize>o * <usize>r * stride, y = yPtr + <usize>o * stride;
    let j = 0;
    for (; j + 16 <= inner; j += 16) cols16(MAX, x + (<usize>j << 2), y + (<usize>j << 2), r, stride, sv);
    for (; j < inner; j += 4) cols4(MAX, x + (<usize>j << 2), y + (<usize>j << 2), r, stride, sv, min(4, inner - j));
  }
}

/**
 * y[o, j] = scale · Σ_{k<r} x[o, k, j] (scale 1: sum; 1/r: mean; r = 0 gives 0·scale).
 * xPtr: byte address of outer·r·inner f32; yPtr: outer·inner f32 (must not overlap x).
 * Tails: the last partial vector reads into the padding after x; dead lanes never stored.
 */
export function reduce_sum_f32_simd(xPtr: usize, yPtr: usize, outer: i32, r: i32, inner: i32, scale: f32): void {
  reduce(false, xPtr, yPtr, outer, r, inner, scale);
}

/**
 * y[o, j] = max_{k<r} x[o, k, j], r ≥ 1 (NaN propagates). Layouts and tails as reduce_sum_f32_simd.
 */
export function reduce_max_f32_simd(xPtr: usize, yPtr: usize, outer: i32, r: i32, inner: i32): void {
  reduce(true, xPtr, yPtr, outer, r, inner, 1);
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────

/**
 * Sum/mean backward (a broadcast): dx[o, k, j] = scale · dy[o, j] for k < r (overwrites dx).
 * dyPtr: outer·inner f32; dxPtr: outer·r·inner f32. Tails (inner mod 4) store lane by lane.
 */
export function reduce_bwd_f32_simd(dyPtr: usize, dxPtr: usize, outer: i32, r: i32, inner: i32, scale: f32): void {
  const sv = f32x4.splat(scale);
  let dx = dxPtr;
  for (let o = 0; o < outer; o++) {
    const dy = dyPtr + (<usize>o * <usize>inner << 2);
    if (inner == 1) {
      const v = f32x4.splat(load<f32>(dy) * scale);
      let k = 0;
      for (; k + 4 <= r; k += 4) v128.store(dx + (<usize>k << 2), v);
      for (; k < r; k++) store<f32>(dx + (<usize>k << 2), f32x4.extract_lane(v, 0));
      dx += <usize>r << 2;
      continue;
    }
    for (let k = 0; k < r; k++) {
      let j = 0;
      for (; j + 4 <= inner; j += 4) v128.store(dx + (<usize>j << 2), f32x4.mul(v128.load(dy + (<usize>j << 2)), sv));
      if (j < inner) storeLanes(dx + (<usize>j << 2), f32x4.mul(v128.load(dy + (<usize>j << 2)), sv), inner - j);
      dx += <usize>inner << 2;
    }
  }
}

/** Lanes where x is the slice's maximum y: equal, or both NaN (a NaN maximum came from a NaN). */
@inline function isMax(x: v128, y: v128): v128 {
  return v128.or(f32x4.eq(x, y), v128.and(f32x4.ne(x, x), f32x4.ne(y, y)));
}

/**
 * Max backward, the gradient routed to the FIRST maximal element of each slice (lowest k, as
 * torch.max(dim) and ONNX ArgMax pick one): dx[o, k, j] = dy[o, j] where k is the first k with
 * x[o, k, j] = y[o, j] (or both NaN), else 0 (overwrites dx). xPtr, dxPtr: outer·r·inner f32;
 * yPtr (the forward output), dyPtr: outer·inner f32. Tails store lane by lane.
 */
export function reduce_max_bwd_f32_simd(xPtr: usize, yPtr: usize, dyPtr: usize, dxPtr: usize, outer: i32, r: i32, inner: i32): void {
  const z = f32x4.splat(0);
  if (inner == 1) {
    // contiguous rows: zero the row with vectors, then find the first maximum
    for (let o = 0; o < outer; o++) {
      const x = xPtr + (<usize>o * <usize>r << 2), dx = dxPtr + (<usize>o * <usize>r << 2);
      const y = load<f32>(yPtr + (<usize>o << 2));
      let k = 0;
      for (; k + 4 <= r; k += 4) v128.store(dx + (<usize>k << 2), z);
      for (; k < r; k++) store<f32>(dx + (<usize>k << 2), 0);
      for (k = 0; k < r; k++) {
        const v = load<f32>(x + (<usize>k << 2));
        if (v == y || (v != v && y != y)) break;
      }
      if (k < r) store<f32>(dx + (<usize>k << 2), load<f32>(dyPtr + (<usize>o << 2)));
    }
    return;
  }
  const stride = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const base = <usize>o * <usize>r * stride;
    const x = xPtr + base, dx = dxPtr + base;
    const yo = yPtr + <usize>o * stride, dyo = dyPtr + <usize>o * stride;
    for (let j = 0; j < inner; j += 4) {
      const lanes = min(4, inner - j);
      const b = <usize>j << 2;
      const y = v128.load(yo + b), dy = v128.load(dyo + b);
      let found = z;
      let p = x + b, q = dx + b;
      for (let k = 0; k < r; k++, p += stride, q += stride) {
        const hit = v128.andnot(isMax(v128.load(p), y), found);
        found = v128.or(found, hit);
        storeLanes(q, v128.and(dy, hit), lanes);
      }
    }
  }
}
