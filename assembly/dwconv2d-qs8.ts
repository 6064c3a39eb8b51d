// Depthwise int8 convolution, 3×3 window, stride 1 or 2 along the width (any stride down the
// height, any padding, dilation 1): MobileNets' depthwise layers. The general int8 depthwise kernel
// (any window) is dwconv2d_qs8_minmax_simd in assembly/qs8.ts; requantization: qs8-common.ts.
//
// The three taps of a kernel row are multiplied without any shuffle, straight from loads at
// byte offsets of the input row:
// - plain SIMD: i16x8.load8x8_s at offset j gives the i16 pairs (x[j], x[j+1]), (x[j+2], x[j+3]), …,
//   so i32x4.dot_i16x8_s with the weight pair (w0, w1) sums taps 0 and 1 of every second pixel,
//   and with (w2, 0) at offset j + 2 adds tap 2. Stride 2: the pixels of one vector; stride 1:
//   even pixels from offset 0 and 2, odd ones from 1 and 3 (interleaved once, in the store).
// - relaxed builds whose start-up check passed (mode 1 or 2): one relaxed dot of the weight quad
//   (w0, w1, w2, 0) and the 4-byte groups at offset j sums the three taps of every fourth pixel
//   (stride 1: offsets 0…3 for 16 pixels) or every second one (stride 2: offsets 0 and 2).
// Taps in the padding read the zero point zx (the quantized 0.0), so every pixel sums all nine taps
// and the caller folds the zero point into the bias once:
//   bias[c] = round(b[c] / (sx·sw[c])) − zf·Σ w[c, ·, ·],   zf = zx (+ 128 in relaxed-dot mode 2,
// where the activations enter as unsigned bytes x ^ 0x80 = x + 128).
// Each channel's plane is first copied into the scratch with zx around it (the padding, and slack
// for the widest loads), so every step reads whole rows and no step checks a border.
import { Qs8Window, padPlane, requantF, store8, rdotMode } from "./qs8-common";

/**
 * The packed weights, 12 i32 per channel, written by the caller from w [C, 3, 3]: for each kernel
 * row r, slots 4r…4r+3 = the i16 pairs (w[r, 0], w[r, 1]) and (w[r, 2], 0), the i8 quad (w[r, 0],
 * w[r, 1], w[r, 2], 0), and 0.
 */
const WSTRIDE: usize = 48;

@inline function rdot(w: v128, x: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, acc);
  return acc; // never reached: the plain build never takes the quads
}

/** Taps 0, 1 (offset j) and tap 2 (offset j + 2) of the row at q against the pairs at wr. */
@inline function pairTaps(q: usize, j: usize, wr: usize, acc: v128): v128 {
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_s(q + j), v128.load32_splat(wr)));
  return i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_s(q + j + 2), v128.load32_splat(wr, 4)));
}

/** The three taps of the 4-byte groups at q + j against the quad at wr (activations ^ flip). */
@inline function quadTaps(q: usize, j: usize, wr: usize, flip: v128, acc: v128): v128 {
  return rdot(v128.load32_splat(wr, 8), v128.xor(v128.load(q + j), flip), acc);
}

/**
 * Eight (or, stride 1 on the quads, sixteen) output pixels from the rows q0, q1, q2 (each at the
 * step's first input column), stored at y (n of them). b: the bias splat, s: the scale splat.
 */
@inline function step(
  S: i32, QUADS: bool, q0: usize, q1: usize, q2: usize, wc: usize, flip: v128,
  b: v128, s: v128, rq: usize, y: usize, n: i32,
): void {
  if (QUADS && S == 1) {
    // pixel 4i + j from offset j: lane i of a sum over offsets j = 0…3
    let a0 = quadTaps(q0, 0, wc, flip, b), a1 = quadTaps(q0, 1, wc, flip, b);
    let a2 = quadTaps(q0, 2, wc, flip, b), a3 = quadTaps(q0, 3, wc, flip, b);
    a0 = quadTaps(q1, 0, wc + 16, flip, a0); a1 = quadTaps(q1, 1, wc + 16, flip, a1);
    a2 = quadTaps(q1, 2, wc + 16, flip, a2); a3 = quadTaps(q1, 3, wc + 16, flip, a3);
    a0 = quadTaps(q2, 0, wc + 32, flip, a0); a1 = quadTaps(q2, 1, wc + 32, flip, a1);
    a2 = quadTaps(q2, 2, wc + 32, flip, a2); a3 = quadTaps(q2, 3, wc + 32, flip, a3);
    // bytes [0 4 8 12 1 5 9 13 | 2 6 10 14 3 7 11 15] → pixel order: a 4×4 transpose
    const r01 = requantF(a0, a1, s, rq), r23 = requantF(a2, a3, s, rq);
    const v = i8x16.shuffle(r01, r23, 0, 4, 16, 20, 1, 5, 17, 21, 2, 6, 18, 22, 3, 7, 19, 23);
    if (n >= 16) v128.store(y, v);
    else {
      store8(y, 1, v, min(n, 8));
      if (n > 8) store8(y + 8, 1, i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7), n - 8);
    }
    return;
  }
  let lo: v128, hi: v128;
  if (QUADS) {
    // stride 2: pixels 2i from offset 0, 2i + 1 from offset 2
    lo = quadTaps(q0, 0, wc, flip, b); hi = quadTaps(q0, 2, wc, flip, b);
    lo = quadTaps(q1, 0, wc + 16, flip, lo); hi = quadTaps(q1, 2, wc + 16, flip, hi);
    lo = quadTaps(q2, 0, wc + 32, flip, lo); hi = quadTaps(q2, 2, wc + 32, flip, hi);
  } else if (S == 1) {
    // even pixels from offsets 0 (taps 0, 1) and 2 (tap 2), odd ones from 1 and 3
    lo = pairTaps(q0, 0, wc, b); hi = pairTaps(q0, 1, wc, b);
    lo = pairTaps(q1, 0, wc + 16, lo); hi = pairTaps(q1, 1, wc + 16, hi);
    lo = pairTaps(q2, 0, wc + 32, lo); hi = pairTaps(q2, 1, wc + 32, hi);
  } else {
    // pixels 0…3 from offset 0, 4…7 from offset 8
    lo = pairTaps(q0, 0, wc, b); hi = pairTaps(q0, 8, wc, b);
    lo = pairTaps(q1, 0, wc + 16, lo); hi = pairTaps(q1, 8, wc + 16, hi);
    lo = pairTaps(q2, 0, wc + 32, lo); hi = pairTaps(q2, 8, wc + 32, hi);
  }
  let v = requantF(lo, hi, s, rq);
  // [even | odd] → pixel order
  if (QUADS || S == 1) v = i8x16.shuffle(v, v, 0, 4, 1, 5, 2, 6, 3, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  store8(y, 1, v, n);
}

