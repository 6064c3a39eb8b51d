// QS8 elementwise, depthwise and pooling kernels (the GEMM family is assembly/gemm-qs8.ts; the
// requantization and its rounding: assembly/qs8-common.ts). int8 tensors are NCHW bytes with a
// per-tensor scale and zero point: real = (q − z)·scale.
import { Qs8Window, lutMap, padPlane, requant1, requantStore, store8 } from "./qs8-common";
import { quantize16, quantize1, quantFloor, quantMagic, quantBits } from "./qs8-quant";

/**
 * y[i] = clamp(nearest_even(x[i] / scale) + zp, −128, 127) (ONNX QuantizeLinear to int8; NaN → zp).
 * x: f32 [n]; y: int8 [n]. Vectors of 16, then a scalar tail with the same arithmetic.
 */
export function quantize_qs8_simd(xPtr: usize, yPtr: usize, n: i32, scale: f32, zp: i32): void {
  const s = f32x4.splat(scale), floor = quantFloor(), magic = quantMagic(), bits = quantBits(zp);
  let i = 0;
  for (; i + 16 <= n; i += 16) v128.store(yPtr + <usize>i, quantize16(xPtr + (<usize>i << 2), s, floor, magic, bits));
  for (; i < n; i++) store<i8>(yPtr + <usize>i, quantize1(load<f32>(xPtr + (<usize>i << 2)), scale, zp));
}

/**
 * y[i] = table[x[i] + 128] for i < n: an elementwise function of int8 values through a 256-byte
 * table (an activation between two int8 grids, tabulated by the caller). 16 values a step, then a
 * scalar tail (lutMap in qs8-common.ts).
 */
export function lut_qs8_simd(xPtr: usize, tablePtr: usize, yPtr: usize, n: i32): void {
  lutMap(xPtr, tablePtr, yPtr, n);
}

/** y[i] = (x[i] − zp)·scale (ONNX DequantizeLinear). x: int8 [n]; y: f32 [n]. */
export function dequantize_qs8_simd(xPtr: usize, yPtr: usize, n: i32, scale: f32, zp: i32): void {
  const s = f32x4.splat(scale), z = i32x4.splat(zp);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const h = i16x8.extend_low_i8x16_s(v128.load64_zero(xPtr + <usize>i));
    const p = yPtr + (<usize>i << 2);
    v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_s(h), z)), s));
    v128.store(p, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_s(h), z)), s), 16);
  }
  for (; i < n; i++) store<f32>(yPtr + (<usize>i << 2), <f32>(<i32>load<i8>(xPtr + <usize>i) - zp) * scale);
}

/**
 * Depthwise convolution (channel multiplier 1), one image per call:
 * y[c, oy, ox] = requant(bias[c] + Σ_{ki, kj} w[c, ki, kj]·(x[c, iy, ix] − zx), c) over the taps
 * inside the image (iy = oy·sh − padTop + ki·dh, ix = ox·sw − padLeft + kj·dw; padding is the
 * real 0.0 = zx, so it adds nothing). x: int8 [C, H, W]; w: int8 [C, kh, kw]; bias: i32 [C];
 * scale: f32 [C]; y: int8 [C, oh, ow]; paramsPtr: i32 [C, H, W, kh, kw, sh, sw, dh, dw, padTop,
 * padLeft, oh, ow]; rqPtr: the requantization block (qs8-common.ts). Stride 1 and 2 run 8 pixels per vector
 * where every tap of the 8 is inside the row (reading at most 16 bytes from the first), the last
 * such run overlapping the one before; the pixels whose taps reach into the padding go scalar.
 */
