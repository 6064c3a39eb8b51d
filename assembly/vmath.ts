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

/** sigmoid: 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0, with e = exp(−|x|) ∈ (0, 1]. */
@inline export function sigmoidv(x: v128): v128 {
  const e = expNeg(v128.or(x, i32x4.splat(<i32>0x80000000))); // −|x|
  const inv = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
  return v128.bitselect(f32x4.mul(e, inv), inv, f32x4.lt(x, f32x4.splat(0.0)));
}

/** tanh: sign(x)·(−m)/(2 + m) with m = expm1(−2|x|) ∈ (−1, 0]; no cancellation near 0. */
@inline export function tanhv(x: v128): v128 {
  const m = expm1Neg(f32x4.mul(f32x4.abs(x), f32x4.splat(-2.0)));
  // m/(2 + m) ≤ 0; abs() rather than a negation keeps tanh(+0) = +0
  const t = f32x4.abs(f32x4.div(m, f32x4.add(f32x4.splat(2.0), m)));
  return v128.or(t, v128.and(x, i32x4.splat(<i32>0x80000000)));
}

/**
 * exp(x) for any x: 2^n·(1 + expm1(r)) with 2^n applied as two normal powers of two, so results
 * down in the subnormals and up to overflow (+Infinity past x ≈ 88.72) round once. ~1 ulp.
 */
@inline export function expv(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_MIN)), f32x4.splat(89.0));
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(MAGIC));
  const q = expm1Poly(reduce(x, f32x4.sub(t, f32x4.splat(MAGIC))));
  const n = i32x4.sub(t, i32x4.splat(MAGIC_BITS_MINUS_BIAS + 127)); // n ∈ [−150, 129]
  const n1 = i32x4.shr_s(n, 1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(n, n1), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(f32x4.add(q, f32x4.splat(1.0)), s1), s2);
}

// erf. |x| < ERF_X0: x·P(x²). Beyond: erfc(|x|) = t·exp(−x²)·exp(Q(t)), t = 1/(1 + |x|/2). P (degree
// 6 in x²) and Q (degree 10 in t) are fits made for this file by scripts/fit-erf.py (fit errors
// 2e-10 and 1e-9). exp(−x²) is exp(−h²)·exp(−d) with h = |x| cut to 12 significant bits, so
// h² is exact and d = x² − h² small: a rounded x² would cost |x|²·2^-24 relative.
const ERF_X0: f32 = 0.875;

/** erfc(|z|) where z = x (half = false) or z = x/√2 (half = true), from ax = |x|; |z| ≥ ERF_X0 wanted. */
@inline export function erfcTail(ax: v128, half: bool): v128 {
  // past |z| ≈ 10.3 the result underflows to 0; the clamp keeps ±Infinity out of the arithmetic
  ax = f32x4.pmin(ax, f32x4.splat(14.5));
  const az = half ? f32x4.mul(ax, f32x4.splat(0.7071067811865476)) : ax;
  const one = f32x4.splat(1.0);
  const t = f32x4.div(one, f32x4.add(one, f32x4.mul(az, f32x4.splat(0.5))));
  let q = f32x4.splat(0.29899856448173523);
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(-1.0602271556854248));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(1.3460090160369873));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(-0.6382532119750977));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(0.13243870437145233));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(-0.19107931852340698));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(-0.07976729422807693));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(0.08286596834659576));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(0.3750181198120117));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(0.9999997019767761));
  q = f32x4.add(f32x4.mul(q, t), f32x4.splat(-1.2655121088027954));
  const h = v128.and(ax, i32x4.splat(<i32>0xfffff000));
  let hh = f32x4.mul(h, h);
  let d = f32x4.mul(f32x4.sub(ax, h), f32x4.add(ax, h));
  if (half) { hh = f32x4.mul(hh, f32x4.splat(0.5)); d = f32x4.mul(d, f32x4.splat(0.5)); }
  return f32x4.mul(f32x4.mul(t, expNeg(f32x4.neg(hh))), expNeg(f32x4.sub(q, d)));
}

/** erf(z) for |z| < ERF_X0: z·P(z²). */
@inline export function erfSmall(z: v128): v128 {
  const w = f32x4.mul(z, z);
  let p = f32x4.splat(8.675390563439578e-05);
  p = f32x4.add(f32x4.mul(p, w), f32x4.splat(-0.000821110385004431));
  p = f32x4.add(f32x4.mul(p, w), f32x4.splat(0.005206747446209192));
  p = f32x4.add(f32x4.mul(p, w), f32x4.splat(-0.026861583814024925));
  p = f32x4.add(f32x4.mul(p, w), f32x4.splat(0.11283732950687408));
  p = f32x4.add(f32x4.mul(p, w), f32x4.splat(-0.37612634897232056));
  // z + z·((c0 − 1) + w·Q(w)): z is exact and the correction (≤ 13% of the result) carries the
  // rounding of Horner's scheme; a rounded z·c0 alone would cost up to 1 ulp where erf(z) < 0.5 < z·c0
  p = f32x4.add(f32x4.mul(p, w), f32x4.splat(0.128379225730896));
  return f32x4.add(z, f32x4.mul(z, p));
}

/** Lanes where |z| < ERF_X0 (false for NaN). */
@inline export function erfSmallMask(az: v128): v128 {
  return f32x4.lt(az, f32x4.splat(ERF_X0));
}

/** erf(x): ±0, ±1 at ±Infinity, NaN stays NaN. */
@inline export function erfv(x: v128): v128 {
  const ax = f32x4.abs(x);
  const big = f32x4.sub(f32x4.splat(1.0), erfcTail(ax, false));
  const sign = v128.and(x, i32x4.splat(<i32>0x80000000));
  return v128.bitselect(erfSmall(x), v128.or(big, sign), erfSmallMask(ax));
}

/** Φ(x) = (1 + erf(x/√2))/2, the normal CDF, accurate relative to itself also far left (no 1 + erf cancellation). */
@inline export function normalCdfv(x: v128): v128 {
  const z = f32x4.mul(x, f32x4.splat(0.7071067811865476));
  const half = f32x4.splat(0.5);
  const e = f32x4.mul(erfcTail(f32x4.abs(x), true), half); // Φ(−|x|)
  const tail = v128.bitselect(f32x4.sub(f32x4.splat(1.0), e), e, f32x4.gt(x, f32x4.splat(0.0)));
  return v128.bitselect(f32x4.add(half, f32x4.mul(half, erfSmall(z))), tail, erfSmallMask(f32x4.abs(z)));
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
