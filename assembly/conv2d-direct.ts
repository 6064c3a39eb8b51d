// Direct convolutions, forward: unpadded rows at stride 1 along the width computed without im2col,
// the GEMM's register tile (assembly/gemm.ts) reading x in place, with output pixels or output
// channels in the vector lanes. Filter gradients of the same layers: assembly/conv2d-direct-backward.ts;
// parameter block and shared helpers: assembly/gemm-common.ts.
import { param, loadN, storeN, madd } from "./gemm-common";

/**
 * y[n, o, oy, ox] = clamp(bias[o] + Σ_{c, ki, kj} w[o, c, ki, kj]·x[n, c, oy·sh + ki·dh, ox + kj·dw],
 * minv, maxv): a convolution without padding and with stride 1 along the width, computed without
 * im2col. xPtr: N images xStride floats apart, each starting with [C, H, W]; wPtr: the weights
 * [O, C·kh·kw] packed by gemm_pack_f32_t_p8_simd into 8-channel panels ([⌈O/8⌉][K][8]); biasPtr:
 * f32[O] or 0; yPtr: N images yStride floats apart, each starting with [O, oh, ow]; paramPtr: i32
 * [C, H, W, O, kh, kw, sh, dh, dw, oh, ow, N, xStride, yStride]. Every window must lie inside the
 * input. The GEMM's 4 × 8 register tile (4 output channels × 8 output columns of one row), its
 * B operand two unaligned loads from the input row of each tap; channel tails in 3-, 2- and
 * 1-channel tiles, a row's last 5–7 columns in an 8-column tile storing only those, its last 1–4
 * with the next row's in one tile (or alone on the last row). Reads at most 3
 * floats past the last input row (the lanes of a partial tile past its last column).
 * @split conv2d_direct x=xPtr w=wPtr bias=biasPtr y=yPtr params=paramPtr
 */
export function conv2d_f32_s1_4x8_minmax_simd(
  xPtr: usize, wPtr: usize, biasPtr: usize, yPtr: usize, paramPtr: usize, minv: f32, maxv: f32,
): void {
  const C = param(paramPtr, 0), H = param(paramPtr, 1), W = param(paramPtr, 2), O = param(paramPtr, 3);
  const kh = param(paramPtr, 4), kw = param(paramPtr, 5), sh = param(paramPtr, 6);
  const dh = param(paramPtr, 7), dw = param(paramPtr, 8), oh = param(paramPtr, 9), ow = param(paramPtr, 10);
  const N = param(paramPtr, 11), xStride = param(paramPtr, 12), yStride = param(paramPtr, 13);
  const K = C * kh * kw;
  const lo = f32x4.splat(minv), hi = f32x4.splat(maxv);
  for (let n = 0; n < N; n++) {
    const xn = xPtr + (<usize>n * <usize>xStride << 2);
    const yn = yPtr + (<usize>n * <usize>yStride << 2);
    let o = 0;
    while (o < O) {
      const rem = O - o;
      // packed weights of channel o: panel o / 8, lane o mod 8
      const wo = wPtr + <usize>(o >> 3) * (<usize>K << 5) + (<usize>(o & 7) << 2);
      const bo = biasPtr != 0 ? biasPtr + (<usize>o << 2) : 0;
      const yo = yn + (<usize>(o * oh * ow) << 2);
      // 4-channel tiles, but 3 + 3 for a last 6 and 3 + 2 for a last 5 of a panel (a 2-channel
      // tile's 4 accumulator chains are too few to fill the adders: see convTile); a tile never
      // crosses a weight panel (lanes o mod 8)
      const at = o & 7;
      if ((at == 0 && (rem == 3 || rem == 5 || rem == 6)) || (at == 3 && rem >= 3)) {
        convRows(3, xn, wo, bo, yo, C, H, W, kh, kw, sh, dh, dw, oh, ow, lo, hi);
        o += 3;
      } else if (rem >= 4) {
        convRows(4, xn, wo, bo, yo, C, H, W, kh, kw, sh, dh, dw, oh, ow, lo, hi);
        o += 4;
      } else if (rem >= 2) {
        convRows(2, xn, wo, bo, yo, C, H, W, kh, kw, sh, dh, dw, oh, ow, lo, hi);
        o += 2;
      } else {
        convRows(1, xn, wo, bo, yo, C, H, W, kh, kw, sh, dh, dw, oh, ow, lo, hi);
        o += 1;
      }
    }
  }
}

