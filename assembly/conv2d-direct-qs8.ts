// Direct int8 convolution for short reductions (a first layer on one or a few input channels, as
// LeNet's 5×5 on one grayscale plane): stride 1 along the width, dilation 1, one group. There the
// GEMM path spends as much on packing B and on row tiles half empty as on multiplying.
// pad_qs8_taps_simd first rewrites each padded input plane as planes of tap groups, 4 bytes a
// pixel, so that one load gives 4 consecutive pixels' operands of a dot:
// - plain SIMD (i32x4.dot_i16x8_s): V[r][i] = (x[r][i], x[r+1][i]) (two kernel rows at once) and
//   H[r][i] = (x[r][i], x[r][i+1]) (two taps along a row, for the last row of an odd kh), as i16;
// - relaxed dot (modes 1, 2): V4[r][i] = x[r … r+3][i] (four kernel rows) and H4[r][i] =
//   x[r][i … i+3] (the rows left over), as bytes (x ^ 0x80 in mode 2).
// A 5×5 window is then 13 pairs (10 V + 3 H) or 7 quads (5 V4 + 2 H4) where taps paired along a
// row take 15 or 10. conv2d_qs8_s1_minmax_simd runs 3 output channels × 8 pixels a step (4 on a
// row's tail), each group's 2 loads shared by the 3 channels. Weights of taps past the window are
// zero (src/ops/conv2d-direct-qs8.ts packs them and the groups' offsets); the zero point is
// folded into the bias (padding reads zx), as for the GEMM.
import { requantF, store8, rdotMode, padPlane } from "./qs8-common";
import { quantize16, quantize1, quantFloor, quantMagic, quantBits } from "./qs8-quant";

@inline function acc(QUADS: bool, w: v128, x: v128, a: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && QUADS) return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, a);
  return i32x4.add(a, i32x4.dot_i16x8_s(x, w));
}

/**
 * 8 pixels (two vectors, EIGHT) or 4 from q + 4·o, 3 channels, stored n at y0 / y1 / y2 + o; or
 * (PAIR) 4 pixels from q + 4·o and 4 from the next output row's (dq bytes on), stored 4 each at
 * y0 / y1 / y2 + o and dy bytes on.
 */
@inline function step(
  QUADS: bool, EIGHT: bool, PAIR: bool, q: usize, dq: usize, offPtr: usize, G: i32, wb: usize, b0: v128, b1: v128, b2: v128,
  s0: v128, s1: v128, s2: v128, rq: usize, y0: usize, y1: usize, y2: usize, dy: usize, o: i32, n: i32, n1: bool, n2: bool,
): void {
  let e0 = b0, d0 = b0, e1 = b1, d1 = b1, e2 = b2, d2 = b2;
  let w = wb;
  const qo = q + (<usize>o << 2);
  for (let g = 0; g < G; g++) {
    const x = qo + <usize>load<i32>(offPtr + (<usize>g << 2));
    const w0 = v128.load32_splat(w), w1 = v128.load32_splat(w, 4), w2 = v128.load32_splat(w, 8);
    const v = v128.load(x);
    e0 = acc(QUADS, w0, v, e0); e1 = acc(QUADS, w1, v, e1); e2 = acc(QUADS, w2, v, e2);
    if (EIGHT || PAIR) {
      const u = PAIR ? v128.load(x + dq) : v128.load(x, 16);
      d0 = acc(QUADS, w0, u, d0); d1 = acc(QUADS, w1, u, d1); d2 = acc(QUADS, w2, u, d2);
    }
    w += 12;
  }
  const p = <usize>o;
  if (PAIR) {
    const r0 = requantF(e0, d0, s0, rq);
    v128.store32_lane(y0 + p, r0, 0); v128.store32_lane(y0 + p + dy, r0, 1);
    if (n1) { const r1 = requantF(e1, d1, s1, rq); v128.store32_lane(y1 + p, r1, 0); v128.store32_lane(y1 + p + dy, r1, 1); }
    if (n2) { const r2 = requantF(e2, d2, s2, rq); v128.store32_lane(y2 + p, r2, 0); v128.store32_lane(y2 + p + dy, r2, 1); }
    return;
  }
  store8(y0 + p, 1, requantF(e0, d0, s0, rq), n);
  if (n1) store8(y1 + p, 1, requantF(e1, d1, s1, rq), n);
  if (n2) store8(y2 + p, 1, requantF(e2, d2, s2, rq), n);
}

