// Winograd convolution F(m×m, 3×3) for 3×3 stride-1 convolutions (m = 2, 4, 6; α = m + 2; the
// transform domain has α² positions ξ). Three kernels per tile size and one GEMM driver:
//   filter: U[ξ][r][s] = (G g Gᵀ)[ξ]         once per weight set
//   input:  V[ξ] panels of 8 tiles × C      = (Bᵀ d B)[ξ] for each tile's α×α input window d
//   GEMM:   M[ξ][o][tile] = Σ_c U[ξ][o][c]·V[ξ][c][tile]   (gemm_f32_ta_4x8 calls, the sum in slices)
//   output: y tile (m×m) = Aᵀ M A + bias, clamped
// Tiles are numbered over the whole batch, t = (n·tilesY + ty)·tilesX + tx, tile t covering output
// rows ty·m … ty·m + m − 1 and columns tx·m … (cut at the output's edge); its input window starts at
// row ty·m − padTop, column tx·m − padLeft (zero outside the input). The kernels work on groups of
// four consecutive tiles, one per vector lane. Helpers: assembly/conv2d-winograd-common.ts; F(2×2)'s
// input and output transforms run in registers (assembly/conv2d-winograd-f2.ts), the general
// in-memory path below is their fallback.
import { WinoBlock, btAt, bt6, bt8, atAt, gRowV, origin, gather, clampV, winX, winY, colMask, readable } from "./conv2d-winograd-common";
import { group2All, out2, tileOut2 } from "./conv2d-winograd-f2";
import { gemm_f32_ta_4x8_simd, gemm_f32_ta_4x8_inc_simd } from "./gemm";

// ── filter ───────────────────────────────────────────────────────────────────────────────────

/** Element i of the four 3×3 filters at w0 … w3. */
@inline function gather9(w0: usize, w1: usize, w2: usize, w3: usize, i: i32): v128 {
  return gather(w0, w1, w2, w3, <usize>i << 2);
}

/** Floats of one position's U: R rows (rounded up to 8) × S columns, padded by a cache line (see below). */
@inline function filterStride(R: i32, S: i32): usize {
  return <usize>(((R + 7) & ~7) * S + 16);
}

/** Columns per slice of the transformed-domain sums: S cut into equal slices of at most `slice`. */
@inline function sliceLen(S: i32, slice: i32): i32 {
  const n = (S + slice - 1) / slice;
  return (S + n - 1) / n;
}

@inline function filterTransform(MT: i32, wPtr: usize, uPtr: usize, O: i32, C: i32, flip: i32, slice: i32): void {
  const A = MT + 2;
  const f = flip != 0;
  const R = f ? C : O, S = f ? O : C, R8 = (R + 7) & ~7;
  const kcs = sliceLen(S, max(1, slice));
  // each ξ's matrix padded by a cache line: 36–64 streams a power of two apart would share cache sets
  const xs = filterStride(R, S) << 2;
  // rows r … r + 3 in the lanes (a tail group repeats row R − 1 in its spare lanes, stored into the
  // panel's padding, never read); the filter of (r, s) is w[r, s], or w[s, r] rotated 180° when flipped
  for (let r = 0; r < R; r += 4) {
    const r1 = min(r + 1, R - 1), r2 = min(r + 2, R - 1), r3 = min(r + 3, R - 1);
    for (let s = 0; s < S; s++) {
      const w0 = wPtr + <usize>(f ? s * C + r : r * C + s) * 36;
      const w1 = wPtr + <usize>(f ? s * C + r1 : r1 * C + s) * 36;
      const w2 = wPtr + <usize>(f ? s * C + r2 : r2 * C + s) * 36;
      const w3 = wPtr + <usize>(f ? s * C + r3 : r3 * C + s) * 36;
      const k0 = (s / kcs) * kcs, kc = min(kcs, S - k0);
      const dst = uPtr + (<usize>(R8 * k0 + (r >> 3) * 8 * kc + (s - k0) * 8 + (r & 7)) << 2);
      for (let k = 0; k < A; k++) {
        const t0 = gRowV(MT, k, gather9(w0, w1, w2, w3, f ? 8 : 0), gather9(w0, w1, w2, w3, f ? 5 : 3), gather9(w0, w1, w2, w3, f ? 2 : 6));
        const t1 = gRowV(MT, k, gather9(w0, w1, w2, w3, f ? 7 : 1), gather9(w0, w1, w2, w3, 4), gather9(w0, w1, w2, w3, f ? 1 : 7));
        const t2 = gRowV(MT, k, gather9(w0, w1, w2, w3, f ? 6 : 2), gather9(w0, w1, w2, w3, f ? 3 : 5), gather9(w0, w1, w2, w3, f ? 0 : 8));
        for (let l = 0; l < A; l++) v128.store(dst + <usize>(k * A + l) * xs, gRowV(MT, l, t0, t1, t2));
      }
    }
  }
}

