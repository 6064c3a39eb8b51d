// Convolution kernels (NCHW, OIHW): im2col into the GEMM's 8-column B panels (the GEMM itself is
// in gemm.ts), and a direct depthwise convolution.
//
// Geometry parameter blocks are i32 arrays written by the TypeScript op (src/ops/conv2d.ts):
//   im2col:    [C, H, W, kh, kw, sh, sw, dh, dw, padTop, padLeft, ow]
//   depthwise: [C, H, W, mult, kh, kw, sh, sw, dh, dw, padTop, padLeft, oh, ow]

@inline function param(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/**
 * col[k, q] = x[c, oy·sh − padTop + ki·dh, ox·sw − padLeft + kj·dw] (0 outside the input), for
 * k = (c·kh + ki)·kw + kj < K = C·kh·kw and the output pixels p = pStart + q = oy·ow + ox,
 * q < pCount. xPtr: one image (or group) [C, H, W]; colPtr: panels [⌈pCount/8⌉][K][8] (the
 * GEMM's packed B); paramPtr: the im2col block above. Pixels of a panel that share an output
 * row are copied together: v128 loads/stores for taps whose span lies inside the input (strides
 * 1 and 2; partial vectors for runs shorter than 8), lane by lane at the padding or for other
 * strides; lanes past pCount are zeroed.
 * Reads at most one float past the last input row (stride 2).
 */
export function conv2d_im2col_f32_p8_simd(xPtr: usize, colPtr: usize, paramPtr: usize, pStart: i32, pCount: i32): void {
  const C = param(paramPtr, 0), H = param(paramPtr, 1), W = param(paramPtr, 2);
  const kh = param(paramPtr, 3), kw = param(paramPtr, 4);
  const sh = param(paramPtr, 5), sw = param(paramPtr, 6);
  const dh = param(paramPtr, 7), dw = param(paramPtr, 8);
  const pt = param(paramPtr, 9), pl = param(paramPtr, 10), ow = param(paramPtr, 11);
  const K = C * kh * kw;
  const panelBytes = <usize>K << 5;
  for (let q0 = 0; q0 < pCount; q0 += 8) {
    const dst = colPtr + <usize>(q0 >> 3) * panelBytes;
    const nl = min(8, pCount - q0);
    const p = pStart + q0;
    let oy = p / ow;
    let ox = p - oy * ow;
    if (nl == 8 && ox + 8 <= ow) {
      segment(xPtr, dst, 8, C, H, W, kh, kw, oy * sh - pt, ox * sw - pl, sw, dh, dw);
    } else {
      // split the panel into runs of lanes that share an output row
      let l = 0;
      while (l < nl) {
        const len = min(nl - l, ow - ox);
        segment(xPtr, dst + (<usize>l << 2), len, C, H, W, kh, kw, oy * sh - pt, ox * sw - pl, sw, dh, dw);
        l += len;
        oy++;
        ox = 0;
      }
      if (nl < 8) {
        for (let k = 0; k < K; k++) {
          const d = dst + (<usize>k << 5);
          for (let t = nl; t < 8; t++) store<f32>(d + (<usize>t << 2), 0);
        }
      }
    }
  }
}

/** First kj whose tap column ix0 + kj·dw is ≥ 0. */
@inline function firstInside(ix0: i32, kw: i32, dw: i32): i32 {
  let kj = 0;
  while (kj < kw && ix0 + kj * dw < 0) kj++;
  return kj;
}

/** One past the last kj (≥ lo) whose span [ix0 + kj·dw, ix0 + kj·dw + span] ends inside the row. */
@inline function lastInside(ix0: i32, kw: i32, dw: i32, span: i32, W: i32, lo: i32): i32 {
  let kj = kw;
  while (kj > lo && ix0 + (kj - 1) * dw + span >= W) kj--;
  return kj;
}

/**
 * len (≤ 8) consecutive output pixels of one output row, written at dst (lane offset included),
 * 32 bytes per k. iy0 = oy·sh − padTop, ix0 = ox·sw − padLeft of the first pixel. Taps kj in
 * [kjLo, kjHi) read inside the row for every lane (bounds hoisted out of the copy loops).
 */
@inline function segment(
  xPtr: usize, dst: usize, len: i32, C: i32, H: i32, W: i32, kh: i32, kw: i32,
  iy0: i32, ix0: i32, sw: i32, dh: i32, dw: i32,
): void {
  const z = f32x4.splat(0);
  const plane = <usize>(H * W) << 2;
  const kjLo = firstInside(ix0, kw, dw);
  const kjHi = lastInside(ix0, kw, dw, (len - 1) * sw, W, kjLo);
  const full = len == 8;
  const n0 = min(len, 4);
  const n1 = len - 4;
  const dwb = <usize>dw << 2;
  let d = dst;
  for (let c = 0; c < C; c++) {
    const xc = xPtr + <usize>c * plane;
    for (let ki = 0; ki < kh; ki++) {
      const iy = iy0 + ki * dh;
      if (<u32>iy >= <u32>H) {
        for (let kj = 0; kj < kw; kj++) {
          if (full) {
            v128.store(d, z);
            v128.store(d, z, 16);
          } else {
            for (let t = 0; t < len; t++) store<f32>(d + (<usize>t << 2), 0);
          }
          d += 32;
        }
        continue;
      }
      const row = xc + (<usize>(iy * W) << 2);
      let kj = 0;
      for (; kj < kjLo; kj++) {
        lanes(d, row, ix0 + kj * dw, len, sw, W);
        d += 32;
      }
      let s = row + (<usize>(ix0 + kj * dw) << 2);
      if (full && sw == 1) {
        for (; kj < kjHi; kj++) {
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
          s += dwb;
          d += 32;
        }
      } else if (full && sw == 2) {
        for (; kj < kjHi; kj++) {
          v128.store(d, f32x4.shuffle(v128.load(s), v128.load(s, 16), 0, 2, 4, 6));
          v128.store(d, f32x4.shuffle(v128.load(s, 32), v128.load(s, 48), 0, 2, 4, 6), 16);
          s += dwb;
          d += 32;
        }
      } else if (sw == 1) {
        for (; kj < kjHi; kj++) {
          storeN(d, loadN(s, n0), n0);
          storeN(d + 16, loadN(s + 16, n1), n1);
          s += dwb;
          d += 32;
        }
      } else {
        for (; kj < kjHi; kj++) {
          const st = <usize>sw << 2;
          for (let t = 0; t < len; t++) store<f32>(d + (<usize>t << 2), load<f32>(s + <usize>t * st));
          s += dwb;
          d += 32;
        }
      }
      for (; kj < kw; kj++) {
        lanes(d, row, ix0 + kj * dw, len, sw, W);
        d += 32;
      }
    }
  }
}

/** len lanes of one tap, each checked against the row (padding columns give 0). */
@inline function lanes(d: usize, row: usize, ix: i32, len: i32, sw: i32, W: i32): void {
  for (let t = 0; t < len; t++) {
    const xi = ix + t * sw;
    store<f32>(d + (<usize>t << 2), <u32>xi < <u32>W ? load<f32>(row + (<usize>xi << 2)) : 0);
  }
}

/** Loads n (≤ 4, may be ≤ 0) floats, zero elsewhere; never touches memory past p + 4n. */
@inline function loadN(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p);
  let v = f32x4.splat(0);
  if (n > 0) v = v128.load32_lane(p, v, 0);
  if (n > 1) v = v128.load32_lane(p, v, 1, 4);
  if (n > 2) v = v128.load32_lane(p, v, 2, 8);
  return v;
}