/**
 * The 8- (and 4-) pixel steps along output row q (ow pixels), channels stored at ya / yb / yc; with
 * dq > 0, of rows q and q + dq (stored dy bytes on too), whose 4-pixel tails share one step.
 */
@inline function rowSteps(
  QUADS: bool, q: usize, dq: usize, G: i32, ow: i32, offPtr: usize, wb: usize, b0: v128, b1: v128, b2: v128,
  s0: v128, s1: v128, s2: v128, rq: usize, ya: usize, yb: usize, yc: usize, dy: usize, n1: bool, n2: bool,
): void {
  // 8-pixel steps, the last overlapping the one before (in a row narrower than 8, storing ow),
  // except that a tail of 1 … 4 pixels after whole steps takes a 4-pixel step
  const tail = ow & 7, lim = ow >= 8 && tail > 0 && tail <= 4 ? ow - tail : ow;
  for (let r = 0; r < (dq > 0 ? 2 : 1); r++) {
    const qr = q + <usize>r * dq, yr = <usize>r * dy;
    for (let ox = 0; ox < lim; ox += 8) {
      const o = ow >= 8 ? min(ox, ow - 8) : 0;
      step(QUADS, true, false, qr, 0, offPtr, G, wb, b0, b1, b2, s0, s1, s2, rq, ya + yr, yb + yr, yc + yr, 0, o, min(8, ow - o), n1, n2);
    }
  }
  if (lim < ow) {
    if (dq > 0) step(QUADS, false, true, q, dq, offPtr, G, wb, b0, b1, b2, s0, s1, s2, rq, ya, yb, yc, dy, ow - 4, 4, n1, n2);
    else step(QUADS, false, false, q, 0, offPtr, G, wb, b0, b1, b2, s0, s1, s2, rq, ya, yb, yc, 0, ow - 4, 4, n1, n2);
  }
}

/**
 * The output rows (oh of ow pixels) of 3 channels into their planes at y0 (ps bytes apart), or with
 * pool: output rows 2·py and 2·py + 1 (2·pw pixels; ph = ⌊oh/2⌋, pw = ⌊ow/2⌋) into the rows at t (3
 * channels × 2 rows of Wt bytes), then their maxima over 2×2 (stride 2) into row py of the pooled
 * planes at y0. The max of int8 values after the requantization is the pool of the int8 output:
 * the same bytes as the convolution then QMaxPool2d.
 */
@inline function rows(
  QUADS: bool, buf: usize, Wb: i32, G: i32, sh: i32, oh: i32, ow: i32, offPtr: usize, wb: usize,
  b0: v128, b1: v128, b2: v128, s0: v128, s1: v128, s2: v128, rq: usize, y0: usize, ps: usize, n1: bool, n2: bool,
  pool: bool, t: usize, Wt: i32,
): void {
  const pw = ow >> 1, wt = <usize>Wt;
  const R = pool ? (oh >> 1) << 1 : oh, cols = pool ? pw << 1 : ow, cs = pool ? wt : ps;
  // rows in pairs (a pool window's two, or any two), their 4-pixel tails in one step
  const dq = <usize>(sh * Wb) << 2;
  for (let oy = 0; oy < R; oy += 2) {
    const q = buf + (<usize>(oy * sh * Wb) << 2);
    const ya = pool ? t : y0 + <usize>(oy * ow);
    const two = oy + 1 < R;
    rowSteps(QUADS, q, two ? dq : 0, G, cols, offPtr, wb, b0, b1, b2, s0, s1, s2, rq, ya, ya + cs, ya + 2 * cs, pool ? 3 * wt : <usize>ow, n1, n2);
    if (pool) poolPairs(t, wt, y0 + <usize>((oy >> 1) * pw), ps, pw, n2 ? 3 : n1 ? 2 : 1);
  }
}

/** The 2×2 maxima of rows t + r·wt and t + (3 + r)·wt (2·pw bytes) into pw bytes at y + r·ps, r < nc. */
function poolPairs(t: usize, wt: usize, y: usize, ps: usize, pw: i32, nc: i32): void {
  for (let r = 0; r < nc; r++) {
    const top = t + <usize>r * wt, yr = y + <usize>r * ps;
    for (let i = 0; i < pw; i += 8) {
      const v = i8x16.max_s(v128.load(top + (<usize>i << 1)), v128.load(top + 3 * wt + (<usize>i << 1)));
      const e = i8x16.shuffle(v, v, 0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14);
      const o = i8x16.shuffle(v, v, 1, 3, 5, 7, 9, 11, 13, 15, 1, 3, 5, 7, 9, 11, 13, 15);
      store8(yr + <usize>i, 1, i8x16.max_s(e, o), min(8, pw - i));
    }
  }
}

