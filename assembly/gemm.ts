// GEMM family: C = A·B (+ bias per row of C), clamped to [min, max], on WebAssembly SIMD128 (GEMV
// and the bias gradient: assembly/gemv.ts; shared inline helpers: assembly/gemm-common.ts). One
// register-tiled core (4 rows × 8 columns = 8 f32x4 accumulators: a broadcast A scalar times a B
// vector) serves convolution (out[o, p] = Σ_k W[o, k]·col[k, p]) and dense layers.
//
// B is read in panels of 8 columns: element (k, j) of panel nb lives at
//   bPtr + 4·(nb·bPanelStride + k·bRowStride + j mod 8).
// Packed panels ([⌈N/8⌉][K][8], zero padded) use bRowStride = 8, bPanelStride = 8·K; a plain
// row-major [K, ldb] matrix uses bRowStride = ldb, bPanelStride = 8. Every panel is read 8 columns
// wide, so a row-major B is read up to 8·⌈N/8⌉ − N floats past column N − 1 of its last row: the
// caller passes a row-major B only when that is ≤ 3 (N mod 8 = 0 or ≥ 5), else packs it.
//
// Variants (constants folded into separate loops): C stored transposed (ct: C[j, i] at
// cPtr + 4·(j·ldc + i)), A read transposed (ta: A[i, k] at aPtr + 4·(k·lda + i) for a row-major
// Aᵀ such as W [O, K] → Wᵀ, or in 8-row panels), and accumulate (inc: C += A·B, DESIGN rule 5,
// for gradients). ta and inc variants take no bias and no clamp.
//
// K is cut into chunks of at most KC_MAX so that one B panel chunk (KC_MAX·32 bytes) stays in L1
// while every row tile of an MC-row block of A (MC·KC_MAX·4 bytes, in L2) streams past it. A short
// K (≤ SHORT_K, e.g. the data gradient's reduction over few output channels) is instead walked row
// tile by row tile across all panels, so C is written row block by row block.
const KC_MAX: i32 = 256;
const SUM_K: i32 = 128; // a tile's sums run this many steps at a time (tileSums: accuracy)
const MC: i32 = 128;
// Reductions this short (with all of B within SHORT_B_BYTES) run row tile by row tile.
const SHORT_K: i32 = 32;
const SHORT_B_BYTES: usize = 256 * 1024;

import { madd, loadN, storeN } from "./gemm-common";

/**
 * Epilogue of one 4-lane piece of C: adds the bias (first K chunk) or the partial sum already in C
 * (later chunks), clamps on the last chunk, stores n lanes. PLAIN (a constant): no bias, no clamp.
 */
@inline function finish(PLAIN: bool, p: usize, v: v128, n: i32, bias: v128, first: bool, last: bool, lo: v128, hi: v128): void {
  if (n > 0) {
    let r = first ? (PLAIN ? v : f32x4.add(v, bias)) : f32x4.add(v, loadN(p, n));
    // pmax(r, lo) = r < lo ? lo : r, so a NaN in r survives (as PyTorch's relu/clamp keep NaN)
    if (last) r = f32x4.pmin(f32x4.pmax(r, lo), hi);
    storeN(p, r, n);
  }
}

@inline function rowBias(bias: usize, r: i32): v128 {
  return bias != 0 ? f32x4.splat(load<f32>(bias + (<usize>r << 2))) : f32x4.splat(0);
}

/**
 * One MR × 8 tile over kc steps of k. MR, TRANS and TA are constants at every call site, so the
 * optimizer drops the unused accumulators and branches. (A 4-column variant selected at run time
 * was merged by binaryen into one loop with `select`s, so column tails use this tile too.)
 * ap: A[i, k0]; bp: B panel at k0; cp: C[i, j] (or C[j, i] when TRANS); bias: &bias[i] or 0.
 */
