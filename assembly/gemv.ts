// Matrix-vector kernels of the GEMM family: y = A·x (+ bias, clamped) for dense layers at batch 1,
// the transposed y = Aᵀ·x (a dense layer's input gradient at batch 1), and the bias gradient
// (column / plane sums of dy) of convolutions and dense layers. Row-major operands read in
// place, never packed. Shared inline helpers in assembly/gemm-common.ts.
import { madd, loadN, storeN, hsum4 } from "./gemm-common";

// Columns of y per pass of gemv_t_f32_simd (16 KB, so y stays in L1 while A streams past).
const GEMV_T_BLOCK: i32 = 4096;

/**
 * y[i] = clamp(Σ_k A[i, k]·x[k] + bias[i], minv, maxv) for i < M (overwrites y).
 * aPtr: A row-major [M, lda]; xPtr: f32[K]; yPtr: f32[M]; biasPtr: f32[M] or 0.
 * Four rows at a time that share the x loads, taken one from each quarter of the rows (i, q + i,
 * 2q + i, 3q + i with q = ⌊M/4⌋): each of the four read streams runs through its quarter of A as
 * one sequential run, where rows i..i+3 side by side restart four streams at every row end (a
 * 151 MB layer read 30 % faster on Zen 5; cache-resident ones took 15–40 % less time). Each row sums
 * with two accumulators (even and odd vectors of x), 16 floats per step, then the K tail
 * (K mod 16) into the first one a vector at a time (the last one partial); the M − 4q tail rows go
 * one by one in the same order, so a row's bits do not depend on M or on how threads cut the rows.
 * @split rows count=M move=aPtr*lda,yPtr,biasPtr align=4 cost=K*0.1
 */
export function gemv_f32_minmax_simd(
  aPtr: usize, lda: i32, xPtr: usize, yPtr: usize, biasPtr: usize, M: i32, K: i32, minv: f32, maxv: f32,
): void {
  if (M <= 0) return;
  const lo = f32x4.splat(minv);
  const hi = f32x4.splat(maxv);
  const z = f32x4.splat(0);
  const lda4 = <usize>lda << 2;
  const K16 = K & ~15;
  const q = M >> 2;
  const qa = <usize>q * lda4; // bytes between the four streams in A
  const qy = <usize>q << 2; // and in y / bias
  for (let i = 0; i < q; i++) {
    const p0 = aPtr + <usize>i * lda4, p1 = p0 + qa, p2 = p1 + qa, p3 = p2 + qa;
    let a0 = z, a1 = z, b0 = z, b1 = z, c0 = z, c1 = z, d0 = z, d1 = z;
    for (let k = 0; k < K16; k += 16) {
      const o = <usize>k << 2;
      let x0 = v128.load(xPtr + o);
      let x1 = v128.load(xPtr + o, 16);
      a0 = madd(v128.load(p0 + o), x0, a0);
      a1 = madd(v128.load(p0 + o, 16), x1, a1);
      b0 = madd(v128.load(p1 + o), x0, b0);
      b1 = madd(v128.load(p1 + o, 16), x1, b1);
      c0 = madd(v128.load(p2 + o), x0, c0);
      c1 = madd(v128.load(p2 + o, 16), x1, c1);
      d0 = madd(v128.load(p3 + o), x0, d0);
      d1 = madd(v128.load(p3 + o, 16), x1, d1);
      x0 = v128.load(xPtr + o, 32);
      x1 = v128.load(xPtr + o, 48);
      a0 = madd(v128.load(p0 + o, 32), x0, a0);
      a1 = madd(v128.load(p0 + o, 48), x1, a1);
      b0 = madd(v128.load(p1 + o, 32), x0, b0);
      b1 = madd(v128.load(p1 + o, 48), x1, b1);
      c0 = madd(v128.load(p2 + o, 32), x0, c0);
      c1 = madd(v128.load(p2 + o, 48), x1, c1);
      d0 = madd(v128.load(p3 + o, 32), x0, d0);
      d1 = madd(v128.load(p3 + o, 48), x1, d1);
    }
    for (let k = K16; k < K; k += 4) {
      const o = <usize>k << 2;
      const n = min(4, K - k);
      const x0 = loadN(xPtr + o, n);
      a0 = madd(loadN(p0 + o, n), x0, a0);
      b0 = madd(loadN(p1 + o, n), x0, b0);
      c0 = madd(loadN(p2 + o, n), x0, c0);
      d0 = madd(loadN(p3 + o, n), x0, d0);
    }
    a0 = f32x4.add(a0, a1);
    b0 = f32x4.add(b0, b1);
    c0 = f32x4.add(c0, c1);
    d0 = f32x4.add(d0, d1);
    // transpose and add: lane r becomes the sum of row r·q + i
    const t0 = f32x4.add(f32x4.shuffle(a0, b0, 0, 4, 1, 5), f32x4.shuffle(a0, b0, 2, 6, 3, 7));
    const t1 = f32x4.add(f32x4.shuffle(c0, d0, 0, 4, 1, 5), f32x4.shuffle(c0, d0, 2, 6, 3, 7));
    let s = f32x4.add(f32x4.shuffle(t0, t1, 0, 1, 4, 5), f32x4.shuffle(t0, t1, 2, 3, 6, 7));
    const ib = <usize>i << 2;
    if (biasPtr != 0) {
      const bp = biasPtr + ib;
      let bv = v128.load32_zero(bp);
      bv = v128.load32_lane(bp + qy, bv, 1);
      bv = v128.load32_lane(bp + 2 * qy, bv, 2);
      bv = v128.load32_lane(bp + 3 * qy, bv, 3);
      s = f32x4.add(s, bv);
    }
    s = f32x4.pmin(f32x4.pmax(s, lo), hi);
    const yp = yPtr + ib;
    v128.store32_lane(yp, s, 0);
    v128.store32_lane(yp + qy, s, 1);
    v128.store32_lane(yp + 2 * qy, s, 2);
    v128.store32_lane(yp + 3 * qy, s, 3);
  }
  for (let i = q << 2; i < M; i++) {
    const p0 = aPtr + <usize>i * lda4;
    let a0 = z, a1 = z;
    for (let k = 0; k < K16; k += 8) {
      const o = <usize>k << 2;
      a0 = madd(v128.load(p0 + o), v128.load(xPtr + o), a0);
      a1 = madd(v128.load(p0 + o, 16), v128.load(xPtr + o, 16), a1);
    }
    for (let k = K16; k < K; k += 4) {
      const o = <usize>k << 2;
      const n = min(4, K - k);
      a0 = madd(loadN(p0 + o, n), loadN(xPtr + o, n), a0);
    }
    a0 = f32x4.add(a0, a1);
    let s = hsum4(a0);
    if (biasPtr != 0) s += load<f32>(biasPtr + (<usize>i << 2));
    s = s < minv ? minv : s; // same NaN behaviour as the vector pmax/pmin
    s = maxv < s ? maxv : s;
    store<f32>(yPtr + (<usize>i << 2), s);
  }
}

