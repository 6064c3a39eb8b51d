// QS8 GEMM family: int8 × int8 → int32 products with the requantization fused into the store
// (shared helpers: assembly/qs8-common.ts). C[i, j] = requant(Σ_k A[i, k]·B[k, j] + bias[i], i):
// A the weights [M, K] (symmetric int8, per-row scale), B the activations [K, N] (int8 with a zero
// point folded into bias by the caller: bias[i] = round(b[i] / (sx·sw[i])) − zx·Σ_k A[i, k]).
//
// The k-group KG is a build constant: 2 in the plain SIMD build (i32x4.dot_i16x8_s on sign-extended
// bytes), 4 in the relaxed builds (i32x4.relaxed_dot_i8x16_i7x16_add_s). Kp = K rounded up to KG.
// Packed A (gemm_pack_qs8_p4_simd): tiles of 4 rows, [⌈M/4⌉][Kp/KG][4 rows][4 bytes]: the 4 bytes
//   are KG weights of one row (plain: two i16, relaxed: four i8), zero past K and past M.
//   Size: ⌈M/4⌉·16·Kp/KG bytes ≤ ⌈M/4⌉·8·K4 (K4 = K rounded up to 4): callers allocate that.
// Packed B (gemm_pack_qs8_p8_simd): panels of 8 columns, [⌈N/8⌉][Kp/KG][8 columns][KG values],
//   zero past K and past N; the values are sign-extended to i16 in the plain build (extended once
//   here rather than once per row tile in the GEMM: about 12% of its time), bytes in the relaxed
//   builds. Size: ⌈N/8⌉·16·Kp (plain) or ⌈N/8⌉·8·Kp bytes, both ≤ ⌈N/8⌉·16·K4.
// Callers never need KG: they size buffers with K4 and let the pack kernels lay them out.

import {
  QS8_BGROUP, QS8_KG, Qs8Window, RQ_BITS, RqConsts, rdot, requantV, rdotMode, store8, storeGroupI16, tileI16, tileRdot,
} from "./qs8-common";

/** [p0, p1, p2, p3] from two vectors of per-pixel halves [p0a, p0b, p1a, p1b], [p2a, p2b, p3a, p3b]. */
@inline function pairSum(x: v128, y: v128): v128 {
  return i32x4.add(i32x4.shuffle(x, y, 0, 2, 4, 6), i32x4.shuffle(x, y, 1, 3, 5, 7));
}