@inline function tile(
  MR: i32, TRANS: bool, TA: bool, PLAIN: bool,
  ap: usize, lda4: usize, bp: usize, bStep: usize, kc: i32,
  cp: usize, ldc4: usize, bias: usize, nr: i32,
  first: bool, last: bool, lo: v128, hi: v128,
): void {
  const z = f32x4.splat(0);
  let c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
  // TA: the MR values of one k are adjacent (immediate offsets off one pointer)
  let p0 = ap;
  let p1 = ap + lda4;
  let p2 = p1 + lda4;
  let p3 = p2 + lda4;
  let b = bp;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const a0 = v128.load32_splat(p0);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    if (MR > 1) {
      const a1 = TA ? v128.load32_splat(p0, 4) : v128.load32_splat(p1);
      c10 = madd(a1, b0, c10);
      c11 = madd(a1, b1, c11);
    }
    if (MR > 2) {
      const a2 = TA ? v128.load32_splat(p0, 8) : v128.load32_splat(p2);
      c20 = madd(a2, b0, c20);
      c21 = madd(a2, b1, c21);
      const a3 = TA ? v128.load32_splat(p0, 12) : v128.load32_splat(p3);
      c30 = madd(a3, b0, c30);
      c31 = madd(a3, b1, c31);
    }
    b += bStep;
    if (TA) {
      p0 += lda4;
    } else {
      p0 += 4;
      if (MR > 1) p1 += 4;
      if (MR > 2) { p2 += 4; p3 += 4; }
    }
  }
  if (!TRANS) {
    const n0 = min(nr, 4);
    const n1 = nr - 4;
    let bv = rowBias(bias, 0);
    finish(PLAIN, cp, c00, n0, bv, first, last, lo, hi);
    finish(PLAIN, cp + 16, c01, n1, bv, first, last, lo, hi);
    if (MR > 1) {
      const q = cp + ldc4;
      bv = rowBias(bias, 1);
      finish(PLAIN, q, c10, n0, bv, first, last, lo, hi);
      finish(PLAIN, q + 16, c11, n1, bv, first, last, lo, hi);
    }
    if (MR > 2) {
      const q = cp + 2 * ldc4;
      bv = rowBias(bias, 2);
      finish(PLAIN, q, c20, n0, bv, first, last, lo, hi);
      finish(PLAIN, q + 16, c21, n1, bv, first, last, lo, hi);
      const s = q + ldc4;
      bv = rowBias(bias, 3);
      finish(PLAIN, s, c30, n0, bv, first, last, lo, hi);
      finish(PLAIN, s + 16, c31, n1, bv, first, last, lo, hi);
    }
  } else {
    // C is stored transposed: rows i..i+MR of column j are contiguous, so transpose 4×4 blocks.
    const bv = bias != 0 ? loadN(bias, MR) : z;
    let t0 = f32x4.shuffle(c00, c10, 0, 4, 1, 5);
    let t1 = f32x4.shuffle(c20, c30, 0, 4, 1, 5);
    let t2 = f32x4.shuffle(c00, c10, 2, 6, 3, 7);
    let t3 = f32x4.shuffle(c20, c30, 2, 6, 3, 7);
    finish(PLAIN, cp, f32x4.shuffle(t0, t1, 0, 1, 4, 5), MR, bv, first, last, lo, hi);
    if (nr > 1) finish(PLAIN, cp + ldc4, f32x4.shuffle(t0, t1, 2, 3, 6, 7), MR, bv, first, last, lo, hi);
    if (nr > 2) finish(PLAIN, cp + 2 * ldc4, f32x4.shuffle(t2, t3, 0, 1, 4, 5), MR, bv, first, last, lo, hi);
    if (nr > 3) finish(PLAIN, cp + 3 * ldc4, f32x4.shuffle(t2, t3, 2, 3, 6, 7), MR, bv, first, last, lo, hi);
    if (nr > 4) {
      const q = cp + 4 * ldc4;
      t0 = f32x4.shuffle(c01, c11, 0, 4, 1, 5);
      t1 = f32x4.shuffle(c21, c31, 0, 4, 1, 5);
      t2 = f32x4.shuffle(c01, c11, 2, 6, 3, 7);
      t3 = f32x4.shuffle(c21, c31, 2, 6, 3, 7);
      if (nr > 4) finish(PLAIN, q, f32x4.shuffle(t0, t1, 0, 1, 4, 5), MR, bv, first, last, lo, hi);
      if (nr > 5) finish(PLAIN, q + ldc4, f32x4.shuffle(t0, t1, 2, 3, 6, 7), MR, bv, first, last, lo, hi);
      if (nr > 6) finish(PLAIN, q + 2 * ldc4, f32x4.shuffle(t2, t3, 0, 1, 4, 5), MR, bv, first, last, lo, hi);
      if (nr > 7) finish(PLAIN, q + 3 * ldc4, f32x4.shuffle(t2, t3, 2, 3, 6, 7), MR, bv, first, last, lo, hi);
    }
  }
}

/** Address of A[i, k0]: row-major, or (TA) transposed in groups of 8 rows aPanel4 bytes apart. */
@inline function aAt(TA: bool, aPtr: usize, lda4: usize, aPanel4: usize, i: i32, k0: i32): usize {
  return TA
    ? aPtr + <usize>(i >> 3) * aPanel4 + (<usize>(i & 7) << 2) + <usize>k0 * lda4
    : aPtr + <usize>i * lda4 + (<usize>k0 << 2);
}

