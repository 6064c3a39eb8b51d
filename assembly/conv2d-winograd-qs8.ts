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
// (padTop, padLeft), zx around it, row stride Wp ≥ 2·tilesX + 18).
import { padPlane, requantF, store8 } from "./qs8-common";

/**
 * Pads int8 planes: y [planes][Hp][Wp] holds x [planes][H][W] at row pt, column pl and zx everywhere
 * else (Wp ≥ pl + W + 16; writes up to 15 bytes past the last plane).
 */
export function pad_qs8_simd(xPtr: usize, yPtr: usize, planes: i32, H: i32, W: i32, pt: i32, pl: i32, Hp: i32, Wp: i32, zx: i32): void {
  const z = i8x16.splat(<i8>zx);
  for (let q = 0; q < planes; q++) padPlane(yPtr + <usize>q * <usize>(Hp * Wp), xPtr + <usize>q * <usize>(H * W), H, W, pt, pl, Hp, Wp, z);
}

/**
 * The 16 values of Bᵀ d B (row-major, i16x8 each) at V from the window vectors at d (d[r·4 + j]:
 * row r, column j), 16 bytes each.
 */
@inline function inputTransform(d: usize, V: usize): void {
  for (let r: usize = 0; r < 4; r++) {
    const p = d + (r << 6);
    const a = v128.load(p), b = v128.load(p, 16), c = v128.load(p, 32), e = v128.load(p, 48);
    v128.store(p, i16x8.sub(a, c));
    v128.store(p, i16x8.add(b, c), 16);
    v128.store(p, i16x8.sub(c, b), 32);
    v128.store(p, i16x8.sub(b, e), 48);
  }
  for (let j: usize = 0; j < 4; j++) {
    const p = d + (j << 4), q = V + (j << 4);
    const a = v128.load(p), b = v128.load(p, 64), c = v128.load(p, 128), e = v128.load(p, 192);
    v128.store(q, i16x8.sub(a, c));
    v128.store(q, i16x8.add(b, c), 64);
    v128.store(q, i16x8.sub(c, b), 128);
    v128.store(q, i16x8.sub(b, e), 192);
  }
}

/**
 * The windows of tiles t … t + 7 of one padded plane as 16 i16x8 vectors at d (d[r·4 + j], lane i:
 * tile t + i, row r, column j). Tiles past the last one repeat it. bytes: 128 bytes of scratch.
 */