/** Four rows' i32 lanes (k-groups g0…g3) transposed: group g of rows 0…3, stored at d + 16·g. */
@inline function storeGroups4(d: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(d, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(d, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
  v128.store(d, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
  v128.store(d, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
}

/** 4·KG bytes of one row as four k-groups (i32 lanes); zero for a row past M. */
@inline function rowGroups(row: usize, inside: bool): v128 {
  if (!inside) return i32x4.splat(0);
  // the plain build multiplies 16-bit lanes: weights are stored sign-extended once here
  return ASC_FEATURE_RELAXED_SIMD ? v128.load(row) : i16x8.extend_low_i8x16_s(v128.load64_zero(row));
}

/**
 * Packs A [M, K] int8 (row-major, row stride lda elements) into 4-row tiles (layout above).
 * Writes ⌈M/4⌉·16·Kp/KG bytes at dstPtr. Four k-groups of four rows at a time are one 4×4
 * transpose of i32 lanes; the k tail (< 4 groups) goes byte by byte.
 */
export function gemm_pack_qs8_p4_simd(aPtr: usize, lda: i32, M: i32, K: i32, dstPtr: usize): void {
  const kp = (K + QS8_KG - 1) / QS8_KG * QS8_KG;
  const step = 4 * QS8_KG;
  let d = dstPtr;
  for (let i0 = 0; i0 < M; i0 += 4) {
    const row = aPtr + <usize>i0 * <usize>lda;
    const s = <usize>lda;
    let k0 = 0;
    for (; k0 + step <= K; k0 += step) {
      const p = row + <usize>k0;
      storeGroups4(d, rowGroups(p, true), rowGroups(p + s, i0 + 1 < M), rowGroups(p + 2 * s, i0 + 2 < M), rowGroups(p + 3 * s, i0 + 3 < M));
      d += 64;
    }
    for (; k0 < kp; k0 += QS8_KG) {
      for (let r = 0; r < 4; r++) {
        const i = i0 + r;
        for (let q = 0; q < QS8_KG; q++) {
          const k = k0 + q;
          const v: i32 = i < M && k < K ? <i32>load<i8>(row + <usize>r * s + <usize>k) : 0;
          if (!ASC_FEATURE_RELAXED_SIMD) store<i16>(d + (<usize>q << 1), <i16>v);
          else store<i8>(d + <usize>q, <i8>v);
        }
        d += 4;
      }
    }
  }
}

/**
 * Packs B (element (k, j) at srcPtr + k·sk + j·sj, int8) into 8-column panels (layout above):
 * ⌈N/8⌉·(Kp/KG)·QS8_BGROUP bytes at dstPtr, each byte XORed with flip (0, or 0x80 for relaxed-dot mode 2, which
 * takes the activations as unsigned bytes x + 128). sj = 1 (rows of a [K, N] matrix, e.g. im2col
 * output or the input of a 1×1 convolution) takes a vector path for whole panels; dense layers pass
 * sk = 1, sj = K.
 */
export function gemm_pack_qs8_p8_simd(srcPtr: usize, sk: i32, sj: i32, K: i32, N: i32, dstPtr: usize, flip: i32): void {
  const fv = i8x16.splat(<i8>flip);
  const kp = (K + QS8_KG - 1) / QS8_KG * QS8_KG;
  let d = dstPtr;
  for (let j0 = 0; j0 < N; j0 += 8) {
    const whole = sj == 1 && j0 + 8 <= N;
    for (let k0 = 0; k0 < kp; k0 += QS8_KG) {
      const p = srcPtr + <usize>k0 * <usize>sk + <usize>j0 * <usize>sj;
      if (whole && k0 + QS8_KG <= K) {
        const r0 = v128.load64_zero(p);
        const r1 = v128.load64_zero(p + <usize>sk);
        if (!ASC_FEATURE_RELAXED_SIMD) {
          storeGroupI16(d, v128.xor(i8x16.shuffle(r0, r1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), fv));
        } else {
          const r2 = v128.load64_zero(p + 2 * <usize>sk);
          const r3 = v128.load64_zero(p + 3 * <usize>sk);
          const t01 = i8x16.shuffle(r0, r1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
          const t23 = i8x16.shuffle(r2, r3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
          v128.store(d, v128.xor(i16x8.shuffle(t01, t23, 0, 8, 1, 9, 2, 10, 3, 11), fv));
          v128.store(d, v128.xor(i16x8.shuffle(t01, t23, 4, 12, 5, 13, 6, 14, 7, 15), fv), 16);
        }
      } else {
        for (let j = 0; j < 8; j++) {
          for (let q = 0; q < QS8_KG; q++) {
            const k = k0 + q, jj = j0 + j;
            const v: i8 = k < K && jj < N ? load<i8>(srcPtr + <usize>k * <usize>sk + <usize>jj * <usize>sj) : 0;
            if (!ASC_FEATURE_RELAXED_SIMD) store<i16>(d + <usize>((j * QS8_KG + q) << 1), <i16>(v ^ <i8>flip));
            else store<i8>(d + <usize>(j * QS8_KG + q), v ^ <i8>flip);
          }
        }
      }
      d += QS8_BGROUP;
    }
  }
}

/**
 * The GEMM's store of a tile (the tile loops' E): rows < mr (≤ 6) requantized and stored at c (row
 * stride csi), columns < nr; bias and scale at bi, si.
 */
@unmanaged class RequantRows {
  @inline store(
    s00: v128, s01: v128, s10: v128, s11: v128, s20: v128, s21: v128, s30: v128, s31: v128, s40: v128, s41: v128, s50: v128, s51: v128,
    c: usize, bi: usize, si: usize, rqPtr: usize, csi: i32, csj: i32, nr: i32, mr: i32,
  ): void {
    const s = <usize>csi;
    // the block's constants once, before the first store (after one, the runtime reloads them for
    // every row: it cannot tell the stores from the block)
    const k = changetype<RqConsts>(rqPtr + RQ_BITS);
    const fl = k.floor, mg = k.magic, bt = k.bits, lo = k.qmin, hi = k.qmax;
    row(c, csj, s00, s01, load<i32>(bi), load<f32>(si), fl, mg, bt, lo, hi, nr);
    if (mr > 1) row(c + s, csj, s10, s11, load<i32>(bi, 4), load<f32>(si, 4), fl, mg, bt, lo, hi, nr);
    if (mr > 2) row(c + 2 * s, csj, s20, s21, load<i32>(bi, 8), load<f32>(si, 8), fl, mg, bt, lo, hi, nr);
    if (mr > 3) row(c + 3 * s, csj, s30, s31, load<i32>(bi, 12), load<f32>(si, 12), fl, mg, bt, lo, hi, nr);
    if (ASC_FEATURE_RELAXED_SIMD && mr > 4) row(c + 4 * s, csj, s40, s41, load<i32>(bi, 16), load<f32>(si, 16), fl, mg, bt, lo, hi, nr);
    if (ASC_FEATURE_RELAXED_SIMD && mr > 5) row(c + 5 * s, csj, s50, s51, load<i32>(bi, 20), load<f32>(si, 20), fl, mg, bt, lo, hi, nr);
  }
}

/** One row of RequantRows: requantStore with the block's constants as values. */
@inline function row(p: usize, s: i32, lo: v128, hi: v128, bias: i32, scale: f32, fl: v128, mg: v128, bt: v128, qmin: v128, qmax: v128, n: i32): void {
  const b = i32x4.splat(bias);
  store8(p, s, requantV(i32x4.add(lo, b), i32x4.add(hi, b), f32x4.splat(scale), fl, mg, bt, qmin, qmax), n);
}

/**
 * A 6-row block over a panel's last 4 columns or fewer (ResNet's 7×7 and 14×14 outputs: 49 and 196
 * pixels): half the dots. A function of its own, so its loop stays apart from the 8-column one.
 */
function rows6x4(a0: usize, a1: usize, a2: usize, b: usize, groups: i32, c: usize, bi: usize, si: usize, rqPtr: usize, csi: i32, csj: i32, nr: i32, mr: i32): void {
  if (ASC_FEATURE_RELAXED_SIMD) tileRdot<RequantRows>(a0, a1, a2, b, groups, 6, 4, c, bi, si, rqPtr, csi, csj, nr, mr);
}

/**
 * The relaxed build on a runtime whose relaxed dot failed the start-up check: the plain
 * dot_i16x8_s on the 4-byte groups (two i32 lanes per pixel, summed pairwise at the end), into
 * RequantRows (tileI16's operands, with bytes widened here).
 */
@inline function tileWidened(a: usize, b: usize, groups: i32, c: usize, bi: usize, si: usize, rqPtr: usize, csi: i32, csj: i32, nr: i32, mr: i32): void {
  const z = i32x4.splat(0);
  let c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
  // dot_i16x8_s on the 4-byte groups (two i32 lanes per pixel, summed pairwise at the end)
  let d00 = z, d01 = z, d10 = z, d11 = z, d20 = z, d21 = z, d30 = z, d31 = z;
  for (let g = 0; g < groups; g++) {
    const x0 = v128.load(b);
    const x1 = v128.load(b, 16);
    const e0 = i16x8.extend_low_i8x16_s(x0), e1 = i16x8.extend_high_i8x16_s(x0);
    const e2 = i16x8.extend_low_i8x16_s(x1), e3 = i16x8.extend_high_i8x16_s(x1);
    let w = i16x8.extend_low_i8x16_s(v128.load32_splat(a));
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(w, e0)); d00 = i32x4.add(d00, i32x4.dot_i16x8_s(w, e1));
    c01 = i32x4.add(c01, i32x4.dot_i16x8_s(w, e2)); d01 = i32x4.add(d01, i32x4.dot_i16x8_s(w, e3));
    w = i16x8.extend_low_i8x16_s(v128.load32_splat(a, 4));
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(w, e0)); d10 = i32x4.add(d10, i32x4.dot_i16x8_s(w, e1));
    c11 = i32x4.add(c11, i32x4.dot_i16x8_s(w, e2)); d11 = i32x4.add(d11, i32x4.dot_i16x8_s(w, e3));
    w = i16x8.extend_low_i8x16_s(v128.load32_splat(a, 8));
    c20 = i32x4.add(c20, i32x4.dot_i16x8_s(w, e0)); d20 = i32x4.add(d20, i32x4.dot_i16x8_s(w, e1));
    c21 = i32x4.add(c21, i32x4.dot_i16x8_s(w, e2)); d21 = i32x4.add(d21, i32x4.dot_i16x8_s(w, e3));
    w = i16x8.extend_low_i8x16_s(v128.load32_splat(a, 12));
    c30 = i32x4.add(c30, i32x4.dot_i16x8_s(w, e0)); d30 = i32x4.add(d30, i32x4.dot_i16x8_s(w, e1));
    c31 = i32x4.add(c31, i32x4.dot_i16x8_s(w, e2)); d31 = i32x4.add(d31, i32x4.dot_i16x8_s(w, e3));
    a += 16;
    b += 32;
  }
  c00 = pairSum(c00, d00); c01 = pairSum(c01, d01); c10 = pairSum(c10, d10); c11 = pairSum(c11, d11);
  c20 = pairSum(c20, d20); c21 = pairSum(c21, d21); c30 = pairSum(c30, d30); c31 = pairSum(c31, d31);
  changetype<RequantRows>(0).store(c00, c01, c10, c11, c20, c21, c30, c31, z, z, z, z, c, bi, si, rqPtr, csi, csj, nr, mr);
}

/**
 * Relaxed-dot mode 0, into RequantRows: the i7 operand must lie in 0…127 for every runtime to agree:
 * x = (x & 127) − 128·[x < 0], so Σ w·x = dot(w, x & 127) − 128·dot(w, [x < 0]); both right
 * operands are 7-bit.
 */
@inline function tileSplit(a: usize, b: usize, groups: i32, c: usize, bi: usize, si: usize, rqPtr: usize, csi: i32, csj: i32, nr: i32, mr: i32): void {
  const z = i32x4.splat(0);
  let c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
  let n00 = z, n01 = z, n10 = z, n11 = z, n20 = z, n21 = z, n30 = z, n31 = z;
  const m7 = i8x16.splat(127);
  for (let g = 0; g < groups; g++) {
    const x0 = v128.load(b);
    const x1 = v128.load(b, 16);
    const l0 = v128.and(x0, m7), l1 = v128.and(x1, m7);
    const s0 = i8x16.shr_u(x0, 7), s1 = i8x16.shr_u(x1, 7);
    let w = v128.load32_splat(a);
    c00 = rdot(w, l0, c00);
    n00 = rdot(w, s0, n00);
    c01 = rdot(w, l1, c01);
    n01 = rdot(w, s1, n01);
    w = v128.load32_splat(a, 4);
    c10 = rdot(w, l0, c10);
    n10 = rdot(w, s0, n10);
    c11 = rdot(w, l1, c11);
    n11 = rdot(w, s1, n11);
    w = v128.load32_splat(a, 8);
    c20 = rdot(w, l0, c20);
    n20 = rdot(w, s0, n20);
    c21 = rdot(w, l1, c21);
    n21 = rdot(w, s1, n21);
    w = v128.load32_splat(a, 12);
    c30 = rdot(w, l0, c30);
    n30 = rdot(w, s0, n30);
    c31 = rdot(w, l1, c31);
    n31 = rdot(w, s1, n31);
    a += 16;
    b += 32;
  }
  c00 = i32x4.sub(c00, i32x4.shl(n00, 7)); c01 = i32x4.sub(c01, i32x4.shl(n01, 7));
  c10 = i32x4.sub(c10, i32x4.shl(n10, 7)); c11 = i32x4.sub(c11, i32x4.shl(n11, 7));
  c20 = i32x4.sub(c20, i32x4.shl(n20, 7)); c21 = i32x4.sub(c21, i32x4.shl(n21, 7));
  c30 = i32x4.sub(c30, i32x4.shl(n30, 7)); c31 = i32x4.sub(c31, i32x4.shl(n31, 7));
  changetype<RequantRows>(0).store(c00, c01, c10, c11, c20, c21, c30, c31, z, z, z, z, c, bi, si, rqPtr, csi, csj, nr, mr);
}

/**
 * C = requant(A·B + bias) for packed A (4-row tiles) and packed B (8-column panels), K ≥ 1.
 * C[i, j] (int8) at cPtr + i·csi + j·csj; biasPtr: i32 [M]; scalePtr: f32 [M]; rqPtr: the
 * requantization block (assembly/qs8-common.ts; zx unused here). Reads bias and scale up
 * to 3 rows past M (within the padding every allocation has) but stores only rows < M, columns < N.
 * Row tiles of 4, and in the one-dot relaxed modes blocks of 6 (tileRdot).
 */
export function gemm_qs8_4x8_minmax_simd(
  aPtr: usize, bPtr: usize, cPtr: usize, csi: i32, csj: i32,
  biasPtr: usize, scalePtr: usize, M: i32, N: i32, K: i32, rqPtr: usize,
): void {
  const kp = (K + QS8_KG - 1) / QS8_KG * QS8_KG;
  const groups = kp / QS8_KG;
  const aTile = <usize>groups << 4;
  const bPanel = <usize>groups * <usize>QS8_BGROUP;
  const mode = rdotMode(rqPtr);
  // the one-dot relaxed modes run 6-row blocks (12 accumulators hide the dot's latency, where the
  // 4-row tile's 8 chains leave about a tenth of its throughput) after m4 rows of 4-row tiles:
  // 0, 8 or 4 rows as M rounded up to even is 0, 2 or 4 modulo 6, so the 6-row blocks end at it
  const six = ASC_FEATURE_RELAXED_SIMD && mode >= 1;
  const m2 = six ? (M + 1) & ~1 : 0;
  const m4 = six ? min(m2, (0x480 >> (((m2 >> 1) % 3) << 2)) & 15) : M;
  const nb4 = (m4 + 3) >> 2, nb = nb4 + (six ? (m2 - m4 + 5) / 6 : 0), np = (N + 7) >> 3;
  // the larger operand streams past once (outer loop) while the smaller one is read again from the
  // cache: A outer when its packed tiles outweigh B's panels (ResNet's 512-channel layers: 2.4 MB
  // of A against 0.2 MB of B), B outer otherwise
  const rowsOuter = <usize>((M + 3) >> 2) * aTile > <usize>np * bPanel;
  const outer = rowsOuter ? nb : np, inner = rowsOuter ? np : nb;
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const rb = rowsOuter ? o : q, j0 = (rowsOuter ? q : o) << 3;
      const bp = bPtr + <usize>(j0 >> 3) * bPanel;
      const nr = min(8, N - j0);
      const i0 = rb < nb4 ? rb << 2 : m4 + 6 * (rb - nb4);
      const cp = cPtr + <usize>i0 * <usize>csi + <usize>j0 * <usize>csj;
      const bi = biasPtr + (<usize>i0 << 2), si = scalePtr + (<usize>i0 << 2);
      const ap = aPtr + <usize>(i0 >> 2) * aTile;
      const mr = M - i0;
      if (!ASC_FEATURE_RELAXED_SIMD) {
        tileI16<RequantRows>(ap, bp, groups, cp, bi, si, rqPtr, csi, csj, nr, mr);
      } else if (rb >= nb4) {
        const a0 = aPtr + <usize>(i0 >> 2) * aTile + <usize>((i0 & 2) << 2), a1 = aPtr + <usize>((i0 + 2) >> 2) * aTile + <usize>(((i0 + 2) & 2) << 2);
        const a2 = aPtr + <usize>((i0 + 4) >> 2) * aTile + <usize>(((i0 + 4) & 2) << 2);
        if (nr <= 4) rows6x4(a0, a1, a2, bp, groups, cp, bi, si, rqPtr, csi, csj, nr, mr);
        else tileRdot<RequantRows>(a0, a1, a2, bp, groups, 6, 8, cp, bi, si, rqPtr, csi, csj, nr, mr);
      } else if (mode >= 1) {
        // the probe found the runtime's relaxed dot exact for signed bytes on both sides (mode 1),
        // or for unsigned activations (mode 2: B was packed as x ^ 0x80, the bias corrects for it)
        tileRdot<RequantRows>(ap, ap + 8, ap, bp, groups, 4, 8, cp, bi, si, rqPtr, csi, csj, nr, min(4, mr));
      } else if (mode < 0) {
        tileWidened(ap, bp, groups, cp, bi, si, rqPtr, csi, csj, nr, min(4, mr));
      } else {
        tileSplit(ap, bp, groups, cp, bi, si, rqPtr, csi, csj, nr, min(4, mr));
      }
    }
  }
}

/** n bytes of z's lane at d: 16 at a time, then byte by byte (never writes past d + n). */
@inline function fillBytes(d: usize, z: v128, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) v128.store(d + <usize>i, z);
  const b = <i8>i8x16.extract_lane_s(z, 0);
  for (; i < n; i++) store<i8>(d + <usize>i, b);
}

/** n bytes from s to d (not overlapping): 16 at a time, then byte by byte. */
@inline function copyBytes(d: usize, s: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) v128.store(d + <usize>i, v128.load(s + <usize>i));
  for (; i < n; i++) store<i8>(d + <usize>i, load<i8>(s + <usize>i));
}

