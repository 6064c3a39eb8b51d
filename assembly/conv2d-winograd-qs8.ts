// Winograd F(2×2, 3×3) on int8, exact: 3×3 stride-1 convolutions in integers, the same sums as the
// direct convolution (requantization: qs8-common.ts). With G' = 2G = [[2,0,0],[1,1,1],[1,−1,1],[0,0,2]]
// the transformed filter U' = G' g G'ᵀ = 4·U is an integer (|U'| ≤ 9·127), the transformed input
// V = Bᵀ d B of raw int8 windows (padding = zx) an integer (|V| ≤ 4·128), and Aᵀ (Σ_c U'⊙V) A = 4·y,
// all in i32 arithmetic that wraps: the result is exact whenever 4·y fits in i32 (fewer than about
// 1800 input channels; src/ops/conv2d-winograd-qs8.ts checks). The zero point is folded into the
// bias (padding reads zx). Per block of tiles: the input transform (this file) writes V in the B
// panels of gemm_i16_4x8_simd, one batched call multiplies the 16 positions' U'·V into M (i32), and
// the output transform applies Aᵀ M A, divides by 4, adds the bias and requantizes.
//
// Tiles: tile t = ty·tilesX + tx covers output rows 2ty, 2ty + 1 and columns 2tx, 2tx + 1; its window
// is rows 2ty … 2ty + 3, columns 2tx … 2tx + 3 of the padded input (pad_qs8_simd: the image at
// (padTop, padLeft), zx around it, row stride Wp ≥ 2·tilesX + 18). The input transform works on
// channel pairs interleaved at the byte level (the GEMM's k-pairs), so one shuffle per row and
// column both gathers 8 tiles and pairs the two channels.
import { padPlane, requant16, store8, tileI16 } from "./qs8-common";

/** The store of gemm_i16_4x8_simd's tiles (tileI16's E): rows < mr of raw i32 sums at c, rowBytes apart. */
@unmanaged class RawRows {
  @inline store(
    s00: v128, s01: v128, s10: v128, s11: v128, s20: v128, s21: v128, s30: v128, s31: v128, s40: v128, s41: v128, s50: v128, s51: v128,
    c: usize, rowBytes: usize, p2: usize, p3: usize, mr: i32, n1: i32, n2: i32, n3: i32,
  ): void {
    v128.store(c, s00); v128.store(c, s01, 16);
    if (mr > 1) { c += rowBytes; v128.store(c, s10); v128.store(c, s11, 16); }
    if (mr > 2) { c += rowBytes; v128.store(c, s20); v128.store(c, s21, 16); }
    if (mr > 3) { c += rowBytes; v128.store(c, s30); v128.store(c, s31, 16); }
  }
}

/**
 * Pads int8 planes: y [planes][Hp][Wp] holds x [planes][H][W] at row pt, column pl and zx everywhere
 * else (Wp ≥ pl + W + 16; writes up to 15 bytes past the last plane).
 */
export function pad_qs8_simd(xPtr: usize, yPtr: usize, planes: i32, H: i32, W: i32, pt: i32, pl: i32, Hp: i32, Wp: i32, zx: i32): void {
  const z = i8x16.splat(<i8>zx);
  for (let q = 0; q < planes; q++) padPlane(yPtr + <usize>q * <usize>(Hp * Wp), xPtr + <usize>q * <usize>(H * W), H, W, pt, pl, Hp, Wp, z);
}

/**
 * Row r's four columns of 8 tiles for channels c (row bytes at q1 / q2) and c + 1 (at q1 + cs / q2
 * + cs), as channel pairs in i16 (8 tiles × (c, c + 1) = two i16x8 a column), column-transformed
 * (d0 − d2, d1 + d2, d2 − d1, d1 − d3) and stored at t + 128·r (column j, half h at 32j + 16h).
 * Tiles below a read from q1, the others from q2 (the next tile row); byte k of a row load belongs
 * to tile k / 2 whether it holds columns 0, 1 (load at 0) or 2, 3 (load at 2).
 */