/**
 * U[ξ] = (G g Gᵀ)[ξ], ξ = k·α + l < α², for the O × C filters of wPtr [O, C, 3, 3] (four filters
 * per vector; the matrices' fractions as f32 constants), laid out for conv2d_winograd_gemm_f32_simd
 * with the same `slice`: flip = 0: (r, s) = (o, c), R = O, S = C, g = w[o, c]; flip ≠ 0:
 * (r, s) = (c, o), R = C, S = O, g = w[o, c] rotated 180° (the filter of the backward-data pass).
 * U[ξ] at uPtr + 4·ξ·uStride, uStride = 8·⌈R/8⌉·S + 16: the columns cut into slices as that GEMM
 * cuts them (k0 … k0 + kc − 1), each slice the A operand of gemm_f32_ta_4x8_simd in 8-row panels,
 * element (r, s) at 8·⌈R/8⌉·k0 + 8·kc·(r ÷ 8) + 8·(s − k0) + r mod 8. uPtr: f32[α²·uStride].
 */
export function conv2d_winograd_filter_f32_2x2_simd(wPtr: usize, uPtr: usize, O: i32, C: i32, flip: i32, slice: i32): void {
  filterTransform(2, wPtr, uPtr, O, C, flip, slice);
}

/** As conv2d_winograd_filter_f32_2x2_simd for F(4×4, 3×3) (α = 6). */
export function conv2d_winograd_filter_f32_4x4_simd(wPtr: usize, uPtr: usize, O: i32, C: i32, flip: i32, slice: i32): void {
  filterTransform(4, wPtr, uPtr, O, C, flip, slice);
}

/** As conv2d_winograd_filter_f32_2x2_simd for F(6×6, 3×3) (α = 8). */
export function conv2d_winograd_filter_f32_6x6_simd(wPtr: usize, uPtr: usize, O: i32, C: i32, flip: i32, slice: i32): void {
  filterTransform(6, wPtr, uPtr, O, C, flip, slice);
}

// ── the per-position GEMMs ───────────────────────────────────────────────────────────────────

/**
 * M[ξ][r][t] = Σ_s U[ξ][r][s]·V[ξ][s][t] for the T positions ξ, r < R, t < N, the sum over s cut
 * into equal slices of at most `slice` (each summed from zero by the GEMM, then added to M): a
 * sequential float32 sum over hundreds of large transformed products is the main rounding error of
 * the Winograd path (bench/README.md "Winograd accuracy"); slices of 32 cut it 2–3× at 512 channels.
 * uPtr: U as conv2d_winograd_filter_* lays it out with the same slice (uStride floats per ξ, each
 * slice contiguous); vPtr: V as the input transform writes it (vStride floats per ξ, [⌈N/8⌉][S][8]
 * panels); mPtr: M[ξ] row-major [R, ldm] at mPtr + 4·ξ·mStride (overwritten).
 */
export function conv2d_winograd_gemm_f32_simd(
  uPtr: usize, uStride: i32, vPtr: usize, vStride: i32, mPtr: usize, mStride: i32, ldm: i32,
  R: i32, S: i32, N: i32, T: i32, slice: i32,
): void {
  if (R <= 0 || N <= 0 || S <= 0) return;
  const kcs = sliceLen(S, max(1, slice)), R8 = (R + 7) & ~7, panel = S << 3;
  for (let x = 0; x < T; x++) {
    const u = uPtr + (<usize>x * <usize>uStride << 2), v = vPtr + (<usize>x * <usize>vStride << 2);
    const m = mPtr + (<usize>x * <usize>mStride << 2);
    for (let k0 = 0; k0 < S; k0 += kcs) {
      const kc = min(kcs, S - k0);
      const a = u + (<usize>(R8 * k0) << 2), b = v + (<usize>k0 << 5);
      if (k0 == 0) gemm_f32_ta_4x8_simd(a, 8, kc << 3, b, 8, panel, m, ldm, R, N, kc);
      else gemm_f32_ta_4x8_inc_simd(a, 8, kc << 3, b, 8, panel, m, ldm, R, N, kc);
    }
  }
}