export function dwconv2d_qs8_minmax_simd(xPtr: usize, wPtr: usize, biasPtr: usize, scalePtr: usize, yPtr: usize, paramsPtr: usize, rqPtr: usize): void {
  const g = changetype<Qs8Window>(paramsPtr);
  const C = g.C, H = g.H, W = g.W, kh = g.kh, kw = g.kw, sh = g.sh, sw = g.sw;
  const dh = g.dh, dw = g.dw, pt = g.pt, pl = g.pl, oh = g.oh, ow = g.ow;
  const zx = load<i32>(rqPtr);
  const zy = load<i32>(rqPtr, 4), qmin = load<i32>(rqPtr, 8), qmax = load<i32>(rqPtr, 12);
  const zx16 = i16x8.splat(<i16>zx);
  // ox in [oxA, oxB): every kj tap inside the row
  const oxA = min(ow, (pl + sw - 1) / sw);
  const lastIx = W - 1 + pl - (kw - 1) * dw;
  const oxB = lastIx < 0 ? oxA : max(oxA, min(ow, lastIx / sw + 1));
  const vec = sw == 1 || sw == 2;
  const taps = kh * kw;
  for (let c = 0; c < C; c++) {
    const plane = xPtr + <usize>c * <usize>(H * W);
    const wc = wPtr + <usize>(c * taps);
    const bias = load<i32>(biasPtr + (<usize>c << 2));
    const scale = load<f32>(scalePtr + (<usize>c << 2));
    for (let oy = 0; oy < oh; oy++) {
      const yr = yPtr + <usize>((c * oh + oy) * ow);
      const iy0 = oy * sh - pt;
      let ox = 0;
      while (ox < ow) {
        if (vec && ox >= oxA && ox < oxB && oxB - oxA >= 8) {
          // the last chunk of the interior overlaps the one before instead of going scalar: each
          // pixel's sum is the same whichever chunk computes it, so rewriting one is harmless
          ox = min(ox, oxB - 8);
          let a0 = i32x4.splat(0), a1 = a0;
          for (let ki = 0; ki < kh; ki++) {
            const iy = iy0 + ki * dh;
            if (iy < 0 || iy >= H) continue;
            const row = plane + <usize>(iy * W + ox * sw - pl);
            for (let kj = 0; kj < kw; kj++) {
              const p = row + <usize>(kj * dw);
              let v: v128;
              if (sw == 1) v = v128.load64_zero(p);
              else v = i8x16.shuffle(v128.load(p), v128.load(p), 0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0);
              const d = i16x8.sub(i16x8.extend_low_i8x16_s(v), zx16);
              const wv = i16x8.splat(<i16>load<i8>(wc + <usize>(ki * kw + kj)));
              a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(d, wv));
              a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(d, wv));
            }
          }
          requantStore(yr + <usize>ox, 1, a0, a1, bias, scale, rqPtr, 8);
          ox += 8;
        } else {
          let acc = 0;
          const ix0 = ox * sw - pl;
          for (let ki = 0; ki < kh; ki++) {
            const iy = iy0 + ki * dh;
            if (iy < 0 || iy >= H) continue;
            for (let kj = 0; kj < kw; kj++) {
              const ix = ix0 + kj * dw;
              if (ix < 0 || ix >= W) continue;
              acc += <i32>load<i8>(wc + <usize>(ki * kw + kj)) * (<i32>load<i8>(plane + <usize>(iy * W + ix)) - zx);
            }
          }
          store<i8>(yr + <usize>ox, <i8>requant1(acc + bias, scale, zy, qmin, qmax));
          ox++;
        }
      }
    }
  }
}

/** (a − za)·ma + (b − zb)·mb (f32: mul, mul, add) of lanes 0…3 (high: 4…7) of the i16 lanes ha, hb. */
@inline function addSum(ha: v128, hb: v128, vza: v128, vma: v128, vzb: v128, vmb: v128, high: bool): v128 {
  const a = high ? i32x4.extend_high_i16x8_s(ha) : i32x4.extend_low_i16x8_s(ha);
  const b = high ? i32x4.extend_high_i16x8_s(hb) : i32x4.extend_low_i16x8_s(hb);
  return f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(a, vza)), vma), f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(b, vzb)), vmb));
}

/**
 * y[i] = clamp(nearest_even((a[i] − za)·ma + (b[i] − zb)·mb) + zy, qmin, qmax) with ma = sa/sy,
 * mb = sb/sy (f32; mul, mul, add: no fused multiply-add in any build). a, b, y: int8 [n].
 */
