// Helpers shared by the GEMM family (assembly/gemm.ts: the register-tiled GEMM; gemm-pack.ts: its
// packing; assembly/gemv.ts: GEMV, transposed GEMV, bias gradient) and the convolution family
// (assembly/conv2d.ts: im2col and the depthwise forward; assembly/conv2d-backward.ts: col2im and
// the depthwise backward): partial loads and stores, the multiply-add, parameter blocks, the
// window bounds of a kernel tap, zero fills and strided loads.
//
// NOT part of the ABI: assembly/index.ts never names this file, and `export *` from a kernel file
// does not re-export what that file imports, so these `@inline export` helpers are inlined into
// the kernels that import them and never become exports of simdnet.wasm.

// The one place to switch to relaxed_madd in a relaxed-SIMD build.
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  // ASC_FEATURE_RELAXED_SIMD is a compile-time constant: `--enable relaxed-simd` (the relaxed and
  // threads-relaxed builds) fuses the multiply-add (one rounding; V8 emits vfmadd231ps where the
  // CPU has FMA), the other builds keep the two roundings of mul + add.
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** Loads n (≤ 4, may be ≤ 0) floats, zero elsewhere; never touches memory past p + 4n. */
@inline export function loadN(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p);
  let v = f32x4.splat(0);
  if (n > 0) v = v128.load32_lane(p, v, 0);
  if (n > 1) v = v128.load32_lane(p, v, 1, 4);
  if (n > 2) v = v128.load32_lane(p, v, 2, 8);
  return v;
}

/** Stores the first n (≤ 4, may be ≤ 0) lanes of v. */
@inline export function storeN(p: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, v);
  } else {
    if (n > 0) v128.store32_lane(p, v, 0);
    if (n > 1) v128.store32_lane(p, v, 1, 4);
    if (n > 2) v128.store32_lane(p, v, 2, 8);
  }
}

/** The sum of v's four lanes. */
@inline export function hsum4(v: v128): f32 {
  const h = f32x4.add(v, f32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(h, f32x4.shuffle(h, h, 1, 0, 3, 2)), 0);
}

// ── Convolution geometry ─────────────────────────────────────────────────────────────────────
// Parameter blocks are i32 arrays written by the TypeScript ops (src/ops/conv2d*.ts):
//   im2col / col2im: [C, H, W, kh, kw, sh, sw, dh, dw, padTop, padLeft, ow] (read as
//                    Im2colBlock, with the taps' bounds, in assembly/conv2d-common.ts)
//   depthwise:       [C, H, W, mult, kh, kw, sh, sw, dh, dw, padTop, padLeft, oh, ow]

/** Slot i of an i32 parameter block. */
@inline export function param(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

// (oxFirst and oxEnd run once per kernel tap: an integer division there costs as much as a few
// vector steps, so stride 1 skips it.)

/** First ox ≥ 0 whose column ix0 + ox·sw is ≥ 0 (at most ow). */
@inline export function oxFirst(ix0: i32, sw: i32, ow: i32): i32 {
  return ix0 >= 0 ? 0 : min(sw == 1 ? -ix0 : (sw - 1 - ix0) / sw, ow);
}

/** One past the last ox (≥ lo, < ow) whose column ix0 + ox·sw is < W. */
@inline export function oxEnd(ix0: i32, sw: i32, W: i32, ow: i32, lo: i32): i32 {
  const room = W - 1 - ix0;
  return room < 0 ? lo : max(lo, min(ow, (sw == 1 ? room : room / sw) + 1));
}

/**
 * d[0 .. n) = 0, in whole vectors when the ≤ 3 floats past d[n − 1] lie before `end` (the caller
 * writes them again later), else exactly n.
 */
@inline export function zeroN(d: usize, n: i32, end: usize): void {
  const z = f32x4.splat(0);
  let i = 0;
  if (d + (<usize>(n + 3 & ~3) << 2) <= end) {
    for (; i < n; i += 4) v128.store(d + (<usize>i << 2), z);
    return;
  }
  for (; i + 4 <= n; i += 4) v128.store(d + (<usize>i << 2), z);
  storeN(d + (<usize>i << 2), z, n - i);
}

/** x[0], x[s], x[2s], x[3s] (s in elements) as one vector; stride 2 reads one float past x[3s]. */
@inline export function loadStrided(p: usize, s: i32): v128 {
  if (s == 1) return v128.load(p);
  if (s == 2) return f32x4.shuffle(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
  const st = <usize>s << 2;
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + st));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * st));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * st));
}