/** All row tiles of rows [m0, m1) against one B panel (one column width, one K chunk). */
@inline function rowTiles(
  TRANS: bool, TA: bool, PLAIN: bool, m0: i32, m1: i32,
  aPtr: usize, lda4: usize, aPanel4: usize, bp: usize, bStep: usize, kc: i32, k0: i32,
  cPtr: usize, ldc4: usize, j: i32, biasPtr: usize, nr: i32,
  first: bool, last: bool, lo: v128, hi: v128,
): void {
  let i = m0;
  while (i < m1) {
    const rem = m1 - i;
    const ap = aAt(TA, aPtr, lda4, aPanel4, i, k0);
    const cp = TRANS
      ? cPtr + <usize>j * ldc4 + (<usize>i << 2)
      : cPtr + <usize>i * ldc4 + (<usize>j << 2);
    const bias = biasPtr != 0 ? biasPtr + (<usize>i << 2) : 0;
    if (rem >= 4) {
      tileSums(4, TRANS, TA, PLAIN, ap, lda4, bp, bStep, kc, cp, ldc4, bias, nr, first, last, lo, hi);
      i += 4;
    } else if (rem >= 2) {
      tileSums(2, TRANS, TA, PLAIN, ap, lda4, bp, bStep, kc, cp, ldc4, bias, nr, first, last, lo, hi);
      i += 2;
    } else {
      tileSums(1, TRANS, TA, PLAIN, ap, lda4, bp, bStep, kc, cp, ldc4, bias, nr, first, last, lo, hi);
      i += 1;
    }
  }
}

/**
 * One tile over a K chunk as consecutive sums of at most SUM_K steps, each added to the C tile
 * just stored (still in L1; sums taken across all row tiles first would find it evicted by A): a
 * float32 running sum's rounding error grows with its length, and deep networks add those errors
 * up layer after layer (FCN-ResNet50's 3×3 layers over 512 and 2048 channels, K = 4608 and 18432,
 * drifted from PyTorch's float64 output by 1.16e-4 of its largest score with 256-step sums, 9.6e-5
 * with 128-step sums; PyTorch's own float32 run by 1.15e-4).
 */
@inline function tileSums(
  MR: i32, TRANS: bool, TA: bool, PLAIN: bool,
  ap: usize, lda4: usize, bp: usize, bStep: usize, kc: i32,
  cp: usize, ldc4: usize, bias: usize, nr: i32,
  first: bool, last: bool, lo: v128, hi: v128,
): void {
  for (let s = 0; s < kc; s += SUM_K) {
    const sc = min(SUM_K, kc - s);
    const a = TA ? ap + <usize>s * lda4 : ap + (<usize>s << 2);
    tile(MR, TRANS, TA, PLAIN, a, lda4, bp + <usize>s * bStep, bStep, sc, cp, ldc4, bias, nr, first && s == 0, last && s + sc >= kc, lo, hi);
  }
}

/** One row tile (MR rows from i) against every B panel: C is written row block by row block. */
@inline function panelTiles(
  MR: i32, TRANS: bool, TA: bool, PLAIN: bool, i: i32,
  ap: usize, lda4: usize, bPtr: usize, panel4: usize, bStep: usize, K: i32,
  cPtr: usize, ldc4: usize, bias: usize, N: i32, first: bool, last: bool, lo: v128, hi: v128,
): void {
  for (let j = 0; j < N; j += 8) {
    const cp = TRANS ? cPtr + <usize>j * ldc4 + (<usize>i << 2) : cPtr + <usize>i * ldc4 + (<usize>j << 2);
    tile(MR, TRANS, TA, PLAIN, ap, lda4, bPtr + <usize>(j >> 3) * panel4, bStep, K, cp, ldc4, bias, min(8, N - j), first, last, lo, hi);
  }
}

