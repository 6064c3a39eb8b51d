// Depthwise int8 convolution, K×K window for K = 3, 5 or 7, stride 1 or 2 along the width (any
// stride down the height, any padding, dilation 1): the depthwise layers of MobileNets (3×3, 5×5),
// EfficientNets (3×3, 5×5) and ConvNeXt (7×7). The general int8 depthwise kernel (any window) is
// dwconv2d_qs8_minmax_simd in assembly/qs8.ts; requantization: qs8-common.ts.
//
// The K taps of a kernel row are multiplied without any shuffle, straight from loads at byte
// offsets of the input row:
// - plain SIMD: i16x8.load8x8_s at offset j gives the i16 pairs (x[j], x[j+1]), (x[j+2], x[j+3]), …,
//   so i32x4.dot_i16x8_s with the weight pair (w0, w1) sums taps 0 and 1 of every second pixel,
//   with (w2, w3) at offset j + 2 taps 2 and 3, and so on up to the last pair (w[K−1], 0). Stride 2:
//   the pixels of one vector; stride 1: even pixels from offsets 0, 2, 4, …, odd ones from 1, 3,
//   5, … (interleaved once, in the store).
// - relaxed builds whose start-up check passed (mode 1 or 2): one relaxed dot of the weight quad
//   (w0, w1, w2, w3) and the 4-byte groups at offset j sums four taps of every fourth pixel
//   (stride 1: offsets 0…3 for 16 pixels) or every second one (stride 2: offsets 0 and 2); the
//   quad (w4, w5, w6, 0) at offset j + 4 adds the rest (3×3: the one quad (w0, w1, w2, 0)).
// Taps in the padding read the zero point zx (the quantized 0.0), so every pixel sums all K² taps
// and the caller folds the zero point into the bias once:
//   bias[c] = round(b[c] / (sx·sw[c])) − zf·Σ w[c, ·, ·],   zf = zx (+ 128 in relaxed-dot mode 2,
// where the activations enter as unsigned bytes x ^ 0x80 = x + 128).
// Each channel's plane is first copied into the scratch with zx around it (the padding, and slack
// for the widest loads), so every step reads whole rows and no step checks a border.
import { Qs8Window, padPlane, requantF, store8, rdotMode } from "./qs8-common";

/**
 * The packed weights (src/wasm/qs8-layout.ts's depthwiseWeights), K rows of rowBytes(K) a channel,
 * from w [C, K, K]: for each kernel row, the i16 pairs (w0, w1), (w2, w3), …, (w[K−1], 0), then the
 * i8 quads (w0, w1, w2, w3), (w4, w5, w6, 0) (3×3: one quad (w0, w1, w2, 0)), zeros after. 3×3: 16
 * bytes a row (pairs at 0, 4; the quad at 8); 5×5 and 7×7: 32 (pairs at 0…12, quads at 16, 20).
 */
@inline function rowBytes(K: i32): usize {
  return K == 3 ? 16 : 32;
}

@inline function rdot(w: v128, x: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, acc);
  return acc; // never reached: the plain build never takes the quads
}

/** The pair taps of one row of K: (w0, w1) at offset j, (w2, w3) at j + 2, … of the row at q; pairs at wr. */
@inline function pairTaps(K: i32, q: usize, j: usize, wr: usize, acc: v128): v128 {
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_s(q + j), v128.load32_splat(wr)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_s(q + j + 2), v128.load32_splat(wr, 4)));
  if (K >= 5) acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_s(q + j + 4), v128.load32_splat(wr, 8)));
  if (K >= 7) acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_s(q + j + 6), v128.load32_splat(wr, 12)));
  return acc;
}

/** The K taps of one row: the 4-byte groups at q + j (and q + j + 4) against the quads of the row at wr (activations ^ flip). */
@inline function quadTaps(K: i32, q: usize, j: usize, wr: usize, flip: v128, acc: v128): v128 {
  if (K == 3) return rdot(v128.load32_splat(wr, 8), v128.xor(v128.load(q + j), flip), acc);
  acc = rdot(v128.load32_splat(wr, 16), v128.xor(v128.load(q + j), flip), acc);
  return rdot(v128.load32_splat(wr, 20), v128.xor(v128.load(q + j + 4), flip), acc);
}