/**
 * y[i] = Σ_k A[k, i]·x[k] for i < M (overwrites y): the transposed GEMV, e.g. a dense layer's
 * input gradient dx = Wᵀ·dy for batch 1. aPtr: A row-major [K, lda]; xPtr: f32[K]; yPtr: f32[M].
 * A is streamed row by row (four rows per pass over a block of y that stays in L1); a column
 * tail (M mod 4) is a partial vector, a row tail (K mod 4) one row at a time.
 */
export function gemv_t_f32_simd(aPtr: usize, lda: i32, xPtr: usize, yPtr: usize, M: i32, K: i32): void {
  if (M <= 0) return;
  const z = f32x4.splat(0);
  const lda4 = <usize>lda << 2;
  for (let j0 = 0; j0 < M; j0 += GEMV_T_BLOCK) {
    const j1 = min(j0 + GEMV_T_BLOCK, M);
    const y0 = yPtr + (<usize>j0 << 2);
    const n = j1 - j0;
    const n4 = n & ~3;
    for (let j = 0; j < n4; j += 4) v128.store(y0 + (<usize>j << 2), z);
    storeN(y0 + (<usize>n4 << 2), z, n - n4);
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const r0 = aPtr + <usize>k * lda4 + (<usize>j0 << 2), r1 = r0 + lda4, r2 = r1 + lda4, r3 = r2 + lda4;
      const xk = xPtr + (<usize>k << 2);
      const x0 = v128.load32_splat(xk), x1 = v128.load32_splat(xk, 4);
      const x2 = v128.load32_splat(xk, 8), x3 = v128.load32_splat(xk, 12);
      for (let j = 0; j < n4; j += 4) {
        const o = <usize>j << 2;
        const s = f32x4.add(f32x4.mul(x0, v128.load(r0 + o)), f32x4.mul(x1, v128.load(r1 + o)));
        const t = f32x4.add(f32x4.mul(x2, v128.load(r2 + o)), f32x4.mul(x3, v128.load(r3 + o)));
        v128.store(y0 + o, f32x4.add(v128.load(y0 + o), f32x4.add(s, t)));
      }
      if (n4 < n) {
        const o = <usize>n4 << 2, m = n - n4;
        const s = f32x4.add(f32x4.mul(x0, loadN(r0 + o, m)), f32x4.mul(x1, loadN(r1 + o, m)));
        const t = f32x4.add(f32x4.mul(x2, loadN(r2 + o, m)), f32x4.mul(x3, loadN(r3 + o, m)));
        storeN(y0 + o, f32x4.add(loadN(y0 + o, m), f32x4.add(s, t)), m);
      }
    }
    for (; k < K; k++) {
      const r0 = aPtr + <usize>k * lda4 + (<usize>j0 << 2);
      const x0 = v128.load32_splat(xPtr + (<usize>k << 2));
      for (let j = 0; j < n; j += 4) {
        const o = <usize>j << 2, m = min(4, n - j);
        storeN(y0 + o, f32x4.add(loadN(y0 + o, m), f32x4.mul(x0, loadN(r0 + o, m))), m);
      }
    }
  }
}