@inline function gemmDriver(
  TRANS: bool, TA: bool, INC: bool, PLAIN: bool,
  aPtr: usize, lda: i32, aPanelStride: i32, bPtr: usize, bRowStride: i32, bPanelStride: i32,
  cPtr: usize, ldc: i32, biasPtr: usize, M: i32, N: i32, K: i32, minv: f32, maxv: f32,
): void {
  if (M <= 0 || N <= 0 || K <= 0) return;
  const lo = f32x4.splat(minv);
  const hi = f32x4.splat(maxv);
  const lda4 = <usize>lda << 2;
  const aPanel4 = <usize>aPanelStride << 2;
  const ldc4 = <usize>ldc << 2;
  const bStep = <usize>bRowStride << 2;
  const panel4 = <usize>bPanelStride << 2;
  const panels = (N + 7) >> 3;
  if (K <= SHORT_K && <usize>(K * panels) << 5 <= SHORT_B_BYTES) {
    // A short reduction: storing C dominates, so walk C row block by row block (B stays in cache)
    // rather than down 8-column strips, which touches a new cache line per row.
    const first = !INC, last = !PLAIN;
    let i = 0;
    while (i < M) {
      const rem = M - i;
      const ap = aAt(TA, aPtr, lda4, aPanel4, i, 0);
      const bias = biasPtr != 0 ? biasPtr + (<usize>i << 2) : 0;
      if (rem >= 4) {
        panelTiles(4, TRANS, TA, PLAIN, i, ap, lda4, bPtr, panel4, bStep, K, cPtr, ldc4, bias, N, first, last, lo, hi);
        i += 4;
      } else if (rem >= 2) {
        panelTiles(2, TRANS, TA, PLAIN, i, ap, lda4, bPtr, panel4, bStep, K, cPtr, ldc4, bias, N, first, last, lo, hi);
        i += 2;
      } else {
        panelTiles(1, TRANS, TA, PLAIN, i, ap, lda4, bPtr, panel4, bStep, K, cPtr, ldc4, bias, N, first, last, lo, hi);
        i += 1;
      }
    }
    return;
  }
  const chunks = (K + KC_MAX - 1) / KC_MAX;
  const kcStd = (K + chunks - 1) / chunks; // equal chunks rather than a short last one
  for (let k0 = 0; k0 < K; k0 += kcStd) {
    const kc = min(kcStd, K - k0);
    // INC: C already holds a sum to add to; PLAIN: neither bias nor clamp
    const first = !INC && k0 == 0;
    const last = !PLAIN && k0 + kc >= K;
    for (let m0 = 0; m0 < M; m0 += MC) {
      const m1 = min(m0 + MC, M);
      for (let nb = 0; nb < panels; nb++) {
        const j = nb << 3;
        const nr = min(8, N - j);
        const bp = bPtr + <usize>nb * panel4 + <usize>k0 * bStep;
        rowTiles(TRANS, TA, PLAIN, m0, m1, aPtr, lda4, aPanel4, bp, bStep, kc, k0, cPtr, ldc4, j, biasPtr, nr, first, last, lo, hi);
      }
    }
  }
}

/**
 * C[i, j] = clamp(Σ_k A[i, k]·B[k, j] + bias[i], minv, maxv) for i < M, j < N (overwrites C).
 * aPtr: A row-major [M, lda]; bPtr: B in 8-column panels (see the file header); cPtr: C row-major
 * [M, ldc]; biasPtr: f32[M] or 0 for none. Counts and strides in elements. Row tails use 2- and
 * 1-row tiles, column tails store only the valid lanes; nothing past C's N columns is written.
 * Pass minv = -Infinity, maxv = +Infinity for no clamp; NaN propagates.
 * @split gemm m=M n=N k=K a=aPtr aRow=lda b=bPtr bPanel=bPanelStride c=cPtr cRow=ldc bias=biasPtr
 */
export function gemm_f32_4x8_minmax_simd(
  aPtr: usize, lda: i32, bPtr: usize, bRowStride: i32, bPanelStride: i32,
  cPtr: usize, ldc: i32, biasPtr: usize, M: i32, N: i32, K: i32, minv: f32, maxv: f32,
): void {
  gemmDriver(false, false, false, false, aPtr, lda, 0, bPtr, bRowStride, bPanelStride, cPtr, ldc, biasPtr, M, N, K, minv, maxv);
}

/**
 * As gemm_f32_4x8_minmax_simd, but C is stored transposed: element (i, j) goes to
 * cPtr + 4·(j·ldc + i). With A = W [out, in] and B = packed X rows this computes a dense layer
 * y[n, o] = Σ_i x[n, i]·W[o, i] + b[o] straight into y [N, out] without repacking W.
 * @split gemm m=M n=N k=K a=aPtr aRow=lda b=bPtr bPanel=bPanelStride c=cPtr cCol=ldc bias=biasPtr
 */
