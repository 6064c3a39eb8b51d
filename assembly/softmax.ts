// Softmax and log-softmax along one axis of a row-major f32 tensor viewed as [outer, c, inner]:
//   softmax:     y = exp(x − m) / Σ_c exp(x − m)           with m = max_c x (numerical stability)
//   logSoftmax:  y = (x − m) − log(Σ_c exp(x − m))
// Rows kernels (inner = 1) vectorize each reduction along the contiguous row; strided kernels
// (inner > 1) vectorize across inner positions, reducing 16 (then 4) positions at once.
// A NaN anywhere along the axis makes that whole slice NaN (as in PyTorch); +Infinity gives NaN;
// −Infinity entries give 0 (log: −Infinity) as long as one entry is finite.

import { expNeg, hmax, hsum, laneMask, logv, storeLanes } from "./vmath";

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
 * @split rows count=rows move=xPtr*n,yPtr*n cost=n
 */
export function softmax_f32_simd(xPtr: usize, yPtr: usize, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * <usize>n << 2;
    row(xPtr + o, yPtr + o, n, false);
  }
}

/**
 * Log-softmax of each of `rows` contiguous rows of n elements; layout and tails as softmax_f32_simd.
 * @split rows count=rows move=xPtr*n,yPtr*n cost=n
 */
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
    // 4 at a time, the last 1–3 in the same code (a lane count decided per store, not a copy)
    for (; j < inner; j += 4) cols4(x + (<usize>j << 2), y + (<usize>j << 2), c, stride, log, min(4, inner - j));
  }
}

/**
 * Softmax along the middle axis of x viewed as [outer, c, inner] (e.g. axis 1 of NCHW:
 * outer = N, c = C, inner = H·W). xPtr, yPtr: byte addresses of outer·c·inner f32.
 * Reduces 16 inner positions at a time, then 4; the inner mod 4 tail is one partial vector
 * whose dead lanes are never stored.
 * @split rows count=outer move=xPtr*c*inner,yPtr*c*inner cost=c*inner
 */
export function softmax_f32_strided_simd(xPtr: usize, yPtr: usize, outer: i32, c: i32, inner: i32): void {
  strided(xPtr, yPtr, outer, c, inner, false);
}

/**
 * Log-softmax along the middle axis of [outer, c, inner]; layout and tails as softmax_f32_strided_simd.
 * @split rows count=outer move=xPtr*c*inner,yPtr*c*inner cost=c*inner
 */
export function log_softmax_f32_strided_simd(xPtr: usize, yPtr: usize, outer: i32, c: i32, inner: i32): void {
  strided(xPtr, yPtr, outer, c, inner, true);
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────
// With y the forward output along the axis:
//   softmax:     dx = y ⊙ (dy − Σ_c dy⊙y)
//   logSoftmax:  dx = dy − exp(y) ⊙ Σ_c dy            (exp(y) = softmax(x); y ≤ 0)
// Same layouts and vectorization as the forward kernels; dx never aliases dy or y.

/** dy⊙y (softmax) or dy (log-softmax): the term summed along the axis. */
@inline function bwdTerm(dy: v128, y: v128, log: bool): v128 {
  return log ? dy : f32x4.mul(dy, y);
}

/** dx from dy, y and the splatted sum s. */
@inline function bwdOut(dy: v128, y: v128, s: v128, log: bool): v128 {
  return log ? f32x4.sub(dy, f32x4.mul(expNeg(y), s)) : f32x4.mul(y, f32x4.sub(dy, s));
}

/** One contiguous row of n: the sum with four accumulators (partial last vector masked), then dx. */
@inline function rowBwd(dy: usize, y: usize, dx: usize, n: i32, log: bool): void {
  const zero = f32x4.splat(0.0);
  let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    s0 = f32x4.add(s0, bwdTerm(v128.load(dy + o), v128.load(y + o), log));
    s1 = f32x4.add(s1, bwdTerm(v128.load(dy + o, 16), v128.load(y + o, 16), log));
    s2 = f32x4.add(s2, bwdTerm(v128.load(dy + o, 32), v128.load(y + o, 32), log));
    s3 = f32x4.add(s3, bwdTerm(v128.load(dy + o, 48), v128.load(y + o, 48), log));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    s0 = f32x4.add(s0, bwdTerm(v128.load(dy + o), v128.load(y + o), log));
  }
  const rem = n - i;
  // the partial vector reads into the padding: its dead lanes are masked out of the sum
  if (rem > 0) {
    const o = <usize>i << 2;
    s1 = f32x4.add(s1, v128.and(bwdTerm(v128.load(dy + o), v128.load(y + o), log), laneMask(rem)));
  }
  const s = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const d0 = v128.load(dy + o), d1 = v128.load(dy + o, 16), d2 = v128.load(dy + o, 32), d3 = v128.load(dy + o, 48);
    const y0 = v128.load(y + o), y1 = v128.load(y + o, 16), y2 = v128.load(y + o, 32), y3 = v128.load(y + o, 48);
    v128.store(dx + o, bwdOut(d0, y0, s, log));
    v128.store(dx + o, bwdOut(d1, y1, s, log), 16);
    v128.store(dx + o, bwdOut(d2, y2, s, log), 32);
    v128.store(dx + o, bwdOut(d3, y3, s, log), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, bwdOut(v128.load(dy + o), v128.load(y + o), s, log));
  }
  if (rem > 0) {
    const o = <usize>i << 2;
    storeLanes(dx + o, bwdOut(v128.load(dy + o), v128.load(y + o), s, log), rem);
  }
}

