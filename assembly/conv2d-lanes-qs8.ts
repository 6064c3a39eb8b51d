// Int8 convolution with the output channels in the lanes, for small images on a few dozen input
// channels (LeNet's c3: 6 → 16 channels, 5×5 over 14×14; c5), where the GEMM spends as long packing
// its panels (im2col) and filling half-empty tiles of 8 pixels as multiplying.
// The input is first copied channels-last (pad_qs8_nhwc_simd: [Hp][Wp][C], padding zx): a window
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

/** Requantizes one pixel's 16 channel sums and stores the first n down the channel planes (stride s). */
function storePixel(y: usize, s: i32, a0: v128, a1: v128, a2: v128, a3: v128, sp: usize, rq: usize, n: i32): void {
  storeLanes(y, s, requantLanes(a0, a1, a2, a3, sp, rq), n);
}

/** Stores the first n (≤ 16) lanes of v at y, y + s, y + 2s, … */
@inline function storeLanes(y: usize, s: i32, v: v128, n: i32): void {
  store8(y, s, v, min(n, 8));
  if (n > 8) store8(y + <usize>(8 * s), s, i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7), n - 8);
}

@inline function blockPixels(
  QUADS: bool, pool: bool, xb: usize, wb: usize, A: i32, sa: usize, B: i32, sb: usize, nk: i32, bp: usize, sp: usize, y: usize, nb: i32,
  oh: i32, ow: i32, rowStep: usize, pixStep: usize, rq: usize,
): void {
  // pool: pairs (2py + h, 2px), (2py + h, 2px + 1) for h = 0, 1 of each pooled pixel (py, px), the
  // four pixels' requantized lanes reduced by max (the 2×2 stride-2 pool, floor) and stored once
  const pw = ow >> 1, Q = (oh >> 1) * pw;
  const P = pool ? 4 * Q : oh * ow;
  const b0 = v128.load(bp), b1 = v128.load(bp, 16), b2 = v128.load(bp, 32), b3 = v128.load(bp, 48);
  let oy = 0, ox = 0, top = b0;
  for (let p = 0; p < P; p += 2) {
    let x0: usize, x1: usize, two = true;
    if (pool) {
      const q = p >> 2, py = q / pw, px = q - py * pw;
      x0 = xb + <usize>(2 * py + ((p >> 1) & 1)) * rowStep + <usize>(2 * px) * pixStep;
      x1 = x0 + pixStep;
    } else {
      x0 = xb + <usize>oy * rowStep + <usize>ox * pixStep;
      if (++ox == ow) { ox = 0; oy++; }
      two = p + 1 < P;
      x1 = two ? xb + <usize>oy * rowStep + <usize>ox * pixStep : x0;
      if (++ox == ow) { ox = 0; oy++; }
    }
    let a0 = b0, a1 = b1, a2 = b2, a3 = b3, c0 = b0, c1 = b1, c2 = b2, c3 = b3;
    let w = wb;
    for (let ia = 0; ia < A; ia++) for (let ib = 0; ib < B; ib++) {
      const r = <usize>ia * sa + <usize>ib * sb;
      let u0 = x0 + r, u1 = x1 + r;
      for (let m = 0; m < nk; m++) {
        const w0 = v128.load(w), w1 = v128.load(w, 16), w2 = v128.load(w, 32), w3 = v128.load(w, 48);
        const u = v128.load32_splat(u0), v = v128.load32_splat(u1);
        a0 = acc(QUADS, w0, u, a0); a1 = acc(QUADS, w1, u, a1); a2 = acc(QUADS, w2, u, a2); a3 = acc(QUADS, w3, u, a3);
        c0 = acc(QUADS, w0, v, c0); c1 = acc(QUADS, w1, v, c1); c2 = acc(QUADS, w2, v, c2); c3 = acc(QUADS, w3, v, c3);
        w += 64; u0 += 4; u1 += 4;
      }
    }
    if (pool) {
      const m = i8x16.max_s(requantLanes(a0, a1, a2, a3, sp, rq), requantLanes(c0, c1, c2, c3, sp, rq));
      if (p & 2) storeLanes(y + <usize>(p >> 2), Q, i8x16.max_s(top, m), nb);
      else top = m;
      continue;
    }
    storePixel(y + <usize>p, P, a0, a1, a2, a3, sp, rq, nb);
    if (two) storePixel(y + <usize>(p + 1), P, c0, c1, c2, c3, sp, rq, nb);
  }
}

