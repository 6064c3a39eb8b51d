// Depthwise convolution, specialised windows: 3×3 and 5×5 with stride 1 or 2, dilation 1 and the
// centred left padding (k − 1)/2 that PyTorch's MobileNets and EfficientNets use, with an
// activation epilogue (clamp, then optionally hardswish or SiLU) in the store. The general
// depthwise kernel (any window, stride, dilation, padding) is dwconv2d_f32_minmax_simd in
// assembly/conv2d.ts.
//
// NCHW: four adjacent output pixels of one row are the vector lanes. For each input row of the
// window the taps are made from whole-vector loads and shuffles (stride 1: the vector at the
// output columns and its neighbours four to each side; stride 2: even and odd columns split by
// shuffles), so no tap is loaded lane by lane; columns outside [0, W) are zero lanes, which is the
// zero padding on the left and any padding on the right, and rows outside [0, H) are skipped.
// Accumulation order: bias, then taps row by row, column by column (as the general kernel).

import { madd, param, storeN } from "./gemm-common";
import { sigmoidv } from "./vmath";
import { loadMasked as ld } from "./conv2d-common";

/**
 * The epilogue: clamp to [lo, hi] (pmax/pmin: a NaN survives), then act 1: hardswish
 * x·min(max(x + 3, 0), 6)/6, act 2: SiLU x·sigmoid(x), in the same operations as the standalone
 * kernels (clip.ts, gated.ts), so a fused plan gives the unfused plan's bits.
 */
@inline function epilogue(v: v128, lo: v128, hi: v128, act: i32): v128 {
  let r = f32x4.pmin(f32x4.pmax(v, lo), hi);
  if (act == 1) {
    const g = f32x4.min(f32x4.max(f32x4.add(r, f32x4.splat(3.0)), f32x4.splat(0.0)), f32x4.splat(6.0));
    r = f32x4.div(f32x4.mul(r, g), f32x4.splat(6.0));
  } else if (act == 2) {
    r = f32x4.mul(r, sigmoidv(r));
  }
  return r;
}

/**
 * Adds the K taps of one input row (weights wr[0..K)) for the four outputs at column ox into acc.
 * S = 1: output j reads columns ox + j − P + kj; S = 2: 2(ox + j) − P + kj (P = (K − 1)/2).
 * IN (a constant): every column read lies inside the row, so the loads are plain (unaligned).
 */