/**
 * The padded plane's row stride: the row with 16 bytes of slack for the copies, and every step's
 * reads. The scratch holds ((oh − 1)·sh + 3) such rows (src/ops/gemm-qs8.ts sizes it by the same
 * formula; B = 16 for stride 1 on the quads, else 8).
 */
@inline function paddedStride(W: i32, pl: i32, S: i32, ow: i32, B: i32): i32 {
  return (max(pl + W + 16, max(ow - B, 0) * S + 20) + 15) & ~15;
}

/** All channels for stride S (1 or 2) with the pairs (QUADS false) or the quads. */
@inline function planes(
  S: i32, QUADS: bool, xPtr: usize, wPtr: usize, biasPtr: usize, scalePtr: usize, yPtr: usize,
  g: Qs8Window, rqPtr: usize, scratch: usize,
): void {
  const C = g.C, H = g.H, W = g.W, sh = g.sh, pt = g.pt, pl = g.pl, oh = g.oh, ow = g.ow;
  const flip = i8x16.splat(ASC_FEATURE_RELAXED_SIMD && QUADS && rdotMode(rqPtr) == 2 ? -128 : 0);
  const z = i8x16.splat(<i8>load<i32>(rqPtr));
  const B = QUADS && S == 1 ? 16 : 8; // pixels per step
  const stride = paddedStride(W, pl, S, ow, B);
  const rows = (oh - 1) * sh + 3;
  const ps = <usize>stride;
  for (let c = 0; c < C; c++) {
    padPlane(scratch, xPtr + <usize>c * <usize>(H * W), H, W, pt, pl, rows, stride, z);
    const wc = wPtr + <usize>c * WSTRIDE;
    const b = i32x4.splat(load<i32>(biasPtr + (<usize>c << 2)));
    const s = f32x4.splat(load<f32>(scalePtr + (<usize>c << 2)));
    let y = yPtr + <usize>(c * oh * ow);
    for (let oy = 0; oy < oh; oy++) {
      const q0 = scratch + <usize>(oy * sh) * ps, q1 = q0 + ps, q2 = q1 + ps;
      if (ow < B) {
        step(S, QUADS, q0, q1, q2, wc, flip, b, s, rqPtr, y, ow);
      } else {
        // steps of B pixels, the last one overlapping the one before (a pixel's sum is the same
        // whichever step computes it)
        for (let ox = 0; ox < ow; ox += B) {
          const o = min(ox, ow - B);
          const d = <usize>(o * S);
          step(S, QUADS, q0 + d, q1 + d, q2 + d, wc, flip, b, s, rqPtr, y + <usize>o, B);
        }
      }
      y += <usize>ow;
    }
  }
}

/**
 * y[c, oy, ox] = requant(bias[c] + Σ_{ki, kj} w[c, ki, kj]·x̃[c, oy·sh − padTop + ki, ox·sw − padLeft
 * + kj]), x̃ = x inside the image and zx outside (bias with the zero point folded in: above). One
 * image: x int8 [C, H, W]; wPtr: the packed weights (WSTRIDE bytes a channel, above); bias i32 [C];
 * scale f32 [C]; y int8 [C, oh, ow]; paramsPtr: the window block (Qs8Window; kh = kw = 3, sw 1 or
 * 2, dh = dw = 1); rqPtr: the requantization block (qs8-common.ts); scratchPtr: dwconv2d_qs8_3x3_scratch bytes
 * (one padded plane). Reads at most 15 bytes past the input's end.
 */
export function dwconv2d_qs8_3x3_minmax_simd(
  xPtr: usize, wPtr: usize, biasPtr: usize, scalePtr: usize, yPtr: usize, paramsPtr: usize, rqPtr: usize, scratchPtr: usize,
): void {
  const g = changetype<Qs8Window>(paramsPtr);
  const quads = ASC_FEATURE_RELAXED_SIMD && rdotMode(rqPtr) >= 1;
  if (g.sw == 1) {
    if (quads) planes(1, true, xPtr, wPtr, biasPtr, scalePtr, yPtr, g, rqPtr, scratchPtr);
    else planes(1, false, xPtr, wPtr, biasPtr, scalePtr, yPtr, g, rqPtr, scratchPtr);
  } else {
    if (quads) planes(2, true, xPtr, wPtr, biasPtr, scalePtr, yPtr, g, rqPtr, scratchPtr);
    else planes(2, false, xPtr, wPtr, biasPtr, scalePtr, yPtr, g, rqPtr, scratchPtr);
  }
}