@inline function gather(plane: usize, Wp: i32, tilesX: i32, tiles: i32, t: i32, d: usize, bytes: usize): void {
  const tx = t % tilesX;
  if (tx + 8 <= tilesX && t + 8 <= tiles) {
    // one tile row: columns 2tx + 2i + j are bytes 2i + j of the row from 2tx
    let row = plane + <usize>((t / tilesX) * 2 * Wp + tx * 2);
    for (let r: usize = 0; r < 4; r++) {
      const v = v128.load(row), w = v128.load(row, 2);
      const e = i8x16.shuffle(v, v, 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
      const f = i8x16.shuffle(w, w, 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
      const p = d + (r << 6);
      v128.store(p, i16x8.extend_low_i8x16_s(e));
      v128.store(p, i16x8.extend_high_i8x16_s(e), 16);
      v128.store(p, i16x8.extend_low_i8x16_s(f), 32);
      v128.store(p, i16x8.extend_high_i8x16_s(f), 48);
      row += <usize>Wp;
    }
    return;
  }
  // tiles across tile rows: byte by byte into bytes [r][j][i]
  for (let i = 0; i < 8; i++) {
    const ti = min(t + i, tiles - 1);
    const p = plane + <usize>((ti / tilesX) * 2 * Wp + (ti % tilesX) * 2);
    for (let r = 0; r < 4; r++) for (let j = 0; j < 4; j++) store<i8>(bytes + <usize>((r * 4 + j) * 8 + i), load<i8>(p + <usize>(r * Wp + j)));
  }
  for (let k: usize = 0; k < 16; k++) v128.store(d + (k << 4), v128.load8x8_s(bytes + (k << 3)));
}

/**
 * V for tiles t0 … t0 + T − 1 (T a multiple of 8) from the padded input xPad [C][Hp][Wp]: position p
 * at vPtr + p·posStride holds T/8 panels of ⌈C/2⌉ channel pairs, each pair 8 tiles × (V[c], V[c + 1])
 * as i16 (a missing channel c + 1 is 0): gemm_i16_4x8_simd's B. paramsPtr: i32 [C, Hp, Wp, tilesX,
 * tiles]; scratch: 896 bytes.
 */
export function conv2d_winograd_input_qs8_2x2_simd(xPad: usize, vPtr: usize, posStride: i32, paramsPtr: usize, t0: i32, T: i32, scratch: usize): void {
  const C = load<i32>(paramsPtr), Hp = load<i32>(paramsPtr, 4), Wp = load<i32>(paramsPtr, 8);
  const tilesX = load<i32>(paramsPtr, 12), tiles = load<i32>(paramsPtr, 16);
  const C2 = (C + 1) >> 1;
  const plane = <usize>(Hp * Wp);
  const bytes = scratch, d = scratch + 128, V0 = scratch + 384, V1 = scratch + 640;
  for (let q = 0; q < T; q += 8) {
    let dst = vPtr + <usize>(q >> 3) * <usize>(C2 * 32);
    for (let c = 0; c < C; c += 2) {
      gather(xPad + <usize>c * plane, Wp, tilesX, tiles, t0 + q, d, bytes);
      inputTransform(d, V0);
      if (c + 1 < C) {
        gather(xPad + <usize>(c + 1) * plane, Wp, tilesX, tiles, t0 + q, d, bytes);
        inputTransform(d, V1);
      } else {
        for (let k: usize = 0; k < 16; k++) v128.store(V1 + (k << 4), i16x8.splat(0));
      }
      let o = dst;
      for (let k: usize = 0; k < 16; k++) {
        const a = v128.load(V0 + (k << 4)), b = v128.load(V1 + (k << 4));
        v128.store(o, i16x8.shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11));
        v128.store(o, i16x8.shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15), 16);
        o += <usize>posStride;
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
    for (let j0 = 0; j0 < N; j0 += 8) {
      const bp = Bp + <usize>(j0 >> 3) * bPanel;
      for (let i0 = 0; i0 < M; i0 += 4) {
        const z = i32x4.splat(0);
        let c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        let a = A + <usize>(i0 >> 2) * aTile, b = bp;
        for (let g = 0; g < G; g++) {
          const b0 = v128.load(b), b1 = v128.load(b, 16);
          let w = v128.load32_splat(a);
          c00 = i32x4.add(c00, i32x4.dot_i16x8_s(w, b0));
          c01 = i32x4.add(c01, i32x4.dot_i16x8_s(w, b1));
          w = v128.load32_splat(a, 4);
          c10 = i32x4.add(c10, i32x4.dot_i16x8_s(w, b0));
          c11 = i32x4.add(c11, i32x4.dot_i16x8_s(w, b1));
          w = v128.load32_splat(a, 8);
          c20 = i32x4.add(c20, i32x4.dot_i16x8_s(w, b0));
          c21 = i32x4.add(c21, i32x4.dot_i16x8_s(w, b1));
          w = v128.load32_splat(a, 12);
          c30 = i32x4.add(c30, i32x4.dot_i16x8_s(w, b0));
          c31 = i32x4.add(c31, i32x4.dot_i16x8_s(w, b1));
          a += 16;
          b += 32;
        }
        const mr = min(4, M - i0);
        let c = Cp + <usize>i0 * rowBytes + (<usize>j0 << 2);
        v128.store(c, c00); v128.store(c, c01, 16);
        if (mr > 1) { c += rowBytes; v128.store(c, c10); v128.store(c, c11, 16); }
        if (mr > 2) { c += rowBytes; v128.store(c, c20); v128.store(c, c21, 16); }
        if (mr > 3) { c += rowBytes; v128.store(c, c30); v128.store(c, c31, 16); }
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
      // rows 2ty and 2ty + 1 of the four tiles: (tile i, column 2i + b) = byte 2i + b
      const r0 = requantF(i32x4.shuffle(y00, y01, 0, 4, 1, 5), i32x4.shuffle(y00, y01, 2, 6, 3, 7), s, rqPtr);
      const r1 = requantF(i32x4.shuffle(y10, y11, 0, 4, 1, 5), i32x4.shuffle(y10, y11, 2, 6, 3, 7), s, rqPtr);
      const ty = t / tilesX, tx = t - ty * tilesX;
      if (tx + 4 <= tilesX && t + 4 <= tiles) {
        const row = yo + <usize>(2 * ty * ow + 2 * tx);
        const n = min(8, ow - 2 * tx);
        store8(row, 1, r0, n);
        if (2 * ty + 1 < oh) store8(row + <usize>ow, 1, r1, n);
      } else {
        v128.store64_lane(scratch, r0, 0);
        v128.store64_lane(scratch + 8, r1, 0);
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