// ── input ────────────────────────────────────────────────────────────────────────────────────

/** Whether tile t's window lies inside the input. */
@inline function inside(MT: i32, g: WinoBlock, t: i32): bool {
  const r = t % (g.tx * g.ty);
  const iy = (r / g.tx) * MT - g.pt, ix = (r % g.tx) * MT - g.pl;
  return iy >= 0 && ix >= 0 && iy + MT + 2 <= g.H && ix + MT + 2 <= g.W;
}

/** Element off of the four windows, masked by m (masked) or not. */
@inline function gm(b0: usize, b1: usize, b2: usize, b3: usize, off: usize, masked: bool, m: v128): v128 {
  return masked ? v128.and(gather(b0, b1, b2, b3, off), m) : gather(b0, b1, b2, b3, off);
}

/**
 * Column j of Bᵀ d for four windows at b0…b3 (W4: the input's row in bytes), F(4×4) or F(6×6).
 * masked: element (i, j) read through cm (lanes whose column j is inside) and r_i (row i inside).
 */
@inline function inputColumn(
  MT: i32, b0: usize, b1: usize, b2: usize, b3: usize, W4: usize, j: i32, dst: usize, step: usize, masked: bool,
  cm: v128, r0: v128, r1: v128, r2: v128, r3: v128, r4: v128, r5: v128, r6: v128, r7: v128,
): void {
  const o = <usize>j << 2;
  const d0 = gm(b0, b1, b2, b3, o, masked, v128.and(cm, r0)), d1 = gm(b0, b1, b2, b3, o + W4, masked, v128.and(cm, r1));
  const d2 = gm(b0, b1, b2, b3, o + 2 * W4, masked, v128.and(cm, r2)), d3 = gm(b0, b1, b2, b3, o + 3 * W4, masked, v128.and(cm, r3));
  const d4 = gm(b0, b1, b2, b3, o + 4 * W4, masked, v128.and(cm, r4)), d5 = gm(b0, b1, b2, b3, o + 5 * W4, masked, v128.and(cm, r5));
  if (MT == 4) {
    bt6(d0, d1, d2, d3, d4, d5, dst, step);
  } else {
    bt8(d0, d1, d2, d3, d4, d5, gm(b0, b1, b2, b3, o + 6 * W4, masked, v128.and(cm, r6)),
      gm(b0, b1, b2, b3, o + 7 * W4, masked, v128.and(cm, r7)), dst, step);
  }
}