/**
 * y[o, oy, ox] = requant(bias[o] + Σ_g w[o, g]·(the group g of pixel (oy, ox))) for one image from
 * the tap-group planes at buf (pad_qs8_taps_simd; Wb pixels, 4 bytes each, a row): the G groups'
 * byte offsets from a pixel's own 4 bytes in row oy·sh at offPtr (i32 [G]), their packed weights at
 * wPtr (per block of 3 output channels, per group, the 3 channels' i16 pair or i8 quad; zero past
 * O); bias i32 [O] and scale f32 [O] read up to a multiple of 3; y int8 [O, oh, ow]. paramsPtr: i32
 * [Wb, G, sh, oh, ow, O, pool, tOff]; rqPtr: the requantization block (mode ≥ 1 takes the quads).
 * pool 1: y is the 2×2 stride-2 max pool (floor) of that output, int8 [O, ⌊oh/2⌋, ⌊ow/2⌋], the
 * output's row pairs going through 6 rows of Wt = ⌈(ow + 16) / 16⌉·16 bytes at buf + tOff.
 */
export function conv2d_qs8_s1_minmax_simd(buf: usize, wPtr: usize, offPtr: usize, biasPtr: usize, scalePtr: usize, yPtr: usize, paramsPtr: usize, rqPtr: usize): void {
  const Wb = load<i32>(paramsPtr), G = load<i32>(paramsPtr, 4), sh = load<i32>(paramsPtr, 8);
  const oh = load<i32>(paramsPtr, 12), ow = load<i32>(paramsPtr, 16), O = load<i32>(paramsPtr, 20);
  const quads = ASC_FEATURE_RELAXED_SIMD && rdotMode(rqPtr) >= 1;
  const pool = load<i32>(paramsPtr, 24) != 0, t = buf + <usize>load<i32>(paramsPtr, 28);
  const Wt = ((ow + 31) >> 4) << 4;
  const ps = pool ? <usize>((oh >> 1) * (ow >> 1)) : <usize>(oh * ow);
  for (let o0 = 0; o0 < O; o0 += 3) {
    const wb = wPtr + <usize>(o0 / 3) * <usize>(G * 12);
    const bp = biasPtr + (<usize>o0 << 2), sp = scalePtr + (<usize>o0 << 2);
    const b0 = i32x4.splat(load<i32>(bp)), b1 = i32x4.splat(load<i32>(bp, 4)), b2 = i32x4.splat(load<i32>(bp, 8));
    const s0 = f32x4.splat(load<f32>(sp)), s1 = f32x4.splat(load<f32>(sp, 4)), s2 = f32x4.splat(load<f32>(sp, 8));
    const n1 = o0 + 1 < O, n2 = o0 + 2 < O;
    const y0 = yPtr + <usize>o0 * ps;
    if (quads) rows(true, buf, Wb, G, sh, oh, ow, offPtr, wb, b0, b1, b2, s0, s1, s2, rqPtr, y0, ps, n1, n2, pool, t, Wt);
    else rows(false, buf, Wb, G, sh, oh, ow, offPtr, wb, b0, b1, b2, s0, s1, s2, rqPtr, y0, ps, n1, n2, pool, t, Wt);
  }
}

/**
 * The tap-group planes of x int8 [C, H, W] for conv2d_qs8_s1_minmax_simd: each plane padded (zx, pt
 * rows on top, pl columns on the left) into a rows of Wa bytes at a (Hp·Wa + 16 bytes of scratch),
 * then per channel c at buf + c·2·Hp·Wb·4: the V (V4) plane, then the H (H4) plane, Hp rows of Wb
 * pixels × 4 bytes (V on rows 0 … Hp − 2, V4 on 0 … Hp − 4). paramsPtr: i32 [C, H, W, pt, pl, Hp,
 * Wa, Wb, f32, scale, zp]; Wb a multiple of 16, Wa ≥ max(pl + W, Wb) + 16. f32 1: x is float32
 * [C, H, W], quantized on the way in as quantize_qs8_simd does (scale: f32 bits, zp), the same bytes.
 */