/**
 * Every output row of MR channels (weights at wo, bias at bo or 0, output planes from yo). A
 * row's last 1–4 columns are paired with the next row's in one 8-lane tile (two half tiles of 4
 * accumulator chains each would leave the adders idle half the time).
 */
@inline function convRows(
  MR: i32, xn: usize, wo: usize, bo: usize, yo: usize, C: i32, H: i32, W: i32, kh: i32, kw: i32,
  sh: i32, dh: i32, dw: i32, oh: i32, ow: i32, lo: v128, hi: v128,
): void {
  const plane = <usize>(oh * ow) << 2;
  const full = ow & ~7, tail = ow - full;
  const xNext = <usize>(sh * W) << 2, yNext = <usize>ow << 2; // the next output row's input, output
  for (let oy = 0; oy < oh; oy++) {
    const xr = xn + (<usize>(oy * sh * W) << 2);
    const yr = yo + (<usize>(oy * ow) << 2);
    for (let ox = 0; ox < full; ox += 8) {
      convTile(MR, 4, 4, xr + (<usize>ox << 2), 16, wo, bo, yr + (<usize>ox << 2), 16, plane, C, H, W, kh, kw, dh, dw, lo, hi);
    }
    // one tile call for every kind of tail (module size): 5-7 columns, a pair of 1-4 column
    // tails, or a lone one (its second half reads the same columns again and stores nothing)
    const wide = tail > 4, pair = oy + 1 < oh;
    if (wide || (tail > 0 && (oy & 1) == 0)) {
      convTile(
        MR, wide ? 4 : tail, wide ? tail - 4 : pair ? tail : 0,
        xr + (<usize>full << 2), wide ? 16 : pair ? xNext : 0, wo, bo,
        yr + (<usize>full << 2), wide ? 16 : yNext, plane, C, H, W, kh, kw, dh, dw, lo, hi,
      );
    }
  }
}

/**
 * One MR × 8 tile of 2·MR accumulator chains (6 or 8 keep two adders busy at their 3-4 cycles
 * of latency; 4 would not): xs is x at (c = 0, the row's first tap row,
 * the tile's first column), yt the output at (o, oy, ox); its second 4 lanes read x from
 * xs + x1 and store at yt + y1 (16 and 16: the next 4 columns; or the next row's). n0 and n1
 * (≤ 4) columns of each half are stored.
 */
@inline function convTile(
  MR: i32, n0: i32, n1: i32, xs: usize, x1: usize, wo: usize, bo: usize, yt: usize, y1: usize,
  plane: usize, C: i32, H: i32, W: i32, kh: i32, kw: i32, dh: i32, dw: i32, lo: v128, hi: v128,
): void {
  let c00 = bo != 0 ? v128.load32_splat(bo) : f32x4.splat(0);
  let c10 = MR > 1 && bo != 0 ? v128.load32_splat(bo, 4) : f32x4.splat(0);
  let c20 = MR > 2 && bo != 0 ? v128.load32_splat(bo, 8) : f32x4.splat(0);
  let c30 = MR > 3 && bo != 0 ? v128.load32_splat(bo, 12) : f32x4.splat(0);
  let c01 = c00, c11 = c10, c21 = c20, c31 = c30;
  const xPlane = <usize>(H * W) << 2, xRow = <usize>(dh * W) << 2, dw4 = <usize>dw << 2;
  let a = wo;
  for (let c = 0; c < C; c++) {
    let r = xs + <usize>c * xPlane;
    for (let ki = 0; ki < kh; ki++) {
      let p = r;
      for (let kj = 0; kj < kw; kj++) {
        // whole vectors even in a partial tile: the lanes past column nr − 1 read ≤ 3 floats past
        // the tap's last column (inside x or its padding) and are never stored
        const b0 = v128.load(p);
        const b1 = v128.load(p + x1);
        const a0 = v128.load32_splat(a);
        c00 = madd(a0, b0, c00);
        c01 = madd(a0, b1, c01);
        if (MR > 1) {
          const a1 = v128.load32_splat(a, 4);
          c10 = madd(a1, b0, c10);
          c11 = madd(a1, b1, c11);
        }
        if (MR > 2) {
          const a2 = v128.load32_splat(a, 8);
          c20 = madd(a2, b0, c20);
          c21 = madd(a2, b1, c21);
        }
        if (MR > 3) {
          const a3 = v128.load32_splat(a, 12);
          c30 = madd(a3, b0, c30);
          c31 = madd(a3, b1, c31);
        }
        a += 32;
        p += dw4;
      }
      r += xRow;
    }
  }
  // pmax(r, lo) = r < lo ? lo : r, so a NaN survives the clamp (as PyTorch's relu/clamp keep it)
  storeN(yt, f32x4.pmin(f32x4.pmax(c00, lo), hi), n0);
  storeN(yt + y1, f32x4.pmin(f32x4.pmax(c01, lo), hi), n1);
  if (MR > 1) {
    const q = yt + plane;
    storeN(q, f32x4.pmin(f32x4.pmax(c10, lo), hi), n0);
    storeN(q + y1, f32x4.pmin(f32x4.pmax(c11, lo), hi), n1);
  }
  if (MR > 2) {
    const q = yt + 2 * plane;
    storeN(q, f32x4.pmin(f32x4.pmax(c20, lo), hi), n0);
    storeN(q + y1, f32x4.pmin(f32x4.pmax(c21, lo), hi), n1);
  }
  if (MR > 3) {
    const s = yt + 3 * plane;
    storeN(s, f32x4.pmin(f32x4.pmax(c30, lo), hi), n0);
    storeN(s + y1, f32x4.pmin(f32x4.pmax(c31, lo), hi), n1);
  }
}

