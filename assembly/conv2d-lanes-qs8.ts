// Int8 convolution with the output channels in the lanes, for small images on a few dozen input
// channels (LeNet's c3: 6 → 16 channels, 5×5 over 14×14; c5), where the GEMM spends as long packing
// its panels (im2col) and filling half-empty tiles of 8 pixels as multiplying.
// The input is first copied channels-last (qs8_nhwc_pad_simd: [Hp][Wp][C], padding zx): a window
// row's kw·C taps are then one contiguous run, cut into pairs (plain SIMD: i16, i32x4.dot_i16x8_s)
// or quads (relaxed dot, modes 1 and 2: bytes, x ^ 0x80 in mode 2), so no lane is lost to an odd
// kernel width. Each pair / quad of a pixel is splat and multiplied by the 16 output channels'
// pairs / quads (4 vectors), two pixels at a time sharing the weight loads; the sums of a pixel are
// its 16 channels, requantized with per-lane scales and stored down the channel planes.
import { roundZy, store8, rdotMode, RQ_QMIN, RQ_QMAX } from "./qs8-common";

@inline function acc(QUADS: bool, w: v128, x: v128, a: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && QUADS) return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, a);
  return i32x4.add(a, i32x4.dot_i16x8_s(x, w));
}

/** The 16 int8 lanes of requant(a0 ‖ a1 ‖ a2 ‖ a3) with per-lane scales (the block's 4 vectors at sp). */
@inline function requantLanes(a0: v128, a1: v128, a2: v128, a3: v128, sp: usize, rq: usize): v128 {
  const r0 = roundZy(f32x4.mul(f32x4.convert_i32x4_s(a0), v128.load(sp)), rq);
  const r1 = roundZy(f32x4.mul(f32x4.convert_i32x4_s(a1), v128.load(sp, 16)), rq);
  const r2 = roundZy(f32x4.mul(f32x4.convert_i32x4_s(a2), v128.load(sp, 32)), rq);
  const r3 = roundZy(f32x4.mul(f32x4.convert_i32x4_s(a3), v128.load(sp, 48)), rq);
  const v = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(r0, r1), i16x8.narrow_i32x4_s(r2, r3));
  return i8x16.min_s(i8x16.max_s(v, v128.load(rq, RQ_QMIN)), v128.load(rq, RQ_QMAX));
}

/** Stores the first n (≤ 16) lanes of v at y, y + s, y + 2s, … */
@inline function storeLanes(y: usize, s: i32, v: v128, n: i32): void {
  store8(y, s, v, min(n, 8));
  if (n > 8) store8(y + <usize>(8 * s), s, i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7), n - 8);
}

@inline function blockPixels(
  QUADS: bool, xb: usize, wb: usize, kh: i32, nk: i32, kStep: usize, bp: usize, sp: usize, y: usize, nb: i32,
  oh: i32, ow: i32, rowStep: usize, pixStep: usize, rq: usize,
): void {
  const P = oh * ow;
  const b0 = v128.load(bp), b1 = v128.load(bp, 16), b2 = v128.load(bp, 32), b3 = v128.load(bp, 48);
  let oy = 0, ox = 0;
  for (let p = 0; p < P; p += 2) {
    const x0 = xb + <usize>oy * rowStep + <usize>ox * pixStep;
    if (++ox == ow) { ox = 0; oy++; }
    const two = p + 1 < P;
    const x1 = two ? xb + <usize>oy * rowStep + <usize>ox * pixStep : x0;
    if (++ox == ow) { ox = 0; oy++; }
    let a0 = b0, a1 = b1, a2 = b2, a3 = b3, c0 = b0, c1 = b1, c2 = b2, c3 = b3;
    let w = wb;
    for (let ki = 0; ki < kh; ki++) {
      const r = <usize>ki * kStep;
      let u0 = x0 + r, u1 = x1 + r;
      for (let m = 0; m < nk; m++) {
        const w0 = v128.load(w), w1 = v128.load(w, 16), w2 = v128.load(w, 32), w3 = v128.load(w, 48);
        const u = v128.load32_splat(u0), v = v128.load32_splat(u1);
        a0 = acc(QUADS, w0, u, a0); a1 = acc(QUADS, w1, u, a1); a2 = acc(QUADS, w2, u, a2); a3 = acc(QUADS, w3, u, a3);
        c0 = acc(QUADS, w0, v, c0); c1 = acc(QUADS, w1, v, c1); c2 = acc(QUADS, w2, v, c2); c3 = acc(QUADS, w3, v, c3);
        w += 64; u0 += 4; u1 += 4;
      }
    }
    storeLanes(y + <usize>p, P, requantLanes(a0, a1, a2, a3, sp, rq), nb);
    if (two) storeLanes(y + <usize>(p + 1), P, requantLanes(c0, c1, c2, c3, sp, rq), nb);
  }
}