export function add_qs8_minmax_simd(aPtr: usize, bPtr: usize, yPtr: usize, n: i32, ma: f32, za: i32, mb: f32, zb: i32, zy: i32, qmin: i32, qmax: i32): void {
  const vma = f32x4.splat(ma), vmb = f32x4.splat(mb), vza = i32x4.splat(za), vzb = i32x4.splat(zb);
  const vzy = i16x8.splat(<i16>zy), lo = i8x16.splat(<i8>qmin), hi = i8x16.splat(<i8>qmax);
  let i = 0;
  if (<f32>255 * (ma + mb) <= <f32>4000000) {
    // |f| < 2^22: f + 1.5·2^23 rounds to the integer (ties to even) in the add itself and its bits are
    // those of 1.5·2^23 plus it, so subtracting (those bits − zy) gives nearest_even(f) + zy: the
    // same bytes as nearest, trunc_sat and the saturating zy below (past ±32767 both saturate), in
    // three operations where those take about ten
    const magic = f32x4.splat(12582912), bits = i32x4.splat(0x4b400000 - zy);
    for (; i + 8 <= n; i += 8) {
      const ha = i16x8.extend_low_i8x16_s(v128.load64_zero(aPtr + <usize>i));
      const hb = i16x8.extend_low_i8x16_s(v128.load64_zero(bPtr + <usize>i));
      const f0 = addSum(ha, hb, vza, vma, vzb, vmb, false), f1 = addSum(ha, hb, vza, vma, vzb, vmb, true);
      const h = i16x8.narrow_i32x4_s(i32x4.sub(f32x4.add(f0, magic), bits), i32x4.sub(f32x4.add(f1, magic), bits));
      v128.store64_lane(yPtr + <usize>i, i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(h, h), lo), hi), 0);
    }
  }
  for (; i + 8 <= n; i += 8) {
    const ha = i16x8.extend_low_i8x16_s(v128.load64_zero(aPtr + <usize>i));
    const hb = i16x8.extend_low_i8x16_s(v128.load64_zero(bPtr + <usize>i));
    const f0 = addSum(ha, hb, vza, vma, vzb, vmb, false), f1 = addSum(ha, hb, vza, vma, vzb, vmb, true);
    const r = i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f0)), i32x4.trunc_sat_f32x4_s(f32x4.nearest(f1)));
    const h = i16x8.add_sat_s(r, vzy);
    v128.store64_lane(yPtr + <usize>i, i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(h, h), lo), hi), 0);
  }
  for (; i < n; i++) {
    const f = <f32>(<i32>load<i8>(aPtr + <usize>i) - za) * ma + <f32>(<i32>load<i8>(bPtr + <usize>i) - zb) * mb;
    const r = min<f32>(max<f32>(nearest<f32>(f), -65536), 65536);
    store<i8>(yPtr + <usize>i, <i8>min(max(<i32>r + zy, qmin), qmax));
  }
}

/**
 * Max pooling on int8 (max commutes with the monotone quantization: input and output share scale
 * and zero point), one call for `planes` planes: y[pl, oy, ox] = max over the window's taps inside
 * the image (padding never wins, as PyTorch's −∞). paramsPtr: i32 [H, W, kh, kw, sh, sw, dh, dw,
 * padTop, padLeft, oh, ow]. Each plane with padding is first copied into the scratch with −128 around it (rows
 * (oh − 1)·sh + (kh − 1)·dh + 1 of stride Wp = maxpoolQs8Stride, then one row of Wp bytes): per
 * output row, the max down the window's rows (16 columns a step) into that last row, then across
 * its columns, 8 outputs a step for strides 1 and 2 (the last step overlapping the one before;
 * a row narrower than 8 in one step), one by one for others. Scratch: (rows + 1)·Wp + 32 bytes.
 */