export function gemm_f32_ct_4x8_minmax_simd(
  aPtr: usize, lda: i32, bPtr: usize, bRowStride: i32, bPanelStride: i32,
  cPtr: usize, ldc: i32, biasPtr: usize, M: i32, N: i32, K: i32, minv: f32, maxv: f32,
): void {
  gemmCT(aPtr, lda, bPtr, bRowStride, bPanelStride, cPtr, ldc, biasPtr, M, N, K, minv, maxv, false);
}

/**
 * C[i, j] = Σ_k A[k, i]·B[k, j] for i < M, j < N (overwrites C): A is read transposed, element
 * (k, i) at aPtr + 4·((i / 8)·aPanelStride + k·lda + i mod 8). A row-major [K, lda] (so Aᵀ is the
 * M × K factor; e.g. W [O, K] gives Wᵀ) has aPanelStride = 8; the same matrix packed by
 * gemm_pack_f32_p8_simd has lda = 8, aPanelStride = 8·K (each row tile then reads contiguous
 * memory, whatever the row length). bPtr: B panels as above; cPtr: C row-major [M, ldc]. Tails as
 * gemm_f32_4x8_minmax_simd; A is read only at k < K, i < M.
 * @split gemm m=M n=N k=K a=aPtr aPanel=aPanelStride b=bPtr bPanel=bPanelStride c=cPtr cRow=ldc
 */
export function gemm_f32_ta_4x8_simd(
  aPtr: usize, lda: i32, aPanelStride: i32, bPtr: usize, bRowStride: i32, bPanelStride: i32,
  cPtr: usize, ldc: i32, M: i32, N: i32, K: i32,
): void {
  gemmTA(aPtr, lda, aPanelStride, bPtr, bRowStride, bPanelStride, cPtr, ldc, M, N, K, false);
}

/**
 * As gemm_f32_ta_4x8_simd, but C[i, j] += Σ_k A[k, i]·B[k, j] (accumulates into C).
 * @split gemm m=M n=N k=K a=aPtr aPanel=aPanelStride b=bPtr bPanel=bPanelStride c=cPtr cRow=ldc
 */
export function gemm_f32_ta_4x8_inc_simd(
  aPtr: usize, lda: i32, aPanelStride: i32, bPtr: usize, bRowStride: i32, bPanelStride: i32,
  cPtr: usize, ldc: i32, M: i32, N: i32, K: i32,
): void {
  gemmTA(aPtr, lda, aPanelStride, bPtr, bRowStride, bPanelStride, cPtr, ldc, M, N, K, true);
}

// The overwrite and accumulate forms of a variant share one function: whether C is added to is
// decided once per tile store (a branch the predictor never misses), not in the k loop, so a
// constant there would only duplicate the code (~12 KB of the module per pair).
function gemmTA(
  aPtr: usize, lda: i32, aPanelStride: i32, bPtr: usize, bRowStride: i32, bPanelStride: i32,
  cPtr: usize, ldc: i32, M: i32, N: i32, K: i32, inc: bool,
): void {
  gemmDriver(false, true, inc, true, aPtr, lda, aPanelStride, bPtr, bRowStride, bPanelStride, cPtr, ldc, 0, M, N, K, -Infinity, Infinity);
}

/**
 * C[j, i] += Σ_k A[i, k]·B[k, j] for i < M, j < N: accumulates into C stored transposed
 * (element (i, j) at cPtr + 4·(j·ldc + i)). aPtr: A row-major [M, lda]; bPtr: B panels. With
 * A = im2col [K, P] and B = packed dy rows this adds a filter gradient dW [O, K] += dy·colᵀ.
 * @split gemm m=M n=N k=K a=aPtr aRow=lda b=bPtr bPanel=bPanelStride c=cPtr cCol=ldc
 */
export function gemm_f32_ct_4x8_inc_simd(
  aPtr: usize, lda: i32, bPtr: usize, bRowStride: i32, bPanelStride: i32,
  cPtr: usize, ldc: i32, M: i32, N: i32, K: i32,
): void {
  gemmCT(aPtr, lda, bPtr, bRowStride, bPanelStride, cPtr, ldc, 0, M, N, K, -Infinity, Infinity, true);
}

/** The two transposed-C forms (see gemmTA); the accumulating one has no bias and no clamp. */
function gemmCT(
  aPtr: usize, lda: i32, bPtr: usize, bRowStride: i32, bPanelStride: i32,
  cPtr: usize, ldc: i32, biasPtr: usize, M: i32, N: i32, K: i32, minv: f32, maxv: f32, inc: bool,
): void {
  gemmDriver(true, false, inc, inc, aPtr, lda, 0, bPtr, bRowStride, bPanelStride, cPtr, ldc, biasPtr, M, N, K, minv, maxv);
}