/**
 * The same convolution as conv2d_f32_s1_4x8_minmax_simd (same arguments, packed weights and
 * parameter block) with output channels in the vector lanes: the tile is 4 output pixels of one
 * row × 8 output channels (one weight panel), each tap's 4 inputs splat-loaded from x (adjacent
 * floats) and multiplied into the panel's two weight vectors, and the 4 × 8 result transposed
 * into 4-pixel runs of each channel's plane on the way out. Pixel tails of a row use 2- and
 * 1-pixel tiles, a last panel of fewer than 8 channels stores only those. For layers whose
 * channel count fills the panels better than their row width fills 8-column tiles (LeNet's C3:
 * 16 channels, rows of 10). Reads only inside x and the packed weights (and bias).
 * @split conv2d_direct x=xPtr w=wPtr bias=biasPtr y=yPtr params=paramPtr
 */
export function conv2d_f32_s1_ct_4x8_minmax_simd(
  xPtr: usize, wPtr: usize, biasPtr: usize, yPtr: usize, paramPtr: usize, minv: f32, maxv: f32,
): void {
  const C = param(paramPtr, 0), H = param(paramPtr, 1), W = param(paramPtr, 2), O = param(paramPtr, 3);
  const kh = param(paramPtr, 4), kw = param(paramPtr, 5), sh = param(paramPtr, 6);
  const dh = param(paramPtr, 7), dw = param(paramPtr, 8), oh = param(paramPtr, 9), ow = param(paramPtr, 10);
  const N = param(paramPtr, 11), xStride = param(paramPtr, 12), yStride = param(paramPtr, 13);
  const K = C * kh * kw;
  const lo = f32x4.splat(minv), hi = f32x4.splat(maxv);
  const plane = <usize>(oh * ow) << 2;
  for (let n = 0; n < N; n++) {
    const xn = xPtr + (<usize>n * <usize>xStride << 2);
    const yn = yPtr + (<usize>n * <usize>yStride << 2);
    for (let o = 0; o < O; o += 8) {
      const nc = min(8, O - o);
      const wp = wPtr + <usize>(o >> 3) * (<usize>K << 5);
      const bo = biasPtr != 0 ? biasPtr + (<usize>o << 2) : 0;
      const b0 = bo != 0 ? loadN(bo, nc) : f32x4.splat(0);
      const b1 = bo != 0 ? loadN(bo + 16, nc - 4) : f32x4.splat(0);
      const yo = yn + <usize>o * plane;
      for (let oy = 0; oy < oh; oy++) {
        const xr = xn + (<usize>(oy * sh * W) << 2);
        const yr = yo + (<usize>(oy * ow) << 2);
        let ox = 0;
        for (; ox + 4 <= ow; ox += 4) ctTile(4, xr + (<usize>ox << 2), wp, b0, b1, yr + (<usize>ox << 2), plane, nc, C, H, W, kh, kw, dh, dw, lo, hi);
        if (ow - ox >= 2) {
          ctTile(2, xr + (<usize>ox << 2), wp, b0, b1, yr + (<usize>ox << 2), plane, nc, C, H, W, kh, kw, dh, dw, lo, hi);
          ox += 2;
        }
        if (ox < ow) ctTile(1, xr + (<usize>ox << 2), wp, b0, b1, yr + (<usize>ox << 2), plane, nc, C, H, W, kh, kw, dh, dw, lo, hi);
      }
    }
  }
}

