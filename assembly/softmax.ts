// Softmax and log-softmax along one axis of a row-major f32 tensor viewed as [outer, c, inner]:
//   softmax:     y = exp(x − m) / Σ_c exp(x − m)           with m = max_c x (numerical stability)
//   logSoftmax:  y = (x − m) − log(Σ_c exp(x − m))
// Rows kernels (inner = 1) vectorize each reduction along the contiguous row; strided kernels
// (inner > 1) vectorize across inner positions, reducing 16 (then 4) positions at once.
// A NaN anywhere along the axis makes that whole slice NaN (as in PyTorch); +Infinity gives NaN;
// −Infinity entries give 0 (log: −Infinity) as long as one entry is finite.

// exp(x) for x ≤ 0: the same construction as in activation.ts (kernel files cannot share helpers
// without exporting them as kernels). x = n·ln2 + r, |r| ≤ ln2/2; expm1(r) = r + r²·P(r) with
// the degree-4 minimax P of activation.ts (≤ 1.5e-8 relative); 0 below 2^−126.
const LOG2E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EXP_MIN: f32 = -104.0;
const LN2: f32 = 0.6931471805599453;
const SQRT2: f32 = 1.4142135623730951;

// 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
const MAGIC: f32 = 12582912.0;
const MAGIC_BITS_MINUS_BIAS: i32 = 0x4b400000 - 127;

@inline function expNeg(x: v128): v128 {
  x = f32x4.pmax(x, f32x4.splat(EXP_MIN)); // NaN passes through pmax(x, c)
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(MAGIC));
  const nf = f32x4.sub(t, f32x4.splat(MAGIC));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(nf, f32x4.splat(LN2_HI))), f32x4.mul(nf, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(0.0013882271014153957);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.008367854170501232));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.04166724532842636));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.16666533052921295));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.4999999701976776));
  const q = f32x4.add(r, f32x4.mul(f32x4.mul(r, r), p));
  const s = i32x4.shl(i32x4.max_s(i32x4.sub(t, i32x4.splat(MAGIC_BITS_MINUS_BIAS)), i32x4.splat(0)), 23);
  return f32x4.mul(s, f32x4.add(q, f32x4.splat(1.0)));
}

/** log(s) for s ≥ 1 (a sum of exps whose largest term is 1); NaN stays NaN. ~1 ulp. */
@inline function logv(s: v128): v128 {
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
@inline function laneMask(k: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(k));
}

/** Stores lanes 0..k−1 of v at ptr (k ≥ 4 stores the whole vector). */
@inline function storeLanes(ptr: usize, v: v128, k: i32): void {
  if (k >= 4) { v128.store(ptr, v); return; }
  v128.store32_lane(ptr, v, 0);
  if (k > 1) v128.store32_lane(ptr, v, 1, 4);
  if (k > 2) v128.store32_lane(ptr, v, 2, 8);
}