@inline function rowTaps(K: i32, S: i32, IN: bool, row: usize, wr: usize, ox: i32, W: i32, acc: v128): v128 {
  if (S == 1) {
    if (IN) {
      const q = row + (<usize>(ox - (K >> 1)) << 2);
      acc = madd(v128.load32_splat(wr), v128.load(q), acc);
      acc = madd(v128.load32_splat(wr, 4), v128.load(q, 4), acc);
      acc = madd(v128.load32_splat(wr, 8), v128.load(q, 8), acc);
      if (K == 5) {
        acc = madd(v128.load32_splat(wr, 12), v128.load(q, 12), acc);
        acc = madd(v128.load32_splat(wr, 16), v128.load(q, 16), acc);
      }
      return acc;
    }
    const prev = ld(row, ox - 4, W), cur = ld(row, ox, W), next = ld(row, ox + 4, W);
    if (K == 3) {
      acc = madd(v128.load32_splat(wr), f32x4.shuffle(prev, cur, 3, 4, 5, 6), acc);
      acc = madd(v128.load32_splat(wr, 4), cur, acc);
      acc = madd(v128.load32_splat(wr, 8), f32x4.shuffle(cur, next, 1, 2, 3, 4), acc);
    } else {
      acc = madd(v128.load32_splat(wr), f32x4.shuffle(prev, cur, 2, 3, 4, 5), acc);
      acc = madd(v128.load32_splat(wr, 4), f32x4.shuffle(prev, cur, 3, 4, 5, 6), acc);
      acc = madd(v128.load32_splat(wr, 8), cur, acc);
      acc = madd(v128.load32_splat(wr, 12), f32x4.shuffle(cur, next, 1, 2, 3, 4), acc);
      acc = madd(v128.load32_splat(wr, 16), f32x4.shuffle(cur, next, 2, 3, 4, 5), acc);
    }
  } else {
    const c = ox << 1;
    let p: v128, a: v128, b: v128, n: v128;
    if (IN) {
      const q = row + (<usize>c << 2);
      p = v128.load(q - 16); a = v128.load(q); b = v128.load(q, 16);
      n = K == 5 ? v128.load(q, 32) : a;
    } else {
      p = ld(row, c - 4, W); a = ld(row, c, W); b = ld(row, c + 4, W);
      n = K == 5 ? ld(row, c + 8, W) : a;
    }
    const even = f32x4.shuffle(a, b, 0, 2, 4, 6); // columns c, c + 2, c + 4, c + 6
    const odd = f32x4.shuffle(a, b, 1, 3, 5, 7);
    const oddL = f32x4.shuffle(p, odd, 3, 4, 5, 6); // c − 1, c + 1, …
    if (K == 3) {
      acc = madd(v128.load32_splat(wr), oddL, acc);
      acc = madd(v128.load32_splat(wr, 4), even, acc);
      acc = madd(v128.load32_splat(wr, 8), odd, acc);
    } else {
      acc = madd(v128.load32_splat(wr), f32x4.shuffle(p, even, 2, 4, 5, 6), acc); // c − 2, c, …
      acc = madd(v128.load32_splat(wr, 4), oddL, acc);
      acc = madd(v128.load32_splat(wr, 8), even, acc);
      acc = madd(v128.load32_splat(wr, 12), odd, acc);
      acc = madd(v128.load32_splat(wr, 16), f32x4.shuffle(even, n, 1, 2, 3, 4), acc); // c + 2, …, c + 8
    }
  }
  return acc;
}

/** One block of four outputs of row yr at column ox (IN: see rowTaps). */
@inline function block(
  K: i32, S: i32, IN: bool, xc: usize, W4: usize, wo: usize, iy0: i32, kiLo: i32, kiHi: i32, ox: i32, W: i32,
  bv: v128, yr: usize, ow: i32, lo: v128, hi: v128, act: i32,
): void {
  let acc = bv;
  for (let ki = kiLo; ki < kiHi; ki++) {
    acc = rowTaps(K, S, IN, xc + <usize>(iy0 + ki) * W4, wo + (<usize>(ki * K) << 2), ox, W, acc);
  }
  const v = epilogue(acc, lo, hi, act);
  if (IN) v128.store(yr + (<usize>ox << 2), v);
  else storeN(yr + (<usize>ox << 2), v, ow - ox);
}

