// Inverted dropout with a counter-based RNG: element i is kept iff h(seed, i) ≥ threshold (u32
// compare), where h is two rounds of the murmur3 32-bit finalizer over i mixed with keys drawn
// from the seed. So the mask is a pure function of (seed, i): a backward pass can regenerate it,
// and a thread can take any sub-range [iStart, iEnd) and draw the same numbers.
// threshold = round(p·2^32) (P(keep) = 1 − threshold/2^32); scale = 1/(1 − p).

import { storeLanes } from "./vmath";

@inline function fmix32(h: u32): u32 {
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

@inline function fmix32v(h: v128): v128 {
  h = v128.xor(h, i32x4.shr_u(h, 16));
  h = i32x4.mul(h, i32x4.splat(<i32>0x85ebca6b));
  h = v128.xor(h, i32x4.shr_u(h, 13));
  h = i32x4.mul(h, i32x4.splat(<i32>0xc2b2ae35));
  return v128.xor(h, i32x4.shr_u(h, 16));
}

/** The mask values m (0 or scale) of elements i..i+3. */
@inline function maskAt(i: i32, k1: v128, k2: v128, thr: v128, sc: v128): v128 {
  const idx = i32x4.add(i32x4.splat(i), i32x4(0, 1, 2, 3));
  const h = fmix32v(v128.xor(fmix32v(v128.xor(idx, k1)), k2));
  return v128.and(i32x4.ge_u(h, thr), sc);
}

@inline function run(xPtr: usize, yPtr: usize, maskPtr: usize, start: i32, end: i32, threshold: u32, scale: f32, seed: u32, withMask: bool): void {
  const k1 = i32x4.splat(fmix32(seed ^ 0x5bd1e995));
  const k2 = i32x4.splat(fmix32(seed + 0x9e3779b9));
  const thr = i32x4.splat(threshold);
  const sc = f32x4.splat(scale);
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const o = <usize>i << 2;
    const m0 = maskAt(i, k1, k2, thr, sc), m1 = maskAt(i + 4, k1, k2, thr, sc);
    v128.store(yPtr + o, f32x4.mul(v128.load(xPtr + o), m0));
    v128.store(yPtr + o, f32x4.mul(v128.load(xPtr + o, 16), m1), 16);
    if (withMask) { v128.store(maskPtr + o, m0); v128.store(maskPtr + o, m1, 16); }
  }
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    const m = maskAt(i, k1, k2, thr, sc);
    v128.store(yPtr + o, f32x4.mul(v128.load(xPtr + o), m));
    if (withMask) v128.store(maskPtr + o, m);
  }
  if (i < end) {
    // one partial vector: the load runs into the padding, only live lanes are stored
    const o = <usize>i << 2;
    const m = maskAt(i, k1, k2, thr, sc);
    storeLanes(yPtr + o, f32x4.mul(v128.load(xPtr + o), m), end - i);
    if (withMask) storeLanes(maskPtr + o, m, end - i);
  }
}

/**
 * y[i] = x[i]·m_i for i in [iStart, iEnd), m_i = scale if h(seed, i) ≥ threshold else 0.
 * xPtr, yPtr: byte addresses of the whole f32 arrays (element 0), so the sub-range keeps the
 * global index i. A dropped NaN/±Infinity gives NaN (x·0, as in PyTorch). Tail: partial vector.
 * @split range start=iStart end=iEnd align=16 cost=0.3
 */
export function dropout_f32_simd(xPtr: usize, yPtr: usize, iStart: i32, iEnd: i32, threshold: u32, scale: f32, seed: u32): void {
  run(xPtr, yPtr, 0, iStart, iEnd, threshold, scale, seed, false);
}

/**
 * As dropout_f32_simd, and also writes the mask: mask[i] = m_i (f32 0 or scale), so that
 * backward is dx = dy·mask. maskPtr: byte address of the whole f32 mask array.
 * @split range start=iStart end=iEnd align=16 cost=0.3
 */
export function dropout_f32_mask_simd(xPtr: usize, yPtr: usize, maskPtr: usize, iStart: i32, iEnd: i32, threshold: u32, scale: f32, seed: u32): void {
  run(xPtr, yPtr, maskPtr, iStart, iEnd, threshold, scale, seed, true);
}