/**
 * conv2d's unfolding for int8 NCHW, one image: col[k, p] (row-major, row stride ld ≥ oh·ow) =
 * x[c, oy·sh − padTop + ki·dh, ox·sw − padLeft + kj·dw] with k = (c·kh + ki)·kw + kj, p = oy·ow + ox;
 * taps outside the image read zx (the zero point: quantized 0.0). x: [C, H, W] int8. paramsPtr: the
 * i32 block [C, H, W, kh, kw, sh, sw, dh, dw, padTop, padLeft, oh, ow]. Writes columns < oh·ow.
 */
export function conv2d_im2col_qs8_simd(xPtr: usize, colPtr: usize, ld: i32, paramsPtr: usize, zx: i32): void {
  const g = changetype<Qs8Window>(paramsPtr);
  const C = g.C, H = g.H, W = g.W, kh = g.kh, kw = g.kw, sh = g.sh, sw = g.sw;
  const dh = g.dh, dw = g.dw, pt = g.pt, pl = g.pl, oh = g.oh, ow = g.ow;
  const zv = i8x16.splat(<i8>zx);
  let row = colPtr;
  for (let c = 0; c < C; c++) {
    const plane = xPtr + <usize>c * <usize>(H * W);
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const ix0 = kj * dw - pl;
        // ox in [lo, hi) reads inside the row
        const lo = ix0 >= 0 ? 0 : min(ow, (sw - 1 - ix0) / sw);
        const room = W - 1 - ix0;
        const hi = room < 0 ? lo : max(lo, min(ow, room / sw + 1));
        let d = row;
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - pt + ki * dh;
          if (iy < 0 || iy >= H) {
            fillBytes(d, zv, ow);
          } else {
            fillBytes(d, zv, lo);
            const src = plane + <usize>(iy * W + ix0);
            if (sw == 1) copyBytes(d + <usize>lo, src + <usize>lo, hi - lo);
            else for (let ox = lo; ox < hi; ox++) store<i8>(d + <usize>ox, load<i8>(src + <usize>(ox * sw)));
            if (hi < ow) fillBytes(d + <usize>hi, zv, ow - hi);
          }
          d += <usize>ow;
        }
        row += <usize>ld;
      }
    }
  }
}