/**
 * y[o, oy, ox] = requant(bias[o] + Σ_{a, b, m} w[o, a, b, m] · x̃[origin(oy, ox) + a·sa + b·sb + 4m])
 * for one image, x̃ at xb: pairs (i16) or quads (bytes, modes ≥ 1 of the relaxed builds) of taps,
 * 4 bytes each, a window's origin at oy·rowStep + ox·pixStep (bytes). The plain pairs read the
 * channel-pair planes of pad_qs8_cpairs_simd (a: channel pairs, b: kernel rows, m: kernel
 * columns); the quads the channels-last copy of pad_qs8_nhwc_simd (A = 1, b: kernel rows, m: the
 * quads of a window row's kw·C taps). wPtr: per block of 16 output channels, per (a, b, m), 16 i32
 * (the channels' pairs / quads, zero past O); bias i32 and scale f32 read up to a multiple of 16
 * channels; y int8 [O, oh, ow]. paramsPtr: i32 [A, sa, B, sb, nk, oh, ow, rowStep, pixStep, O,
 * pool]; pool 1: y is the 2×2 stride-2 max pool (floor) of that output, int8 [O, ⌊oh/2⌋, ⌊ow/2⌋]
 * (the max of the requantized bytes: the same as the convolution then QMaxPool2d).
 */
export function conv2d_qs8_ct_minmax_simd(xb: usize, wPtr: usize, biasPtr: usize, scalePtr: usize, yPtr: usize, paramsPtr: usize, rqPtr: usize): void {
  const A = load<i32>(paramsPtr), sa = <usize>load<i32>(paramsPtr, 4), B = load<i32>(paramsPtr, 8), sb = <usize>load<i32>(paramsPtr, 12);
  const nk = load<i32>(paramsPtr, 16), oh = load<i32>(paramsPtr, 20), ow = load<i32>(paramsPtr, 24);
  const rowStep = <usize>load<i32>(paramsPtr, 28), pixStep = <usize>load<i32>(paramsPtr, 32), O = load<i32>(paramsPtr, 36);
  const quads = ASC_FEATURE_RELAXED_SIMD && rdotMode(rqPtr) >= 1, pool = load<i32>(paramsPtr, 40) != 0;
  const P = pool ? <usize>((oh >> 1) * (ow >> 1)) : <usize>(oh * ow);
  for (let o0 = 0; o0 < O; o0 += 16) {
    const wb = wPtr + <usize>(o0 >> 4) * <usize>(A * B * nk * 64);
    const bp = biasPtr + (<usize>o0 << 2), sp = scalePtr + (<usize>o0 << 2), y = yPtr + <usize>o0 * P;
    if (quads) blockPixels(true, pool, xb, wb, A, sa, B, sb, nk, bp, sp, y, O - o0, oh, ow, rowStep, pixStep, rqPtr);
    else blockPixels(false, pool, xb, wb, A, sa, B, sb, nk, bp, sp, y, O - o0, oh, ow, rowStep, pixStep, rqPtr);
  }
}

/**
 * Copies x int8 [C, H, W] channels-last into d [Hp][Wp][C] (bytes, x ^ 0x80 in relaxed-dot mode 2:
 * the quads of the relaxed builds), image row iy at padded row iy + pt, column ix at ix + pl, zx
 * (rqPtr) everywhere else. paramsPtr: i32 [C, H, W, pt, pl, Hp, Wp, tbl]: tbl 0 copies byte by
 * byte, else it points at the swizzles of a block of 16 pixels (C ≤ 8; nhwcSwizzles in
 * src/ops/conv2d-direct-qs8.ts): per output vector j < C, per channel c, the 16 indices that pick
 * channel c's bytes of the 16 pixels into it (0x80 elsewhere). Reads up to 15 bytes past an image
 * row; writes up to 16·C bytes past the Hp·Wp·C bytes. Relaxed builds only (a no-op in the plain one).
 */