/**
 * MR output pixels (adjacent in one row: xs is x at (c = 0, the row's first tap row, the first
 * pixel's column)) × nc ≤ 8 channels (weight panel wp, biases b0 | b1), stored from yt (the first
 * pixel in the first channel's plane; channels plane bytes apart).
 */
@inline function ctTile(
  MR: i32, xs: usize, wp: usize, b0: v128, b1: v128, yt: usize, plane: usize, nc: i32,
  C: i32, H: i32, W: i32, kh: i32, kw: i32, dh: i32, dw: i32, lo: v128, hi: v128,
): void {
  let c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
  const xPlane = <usize>(H * W) << 2, xRow = <usize>(dh * W) << 2, dw4 = <usize>dw << 2;
  let a = wp;
  for (let c = 0; c < C; c++) {
    let r = xs + <usize>c * xPlane;
    for (let ki = 0; ki < kh; ki++) {
      let p = r;
      for (let kj = 0; kj < kw; kj++) {
        const w0 = v128.load(a), w1 = v128.load(a, 16);
        const x0 = v128.load32_splat(p);
        c00 = madd(x0, w0, c00);
        c01 = madd(x0, w1, c01);
        if (MR > 1) {
          const x1 = v128.load32_splat(p, 4);
          c10 = madd(x1, w0, c10);
          c11 = madd(x1, w1, c11);
        }
        if (MR > 2) {
          const x2 = v128.load32_splat(p, 8);
          c20 = madd(x2, w0, c20);
          c21 = madd(x2, w1, c21);
          const x3 = v128.load32_splat(p, 12);
          c30 = madd(x3, w0, c30);
          c31 = madd(x3, w1, c31);
        }
        a += 32;
        p += dw4;
      }
      r += xRow;
    }
  }
  // rows of the tile are pixels, lanes channels: transpose 4 × 4 blocks into channel runs
  let t0 = f32x4.shuffle(c00, c10, 0, 4, 1, 5), t1 = f32x4.shuffle(c20, c30, 0, 4, 1, 5);
  let t2 = f32x4.shuffle(c00, c10, 2, 6, 3, 7), t3 = f32x4.shuffle(c20, c30, 2, 6, 3, 7);
  ctStore(yt, f32x4.shuffle(t0, t1, 0, 1, 4, 5), MR, lo, hi);
  if (nc > 1) ctStore(yt + plane, f32x4.shuffle(t0, t1, 2, 3, 6, 7), MR, lo, hi);
  if (nc > 2) ctStore(yt + 2 * plane, f32x4.shuffle(t2, t3, 0, 1, 4, 5), MR, lo, hi);
  if (nc > 3) ctStore(yt + 3 * plane, f32x4.shuffle(t2, t3, 2, 3, 6, 7), MR, lo, hi);
  if (nc > 4) {
    const q = yt + 4 * plane;
    t0 = f32x4.shuffle(c01, c11, 0, 4, 1, 5);
    t1 = f32x4.shuffle(c21, c31, 0, 4, 1, 5);
    t2 = f32x4.shuffle(c01, c11, 2, 6, 3, 7);
    t3 = f32x4.shuffle(c21, c31, 2, 6, 3, 7);
    ctStore(q, f32x4.shuffle(t0, t1, 0, 1, 4, 5), MR, lo, hi);
    if (nc > 5) ctStore(q + plane, f32x4.shuffle(t0, t1, 2, 3, 6, 7), MR, lo, hi);
    if (nc > 6) ctStore(q + 2 * plane, f32x4.shuffle(t2, t3, 0, 1, 4, 5), MR, lo, hi);
    if (nc > 7) ctStore(q + 3 * plane, f32x4.shuffle(t2, t3, 2, 3, 6, 7), MR, lo, hi);
  }
}

/** The first n lanes of v, clamped (a NaN survives, as in PyTorch's relu/clamp), stored at q. */
@inline function ctStore(q: usize, v: v128, n: i32, lo: v128, hi: v128): void {
  storeN(q, f32x4.pmin(f32x4.pmax(v, lo), hi), n);
}
