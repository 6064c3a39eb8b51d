// Elementwise activations over a flat f32 array: relu, leaky relu, sigmoid, tanh.
// Each kernel reads x[0..n) and writes y[0..n) (byte addresses, n in elements; x and y may be
// the same array). The main loop takes 16 elements per step; the n mod 4 tail is one partial
// vector: it reads one v128 past the end (the allocator's padding allows it) and stores only
// the valid lanes.

// exp/expm1 for x ≤ 0. x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite: LN2_HI has few mantissa bits,
// so n·LN2_HI is exact); expm1(r) = r + r²·P(r) with P a degree-4 minimax fit (made for this
// file by reweighted least squares; relative error of expm1(r) ≤ 1.5e-8); 2^n built from
// exponent bits, and 0 once n < −126 so large negative x underflows cleanly.
const LOG2E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
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

/** exp(x) for x ≤ 0 (NaN stays NaN, −Infinity gives 0). */
@inline function expNeg(x: v128): v128 {
  // pmax(x, c) is x < c ? c : x, so a NaN x passes through
  x = f32x4.pmax(x, f32x4.splat(EXP_MIN));
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(MAGIC));
  const q = expm1Poly(reduce(x, f32x4.sub(t, f32x4.splat(MAGIC))));
  return f32x4.mul(pow2Magic(t), f32x4.add(q, f32x4.splat(1.0)));
}

/** expm1(x) = exp(x) − 1 for x ≤ 0, accurate relative to the result also for tiny |x|. */
@inline function expm1Neg(x: v128): v128 {
  x = f32x4.pmax(x, f32x4.splat(EXP_MIN));
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(MAGIC));
  const q = expm1Poly(reduce(x, f32x4.sub(t, f32x4.splat(MAGIC))));
  const s = pow2Magic(t);
  // 2^n·(1 + q) − 1 = 2^n·q + (2^n − 1): both products exact, so n = 0 returns q untouched
  return f32x4.add(f32x4.mul(s, q), f32x4.sub(s, f32x4.splat(1.0)));
}

/** sigmoid: 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0, with e = exp(−|x|) ∈ (0, 1]. */
@inline function sigmoidv(x: v128): v128 {
  const e = expNeg(v128.or(x, i32x4.splat(<i32>0x80000000))); // −|x|
  const inv = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
  return v128.bitselect(f32x4.mul(e, inv), inv, f32x4.lt(x, f32x4.splat(0.0)));
}

/** tanh: sign(x)·(−m)/(2 + m) with m = expm1(−2|x|) ∈ (−1, 0]; no cancellation near 0. */
@inline function tanhv(x: v128): v128 {
  const m = expm1Neg(f32x4.mul(f32x4.abs(x), f32x4.splat(-2.0)));
  // m/(2 + m) ≤ 0; abs() rather than a negation keeps tanh(+0) = +0
  const t = f32x4.abs(f32x4.div(m, f32x4.add(f32x4.splat(2.0), m)));
  return v128.or(t, v128.and(x, i32x4.splat(<i32>0x80000000)));
}

@inline function relu_v(x: v128): v128 {
  // x < 0 ? 0 : x — NaN passes through, −0 stays −0
  return f32x4.pmax(x, f32x4.splat(0.0));
}

@inline function leaky_v(x: v128, s: v128): v128 {
  return v128.bitselect(x, f32x4.mul(x, s), f32x4.gt(x, f32x4.splat(0.0)));
}

/** Stores lanes 0..k−1 of v (1 ≤ k ≤ 3) at ptr. */
@inline function storeLanes(ptr: usize, v: v128, k: i32): void {
  v128.store32_lane(ptr, v, 0);
  if (k > 1) v128.store32_lane(ptr, v, 1, 4);
  if (k > 2) v128.store32_lane(ptr, v, 2, 8);
}

/** y[i] = max(x[i], 0) (NaN stays NaN). */
export function relu_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a = v128.load(xPtr + o), b = v128.load(xPtr + o + 16);
    const c = v128.load(xPtr + o + 32), d = v128.load(xPtr + o + 48);
    v128.store(yPtr + o, relu_v(a));
    v128.store(yPtr + o + 16, relu_v(b));
    v128.store(yPtr + o + 32, relu_v(c));
    v128.store(yPtr + o + 48, relu_v(d));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yPtr + o, relu_v(v128.load(xPtr + o)));
  }
  if (i < n) storeLanes(yPtr + (<usize>i << 2), relu_v(v128.load(xPtr + (<usize>i << 2))), n - i);
}

/** y[i] = x[i] > 0 ? x[i] : negativeSlope·x[i] (NaN stays NaN). */
export function leaky_relu_f32_simd(xPtr: usize, yPtr: usize, n: i32, negativeSlope: f32): void {
  const s = f32x4.splat(negativeSlope);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a = v128.load(xPtr + o), b = v128.load(xPtr + o + 16);
    const c = v128.load(xPtr + o + 32), d = v128.load(xPtr + o + 48);
    v128.store(yPtr + o, leaky_v(a, s));
    v128.store(yPtr + o + 16, leaky_v(b, s));
    v128.store(yPtr + o + 32, leaky_v(c, s));
    v128.store(yPtr + o + 48, leaky_v(d, s));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yPtr + o, leaky_v(v128.load(xPtr + o), s));
  }
  if (i < n) storeLanes(yPtr + (<usize>i << 2), leaky_v(v128.load(xPtr + (<usize>i << 2)), s), n - i);
}

/**
 * y[i] = 1/(1 + exp(−x[i])). Max relative error ≈ 3e-7; exactly 0 below x ≈ −87.7 and exactly 1
 * above x ≈ 17; NaN stays NaN.
 */
export function sigmoid_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a = v128.load(xPtr + o), b = v128.load(xPtr + o + 16);
    const c = v128.load(xPtr + o + 32), d = v128.load(xPtr + o + 48);
    v128.store(yPtr + o, sigmoidv(a));
    v128.store(yPtr + o + 16, sigmoidv(b));
    v128.store(yPtr + o + 32, sigmoidv(c));
    v128.store(yPtr + o + 48, sigmoidv(d));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yPtr + o, sigmoidv(v128.load(xPtr + o)));
  }
  if (i < n) storeLanes(yPtr + (<usize>i << 2), sigmoidv(v128.load(xPtr + (<usize>i << 2))), n - i);
}

/**
 * y[i] = tanh(x[i]). Max relative error ≈ 3e-7 (also for tiny |x|: tanh(x) ≈ x); exactly ±1
 * beyond |x| ≈ 9; tanh(−0) = −0; NaN stays NaN.
 */
export function tanh_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a = v128.load(xPtr + o), b = v128.load(xPtr + o + 16);
    const c = v128.load(xPtr + o + 32), d = v128.load(xPtr + o + 48);
    v128.store(yPtr + o, tanhv(a));
    v128.store(yPtr + o + 16, tanhv(b));
    v128.store(yPtr + o + 32, tanhv(c));
    v128.store(yPtr + o + 48, tanhv(d));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yPtr + o, tanhv(v128.load(xPtr + o)));
  }
  if (i < n) storeLanes(yPtr + (<usize>i << 2), tanhv(v128.load(xPtr + (<usize>i << 2))), n - i);
}