/**
 * Eight (or, stride 1 on the quads, sixteen) output pixels from the K rows at q, q + ps, … (each at
 * the step's first input column), stored at y (n of them). b: the bias splat, s: the scale splat.
 * The rows run in a loop: on MobileNetV2 the 3×3 is as fast as with its former three unrolled rows
 * (unrolled per accumulator instead, the 3×3 was 10–20 % slower and the module 6.5 KB larger).
 */
@inline function step(
  S: i32, QUADS: bool, K: i32, q: usize, ps: usize, wc: usize, flip: v128,
  b: v128, s: v128, rq: usize, y: usize, n: i32,
): void {
  const RB = rowBytes(K);
  if (QUADS && S == 1) {
    // pixel 4i + j from offset j: lane i of a sum over offsets j = 0…3
    let a0 = b, a1 = b, a2 = b, a3 = b;
    for (let r = 0, wr = wc; r < K; r++, q += ps, wr += RB) {
      a0 = quadTaps(K, q, 0, wr, flip, a0); a1 = quadTaps(K, q, 1, wr, flip, a1);
      a2 = quadTaps(K, q, 2, wr, flip, a2); a3 = quadTaps(K, q, 3, wr, flip, a3);
    }
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
  // quads, stride 2: pixels 2i from offset 0, 2i + 1 from offset 2; pairs, stride 1: even pixels
  // from offset 0, odd ones from 1; pairs, stride 2: pixels 0…3 from offset 0, 4…7 from offset 8
  const jh: usize = QUADS ? 2 : S == 1 ? 1 : 8;
  let lo = b, hi = b;
  for (let r = 0, wr = wc; r < K; r++, q += ps, wr += RB) {
    if (QUADS) {
      lo = quadTaps(K, q, 0, wr, flip, lo); hi = quadTaps(K, q, jh, wr, flip, hi);
    } else {
      lo = pairTaps(K, q, 0, wr, lo); hi = pairTaps(K, q, jh, wr, hi);
    }
  }
  let v = requantF(lo, hi, s, rq);
  // [even | odd] → pixel order
  if (QUADS || S == 1) v = i8x16.shuffle(v, v, 0, 4, 1, 5, 2, 6, 3, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  store8(y, 1, v, n);
}

/**
 * The padded plane's row stride: the row with 16 bytes of slack for the copies, and every step's
 * reads (the furthest, 16 + 4·⌈K/4⌉ bytes from a step's first column: the quads' 16-byte loads at
 * offset 3 + 4·(⌈K/4⌉ − 1), stride 1). The scratch holds ((oh − 1)·sh + K) such rows and 16
 * bytes more (padPlane's last fill store can pass the last row by 15; src/wasm/qs8-layout.ts's
 * depthwiseScratch sizes it by the same formula; B = 16 for stride 1 on the quads, else 8).
 */
@inline function paddedStride(W: i32, pl: i32, S: i32, ow: i32, B: i32, K: i32): i32 {
  return (max(pl + W + 16, max(ow - B, 0) * S + 16 + 4 * ((K + 3) >> 2)) + 15) & ~15;
}

/** All channels for window K, stride S (1 or 2) with the pairs (QUADS false) or the quads. */
@inline function planes(
  S: i32, QUADS: bool, K: i32, xPtr: usize, wPtr: usize, biasPtr: usize, scalePtr: usize, yPtr: usize,
  g: Qs8Window, rqPtr: usize, scratch: usize,
): void {
  const C = g.C, H = g.H, W = g.W, sh = g.sh, pt = g.pt, pl = g.pl, oh = g.oh, ow = g.ow;
  const flip = i8x16.splat(ASC_FEATURE_RELAXED_SIMD && QUADS && rdotMode(rqPtr) == 2 ? -128 : 0);
  const z = i8x16.splat(<i8>load<i32>(rqPtr));
  const B = QUADS && S == 1 ? 16 : 8; // pixels per step
  const stride = paddedStride(W, pl, S, ow, B, K);
  const rows = (oh - 1) * sh + K;
  const ps = <usize>stride;
  const wstride = <usize>K * rowBytes(K);
  for (let c = 0; c < C; c++) {
    padPlane(scratch, xPtr + <usize>c * <usize>(H * W), H, W, pt, pl, rows, stride, z);
    const wc = wPtr + <usize>c * wstride;
    const b = i32x4.splat(load<i32>(biasPtr + (<usize>c << 2)));
    const s = f32x4.splat(load<f32>(scalePtr + (<usize>c << 2)));
    let y = yPtr + <usize>(c * oh * ow);
    for (let oy = 0; oy < oh; oy++) {
      const q = scratch + <usize>(oy * sh) * ps;
      if (ow < B) {
        step(S, QUADS, K, q, ps, wc, flip, b, s, rqPtr, y, ow);
      } else {
        // steps of B pixels, the last one overlapping the one before (a pixel's sum is the same
        // whichever step computes it)
        for (let ox = 0; ox < ow; ox += B) {
          const o = min(ox, ow - B);
          step(S, QUADS, K, q + <usize>(o * S), ps, wc, flip, b, s, rqPtr, y + <usize>o, B);
        }
      }
      y += <usize>ow;
    }
  }
}

/** The kernel for window K: the stride along the width and the relaxed-dot mode pick the variant. */
@inline function run(
  K: i32, xPtr: usize, wPtr: usize, biasPtr: usize, scalePtr: usize, yPtr: usize, paramsPtr: usize, rqPtr: usize, scratchPtr: usize,
): void {
  const g = changetype<Qs8Window>(paramsPtr);
  const quads = ASC_FEATURE_RELAXED_SIMD && rdotMode(rqPtr) >= 1;
  if (g.sw == 1) {
    if (quads) planes(1, true, K, xPtr, wPtr, biasPtr, scalePtr, yPtr, g, rqPtr, scratchPtr);
    else planes(1, false, K, xPtr, wPtr, biasPtr, scalePtr, yPtr, g, rqPtr, scratchPtr);
  } else {
    if (quads) planes(2, true, K, xPtr, wPtr, biasPtr, scalePtr, yPtr, g, rqPtr, scratchPtr);
    else planes(2, false, K, xPtr, wPtr, biasPtr, scalePtr, yPtr, g, rqPtr, scratchPtr);
  }
}

/**
 * y[c, oy, ox] = requant(bias[c] + Σ_{ki, kj} w[c, ki, kj]·x̃[c, oy·sh − padTop + ki, ox·sw − padLeft
 * + kj]), x̃ = x inside the image and zx outside (bias with the zero point folded in: above). One
 * image: x int8 [C, H, W]; wPtr: the packed weights (3 rows of 16 bytes a channel, above); bias i32
 * [C]; scale f32 [C]; y int8 [C, oh, ow]; paramsPtr: the window block (Qs8Window; kh = kw = 3, sw 1
 * or 2, dh = dw = 1); rqPtr: the requantization block (qs8-common.ts); scratchPtr:
 * depthwiseScratch bytes (src/wasm/qs8-layout.ts: one padded plane). Reads at most 15 bytes past
 * the input's end.
 */
export function dwconv2d_qs8_3x3_minmax_simd(
  xPtr: usize, wPtr: usize, biasPtr: usize, scalePtr: usize, yPtr: usize, paramsPtr: usize, rqPtr: usize, scratchPtr: usize,
): void {
  run(3, xPtr, wPtr, biasPtr, scalePtr, yPtr, paramsPtr, rqPtr, scratchPtr);
}

/** dwconv2d_qs8_3x3_minmax_simd for the 5×5 window (kh = kw = 5; 5 rows of 32 bytes a channel). */
export function dwconv2d_qs8_5x5_minmax_simd(
  xPtr: usize, wPtr: usize, biasPtr: usize, scalePtr: usize, yPtr: usize, paramsPtr: usize, rqPtr: usize, scratchPtr: usize,
): void {
  run(5, xPtr, wPtr, biasPtr, scalePtr, yPtr, paramsPtr, rqPtr, scratchPtr);
}

/** dwconv2d_qs8_3x3_minmax_simd for the 7×7 window (kh = kw = 7; 7 rows of 32 bytes a channel). */
export function dwconv2d_qs8_7x7_minmax_simd(
  xPtr: usize, wPtr: usize, biasPtr: usize, scalePtr: usize, yPtr: usize, paramsPtr: usize, rqPtr: usize, scratchPtr: usize,
): void {
  run(7, xPtr, wPtr, biasPtr, scalePtr, yPtr, paramsPtr, rqPtr, scratchPtr);
}
