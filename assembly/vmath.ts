// SIMD math helpers shared by the elementwise, softmax and loss kernels: exp/expm1 for x ≤ 0,
// log for s ≥ 1, lane masks, partial stores, horizontal reductions.
//
// NOT part of the ABI: assembly/index.ts never names this file, and `export *` from a kernel
// file does not re-export what that file imports, so these `@inline export` helpers are inlined
// into the kernels that import them and never become exports of simdnet.wasm.

// exp/expm1 for x ≤ 0. x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite: LN2_HI has few mantissa bits,
// so n·LN2_HI is exact); expm1(r) = r + r²·P(r) with P a degree-4 minimax fit (made for this
// file by reweighted least squares; relative error of expm1(r) ≤ 1.5e-8); 2^n built from
// exponent bits, and 0 once n < −126 so large negative x underflows cleanly.
const LOG2E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const LN2: f32 = 0.6931471805599453;
const SQRT2: f32 = 1.4142135623730951;
// exp(−104) is far below the smallest f32 (≈1.4e−45): clamping there loses nothing, and keeps
// −Infinity and huge |x| inside the range where the MAGIC rounding below is exact
const EXP_MIN: f32 = -104.0;

// adding 1.5·2^23 rounds to an integer kept in the low mantissa bits (cheaper than
// nearest + trunc_sat); the bits minus those of MAGIC are that integer
const MAGIC: f32 = 12582912.0;
const MAGIC_BITS_MINUS_BIAS: i32 = 0x4b400000 - 127;

/** expm1(r) for |r| ≤ ~0.354: r + r²·P(r). */
@inline function expm1Poly(r: v128): v128 {
  let p = f32x4.splat(0.0013882271014153957);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.008367854170501232));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.04166724532842636));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.16666533052921295));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.4999999701976776));
  return f32x4.add(r, f32x4.mul(f32x4.mul(r, r), p));
}

/** 2^n from t = n + MAGIC (as f32 bits); 0 where n < −126 (no subnormals). */
@inline function pow2Magic(t: v128): v128 {
  return i32x4.shl(i32x4.max_s(i32x4.sub(t, i32x4.splat(MAGIC_BITS_MINUS_BIAS)), i32x4.splat(0)), 23);
}

/** r = x − n·ln2 for nf = n (two-part ln2, so n·LN2_HI is exact). */
@inline function reduce(x: v128, nf: v128): v128 {
  return f32x4.sub(f32x4.sub(x, f32x4.mul(nf, f32x4.splat(LN2_HI))), f32x4.mul(nf, f32x4.splat(LN2_LO)));
}

/** exp(x) for x ≤ 0 (NaN stays NaN, −Infinity gives 0). Relative error ≲ 2e-7. */
@inline export function expNeg(x: v128): v128 {
  // pmax(x, c) is x < c ? c : x, so a NaN x passes through
  x = f32x4.pmax(x, f32x4.splat(EXP_MIN));
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(MAGIC));
  const q = expm1Poly(reduce(x, f32x4.sub(t, f32x4.splat(MAGIC))));
  return f32x4.mul(pow2Magic(t), f32x4.add(q, f32x4.splat(1.0)));
}

/** expm1(x) = exp(x) − 1 for x ≤ 0, accurate relative to the result also for tiny |x|. */
@inline export function expm1Neg(x: v128): v128 {
  x = f32x4.pmax(x, f32x4.splat(EXP_MIN));
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(MAGIC));
  const q = expm1Poly(reduce(x, f32x4.sub(t, f32x4.splat(MAGIC))));
  const s = pow2Magic(t);
  // 2^n·(1 + q) − 1 = 2^n·q + (2^n − 1): both products exact, so n = 0 returns q untouched
  return f32x4.add(f32x4.mul(s, q), f32x4.sub(s, f32x4.splat(1.0)));
}

/** log(s) for s ≥ 1 (a sum of exps whose largest term is 1; any positive normal s works); NaN stays NaN. ~1 ulp. */
@inline export function logv(s: v128): v128 {
  let e = i32x4.sub(i32x4.shr_u(s, 23), i32x4.splat(127));
  let m = v128.or(v128.and(s, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000));
  // centre the mantissa on 1 so that f = m − 1 stays in [−0.29, 0.41]
  const big = f32x4.gt(m, f32x4.splat(SQRT2));
  m = v128.bitselect(f32x4.mul(m, f32x4.splat(0.5)), m, big);
  e = i32x4.sub(e, big);
  const f = f32x4.sub(m, f32x4.splat(1.0));
  // log(1 + f) = 2·atanh(z), z = f/(2 + f), |z| ≤ 0.172: odd series to z¹¹
  const z = f32x4.div(f, f32x4.add(f32x4.splat(2.0), f));
  const w = f32x4.mul(z, z);
  let p = f32x4.splat(1.0 / 11.0);
  p = f32x4.add(f32x4.mul(p, w), f32x4.splat(1.0 / 9.0));
  p = f32x4.add(f32x4.mul(p, w), f32x4.splat(1.0 / 7.0));
  p = f32x4.add(f32x4.mul(p, w), f32x4.splat(1.0 / 5.0));
  p = f32x4.add(f32x4.mul(p, w), f32x4.splat(1.0 / 3.0));
  const t = f32x4.add(z, z);
  const l = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(e), f32x4.splat(LN2)), f32x4.add(t, f32x4.mul(t, f32x4.mul(w, p))));
  // s − s is 0 for finite s and NaN for NaN, whose bits above would decode to a finite value
  return f32x4.add(l, f32x4.sub(s, s));
}

/** Lanes [0, k) all ones, the others zero. */
@inline export function laneMask(k: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(k));
}

/** Stores lanes 0..k−1 of v at ptr (k ≥ 4 stores the whole vector). */
@inline export function storeLanes(ptr: usize, v: v128, k: i32): void {
  if (k >= 4) { v128.store(ptr, v); return; }
  v128.store32_lane(ptr, v, 0);
  if (k > 1) v128.store32_lane(ptr, v, 1, 4);
  if (k > 2) v128.store32_lane(ptr, v, 2, 8);
}

/** The maximum of the four lanes, in every lane (pmax: NaN lanes lose). */
@inline export function hmax(v: v128): v128 {
  v = f32x4.pmax(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.pmax(v, v128.shuffle<f32>(v, v, 1, 0, 3, 2));
}

/** The sum of the four lanes, in every lane. */
@inline export function hsum(v: v128): v128 {
  v = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.add(v, v128.shuffle<f32>(v, v, 1, 0, 3, 2));
}

/** The sum of the four lanes as an f64 (lanes widened before adding). */
@inline export function hsum64(v: v128): f64 {
  const lo = f64x2.promote_low_f32x4(v);
  const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  const s = f64x2.add(lo, hi);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}
