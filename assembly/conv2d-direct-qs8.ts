// Direct int8 convolution for short reductions (a first layer on one or a few input channels, as
// LeNet's 5×5 on one grayscale plane): stride 1 along the width, dilation 1, one group. There the
// GEMM path spends as much on packing B and on row tiles half empty as on multiplying, so this
// kernel reads the padded input (pad_qs8_simd: zx around it) straight into the dot products, three
// output channels at a time sharing every load. The taps of a kernel row come from loads at byte
// offsets of the input row, as in the depthwise kernel (dwconv2d-qs8.ts):
// - plain SIMD: i16x8.load8x8_s at offset j gives the pairs (x[j], x[j+1]), (x[j+2], x[j+3]), …,
//   so i32x4.dot_i16x8_s with the weight pair (w[2m], w[2m+1]) at offset 2m (even pixels) and
//   2m + 1 (odd pixels) sums two taps for four pixels; 8 pixels a step.
// - relaxed dot (modes 1, 2): the 4-byte groups at offset j + 4m against the weight quad
//   (w[4m] … w[4m+3]) sum four taps of pixels j, j + 4, j + 8, j + 12; 16 pixels a step.
// Weights past kw are zero (the caller packs them: src/wasm/qs8-layout.ts, directWeights). The zero
// point is folded into the bias (padding reads zx), as for the GEMM.
import { requantF, store8, rdotMode } from "./qs8-common";

@inline function rdot(w: v128, x: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, acc);
  return acc; // never reached: the plain build takes the pairs
}

/** acc + dot(x, the i16 pair at w). */
@inline function pd(x: v128, w: usize, acc: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(x, v128.load32_splat(w)));
}

/**
 * Output channels o0 … o0 + 2 (OB = 3; the packed weights are zero past O) for the pixels of one
 * output row from the padded rows at q: `taps` pairs or quads, the t-th at byte offset off[t]
 * (c·plane + ki·Wp + 2m or 4m) from a pixel's window origin; 8 pixels a step on the pairs, 16 on
 * the quads; the last step overlaps the one before, a row narrower than a step stores ow.
 */
@inline function rowBlock(
  QUADS: bool, q: usize, offPtr: usize, taps: i32, wb: usize,
  b0: v128, b1: v128, b2: v128, s0: v128, s1: v128, s2: v128, rq: usize, flip: v128,
  y0: usize, y1: usize, y2: usize, ow: i32, n1: bool, n2: bool,
): void {
  const B = QUADS ? 16 : 8;
  for (let ox = 0; ox < ow; ox += B) {
    const o = ow >= B ? min(ox, ow - B) : 0;
    const n = min(B, ow - o);
    let w = wb;
    if (QUADS) {
      // accumulators a{o}{j}: lane i = pixel 4i + j
      let a00 = b0, a01 = b0, a02 = b0, a03 = b0, a10 = b1, a11 = b1, a12 = b1, a13 = b1, a20 = b2, a21 = b2, a22 = b2, a23 = b2;
      const qo = q + <usize>o;
      for (let t = 0; t < taps; t++) {
        const x = qo + <usize>load<i32>(offPtr + (<usize>t << 2));
        const w0 = v128.load32_splat(w), w1 = v128.load32_splat(w, 4), w2 = v128.load32_splat(w, 8);
        let v = v128.xor(v128.load(x), flip);
        a00 = rdot(w0, v, a00); a10 = rdot(w1, v, a10); a20 = rdot(w2, v, a20);
        v = v128.xor(v128.load(x, 1), flip);
        a01 = rdot(w0, v, a01); a11 = rdot(w1, v, a11); a21 = rdot(w2, v, a21);
        v = v128.xor(v128.load(x, 2), flip);
        a02 = rdot(w0, v, a02); a12 = rdot(w1, v, a12); a22 = rdot(w2, v, a22);
        v = v128.xor(v128.load(x, 3), flip);
        a03 = rdot(w0, v, a03); a13 = rdot(w1, v, a13); a23 = rdot(w2, v, a23);
        w += 12;
      }
      quadStore(y0 + <usize>o, a00, a01, a02, a03, s0, rq, n);
      if (n1) quadStore(y1 + <usize>o, a10, a11, a12, a13, s1, rq, n);
      if (n2) quadStore(y2 + <usize>o, a20, a21, a22, a23, s2, rq, n);
    } else {
      // even pixels (lo) and odd ones (hi) of each channel
      let e0 = b0, d0 = b0, e1 = b1, d1 = b1, e2 = b2, d2 = b2;
      const qo = q + <usize>o;
      for (let t = 0; t < taps; t++) {
        const x = qo + <usize>load<i32>(offPtr + (<usize>t << 2));
        const ve = v128.load8x8_s(x), vd = v128.load8x8_s(x, 1);
        e0 = pd(ve, w, e0); d0 = pd(vd, w, d0);
        e1 = pd(ve, w + 4, e1); d1 = pd(vd, w + 4, d1);
        e2 = pd(ve, w + 8, e2); d2 = pd(vd, w + 8, d2);
        w += 12;
      }
      pairStore(y0 + <usize>o, e0, d0, s0, rq, n);
      if (n1) pairStore(y1 + <usize>o, e1, d1, s1, rq, n);
      if (n2) pairStore(y2 + <usize>o, e2, d2, s2, rq, n);
    }
  }
}