export function maxpool2d_qs8_simd(xPtr: usize, yPtr: usize, planes: i32, paramsPtr: usize, scratchPtr: usize): void {
  const H = load<i32>(paramsPtr), W = load<i32>(paramsPtr, 4);
  const kh = load<i32>(paramsPtr, 8), kw = load<i32>(paramsPtr, 12);
  const sh = load<i32>(paramsPtr, 16), sw = load<i32>(paramsPtr, 20);
  const dh = load<i32>(paramsPtr, 24), dw = load<i32>(paramsPtr, 28);
  const pt = load<i32>(paramsPtr, 32), pl = load<i32>(paramsPtr, 36);
  const oh = load<i32>(paramsPtr, 40), ow = load<i32>(paramsPtr, 44);
  const span = (ow - 1) * sw + (kw - 1) * dw + 1; // columns an output row reads
  const Wp = maxpoolQs8Stride(W, pl, span);
  const rows = (oh - 1) * sh + (kh - 1) * dh + 1;
  const R = scratchPtr + <usize>(rows * Wp);
  const lowest = i8x16.splat(-128);
  // windows inside the image (no padding): the rows are read in place, 16 bytes past a row at most
  const inPlace = pt == 0 && pl == 0 && rows <= H && span <= W;
  const stride = inPlace ? W : Wp;
  if (inPlace && kh == 2 && kw == 2 && sh == 2 && sw == 2 && dh == 1 && dw == 1) {
    maxpool2x2(xPtr, yPtr, planes, H, W, oh, ow);
    return;
  }
  for (let q = 0; q < planes; q++) {
    const x = xPtr + <usize>q * <usize>(H * W);
    if (!inPlace) padPlane(scratchPtr, x, H, W, pt, pl, rows, Wp, lowest);
    const src = inPlace ? x : scratchPtr;
    let y = yPtr + <usize>q * <usize>(oh * ow);
    for (let oy = 0; oy < oh; oy++) {
      const top = src + <usize>(oy * sh * stride);
      for (let i = 0; i < span; i += 16) {
        let v = v128.load(top + <usize>i);
        for (let ki = 1; ki < kh; ki++) v = i8x16.max_s(v, v128.load(top + <usize>(ki * dh * stride + i)));
        v128.store(R + <usize>i, v);
      }
      if (sw <= 2) {
        for (let ox = 0; ox < ow; ox += 8) {
          // the last step overlaps the one before (or, in a row narrower than 8, stores ow)
          const o = ow >= 8 ? min(ox, ow - 8) : 0;
          const p = R + <usize>(o * sw);
          let v = lowest;
          if (sw == 1) {
            for (let kj = 0; kj < kw; kj++) v = i8x16.max_s(v, v128.load64_zero(p + <usize>(kj * dw)));
          } else {
            // the even bytes of 16, sign-extended in i16 lanes by two shifts (no shuffle constant)
            for (let kj = 0; kj < kw; kj++) v = i16x8.max_s(v, i16x8.shr_s(i16x8.shl(v128.load(p + <usize>(kj * dw)), 8), 8));
            v = i8x16.narrow_i16x8_s(v, v);
          }
          store8(y + <usize>o, 1, v, min(8, ow - o));
        }
      } else {
        for (let ox = 0; ox < ow; ox++) {
          let m: i32 = -128;
          for (let kj = 0; kj < kw; kj++) m = max(m, <i32>load<i8>(R + <usize>(ox * sw + kj * dw)));
          store<i8>(y + <usize>ox, <i8>m);
        }
      }
      y += <usize>ow;
    }
  }
}

/**
 * The 2×2 stride-2 window inside the image (LeNet, VGG): per 8 outputs the max of two 16-byte rows,
 * then of each byte pair (the even bytes and the odd ones sign-extended in i16 lanes by shifts).
 * Reads at most 15 bytes past the input.
 */
function maxpool2x2(xPtr: usize, yPtr: usize, planes: i32, H: i32, W: i32, oh: i32, ow: i32): void {
  let y = yPtr;
  for (let q = 0; q < planes; q++) {
    let r = xPtr + <usize>q * <usize>(H * W);
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox += 8) {
        const o = ow >= 8 ? min(ox, ow - 8) : 0;
        const m = i8x16.max_s(v128.load(r + <usize>(2 * o)), v128.load(r + <usize>(2 * o + W)));
        const v = i16x8.max_s(i16x8.shr_s(i16x8.shl(m, 8), 8), i16x8.shr_s(m, 8));
        store8(y + <usize>o, 1, i8x16.narrow_i16x8_s(v, v), min(8, ow - o));
      }
      r += <usize>(2 * W);
      y += <usize>ow;
    }
  }
}

/** The padded plane's row stride of maxpool2d_qs8_simd (src/ops/qs8.ts sizes the scratch by it). */
@inline function maxpoolQs8Stride(W: i32, pl: i32, span: i32): i32 {
  return (max(pl + W + 16, span + 16) + 15) & ~15;
}

/**
 * Mean of each plane, requantized: y[q] = clamp(nearest_even(f32(Σ_i x[q, i] − hw·zx)·mult) + zy,
 * −128, 127) with mult = sx / (sy·hw). x: int8 [planes, hw]; y: int8 [planes].
 */
export function global_avgpool2d_qs8_simd(xPtr: usize, yPtr: usize, planes: i32, hw: i32, mult: f32, zx: i32, zy: i32): void {
  for (let q = 0; q < planes; q++) {
    const p = xPtr + <usize>q * <usize>hw;
    let acc = i32x4.splat(0);
    let i = 0;
    for (; i + 8 <= hw; i += 8) acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.extend_low_i8x16_s(v128.load64_zero(p + <usize>i))));
    let s = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
    for (; i < hw; i++) s += <i32>load<i8>(p + <usize>i);
    store<i8>(yPtr + <usize>q, <i8>requant1(s - hw * zx, mult, zy, -128, 127));
  }
}