export function pad_qs8_taps_simd(x: usize, a: usize, buf: usize, paramsPtr: usize, rqPtr: usize): void {
  const C = load<i32>(paramsPtr), H = load<i32>(paramsPtr, 4), W = load<i32>(paramsPtr, 8);
  const pt = load<i32>(paramsPtr, 12), pl = load<i32>(paramsPtr, 16), Hp = load<i32>(paramsPtr, 20);
  const Wa = load<i32>(paramsPtr, 24), Wb = load<i32>(paramsPtr, 28);
  const quads = ASC_FEATURE_RELAXED_SIMD && rdotMode(rqPtr) >= 1;
  const flip = i8x16.splat(ASC_FEATURE_RELAXED_SIMD && rdotMode(rqPtr) == 2 ? -128 : 0);
  const z = i8x16.splat(<i8>load<i32>(rqPtr));
  const plane = <usize>(Hp * Wb) << 2;
  const f32 = load<i32>(paramsPtr, 32) != 0, scale = load<f32>(paramsPtr, 36), zp = load<i32>(paramsPtr, 40);
  for (let c = 0; c < C; c++) {
    if (f32) quantizePlane(a, x + (<usize>(c * H * W) << 2), H, W, pt, pl, Hp, Wa, z, scale, zp);
    else padPlane(a, x + <usize>(c * H * W), H, W, pt, pl, Hp, Wa, z);
    const v = buf + <usize>c * (plane << 1), h = v + plane;
    for (let r = 0; r < Hp; r++) {
      const s = a + <usize>(r * Wa), d = <usize>(r * Wb) << 2;
      if (quads) {
        if (r + 3 < Hp) {
          for (let i = 0; i < Wb; i += 16) {
            const s4 = s + <usize>i, r0 = v128.load(s4), r1 = v128.load(s4 + <usize>Wa), r2 = v128.load(s4 + <usize>(2 * Wa)), r3 = v128.load(s4 + <usize>(3 * Wa));
            const ab0 = i8x16.shuffle(r0, r1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
            const ab1 = i8x16.shuffle(r0, r1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
            const cd0 = i8x16.shuffle(r2, r3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
            const cd1 = i8x16.shuffle(r2, r3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
            const t = v + d + (<usize>i << 2);
            v128.store(t, v128.xor(i8x16.shuffle(ab0, cd0, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23), flip));
            v128.store(t, v128.xor(i8x16.shuffle(ab0, cd0, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), flip), 16);
            v128.store(t, v128.xor(i8x16.shuffle(ab1, cd1, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23), flip), 32);
            v128.store(t, v128.xor(i8x16.shuffle(ab1, cd1, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), flip), 48);
          }
        }
        for (let i = 0; i < Wb; i += 4) {
          const r0 = v128.load(s + <usize>i);
          v128.store(h + d + (<usize>i << 2), v128.xor(i8x16.shuffle(r0, r0, 0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6), flip));
        }
      } else {
        for (let i = 0; i < Wb; i += 8) {
          const s8 = s + <usize>i, r0 = v128.load8x8_s(s8), t = d + (<usize>i << 2);
          if (r + 1 < Hp) {
            const r1 = v128.load8x8_s(s8 + <usize>Wa);
            v128.store(v + t, i8x16.shuffle(r0, r1, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23));
            v128.store(v + t, i8x16.shuffle(r0, r1, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), 16);
          }
          const r1 = v128.load8x8_s(s8 + 1);
          v128.store(h + t, i8x16.shuffle(r0, r1, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23));
          v128.store(h + t, i8x16.shuffle(r0, r1, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), 16);
        }
      }
    }
  }
}

/**
 * padPlane (qs8-common.ts) from a float32 plane x [H, W], quantized as quantize_qs8_simd quantizes
 * (vectors of 16, then the scalar path: the same bytes). Reads nothing past a row.
 */
function quantizePlane(d: usize, x: usize, H: i32, W: i32, pt: i32, pl: i32, rows: i32, stride: i32, z: v128, scale: f32, zp: i32): void {
  const s = f32x4.splat(scale), floor = quantFloor(), magic = quantMagic(), bits = quantBits(zp);
  for (let j = 0; j < rows; j++) {
    const iy = j - pt;
    const row = d + <usize>(j * stride);
    let i = 0;
    if (iy >= 0 && iy < H) {
      for (; i < pl; i += 16) v128.store(row + <usize>i, z);
      const src = x + (<usize>(iy * W) << 2), dst = row + <usize>pl;
      let k = 0;
      for (; k + 16 <= W; k += 16) v128.store(dst + <usize>k, quantize16(src + (<usize>k << 2), s, floor, magic, bits));
      for (; k < W; k++) store<i8>(dst + <usize>k, quantize1(load<f32>(src + (<usize>k << 2)), scale, zp));
      i = pl + W;
    }
    for (; i < stride; i += 16) v128.store(row + <usize>i, z);
  }
}