@inline function inputTiles(MT: i32, xPtr: usize, vPtr: usize, vStride: i32, paramPtr: usize, tStart: i32, tEnd: i32): void {
  const g = changetype<WinoBlock>(paramPtr);
  const A = MT + 2, C = g.C, H = g.H, W = g.W;
  const vs4 = <usize>vStride << 2, col4 = <usize>A * vs4;
  const plane4 = <usize>(H * W) << 2, W4 = <usize>W << 2;
  const ones = i32x4.splat(-1);
  for (let t0 = tStart; t0 < tEnd; t0 += 4) {
    const local = t0 - tStart;
    const dst0 = vPtr + (<usize>(local >> 3) * <usize>C << 5) + (<usize>(local & 7) << 2);
    if (MT == 2 && group2All(g, xPtr, t0, tEnd, dst0, vs4)) continue;
    const fast = MT != 2 && t0 + 4 <= tEnd && inside(MT, g, t0) && inside(MT, g, t0 + 1) && inside(MT, g, t0 + 2) && inside(MT, g, t0 + 3);
    // F(4×4), F(6×6) windows reaching into the padding (or lanes past tEnd): gathered through masks
    // where those reads stay within memory (lanes past tEnd read lane 0's window), else staged
    const o0 = origin(MT, g, t0);
    const o1 = t0 + 1 < tEnd ? origin(MT, g, t0 + 1) : o0, o2 = t0 + 2 < tEnd ? origin(MT, g, t0 + 2) : o0;
    const o3 = t0 + 3 < tEnd ? origin(MT, g, t0 + 3) : o0;
    const lo = min(min(o0, o1), min(o2, o3)), hi = max(max(o0, o1), max(o2, o3));
    const masked = MT == 4 && readable(xPtr, lo, <usize>(C - 1) * plane4 + (<usize>(hi + (A - 1) * W + A) << 2));
    const ixv = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(winX(MT, g, t0)), 1, winX(MT, g, t0 + 1)), 2, winX(MT, g, t0 + 2)), 3, winX(MT, g, t0 + 3));
    const iyv = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(winY(MT, g, t0)), 1, winY(MT, g, t0 + 1)), 2, winY(MT, g, t0 + 2)), 3, winY(MT, g, t0 + 3));
    const live = i32x4.lt_s(i32x4.add(i32x4.splat(t0), v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0)), i32x4.splat(tEnd));
    const r0 = colMask(iyv, 0, H, live), r1 = colMask(iyv, 1, H, live), r2 = colMask(iyv, 2, H, live), r3 = colMask(iyv, 3, H, live);
    const r4 = colMask(iyv, 4, H, live), r5 = colMask(iyv, 5, H, live), r6 = colMask(iyv, 6, H, live), r7 = colMask(iyv, 7, H, live);
    const b0 = xPtr + (<usize><isize>o0 << 2), b1 = xPtr + (<usize><isize>o1 << 2);
    const b2 = xPtr + (<usize><isize>o2 << 2), b3 = xPtr + (<usize><isize>o3 << 2);
    for (let c = 0; c < C; c++) {
      const dst = dst0 + (<usize>c << 5);
      const cp = <usize>c * plane4;
      if (MT != 4 && fast) {
        for (let j = 0; j < A; j++) {
          inputColumn(MT, b0 + cp, b1 + cp, b2 + cp, b3 + cp, W4, j, dst + <usize>j * vs4, col4, false, ones, ones, ones, ones, ones, ones, ones, ones, ones);
        }
      } else if (masked) {
        for (let j = 0; j < A; j++) {
          inputColumn(MT, b0 + cp, b1 + cp, b2 + cp, b3 + cp, W4, j, dst + <usize>j * vs4, col4, true, colMask(ixv, j, W, live), r0, r1, r2, r3, r4, r5, r6, r7);
        }
      } else {
        stage(MT, g, xPtr, c, t0, tEnd, dst, vs4);
        for (let j = 0; j < A; j++) btAt(MT, dst + <usize>j * vs4, col4, dst + <usize>j * vs4, col4);
      }
      for (let k = 0; k < A; k++) btAt(MT, dst + <usize>k * col4, vs4, dst + <usize>k * col4, vs4);
    }
  }
}

/** Writes the α×α windows of tiles t0 … t0 + 3 (zero outside the input, and for tiles ≥ tEnd) into their lanes at ξ = i·α + j. */
@inline function stage(MT: i32, g: WinoBlock, xPtr: usize, c: i32, t0: i32, tEnd: i32, dst: usize, vs4: usize): void {
  const A = MT + 2, tpi = g.tx * g.ty;
  for (let l = 0; l < 4; l++) {
    const t = t0 + l, r = t % tpi;
    const iy0 = (r / g.tx) * MT - g.pt, ix0 = (r % g.tx) * MT - g.pl;
    const plane = xPtr + (<usize>(((t / tpi) * g.C + c) * g.H * g.W) << 2);
    for (let i = 0; i < A; i++) {
      const y = iy0 + i;
      const rowOk = t < tEnd && y >= 0 && y < g.H;
      for (let j = 0; j < A; j++) {
        const x = ix0 + j;
        const v: f32 = rowOk && x >= 0 && x < g.W ? load<f32>(plane + (<usize>(y * g.W + x) << 2)) : 0;
        store<f32>(dst + <usize>(i * A + j) * vs4 + (<usize>l << 2), v);
      }
    }
  }
}

/**
 * The input transform of tiles [tStart, tEnd) (tStart a multiple of 8): V[ξ] at vPtr + 4·ξ·vStride
 * holds 8-tile panels [⌈(tEnd − tStart)/8⌉][C][8] (tile t − tStart in panel (t − tStart)/8, lane
 * (t − tStart) mod 8), the B operand of the GEMMs. xPtr: x [N, C, H, W]; paramPtr: the Winograd
 * block (assembly/conv2d-winograd-common.ts). Lanes of the last group past tEnd are written as 0;
 * lanes 4–7 of a last panel that ends at lane 4 are not written (the GEMM never stores them).
 */