@inline function hmax(v: v128): v128 {
  v = f32x4.pmax(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.pmax(v, v128.shuffle<f32>(v, v, 1, 0, 3, 2));
}

@inline function hsum(v: v128): v128 {
  v = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.add(v, v128.shuffle<f32>(v, v, 1, 0, 3, 2));
}

/** One contiguous row of n: four accumulators per reduction, partial last vector masked. */
@inline function row(x: usize, y: usize, n: i32, log: bool): void {
  const ninf = f32x4.splat(-Infinity);
  let m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    m0 = f32x4.pmax(m0, v128.load(p));
    m1 = f32x4.pmax(m1, v128.load(p, 16));
    m2 = f32x4.pmax(m2, v128.load(p, 32));
    m3 = f32x4.pmax(m3, v128.load(p, 48));
  }
  for (; i + 4 <= n; i += 4) m0 = f32x4.pmax(m0, v128.load(x + (<usize>i << 2)));
  const rem = n - i;
  // the partial vector reads into the padding after the row; its dead lanes become −Infinity
  if (rem > 0) m1 = f32x4.pmax(m1, v128.bitselect(v128.load(x + (<usize>i << 2)), ninf, laneMask(rem)));
  const m = hmax(f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3)));

  const zero = f32x4.splat(0.0);
  let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
  i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const e0 = expNeg(f32x4.sub(v128.load(x + o), m));
    const e1 = expNeg(f32x4.sub(v128.load(x + o, 16), m));
    const e2 = expNeg(f32x4.sub(v128.load(x + o, 32), m));
    const e3 = expNeg(f32x4.sub(v128.load(x + o, 48), m));
    s0 = f32x4.add(s0, e0); s1 = f32x4.add(s1, e1); s2 = f32x4.add(s2, e2); s3 = f32x4.add(s3, e3);
    if (!log) {
      v128.store(y + o, e0); v128.store(y + o, e1, 16); v128.store(y + o, e2, 32); v128.store(y + o, e3, 48);
    }
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const e = expNeg(f32x4.sub(v128.load(x + o), m));
    s0 = f32x4.add(s0, e);
    if (!log) v128.store(y + o, e);
  }
  if (rem > 0) {
    const o = <usize>i << 2;
    const e = v128.and(expNeg(f32x4.sub(v128.load(x + o), m)), laneMask(rem));
    s1 = f32x4.add(s1, e);
    if (!log) storeLanes(y + o, e, rem);
  }
  const s = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));

  if (log) {
    const l = f32x4.splat(Mathf.log(f32x4.extract_lane(s, 0)));
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.sub(f32x4.sub(v128.load(x + o), m), l));
    }
    if (rem > 0) storeLanes(y + (<usize>i << 2), f32x4.sub(f32x4.sub(v128.load(x + (<usize>i << 2)), m), l), rem);
  } else {
    const inv = f32x4.div(f32x4.splat(1.0), s);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.mul(v128.load(y + o), inv));
    }
    if (rem > 0) storeLanes(y + (<usize>i << 2), f32x4.mul(v128.load(y + (<usize>i << 2)), inv), rem);
  }
}

/**
 * Softmax of each of `rows` contiguous rows of n elements (the last axis).
 * xPtr, yPtr: byte addresses of rows·n f32. Tail (n mod 4): one partial vector read into the
 * padding after the row, its dead lanes masked out of the reductions and never stored.
 */
export function softmax_f32_simd(xPtr: usize, yPtr: usize, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * <usize>n << 2;
    row(xPtr + o, yPtr + o, n, false);
  }
}

/** Log-softmax of each of `rows` contiguous rows of n elements; layout and tails as softmax_f32_simd. */
export function log_softmax_f32_simd(xPtr: usize, yPtr: usize, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * <usize>n << 2;
    row(xPtr + o, yPtr + o, n, true);
  }
}

/** 16 inner positions (four vectors) of one outer slice; stride = inner·4 bytes. */
@inline function cols16(x: usize, y: usize, c: i32, stride: usize, log: bool): void {
  const ninf = f32x4.splat(-Infinity);
  let m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
  let p = x;
  for (let k = 0; k < c; k++, p += stride) {
    m0 = f32x4.pmax(m0, v128.load(p));
    m1 = f32x4.pmax(m1, v128.load(p, 16));
    m2 = f32x4.pmax(m2, v128.load(p, 32));
    m3 = f32x4.pmax(m3, v128.load(p, 48));
  }
  const zero = f32x4.splat(0.0);
  let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
  p = x;
  let q = y;
  for (let k = 0; k < c; k++, p += stride, q += stride) {
    const e0 = expNeg(f32x4.sub(v128.load(p), m0));
    const e1 = expNeg(f32x4.sub(v128.load(p, 16), m1));
    const e2 = expNeg(f32x4.sub(v128.load(p, 32), m2));
    const e3 = expNeg(f32x4.sub(v128.load(p, 48), m3));
    s0 = f32x4.add(s0, e0); s1 = f32x4.add(s1, e1); s2 = f32x4.add(s2, e2); s3 = f32x4.add(s3, e3);
    if (!log) {
      v128.store(q, e0); v128.store(q, e1, 16); v128.store(q, e2, 32); v128.store(q, e3, 48);
    }
  }
  p = x;
  q = y;
  if (log) {
    const l0 = logv(s0), l1 = logv(s1), l2 = logv(s2), l3 = logv(s3);
    for (let k = 0; k < c; k++, p += stride, q += stride) {
      v128.store(q, f32x4.sub(f32x4.sub(v128.load(p), m0), l0));
      v128.store(q, f32x4.sub(f32x4.sub(v128.load(p, 16), m1), l1), 16);
      v128.store(q, f32x4.sub(f32x4.sub(v128.load(p, 32), m2), l2), 32);
      v128.store(q, f32x4.sub(f32x4.sub(v128.load(p, 48), m3), l3), 48);
    }
  } else {
    const one = f32x4.splat(1.0);
    const i0 = f32x4.div(one, s0), i1 = f32x4.div(one, s1), i2 = f32x4.div(one, s2), i3 = f32x4.div(one, s3);
    for (let k = 0; k < c; k++, q += stride) {
      v128.store(q, f32x4.mul(v128.load(q), i0));
      v128.store(q, f32x4.mul(v128.load(q, 16), i1), 16);
      v128.store(q, f32x4.mul(v128.load(q, 32), i2), 32);
      v128.store(q, f32x4.mul(v128.load(q, 48), i3), 48);
    }
  }
}