@inline function gatherRow(q1: usize, q2: usize, cs: usize, mask: v128, t: usize): void {
  const v = v128.bitselect(v128.load(q1), v128.load(q2), mask), w = v128.bitselect(v128.load(q1, 2), v128.load(q2, 2), mask);
  const v1 = v128.bitselect(v128.load(q1 + cs), v128.load(q2 + cs), mask), w1 = v128.bitselect(v128.load(q1 + cs, 2), v128.load(q2 + cs, 2), mask);
  const c0 = i8x16.shuffle(v, v1, 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
  const c1 = i8x16.shuffle(v, v1, 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
  const c2 = i8x16.shuffle(w, w1, 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
  const c3 = i8x16.shuffle(w, w1, 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
  colTransform(t, i16x8.extend_low_i8x16_s(c0), i16x8.extend_low_i8x16_s(c1), i16x8.extend_low_i8x16_s(c2), i16x8.extend_low_i8x16_s(c3));
  colTransform(t + 16, i16x8.extend_high_i8x16_s(c0), i16x8.extend_high_i8x16_s(c1), i16x8.extend_high_i8x16_s(c2), i16x8.extend_high_i8x16_s(c3));
}

/** Bᵀ along a row: (d0 − d2, d1 + d2, d2 − d1, d1 − d3) at t, t + 32, t + 64, t + 96. */
@inline function colTransform(t: usize, d0: v128, d1: v128, d2: v128, d3: v128): void {
  v128.store(t, i16x8.sub(d0, d2));
  v128.store(t, i16x8.add(d1, d2), 32);
  v128.store(t, i16x8.sub(d2, d1), 64);
  v128.store(t, i16x8.sub(d1, d3), 96);
}

/**
 * V for tiles t0 … t0 + T − 1 (T a multiple of 8) from the padded input xPad [C][Hp][Wp]: position p
 * at vPtr + p·posStride holds T/8 panels of ⌈C/2⌉ channel pairs, each pair 8 tiles × (V[c], V[c + 1])
 * as i16 (gemm_i16_4x8_simd's B; for an odd C the last pair repeats channel C − 1, which the packed
 * filter multiplies by zero). paramsPtr: i32 [C, Hp, Wp, tilesX, tiles]; scratch: 512 bytes. A panel
 * that runs into the next tile row blends two loads per row (tilesX ≥ 4; narrower tile rows are
 * the caller's to avoid).
 */
export function conv2d_winograd_input_qs8_2x2_simd(xPad: usize, vPtr: usize, posStride: i32, paramsPtr: usize, t0: i32, T: i32, scratch: usize): void {
  const C = load<i32>(paramsPtr), Hp = load<i32>(paramsPtr, 4), Wp = load<i32>(paramsPtr, 8);
  const tilesX = load<i32>(paramsPtr, 12), tiles = load<i32>(paramsPtr, 16);
  const C2 = (C + 1) >> 1;
  const plane = <usize>(Hp * Wp), ws = <usize>Wp, ps = <usize>posStride;
  const iota = i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (let q = 0; q < T; q += 8) {
    const t = t0 + q, ty = t / tilesX, tx = t - ty * tilesX;
    // tiles [t, t + a) in tile row ty; the rest (when there are tiles) from the start of row ty + 1
    const a = min(8, tilesX - tx);
    const o1 = <usize>(2 * ty * Wp + 2 * tx);
    const o2 = a < 8 && t + a < tiles ? <usize>(2 * (ty + 1) * Wp - 2 * a) : o1;
    const mask = i8x16.lt_s(iota, i8x16.splat(<i8>(2 * a)));
    let dst = vPtr + <usize>(q >> 3) * <usize>(C2 * 32);
    for (let c = 0; c < C; c += 2) {
      const base = xPad + <usize>c * plane;
      const cs = c + 1 < C ? plane : 0;
      for (let r: usize = 0; r < 4; r++) gatherRow(base + o1 + r * ws, base + o2 + r * ws, cs, mask, scratch + (r << 7));
      // Bᵀ down the columns: position (i, j) from the column-transformed rows
      for (let jh: usize = 0; jh < 128; jh += 16) {
        const x0 = v128.load(scratch + jh), x1 = v128.load(scratch + jh, 128);
        const x2 = v128.load(scratch + jh, 256), x3 = v128.load(scratch + jh, 384);
        // jh = 32j + 16h: position j of row i at dst + (4i + j)·ps, half h at + 16h
        const d = dst + (jh >> 5) * ps + (jh & 16);
        v128.store(d, i16x8.sub(x0, x2));
        v128.store(d + 4 * ps, i16x8.add(x1, x2));
        v128.store(d + 8 * ps, i16x8.sub(x2, x1));
        v128.store(d + 12 * ps, i16x8.sub(x1, x3));
      }
      dst += 32;
    }
  }
}

/**
 * count products C_p = A_p·B_p of i16 matrices into raw i32 sums (p < count): A_p [M, 2G] in 4-row
 * tiles of i16 pairs ([⌈M/4⌉][G][4 rows][2], zero past M) at aPtr + p·aStride; B_p [2G, N] in
 * 8-column panels of i16 pairs ([N/8][G][8 columns][2]) at bPtr + p·bStride (N a multiple of 8);
 * C_p[i, j] (i32) at cPtr + p·cStride + 4·(i·ldc + j), for rows i < M. Sums wrap in i32.
 */
export function gemm_i16_4x8_simd(
  aPtr: usize, aStride: i32, bPtr: usize, bStride: i32, cPtr: usize, cStride: i32, ldc: i32, M: i32, N: i32, G: i32, count: i32,
): void {
  const aTile = <usize>G << 4, bPanel = <usize>G << 5, rowBytes = <usize>ldc << 2;
  for (let p = 0; p < count; p++) {
    const A = aPtr + <usize>p * <usize>aStride, Bp = bPtr + <usize>p * <usize>bStride, Cp = cPtr + <usize>p * <usize>cStride;
    // row tiles outer: each position's U' (large: O·C·2 bytes) streams past once, its V panels
    // (small) are read again per row tile
    for (let i0 = 0; i0 < M; i0 += 4) {
      const at = A + <usize>(i0 >> 2) * aTile;
      for (let j0 = 0; j0 < N; j0 += 8) {
        tileI16<RawRows>(at, Bp + <usize>(j0 >> 3) * bPanel, G, Cp + <usize>i0 * rowBytes + (<usize>j0 << 2), rowBytes, 0, 0, M - i0, 0, 0, 0);
      }
    }
  }
}

/**
 * y for tiles t0 … t0 + T − 1 (T a multiple of 4) from M (position p at mPtr + p·posStride, element
 * (o, j), tile t0 + j, an i32 at 4·(o·ldm + j)): (Aᵀ M A) / 4 + bias[o], requantized with scale[o]
 * and the requantization block (qs8-common.ts) to int8 y [O, oh, ow]. paramsPtr: i32 [O, oh, ow,
 * tilesX, tiles]; scratch: 16 bytes. Stores only pixels inside [oh, ow] of tiles < tiles.
 */
export function conv2d_winograd_output_qs8_2x2_minmax_simd(
  mPtr: usize, posStride: i32, ldm: i32, biasPtr: usize, scalePtr: usize, yPtr: usize, paramsPtr: usize, t0: i32, T: i32, rqPtr: usize, scratch: usize,
): void {
  const O = load<i32>(paramsPtr), oh = load<i32>(paramsPtr, 4), ow = load<i32>(paramsPtr, 8);
  const tilesX = load<i32>(paramsPtr, 12), tiles = load<i32>(paramsPtr, 16);
  const ps = <usize>posStride;
  for (let o = 0; o < O; o++) {
    const b = i32x4.splat(load<i32>(biasPtr + (<usize>o << 2)));
    const s = f32x4.splat(load<f32>(scalePtr + (<usize>o << 2)));
    const yo = yPtr + <usize>o * <usize>(oh * ow);
    for (let j = 0; j < T; j += 4) {
      const t = t0 + j;
      if (t >= tiles) break;
      const m = mPtr + (<usize>(o * ldm + j) << 2);
      // Aᵀ along the columns of each row r of positions (4r … 4r + 3), then along the rows
      const q0 = m, q1 = m + 4 * ps, q2 = m + 8 * ps, q3 = m + 12 * ps;
      const s00 = colSum(q0, ps), s01 = colDiff(q0, ps), s10 = colSum(q1, ps), s11 = colDiff(q1, ps);
      const s20 = colSum(q2, ps), s21 = colDiff(q2, ps), s30 = colSum(q3, ps), s31 = colDiff(q3, ps);
      const y00 = i32x4.add(i32x4.shr_s(i32x4.add(i32x4.add(s00, s10), s20), 2), b);
      const y01 = i32x4.add(i32x4.shr_s(i32x4.add(i32x4.add(s01, s11), s21), 2), b);
      const y10 = i32x4.add(i32x4.shr_s(i32x4.sub(i32x4.sub(s10, s20), s30), 2), b);
      const y11 = i32x4.add(i32x4.shr_s(i32x4.sub(i32x4.sub(s11, s21), s31), 2), b);
      // bytes [y00 | y01 | y10 | y11] of the four tiles → rows 2ty (bytes 0…7) and 2ty + 1 (8…15),
      // tile i's columns at bytes 2i, 2i + 1
      const q = requant16(y00, y01, y10, y11, s, rqPtr);
      const rr = i8x16.shuffle(q, q, 0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
      const ty = t / tilesX, tx = t - ty * tilesX;
      if (tx + 4 <= tilesX && t + 4 <= tiles) {
        const row = yo + <usize>(2 * ty * ow + 2 * tx);
        const n = min(8, ow - 2 * tx);
        store8(row, 1, rr, n);
        if (2 * ty + 1 < oh) store8(row + <usize>ow, 1, i64x2.shuffle(rr, rr, 1, 0), n);
      } else {
        v128.store(scratch, rr);
        for (let i = 0; i < 4 && t + i < tiles; i++) {
          const u = t + i, uy = u / tilesX, ux = u - uy * tilesX;
          for (let a = 0; a < 2; a++) for (let c = 0; c < 2; c++) {
            if (2 * uy + a < oh && 2 * ux + c < ow) store<i8>(yo + <usize>((2 * uy + a) * ow + 2 * ux + c), load<i8>(scratch + <usize>(a * 8 + 2 * i + c)));
          }
        }
      }
    }
  }
}

/** m[0] + m[1] + m[2] of the positions at q, q + ps, q + 2ps (Aᵀ's first row). */
@inline function colSum(q: usize, ps: usize): v128 {
  return i32x4.add(i32x4.add(v128.load(q), v128.load(q + ps)), v128.load(q + 2 * ps));
}

/** m[1] − m[2] − m[3] (Aᵀ's second row). */
@inline function colDiff(q: usize, ps: usize): v128 {
  return i32x4.sub(i32x4.sub(v128.load(q + ps), v128.load(q + 2 * ps)), v128.load(q + 3 * ps));
}