export function conv2d_winograd_input_f32_2x2_simd(xPtr: usize, vPtr: usize, vStride: i32, paramPtr: usize, tStart: i32, tEnd: i32): void {
  inputTiles(2, xPtr, vPtr, vStride, paramPtr, tStart, tEnd);
}

/** As conv2d_winograd_input_f32_2x2_simd for F(4×4, 3×3). */
export function conv2d_winograd_input_f32_4x4_simd(xPtr: usize, vPtr: usize, vStride: i32, paramPtr: usize, tStart: i32, tEnd: i32): void {
  inputTiles(4, xPtr, vPtr, vStride, paramPtr, tStart, tEnd);
}

/** As conv2d_winograd_input_f32_2x2_simd for F(6×6, 3×3). */
export function conv2d_winograd_input_f32_6x6_simd(xPtr: usize, vPtr: usize, vStride: i32, paramPtr: usize, tStart: i32, tEnd: i32): void {
  inputTiles(6, xPtr, vPtr, vStride, paramPtr, tStart, tEnd);
}

// ── output ───────────────────────────────────────────────────────────────────────────────────

@inline function outputTiles(
  MT: i32, mPtr: usize, mStride: i32, ldm: i32, yPtr: usize, biasPtr: usize, paramPtr: usize,
  tStart: i32, tEnd: i32, minv: f32, maxv: f32,
): void {
  const g = changetype<WinoBlock>(paramPtr);
  const A = MT + 2, O = g.O, oh = g.oh, ow = g.ow, tpi = g.tx * g.ty;
  const ms4 = <usize>mStride << 2, row4 = <usize>A * ms4, ow4 = <usize>ow << 2;
  const P4 = <usize>(oh * ow) << 2;
  const lo = f32x4.splat(minv), hi = f32x4.splat(maxv);
  for (let t0 = tStart; t0 < tEnd; t0 += 4) {
    const local = t0 - tStart, r0 = t0 % tpi;
    const ty = r0 / g.tx, tx = r0 % g.tx;
    // four whole tiles in one tile row: vector stores
    const fast = t0 + 4 <= tEnd && tx + 3 < g.tx && ty * MT + MT <= oh && (tx + 3) * MT + MT <= ow;
    const y0 = yPtr + <usize>(t0 / tpi) * <usize>O * P4 + (<usize>(ty * MT * ow + tx * MT) << 2);
    // F(2×2): four whole tiles elsewhere (across tile rows) store lane by lane
    let mode2 = fast ? 0 : 2, e1: isize = 0, e2: isize = 0, e3: isize = 0;
    if (MT == 2 && !fast && t0 + 4 <= tEnd) {
      const f0 = tileOut2(g, t0, P4), f1 = tileOut2(g, t0 + 1, P4), f2 = tileOut2(g, t0 + 2, P4), f3 = tileOut2(g, t0 + 3, P4);
      if (min(min(f0, f1), min(f2, f3)) >= 0) {
        mode2 = 1;
        e1 = f1 - f0; e2 = f2 - f0; e3 = f3 - f0;
      }
    }
    for (let o = 0; o < O; o++) {
      const src = mPtr + (<usize>(o * ldm + local) << 2);
      const bs: f32 = biasPtr != 0 ? load<f32>(biasPtr + (<usize>o << 2)) : 0;
      if (MT == 2) {
        if (out2(src, ms4, mode2, y0 + <usize>o * P4, ow4, f32x4.splat(bs), lo, hi, <usize>e1, <usize>e2, <usize>e3)) continue;
      } else {
        for (let j = 0; j < A; j++) atAt(MT, src + <usize>j * ms4, row4, src + <usize>j * ms4, row4);
        for (let i = 0; i < MT; i++) atAt(MT, src + <usize>i * row4, ms4, src + <usize>i * row4, ms4);
      }
      if (MT != 2 && fast) {
        const bv = f32x4.splat(bs);
        for (let i = 0; i < MT; i++) {
          const s = src + <usize>i * row4;
          const d = y0 + <usize>o * P4 + <usize>i * ow4;
          const v0 = clampV(v128.load(s), bv, lo, hi), v1 = clampV(v128.load(s + ms4), bv, lo, hi);
          if (MT == 2) {
            v128.store(d, f32x4.shuffle(v0, v1, 0, 4, 1, 5));
            v128.store(d, f32x4.shuffle(v0, v1, 2, 6, 3, 7), 16);
          } else if (MT == 4) {
            const v2 = clampV(v128.load(s + 2 * ms4), bv, lo, hi), v3 = clampV(v128.load(s + 3 * ms4), bv, lo, hi);
            const a = f32x4.shuffle(v0, v1, 0, 4, 1, 5), b = f32x4.shuffle(v2, v3, 0, 4, 1, 5);
            const c = f32x4.shuffle(v0, v1, 2, 6, 3, 7), e = f32x4.shuffle(v2, v3, 2, 6, 3, 7);
            v128.store(d, f32x4.shuffle(a, b, 0, 1, 4, 5));
            v128.store(d, f32x4.shuffle(a, b, 2, 3, 6, 7), 16);
            v128.store(d, f32x4.shuffle(c, e, 0, 1, 4, 5), 32);
            v128.store(d, f32x4.shuffle(c, e, 2, 3, 6, 7), 48);
          } else {
            for (let j = 0; j < MT; j++) v128.store(s + <usize>j * ms4, clampV(v128.load(s + <usize>j * ms4), bv, lo, hi));
            for (let l = 0; l < 4; l++) {
              for (let j = 0; j < MT; j++) store<f32>(d + (<usize>(l * MT + j) << 2), load<f32>(s + <usize>j * ms4 + (<usize>l << 2)));
            }
          }
        }
      } else {
        for (let l = 0; l < 4 && t0 + l < tEnd; l++) {
          const t = t0 + l, r = t % tpi;
          const oy0 = (r / g.tx) * MT, ox0 = (r % g.tx) * MT;
          const rows = min(MT, oh - oy0), cols = min(MT, ow - ox0);
          const d = yPtr + <usize>((t / tpi) * O + o) * P4 + (<usize>(oy0 * ow + ox0) << 2);
          for (let i = 0; i < rows; i++) {
            for (let j = 0; j < cols; j++) {
              let v = load<f32>(src + <usize>(i * A + j) * ms4 + (<usize>l << 2)) + bs;
              v = v < minv ? minv : v;
              v = maxv < v ? maxv : v;
              store<f32>(d + <usize>i * ow4 + (<usize>j << 2), v);
            }
          }
        }
      }
    }
  }
}