/**
 * Softmax backward over `rows` contiguous rows of n: dx = y ⊙ (dy − Σ dy⊙y) per row.
 * dyPtr, yPtr, dxPtr: byte addresses of rows·n f32. Tail (n mod 4): one partial vector read
 * into the padding after the row, its dead lanes masked out of the sum and never stored.
 * @split rows count=rows move=dyPtr*n,yPtr*n,dxPtr*n cost=n*0.5
 */
export function softmax_bwd_f32_simd(dyPtr: usize, yPtr: usize, dxPtr: usize, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * <usize>n << 2;
    rowBwd(dyPtr + o, yPtr + o, dxPtr + o, n, false);
  }
}

/**
 * Log-softmax backward over contiguous rows: dx = dy − exp(y)·Σ dy; layout and tails as softmax_bwd_f32_simd.
 * @split rows count=rows move=dyPtr*n,yPtr*n,dxPtr*n cost=n*0.5
 */
export function log_softmax_bwd_f32_simd(dyPtr: usize, yPtr: usize, dxPtr: usize, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * <usize>n << 2;
    rowBwd(dyPtr + o, yPtr + o, dxPtr + o, n, true);
  }
}

/** 16 inner positions of one outer slice (four independent column sums); stride = inner·4 bytes. */
@inline function colsBwd16(dy: usize, y: usize, dx: usize, c: i32, stride: usize, log: bool): void {
  const zero = f32x4.splat(0.0);
  let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
  let p = dy, q = y;
  for (let k = 0; k < c; k++, p += stride, q += stride) {
    s0 = f32x4.add(s0, bwdTerm(v128.load(p), v128.load(q), log));
    s1 = f32x4.add(s1, bwdTerm(v128.load(p, 16), v128.load(q, 16), log));
    s2 = f32x4.add(s2, bwdTerm(v128.load(p, 32), v128.load(q, 32), log));
    s3 = f32x4.add(s3, bwdTerm(v128.load(p, 48), v128.load(q, 48), log));
  }
  p = dy;
  q = y;
  let r = dx;
  for (let k = 0; k < c; k++, p += stride, q += stride, r += stride) {
    v128.store(r, bwdOut(v128.load(p), v128.load(q), s0, log));
    v128.store(r, bwdOut(v128.load(p, 16), v128.load(q, 16), s1, log), 16);
    v128.store(r, bwdOut(v128.load(p, 32), v128.load(q, 32), s2, log), 32);
    v128.store(r, bwdOut(v128.load(p, 48), v128.load(q, 48), s3, log), 48);
  }
}

/** Up to 4 inner positions (lanes [0, lanes)); dead lanes read past the slice and are never stored. */
@inline function colsBwd4(dy: usize, y: usize, dx: usize, c: i32, stride: usize, log: bool, lanes: i32): void {
  let s = f32x4.splat(0.0);
  let p = dy, q = y;
  for (let k = 0; k < c; k++, p += stride, q += stride) s = f32x4.add(s, bwdTerm(v128.load(p), v128.load(q), log));
  p = dy;
  q = y;
  let r = dx;
  for (let k = 0; k < c; k++, p += stride, q += stride, r += stride) {
    storeLanes(r, bwdOut(v128.load(p), v128.load(q), s, log), lanes);
  }
}

@inline function stridedBwd(dyPtr: usize, yPtr: usize, dxPtr: usize, outer: i32, c: i32, inner: i32, log: bool): void {
  const stride = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const base = <usize>o * <usize>c * stride;
    const dy = dyPtr + base, y = yPtr + base, dx = dxPtr + base;
    let j = 0;
    for (; j + 16 <= inner; j += 16) {
      const b = <usize>j << 2;
      colsBwd16(dy + b, y + b, dx + b, c, stride, log);
    }
    for (; j < inner; j += 4) {
      const b = <usize>j << 2;
      colsBwd4(dy + b, y + b, dx + b, c, stride, log, min(4, inner - j));
    }
  }
}

/**
 * Softmax backward along the middle axis of [outer, c, inner]: dx = y ⊙ (dy − Σ_c dy⊙y).
 * dyPtr, yPtr, dxPtr: byte addresses of outer·c·inner f32. 16 inner positions at a time, then 4;
 * the inner mod 4 tail is one partial vector whose dead lanes are never stored.
 * @split rows count=outer move=dyPtr*c*inner,yPtr*c*inner,dxPtr*c*inner cost=c*inner*0.5
 */
export function softmax_bwd_f32_strided_simd(dyPtr: usize, yPtr: usize, dxPtr: usize, outer: i32, c: i32, inner: i32): void {
  stridedBwd(dyPtr, yPtr, dxPtr, outer, c, inner, false);
}

/**
 * Log-softmax backward along the middle axis of [outer, c, inner]: dx = dy − exp(y)·Σ_c dy; tails as above.
 * @split rows count=outer move=dyPtr*c*inner,yPtr*c*inner,dxPtr*c*inner cost=c*inner*0.5
 */
export function log_softmax_bwd_f32_strided_simd(dyPtr: usize, yPtr: usize, dxPtr: usize, outer: i32, c: i32, inner: i32): void {
  stridedBwd(dyPtr, yPtr, dxPtr, outer, c, inner, true);
}