/**
 * y[o, oy, ox] = requant(bias[o] + Σ_{ki, m} w[o, ki, m] · x̃[origin(oy, ox) + ki·kStep + 4m]) for one
 * image: xb the channels-last padded input (qs8_nhwc_pad_simd), m over the nk pairs (i16) or quads
 * (bytes, modes ≥ 1 of the relaxed builds) of a window row's kw·C taps, a window's origin
 * oy·rowStep + ox·pixStep (bytes). wPtr: per block of 16 output channels, per ki and m, 16 i32 (the
 * channels' pairs / quads, zero past O); bias i32 and scale f32 read up to a multiple of 16
 * channels; y int8 [O, oh, ow]. paramsPtr: i32 [kh, nk, kStep, oh, ow, rowStep, pixStep, O].
 */
export function conv2d_qs8_lanes_minmax_simd(xb: usize, wPtr: usize, biasPtr: usize, scalePtr: usize, yPtr: usize, paramsPtr: usize, rqPtr: usize): void {
  const kh = load<i32>(paramsPtr), nk = load<i32>(paramsPtr, 4), kStep = <usize>load<i32>(paramsPtr, 8);
  const oh = load<i32>(paramsPtr, 12), ow = load<i32>(paramsPtr, 16);
  const rowStep = <usize>load<i32>(paramsPtr, 20), pixStep = <usize>load<i32>(paramsPtr, 24), O = load<i32>(paramsPtr, 28);
  const quads = ASC_FEATURE_RELAXED_SIMD && rdotMode(rqPtr) >= 1;
  const P = <usize>(oh * ow);
  for (let o0 = 0; o0 < O; o0 += 16) {
    const wb = wPtr + <usize>(o0 >> 4) * <usize>(kh * nk * 64);
    const bp = biasPtr + (<usize>o0 << 2), sp = scalePtr + (<usize>o0 << 2), y = yPtr + <usize>o0 * P;
    if (quads) blockPixels(true, xb, wb, kh, nk, kStep, bp, sp, y, O - o0, oh, ow, rowStep, pixStep, rqPtr);
    else blockPixels(false, xb, wb, kh, nk, kStep, bp, sp, y, O - o0, oh, ow, rowStep, pixStep, rqPtr);
  }
}

/**
 * Copies x int8 [C, H, W] channels-last into d [Hp][Wp][C], image row iy at padded row iy + pt,
 * column ix at ix + pl, zx (rqPtr) everywhere else: as i16 (plain pairs) or as bytes (relaxed-dot
 * modes ≥ 1; x ^ 0x80 in mode 2). paramsPtr: i32 [C, H, W, pt, pl, Hp, Wp]. Writes up to 16 bytes
 * past the Hp·Wp·C elements.
 */
export function qs8_nhwc_pad_simd(x: usize, d: usize, paramsPtr: usize, rqPtr: usize): void {
  const C = load<i32>(paramsPtr), H = load<i32>(paramsPtr, 4), W = load<i32>(paramsPtr, 8);
  const pt = load<i32>(paramsPtr, 12), pl = load<i32>(paramsPtr, 16), Hp = load<i32>(paramsPtr, 20), Wp = load<i32>(paramsPtr, 24);
  const quads = ASC_FEATURE_RELAXED_SIMD && rdotMode(rqPtr) >= 1;
  const flip: i32 = ASC_FEATURE_RELAXED_SIMD && rdotMode(rqPtr) == 2 ? 0x80 : 0;
  const zx = load<i32>(rqPtr);
  const n = Hp * Wp * C;
  const bytes = quads ? n : 2 * n;
  const z = quads ? i8x16.splat(<i8>(zx ^ flip)) : i16x8.splat(<i16>zx);
  // fill with the zero point only where the image does not land (the border); C·W runs in between
  const rowBytes = quads ? Wp * C : 2 * Wp * C;
  const inBytes = quads ? W * C : 2 * W * C, leftBytes = quads ? pl * C : 2 * pl * C;
  for (let j = 0; j < Hp; j++) {
    const row = d + <usize>(j * rowBytes);
    const iy = j - pt;
    if (iy < 0 || iy >= H) {
      for (let i = 0; i < rowBytes; i += 16) v128.store(row + <usize>i, z);
      continue;
    }
    for (let i = 0; i < leftBytes; i += 16) v128.store(row + <usize>i, z);
    for (let i = leftBytes + inBytes; i < rowBytes; i += 16) v128.store(row + <usize>i, z);
    const dst = row + <usize>leftBytes;
    for (let c = 0; c < C; c++) {
      const src = x + <usize>((c * H + iy) * W);
      if (quads) for (let ix = 0; ix < W; ix++) store<u8>(dst + <usize>(ix * C + c), load<u8>(src + <usize>ix) ^ <u8>flip);
      else for (let ix = 0; ix < W; ix++) store<i16>(dst + (<usize>(ix * C + c) << 1), <i16>load<i8>(src + <usize>ix));
    }
  }
  v128.store(d + <usize>bytes, z);
}
