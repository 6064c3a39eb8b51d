// Convolution kernels (NCHW, OIHW), forward: im2col into a row-major [K, pixels] matrix (the GEMM
// operand of the forward pass and of the filter gradient; the GEMM itself is in gemm.ts) and the
// direct depthwise convolution. Direct convolutions of unpadded stride-1 rows are in
// assembly/conv2d-direct.ts, the backward kernels in assembly/conv2d-backward.ts; the parameter
// blocks' layouts and the shared inline helpers in assembly/gemm-common.ts.
import { param, loadN, storeN, zeroN, loadStrided } from "./gemm-common";
import { Im2colBlock, tapColLo, tapColHi, tapRowLo, tapRowHi, tapOffset, loadMasked } from "./conv2d-common";

/**
 * col[k, (oy − oyStart)·ow + ox] = x[c, oy·sh − padTop + ki·dh, ox·sw − padLeft + kj·dw] (0 outside
 * the input) for k = (c·kh + ki)·kw + kj < K = C·kh·kw and output rows oy in [oyStart, oyEnd).
 * xPtr: one image (or group) [C, H, W]; colPtr: row-major [K, ldCol] (ldCol ≥ (oyEnd − oyStart)·ow;
 * columns past that are scratch); paramPtr: the im2col block (assembly/conv2d-common.ts). The
 * (k, oy) segments of ow floats are written in order: v128 copies for stride 1 (whole vectors,
 * whose ≤ 3 extra floats the next piece overwrites, except at the very end), pairs of loads for
 * stride 2, 4-lane gathers for larger strides; padding columns and rows are zero-filled. Writes
 * only inside col; reads at most 3 floats past the last input row.
 * @split im2col x=xPtr col=colPtr ldCol=ldCol params=paramPtr start=oyStart end=oyEnd
 */
export function conv2d_im2col_f32_simd(xPtr: usize, colPtr: usize, ldCol: i32, paramPtr: usize, oyStart: i32, oyEnd: i32): void {
  const g = changetype<Im2colBlock>(paramPtr);
  const C = g.C, kh = g.kh, kw = g.kw, sw = g.sw, ow = g.ow;
  const plane = <usize>(g.H * g.W) << 2;
  const ow4 = <usize>ow << 2;
  const run = (oyEnd - oyStart) * ow;
  const end = colPtr + (<usize>(C * kh * kw - 1) * <usize>ldCol + <usize>run << 2);
  const gap = <usize>(ldCol - run) << 2;
  const rowStep = <usize>(g.sh * g.W) << 2;
  let d = colPtr;
  for (let c = 0; c < C; c++) {
    const xc = xPtr + <usize>c * plane;
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++, d += gap) {
        const lo = tapColLo(g, kj), hi = tapColHi(g, kj, lo);
        // output rows [oyLo, oyHi) of the block read inside the input; the others are zero
        const oyLo = tapRowLo(g, ki, oyStart, oyEnd), oyHi = tapRowHi(g, ki, oyEnd, oyLo);
        zeroN(d, (oyLo - oyStart) * ow, end);
        d += <usize>(oyLo - oyStart) * ow4;
        let src = xc + tapOffset(g, ki, kj, oyLo, lo);
        const last = d + <usize>(oyHi - oyLo) * ow4;
        if (sw == 1 && lo == 0 && hi == ow && last + 12 <= end) {
          // the common interior case: whole-vector copies, each spill overwritten by the next row
          for (; d < last; d += ow4) {
            for (let i = 0; i < ow; i += 4) v128.store(d + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
            src += rowStep;
          }
        } else {
          for (; d < last; d += ow4) {
            if (lo > 0) zeroN(d, lo, end);
            copyStrided(d + (<usize>lo << 2), src, hi - lo, sw, end);
            if (hi < ow) zeroN(d + (<usize>hi << 2), ow - hi, end);
            src += rowStep;
          }
        }
        zeroN(d, (oyEnd - oyHi) * ow, end);
        d += <usize>(oyEnd - oyHi) * ow4;
      }
    }
  }
}