/**
 * db[c] += Σ_n Σ_p dy[(n·C + c)·P + p] for c < C (accumulates into db): the bias gradient of a
 * convolution (dy [N, C, H, W], P = H·W) or of a dense layer (dy [N, C], P = 1).
 * dyPtr: f32[N·C·P]; dbPtr: f32[C]. P ≥ 4: each channel's rows summed with four vector
 * accumulators (a partial vector for P mod 4); P = 1: sixteen channels at a time summed down the
 * batch (partial vectors for C mod 16); P = 2 or 3: one element at a time.
 */
export function bias_bwd_f32_simd(dyPtr: usize, dbPtr: usize, N: i32, C: i32, P: i32): void {
  if (N <= 0 || C <= 0 || P <= 0) return;
  const z = f32x4.splat(0);
  if (P == 1) {
    const row4 = <usize>C << 2;
    for (let c0 = 0; c0 < C; c0 += 16) {
      const m = C - c0;
      const n0 = min(m, 4), n1 = min(m - 4, 4), n2 = min(m - 8, 4), n3 = min(m - 12, 4);
      let a0 = z, a1 = z, a2 = z, a3 = z;
      let s = dyPtr + (<usize>c0 << 2);
      if (m >= 16) {
        for (let n = 0; n < N; n++) {
          a0 = f32x4.add(a0, v128.load(s));
          a1 = f32x4.add(a1, v128.load(s, 16));
          a2 = f32x4.add(a2, v128.load(s, 32));
          a3 = f32x4.add(a3, v128.load(s, 48));
          s += row4;
        }
      } else {
        for (let n = 0; n < N; n++) {
          a0 = f32x4.add(a0, loadN(s, n0));
          a1 = f32x4.add(a1, loadN(s + 16, n1));
          a2 = f32x4.add(a2, loadN(s + 32, n2));
          a3 = f32x4.add(a3, loadN(s + 48, n3));
          s += row4;
        }
      }
      const d = dbPtr + (<usize>c0 << 2);
      storeN(d, f32x4.add(loadN(d, n0), a0), n0);
      storeN(d + 16, f32x4.add(loadN(d + 16, n1), a1), n1);
      storeN(d + 32, f32x4.add(loadN(d + 32, n2), a2), n2);
      storeN(d + 48, f32x4.add(loadN(d + 48, n3), a3), n3);
    }
    return;
  }
  const P4 = P & ~3;
  const P16 = P & ~15;
  for (let c = 0; c < C; c++) {
    let a0 = z, a1 = z, a2 = z, a3 = z;
    let t: f32 = 0;
    for (let n = 0; n < N; n++) {
      const row = dyPtr + (<usize>(n * C + c) * <usize>P << 2);
      let p = 0;
      for (; p < P16; p += 16) {
        const q = row + (<usize>p << 2);
        a0 = f32x4.add(a0, v128.load(q));
        a1 = f32x4.add(a1, v128.load(q, 16));
        a2 = f32x4.add(a2, v128.load(q, 32));
        a3 = f32x4.add(a3, v128.load(q, 48));
      }
      for (; p < P4; p += 4) a0 = f32x4.add(a0, v128.load(row + (<usize>p << 2)));
      if (P4 > 0) {
        a1 = f32x4.add(a1, loadN(row + (<usize>P4 << 2), P - P4));
      } else {
        for (; p < P; p++) t += load<f32>(row + (<usize>p << 2));
      }
    }
    a0 = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
    const s = hsum4(a0);
    const d = dbPtr + (<usize>c << 2);
    store<f32>(d, load<f32>(d) + s + t);
  }
}