/**
 * The relaxed-dot probe (one instruction; src/wasm/probe-qs8.ts then checks the whole kernels in
 * each mode, since a runtime can get the instruction right and a kernel wrong). −1 in a build
 * without relaxed SIMD, else a bit mask of what i32x4.relaxed_dot_i8x16_i7x16_add_s does with an
 * i7 operand outside 0…127: bit 0, it multiplies signed bytes on both sides exactly (Arm's sdot:
 * mode 1, one signed dot); bit 1, it reads the i7 operand as an unsigned byte and never saturates
 * (x86 with VNNI's vpdpbusd: mode 2, activations fed in as x ^ 0x80 = x + 128). x86 without VNNI
 * (pmaddubsw) reads it unsigned but saturates pairs: neither bit, and the split mode 0 runs.
 */
export function qs8_probe_rdot_simd(): i32 {
  if (!ASC_FEATURE_RELAXED_SIMD) return -1;
  const a = i8x16(-128, -128, -128, -128, 127, 127, 127, 127, -1, 2, -3, 4, -128, 127, -128, 127);
  const b = i8x16(-128, -128, -128, -128, -128, -128, -128, -128, 127, -128, 1, -1, -128, -128, 127, 127);
  let r = i32x4.splat(7);
  if (ASC_FEATURE_RELAXED_SIMD) r = rdot(a, b, r);
  // signed: 4·16384 + 7, 4·(−16256) + 7, −127 − 256 − 3 − 4 + 7, 16384 − 16256 − 16256 + 16129 + 7
  const signed = i32x4.extract_lane(r, 0) == 65543 && i32x4.extract_lane(r, 1) == -65017
    && i32x4.extract_lane(r, 2) == -383 && i32x4.extract_lane(r, 3) == 8;
  // unsigned (b as 0…255), pairs past ±32767 included: 4·(−128·128) + 7, 4·127·128 + 7,
  // −127 + 256 − 3 + 1020 + 7, −16384 + 16256 − 16256 + 16129 + 7
  const unsigned = i32x4.extract_lane(r, 0) == -65529 && i32x4.extract_lane(r, 1) == 65031
    && i32x4.extract_lane(r, 2) == 1153 && i32x4.extract_lane(r, 3) == -248;
  const u = i8x16(127, 127, 127, 127, -128, -128, -128, -128, 0, 0, 0, 0, 0, 0, 0, 0);
  const v = i8x16.splat(-1); // 255 unsigned: pairs of 127·255 = 32385 sum past 32767
  let t = i32x4.splat(0);
  if (ASC_FEATURE_RELAXED_SIMD) t = rdot(u, v, t);
  const wide = i32x4.extract_lane(t, 0) == 129540 && i32x4.extract_lane(t, 1) == -130560;
  return (signed ? 1 : 0) | (unsigned && wide ? 2 : 0);
}