/** Stores the first n (≤ 4, may be ≤ 0) lanes of v. */
@inline function storeN(p: usize, v: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, v);
  } else {
    if (n > 0) v128.store32_lane(p, v, 0);
    if (n > 1) v128.store32_lane(p, v, 1, 4);
    if (n > 2) v128.store32_lane(p, v, 2, 8);
  }
}

/**
 * Depthwise convolution of one image, channel multiplier mult:
 * y[o, oy, ox] = clamp(bias[o] + Σ_{ki,kj} w[o, ki, kj]·x[o / mult, oy·sh − padTop + ki·dh,
 * ox·sw − padLeft + kj·dw], minv, maxv), zero outside the input, for o < C·mult.
 * xPtr: [C, H, W]; wPtr: [C·mult, 1, kh, kw]; biasPtr: f32[C·mult] or 0; yPtr: [C·mult, oh, ow];
 * paramPtr: the depthwise block above. Columns whose whole window is inside the input are computed
 * 8 then 4 at a time (v128 loads for strides 1 and 2); border and tail columns one by one.
 * Reads at most one float past the last input row (stride 2).
 */
export function dwconv2d_f32_minmax_simd(
  xPtr: usize, wPtr: usize, biasPtr: usize, yPtr: usize, paramPtr: usize, minv: f32, maxv: f32,
): void {
  const C = param(paramPtr, 0), H = param(paramPtr, 1), W = param(paramPtr, 2), mult = param(paramPtr, 3);
  const kh = param(paramPtr, 4), kw = param(paramPtr, 5);
  const sh = param(paramPtr, 6), sw = param(paramPtr, 7);
  const dh = param(paramPtr, 8), dw = param(paramPtr, 9);
  const pt = param(paramPtr, 10), pl = param(paramPtr, 11);
  const oh = param(paramPtr, 12), ow = param(paramPtr, 13);
  const lo = f32x4.splat(minv);
  const hi = f32x4.splat(maxv);
  // columns [oxL, oxR) read only inside the input for every kj
  let oxL = (pl + sw - 1) / sw;
  if (oxL > ow) oxL = ow;
  const room = W - 1 + pl - (kw - 1) * dw;
  let oxR = room < 0 ? 0 : room / sw + 1;
  if (oxR > ow) oxR = ow;
  if (oxR < oxL) oxR = oxL;
  const plane = <usize>(H * W) << 2;
  const taps = kh * kw;
  for (let o = 0; o < C * mult; o++) {
    const xc = xPtr + <usize>(o / mult) * plane;
    const wo = wPtr + (<usize>(o * taps) << 2);
    const b: f32 = biasPtr != 0 ? load<f32>(biasPtr + (<usize>o << 2)) : 0;
    const bv = f32x4.splat(b);
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - pt;
      let kiLo = 0;
      while (kiLo < kh && iy0 + kiLo * dh < 0) kiLo++;
      let kiHi = kh;
      while (kiHi > kiLo && iy0 + (kiHi - 1) * dh >= H) kiHi--;
      const yr = yPtr + (<usize>((o * oh + oy) * ow) << 2);
      let ox = 0;
      for (; ox < oxL; ox++) dwPixel(xc, wo, yr, ox, W, kw, iy0, kiLo, kiHi, sw, dh, dw, pl, b, minv, maxv);
      for (; ox + 8 <= oxR; ox += 8) {
        let a0 = bv, a1 = bv;
        for (let ki = kiLo; ki < kiHi; ki++) {
          const row = xc + (<usize>((iy0 + ki * dh) * W) << 2);
          const wr = wo + (<usize>(ki * kw) << 2);
          for (let kj = 0; kj < kw; kj++) {
            const wv = v128.load32_splat(wr + (<usize>kj << 2));
            const s = row + (<usize>(ox * sw - pl + kj * dw) << 2);
            a0 = f32x4.add(a0, f32x4.mul(wv, loadStrided(s, sw)));
            a1 = f32x4.add(a1, f32x4.mul(wv, loadStrided(s + (<usize>(4 * sw) << 2), sw)));
          }
        }
        const q = yr + (<usize>ox << 2);
        v128.store(q, f32x4.pmin(f32x4.pmax(a0, lo), hi));
        v128.store(q, f32x4.pmin(f32x4.pmax(a1, lo), hi), 16);
      }
      for (; ox + 4 <= oxR; ox += 4) {
        let a0 = bv;
        for (let ki = kiLo; ki < kiHi; ki++) {
          const row = xc + (<usize>((iy0 + ki * dh) * W) << 2);
          const wr = wo + (<usize>(ki * kw) << 2);
          for (let kj = 0; kj < kw; kj++) {
            const wv = v128.load32_splat(wr + (<usize>kj << 2));
            const s = row + (<usize>(ox * sw - pl + kj * dw) << 2);
            a0 = f32x4.add(a0, f32x4.mul(wv, loadStrided(s, sw)));
          }
        }
        v128.store(yr + (<usize>ox << 2), f32x4.pmin(f32x4.pmax(a0, lo), hi));
      }
      for (; ox < ow; ox++) dwPixel(xc, wo, yr, ox, W, kw, iy0, kiLo, kiHi, sw, dh, dw, pl, b, minv, maxv);
    }
  }
}