/**
 * Up to 4 inner positions (lanes [0, lanes)) of one outer slice. With lanes < 4 the loads run
 * past the slice into the next row or the padding; dead lanes are computed but never stored.
 */
@inline function cols4(x: usize, y: usize, c: i32, stride: usize, log: bool, lanes: i32): void {
  let m = f32x4.splat(-Infinity);
  let p = x;
  for (let k = 0; k < c; k++, p += stride) m = f32x4.pmax(m, v128.load(p));
  let s = f32x4.splat(0.0);
  p = x;
  let q = y;
  for (let k = 0; k < c; k++, p += stride, q += stride) {
    const e = expNeg(f32x4.sub(v128.load(p), m));
    s = f32x4.add(s, e);
    if (!log) storeLanes(q, e, lanes);
  }
  p = x;
  q = y;
  if (log) {
    const l = logv(s);
    for (let k = 0; k < c; k++, p += stride, q += stride) {
      storeLanes(q, f32x4.sub(f32x4.sub(v128.load(p), m), l), lanes);
    }
  } else {
    const inv = f32x4.div(f32x4.splat(1.0), s);
    for (let k = 0; k < c; k++, q += stride) storeLanes(q, f32x4.mul(v128.load(q), inv), lanes);
  }
}

@inline function strided(xPtr: usize, yPtr: usize, outer: i32, c: i32, inner: i32, log: bool): void {
  const stride = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const base = <usize>o * <usize>c * stride;
    const x = xPtr + base, y = yPtr + base;
    let j = 0;
    for (; j + 16 <= inner; j += 16) cols16(x + (<usize>j << 2), y + (<usize>j << 2), c, stride, log);
    for (; j + 4 <= inner; j += 4) cols4(x + (<usize>j << 2), y + (<usize>j << 2), c, stride, log, 4);
    if (j < inner) cols4(x + (<usize>j << 2), y + (<usize>j << 2), c, stride, log, inner - j);
  }
}

/**
 * Softmax along the middle axis of x viewed as [outer, c, inner] (e.g. axis 1 of NCHW:
 * outer = N, c = C, inner = H·W). xPtr, yPtr: byte addresses of outer·c·inner f32.
 * Reduces 16 inner positions at a time, then 4; the inner mod 4 tail is one partial vector
 * whose dead lanes are never stored.
 */
export function softmax_f32_strided_simd(xPtr: usize, yPtr: usize, outer: i32, c: i32, inner: i32): void {
  strided(xPtr, yPtr, outer, c, inner, false);
}

/** Log-softmax along the middle axis of [outer, c, inner]; layout and tails as softmax_f32_strided_simd. */
export function log_softmax_f32_strided_simd(xPtr: usize, yPtr: usize, outer: i32, c: i32, inner: i32): void {
  strided(xPtr, yPtr, outer, c, inner, true);
}