/** Requantizes even (lo) and odd (hi) pixel sums and stores them in pixel order. */
@inline function pairStore(y: usize, lo: v128, hi: v128, s: v128, rq: usize, n: i32): void {
  const v = requantF(lo, hi, s, rq);
  store8(y, 1, i8x16.shuffle(v, v, 0, 4, 1, 5, 2, 6, 3, 7, 8, 9, 10, 11, 12, 13, 14, 15), n);
}

/** Requantizes the sums of pixels 4i + j (a_j) and stores 16 pixels in order (n of them). */
@inline function quadStore(y: usize, a0: v128, a1: v128, a2: v128, a3: v128, s: v128, rq: usize, n: i32): void {
  const r01 = requantF(a0, a1, s, rq), r23 = requantF(a2, a3, s, rq);
  const v = i8x16.shuffle(r01, r23, 0, 4, 16, 20, 1, 5, 17, 21, 2, 6, 18, 22, 3, 7, 19, 23);
  if (n >= 16) v128.store(y, v);
  else {
    store8(y, 1, v, min(n, 8));
    if (n > 8) store8(y + 8, 1, i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7), n - 8);
  }
}

/**
 * y[o, oy, ox] = requant(bias[o] + Σ_{c, ki, kj} w[o, c, ki, kj]·x̃[c, oy·sh + ki, ox + kj]) for one
 * image, x̃ the padded input xPad [C][Hp][Wp] (pad_qs8_simd; Wp ≥ max(ow, 16) + 4·⌈kw/4⌉ + 16).
 * wPtr: the packed weights (directWeights in src/wasm/qs8-layout.ts: per block of 3 output
 * channels, per c, ki and pair / quad m, the 3 channels' i32 pair or quad); offPtr: i32 [taps], the
 * byte offset of each (c, ki, m) from a pixel's window origin (c·Hp·Wp + ki·Wp + 2m, or 4m on the
 * quads); bias i32 [O] and scale f32 [O] read up to a multiple of 3; y int8 [O, oh, ow]; paramsPtr:
 * i32 [Wp, taps, sh, oh, ow, O]; rqPtr: the requantization block (qs8-common.ts; mode ≥ 1 takes the
 * quads). Reads at most 16 bytes past the padded rows a window reaches.
 */
export function conv2d_qs8_s1_minmax_simd(xPad: usize, wPtr: usize, offPtr: usize, biasPtr: usize, scalePtr: usize, yPtr: usize, paramsPtr: usize, rqPtr: usize): void {
  const Wp = load<i32>(paramsPtr), taps = load<i32>(paramsPtr, 4), sh = load<i32>(paramsPtr, 8);
  const oh = load<i32>(paramsPtr, 12), ow = load<i32>(paramsPtr, 16), O = load<i32>(paramsPtr, 20);
  const quads = ASC_FEATURE_RELAXED_SIMD && rdotMode(rqPtr) >= 1;
  const flip = i8x16.splat(ASC_FEATURE_RELAXED_SIMD && rdotMode(rqPtr) == 2 ? -128 : 0);
  const ps = <usize>(oh * ow);
  const blockBytes = <usize>(taps * 12);
  for (let o0 = 0; o0 < O; o0 += 3) {
    const wb = wPtr + <usize>(o0 / 3) * blockBytes;
    const bp = biasPtr + (<usize>o0 << 2), sp = scalePtr + (<usize>o0 << 2);
    const b0 = i32x4.splat(load<i32>(bp)), b1 = i32x4.splat(load<i32>(bp, 4)), b2 = i32x4.splat(load<i32>(bp, 8));
    const s0 = f32x4.splat(load<f32>(sp)), s1 = f32x4.splat(load<f32>(sp, 4)), s2 = f32x4.splat(load<f32>(sp, 8));
    const n1 = o0 + 1 < O, n2 = o0 + 2 < O;
    const y0 = yPtr + <usize>o0 * ps;
    for (let oy = 0; oy < oh; oy++) {
      const q = xPad + <usize>(oy * sh) * <usize>Wp;
      const yr = y0 + <usize>(oy * ow);
      if (quads) rowBlock(true, q, offPtr, taps, wb, b0, b1, b2, s0, s1, s2, rqPtr, flip, yr, yr + ps, yr + 2 * ps, ow, n1, n2);
      else rowBlock(false, q, offPtr, taps, wb, b0, b1, b2, s0, s1, s2, rqPtr, flip, yr, yr + ps, yr + 2 * ps, ow, n1, n2);
    }
  }
}