/** x[0], x[s], x[2s], x[3s] (s in elements) as one vector. */
@inline function loadStrided(p: usize, s: i32): v128 {
  if (s == 1) return v128.load(p);
  if (s == 2) return f32x4.shuffle(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
  const st = <usize>s << 2;
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + st));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * st));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * st));
}

/** One depthwise output pixel with bounds checks on every column (border and tail). */
@inline function dwPixel(
  xc: usize, wo: usize, yr: usize, ox: i32, W: i32, kw: i32,
  iy0: i32, kiLo: i32, kiHi: i32, sw: i32, dh: i32, dw: i32, pl: i32, b: f32, minv: f32, maxv: f32,
): void {
  let s = b;
  const ix0 = ox * sw - pl;
  for (let ki = kiLo; ki < kiHi; ki++) {
    const row = xc + (<usize>((iy0 + ki * dh) * W) << 2);
    const wr = wo + (<usize>(ki * kw) << 2);
    for (let kj = 0; kj < kw; kj++) {
      const ix = ix0 + kj * dw;
      if (<u32>ix < <u32>W) s += load<f32>(wr + (<usize>kj << 2)) * load<f32>(row + (<usize>ix << 2));
    }
  }
  s = s < minv ? minv : s; // the vector path's pmax/pmin NaN behaviour
  s = maxv < s ? maxv : s;
  store<f32>(yr + (<usize>ox << 2), s);
}