/** d[i] = s[i·sw] for i < n; stride 1 in whole vectors when they end before `end` (see zeroN). */
@inline function copyStrided(d: usize, s: usize, n: i32, sw: i32, end: usize): void {
  let i = 0;
  if (sw == 1) {
    if (d + (<usize>(n + 3 & ~3) << 2) <= end) {
      for (; i < n; i += 4) v128.store(d + (<usize>i << 2), v128.load(s + (<usize>i << 2)));
      return;
    }
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      v128.store(d + o, v128.load(s + o));
      v128.store(d + o, v128.load(s + o, 16), 16);
    }
    for (; i < n; i += 4) {
      const o = <usize>i << 2;
      const m = min(4, n - i);
      storeN(d + o, loadN(s + o, m), m);
    }
    return;
  }
  const st = <usize>sw << 2;
  for (; i + 4 <= n; i += 4) v128.store(d + (<usize>i << 2), loadStrided(s + <usize>i * st, sw));
  for (; i < n; i++) store<f32>(d + (<usize>i << 2), load<f32>(s + <usize>i * st));
}
/**
 * Depthwise convolution of one image, channel multiplier mult:
 * y[o, oy, ox] = clamp(bias[o] + Σ_{ki,kj} w[o, ki, kj]·x[o / mult, oy·sh − padTop + ki·dh,
 * ox·sw − padLeft + kj·dw], minv, maxv), zero outside the input, for o < C·mult.
 * xPtr: [C, H, W]; wPtr: [C·mult, 1, kh, kw]; biasPtr: f32[C·mult] or 0; yPtr: [C·mult, oh, ow];
 * paramPtr: the depthwise block above. Columns whose whole window is inside the input are computed
 * 8 then 4 at a time (v128 loads for strides 1 and 2); border and tail columns 4 at a time with
 * masked loads at stride 1, else one by one. Rows outside the input are skipped.
 * Reads at most 12 bytes before an input row (stride 1) and one float past the last (stride 2).
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
      // the border columns: at stride 1, 4 at a time with masked loads (dilated windows on small
      // planes, ASPP's 14×14, are mostly border); else one by one
      let ox = 0;
      if (sw == 1) for (; ox < oxL; ox += 4) dwMasked(xc, wo, yr, ox, W, kw, iy0, kiLo, kiHi, dh, dw, pl, bv, ow, lo, hi);
      else for (; ox < oxL; ox++) dwPixel(xc, wo, yr, ox, W, kw, iy0, kiLo, kiHi, sw, dh, dw, pl, b, minv, maxv);
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
      if (sw == 1) for (; ox < ow; ox += 4) dwMasked(xc, wo, yr, ox, W, kw, iy0, kiLo, kiHi, dh, dw, pl, bv, ow, lo, hi);
      else for (; ox < ow; ox++) dwPixel(xc, wo, yr, ox, W, kw, iy0, kiLo, kiHi, sw, dh, dw, pl, b, minv, maxv);
    }
  }
}

/**
 * Four depthwise outputs at columns ox… of one row at stride 1 (border and tail): each tap a
 * masked vector load (zero lanes outside the row, adding w·0, which leaves a finite sum as it is),
 * in the interior loop's order; stores the lanes below ow.
 */
@inline function dwMasked(
  xc: usize, wo: usize, yr: usize, ox: i32, W: i32, kw: i32,
  iy0: i32, kiLo: i32, kiHi: i32, dh: i32, dw: i32, pl: i32, bv: v128, ow: i32, lo: v128, hi: v128,
): void {
  let a = bv;
  for (let ki = kiLo; ki < kiHi; ki++) {
    const row = xc + (<usize>((iy0 + ki * dh) * W) << 2);
    const wr = wo + (<usize>(ki * kw) << 2);
    for (let kj = 0; kj < kw; kj++) {
      a = f32x4.add(a, f32x4.mul(v128.load32_splat(wr + (<usize>kj << 2)), loadMasked(row, ox - pl + kj * dw, W)));
    }
  }
  storeN(yr + (<usize>ox << 2), f32x4.pmin(f32x4.pmax(a, lo), hi), ow - ox);
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