export function pad_qs8_nhwc_simd(x: usize, d: usize, paramsPtr: usize, rqPtr: usize): void {
  if (!ASC_FEATURE_RELAXED_SIMD) return; // the plain build takes the channel pairs (pad_qs8_cpairs_simd)
  const C = load<i32>(paramsPtr), H = load<i32>(paramsPtr, 4), W = load<i32>(paramsPtr, 8);
  const pt = load<i32>(paramsPtr, 12), pl = load<i32>(paramsPtr, 16), Hp = load<i32>(paramsPtr, 20), Wp = load<i32>(paramsPtr, 24);
  const tbl = <usize>load<i32>(paramsPtr, 28);
  const flip: i32 = ASC_FEATURE_RELAXED_SIMD && rdotMode(rqPtr) == 2 ? 0x80 : 0;
  const fv = i8x16.splat(<i8>flip);
  const z = i8x16.splat(<i8>(load<i32>(rqPtr) ^ flip));
  const rowBytes = Wp * C, inBytes = W * C, leftBytes = pl * C;
  const plane = <usize>(H * W);
  // row by row, left border, image, right border: a block's overrun past the image is rewritten
  for (let j = 0; j < Hp; j++) {
    const row = d + <usize>(j * rowBytes);
    const iy = j - pt;
    if (iy < 0 || iy >= H) {
      for (let i = 0; i < rowBytes; i += 16) v128.store(row + <usize>i, z);
      continue;
    }
    for (let i = 0; i < leftBytes; i += 16) v128.store(row + <usize>i, z);
    const dst = row + <usize>leftBytes, src = x + <usize>(iy * W);
    if (tbl != 0) {
      for (let ix = 0; ix < W; ix += 16) {
        let t = tbl, o = dst + <usize>(ix * C);
        for (let k = 0; k < C; k++) {
          let v = i8x16.splat(0);
          for (let c = 0; c < C; c++) {
            v = v128.or(v, i8x16.swizzle(v128.load(src + <usize>c * plane + <usize>ix), v128.load(t)));
            t += 16;
          }
          v128.store(o, v128.xor(v, fv));
          o += 16;
        }
      }
    } else {
      for (let c = 0; c < C; c++) {
        const s = src + <usize>c * plane;
        for (let ix = 0; ix < W; ix++) store<u8>(dst + <usize>(ix * C + c), load<u8>(s + <usize>ix) ^ <u8>flip);
      }
    }
    for (let i = leftBytes + inBytes; i < rowBytes; i += 16) v128.store(row + <usize>i, z);
  }
}

/**
 * Copies x int8 [C, H, W] into ⌈C / 2⌉ planes of channel pairs d[cp][Hp][Wp] (i16 pairs (x[2cp],
 * x[2cp + 1]), zx for the missing channel of an odd C), image row iy at padded row iy + pt, column
 * ix at ix + pl, zx everywhere else. paramsPtr: i32 [C, H, W, pt, pl, Hp, Wp]. Reads up to 7 bytes
 * past an image row; writes up to 28 bytes past the last plane.
 */
export function pad_qs8_cpairs_simd(x: usize, d: usize, paramsPtr: usize, rqPtr: usize): void {
  const C = load<i32>(paramsPtr), H = load<i32>(paramsPtr, 4), W = load<i32>(paramsPtr, 8);
  const pt = load<i32>(paramsPtr, 12), pl = load<i32>(paramsPtr, 16), Hp = load<i32>(paramsPtr, 20), Wp = load<i32>(paramsPtr, 24);
  const z = i16x8.splat(<i16>load<i32>(rqPtr));
  const rowBytes = Wp << 2, inBytes = W << 2, leftBytes = pl << 2, hw = <usize>(H * W);
  for (let c = 0; c < C; c += 2) {
    const two = c + 1 < C;
    const plane = d + <usize>(c >> 1) * <usize>(Hp * rowBytes);
    for (let j = 0; j < Hp; j++) {
      const row = plane + <usize>(j * rowBytes);
      const iy = j - pt;
      if (iy < 0 || iy >= H) {
        for (let i = 0; i < rowBytes; i += 16) v128.store(row + <usize>i, z);
        continue;
      }
      for (let i = 0; i < leftBytes; i += 16) v128.store(row + <usize>i, z);
      const s0 = x + <usize>c * hw + <usize>(iy * W), dst = row + <usize>leftBytes;
      for (let ix = 0; ix < W; ix += 8) {
        const a = v128.load8x8_s(s0 + <usize>ix), b = two ? v128.load8x8_s(s0 + hw + <usize>ix) : z;
        const t = dst + (<usize>ix << 2);
        v128.store(t, i8x16.shuffle(a, b, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23));
        v128.store(t, i8x16.shuffle(a, b, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31), 16);
      }
      for (let i = leftBytes + inBytes; i < rowBytes; i += 16) v128.store(row + <usize>i, z);
    }
  }
}