/** Output channels [oStart, oEnd) of one image for a K×K window, stride S (constants). */
@inline function dwPlanes(
  K: i32, S: i32, xPtr: usize, wPtr: usize, biasPtr: usize, yPtr: usize, paramPtr: usize,
  minv: f32, maxv: f32, act: i32, oStart: i32, oEnd: i32,
): void {
  const H = param(paramPtr, 1), W = param(paramPtr, 2), mult = param(paramPtr, 3);
  const pt = param(paramPtr, 10), oh = param(paramPtr, 12), ow = param(paramPtr, 13);
  const lo = f32x4.splat(minv), hi = f32x4.splat(maxv);
  const plane = <usize>(H * W) << 2;
  const W4 = <usize>W << 2;
  // blocks [oxL, oxR) (multiples of 4, all four outputs stored) read only inside the row
  const P = K >> 1;
  const oxL = 4; // stride 1: ox − P ≥ 0; stride 2: 2·ox − 4 ≥ 0
  // the last interior block starts at most at W − 4 − P (stride 1), or reads up to column
  // 2·ox + 7 (3×3) or + 11 (5×5) (stride 2)
  let oxR = S == 1 ? ((W - P) >> 2) << 2 : ((((W - (K == 5 ? 12 : 8)) >> 1) + 4) >> 2) << 2;
  if (oxR > (ow & ~3)) oxR = ow & ~3;
  if (oxR < oxL) oxR = oxL;
  for (let o = oStart; o < oEnd; o++) {
    const xc = xPtr + <usize>(o / mult) * plane;
    const wo = wPtr + (<usize>(o * K * K) << 2);
    const bv = f32x4.splat(biasPtr != 0 ? load<f32>(biasPtr + (<usize>o << 2)) : 0);
    let yr = yPtr + (<usize>(o * oh * ow) << 2);
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * S - pt;
      let kiLo = iy0 < 0 ? -iy0 : 0;
      let kiHi = H - iy0 < K ? H - iy0 : K;
      let ox = 0;
      for (; ox < oxL; ox += 4) block(K, S, false, xc, W4, wo, iy0, kiLo, kiHi, ox, W, bv, yr, ow, lo, hi, act);
      for (; ox < oxR; ox += 4) block(K, S, true, xc, W4, wo, iy0, kiLo, kiHi, ox, W, bv, yr, ow, lo, hi, act);
      for (; ox < ow; ox += 4) block(K, S, false, xc, W4, wo, iy0, kiLo, kiHi, ox, W, bv, yr, ow, lo, hi, act);
      yr += <usize>ow << 2;
    }
  }
}

/**
 * Depthwise 3×3 convolution, stride 1 or 2, dilation 1, left padding 1 (top and right/bottom
 * padding any), channel multiplier mult, one image, output channels [oStart, oEnd):
 * y[o, oy, ox] = act(clamp(bias[o] + Σ_{ki,kj} w[o, ki, kj]·x[o / mult, oy·s − padTop + ki,
 * ox·s − 1 + kj], minv, maxv)), zero outside the input; act 0: none, 1: hardswish, 2: SiLU.
 * xPtr: [C, H, W]; wPtr: [C·mult, 1, 3, 3]; biasPtr: f32[C·mult] or 0; yPtr: [C·mult, oh, ow];
 * paramPtr: the depthwise block (assembly/gemm-common.ts), stride from its sh. Reads only inside
 * the input rows; stores only the ow columns of each output row.
 * @split range start=oStart end=oEnd cost=paramPtr[12]*paramPtr[13]*1
 */
export function dwconv2d_f32_3x3_act_simd(
  xPtr: usize, wPtr: usize, biasPtr: usize, yPtr: usize, paramPtr: usize, minv: f32, maxv: f32, act: i32, oStart: i32, oEnd: i32,
): void {
  if (param(paramPtr, 6) == 1) dwPlanes(3, 1, xPtr, wPtr, biasPtr, yPtr, paramPtr, minv, maxv, act, oStart, oEnd);
  else dwPlanes(3, 2, xPtr, wPtr, biasPtr, yPtr, paramPtr, minv, maxv, act, oStart, oEnd);
}

/**
 * As dwconv2d_f32_3x3_act_simd for a 5×5 window with left padding 2 (EfficientNet, MobileNetV3).
 * wPtr: [C·mult, 1, 5, 5].
 * @split range start=oStart end=oEnd cost=paramPtr[12]*paramPtr[13]*2.5
 */
export function dwconv2d_f32_5x5_act_simd(
  xPtr: usize, wPtr: usize, biasPtr: usize, yPtr: usize, paramPtr: usize, minv: f32, maxv: f32, act: i32, oStart: i32, oEnd: i32,
): void {
  if (param(paramPtr, 6) == 1) dwPlanes(5, 1, xPtr, wPtr, biasPtr, yPtr, paramPtr, minv, maxv, act, oStart, oEnd);
  else dwPlanes(5, 2, xPtr, wPtr, biasPtr, yPtr, paramPtr, minv, maxv, act, oStart, oEnd);
}