/**
 * y tiles of [tStart, tEnd) (tStart a multiple of 4) = clamp(Aᵀ M A + bias[o], minv, maxv), with
 * M[ξ][o][t − tStart] at mPtr + 4·(ξ·mStride + o·ldm + t − tStart) (the GEMMs' C; overwritten:
 * the transform works in place). yPtr: y [N, O, oh, ow]; biasPtr: f32[O] or 0; paramPtr: the
 * Winograd block. Writes only the output pixels of its tiles (tiles cut at the edge store their
 * part). NaN propagates through the clamp.
 */
export function conv2d_winograd_output_f32_2x2_minmax_simd(
  mPtr: usize, mStride: i32, ldm: i32, yPtr: usize, biasPtr: usize, paramPtr: usize, tStart: i32, tEnd: i32, minv: f32, maxv: f32,
): void {
  outputTiles(2, mPtr, mStride, ldm, yPtr, biasPtr, paramPtr, tStart, tEnd, minv, maxv);
}

/** As conv2d_winograd_output_f32_2x2_minmax_simd for F(4×4, 3×3). */
export function conv2d_winograd_output_f32_4x4_minmax_simd(
  mPtr: usize, mStride: i32, ldm: i32, yPtr: usize, biasPtr: usize, paramPtr: usize, tStart: i32, tEnd: i32, minv: f32, maxv: f32,
): void {
  outputTiles(4, mPtr, mStride, ldm, yPtr, biasPtr, paramPtr, tStart, tEnd, minv, maxv);
}

/** As conv2d_winograd_output_f32_2x2_minmax_simd for F(6×6, 3×3). */
export function conv2d_winograd_output_f32_6x6_minmax_simd(
  mPtr: usize, mStride: i32, ldm: i32, yPtr: usize, biasPtr: usize, paramPtr: usize, tStart: i32, tEnd: i32, minv: f32, maxv: f32,
): void {
  outputTiles(6, mPtr, mStride, ldm, yPtr, biasPtr, paramPtr, tStart, tEnd, minv, maxv);
}
