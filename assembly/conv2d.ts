// Convolution kernels (NCHW, OIHW): im2col into a row-major [K, pixels] matrix (the GEMM operand
// of the forward pass and of the filter gradient; the GEMM itself is in gemm.ts), col2im (its
// adjoint: scatter-adds columns back into an image, for the data gradient), and the direct
// depthwise convolution with its backward passes.
//
// Geometry parameter blocks are i32 arrays written by the TypeScript ops (src/ops/conv2d*.ts):
//   im2col / col2im: [C, H, W, kh, kw, sh, sw, dh, dw, padTop, padLeft, ow]
//   depthwise:       [C, H, W, mult, kh, kw, sh, sw, dh, dw, padTop, padLeft, oh, ow]
@inline function param(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
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

/** First ox ≥ 0 whose column ix0 + ox·sw is ≥ 0 (at most ow). */
@inline function oxFirst(ix0: i32, sw: i32, ow: i32): i32 {
  return ix0 >= 0 ? 0 : min((sw - 1 - ix0) / sw, ow);
}

/** One past the last ox (≥ lo, < ow) whose column ix0 + ox·sw is < W. */
@inline function oxEnd(ix0: i32, sw: i32, W: i32, ow: i32, lo: i32): i32 {
  const room = W - 1 - ix0;
  return room < 0 ? lo : max(lo, min(ow, room / sw + 1));
}

/**
 * d[0 .. n) = 0, in whole vectors when the ≤ 3 floats past d[n − 1] lie before `end` (the caller
 * writes them again later), else exactly n.
 */
@inline function zeroN(d: usize, n: i32, end: usize): void {
  const z = f32x4.splat(0);
  let i = 0;
  if (d + (<usize>(n + 3 & ~3) << 2) <= end) {
    for (; i < n; i += 4) v128.store(d + (<usize>i << 2), z);
    return;
  }
  for (; i + 4 <= n; i += 4) v128.store(d + (<usize>i << 2), z);
  storeN(d + (<usize>i << 2), z, n - i);
}

/**
 * col[k, (oy − oyStart)·ow + ox] = x[c, oy·sh − padTop + ki·dh, ox·sw − padLeft + kj·dw] (0 outside
 * the input) for k = (c·kh + ki)·kw + kj < K = C·kh·kw and output rows oy in
 * [oyStart, oyStart + oyCount). xPtr: one image (or group) [C, H, W]; colPtr: row-major [K, ldCol]
 * (ldCol ≥ oyCount·ow; columns past oyCount·ow are scratch); paramPtr: the im2col block. The
 * (k, oy) segments of ow floats are written in order: v128 copies for stride 1 (whole vectors,
 * whose ≤ 3 extra floats the next piece overwrites, except at the very end), pairs of loads for
 * stride 2, 4-lane gathers for larger strides; padding columns and rows are zero-filled. Writes
 * only inside col; reads at most 3 floats past the last input row.
 */
export function conv2d_im2col_f32_simd(xPtr: usize, colPtr: usize, ldCol: i32, paramPtr: usize, oyStart: i32, oyCount: i32): void {
  const C = param(paramPtr, 0), H = param(paramPtr, 1), W = param(paramPtr, 2);
  const kh = param(paramPtr, 3), kw = param(paramPtr, 4);
  const sh = param(paramPtr, 5), sw = param(paramPtr, 6);
  const dh = param(paramPtr, 7), dw = param(paramPtr, 8);
  const pt = param(paramPtr, 9), pl = param(paramPtr, 10), ow = param(paramPtr, 11);
  const plane = <usize>(H * W) << 2;
  const ow4 = <usize>ow << 2;
  const end = colPtr + (<usize>(C * kh * kw - 1) * <usize>ldCol + <usize>(oyCount * ow) << 2);
  const gap = <usize>(ldCol - oyCount * ow) << 2;
  let d = colPtr;
  for (let c = 0; c < C; c++) {
    const xc = xPtr + <usize>c * plane;
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++, d += gap) {
        const ix0 = kj * dw - pl;
        const lo = oxFirst(ix0, sw, ow);
        const hi = oxEnd(ix0, sw, W, ow, lo);
        // output rows [oyLo, oyHi) of the block read inside the input; the others are zero
        const iy0 = ki * dh - pt;
        const oyEnd = oyStart + oyCount;
        const oyLo = max(oyStart, oxFirst(iy0, sh, oyEnd));
        const oyHi = oxEnd(iy0, sh, H, oyEnd, oyLo);
        zeroN(d, (oyLo - oyStart) * ow, end);
        d += <usize>(oyLo - oyStart) * ow4;
        let src = xc + (<usize>((oyLo * sh + iy0) * W + ix0 + lo * sw) << 2);
        const rowStep = <usize>(sh * W) << 2;
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

// ── Training ─────────────────────────────────────────────────────────────────────────────────

/**
 * x[c, oy·sh − padTop + ki·dh, ox·sw − padLeft + kj·dw] += col[k, (oy − oyStart)·ow + ox] for
 * every tap that lands inside the input (k, oy, ox as in conv2d_im2col_f32_simd): the adjoint of
 * im2col, ADDING into x (the caller zeroes it before the first block of rows). colPtr: row-major
 * [K, oyCount·ow]; xPtr: one image (or group) [C, H, W]; paramPtr: the im2col block. Stride 1:
 * v128 adds, the end of a run as a whole vector with the extra lanes adding 0 (a partial one at
 * the end of x); stride 2: four columns spread over two vectors (the skipped columns get + 0);
 * larger strides one by one. Writes only inside x; reads ≤ 3 floats past col's end.
 */
export function conv2d_col2im_f32_simd(colPtr: usize, xPtr: usize, paramPtr: usize, oyStart: i32, oyCount: i32): void {
  const C = param(paramPtr, 0), H = param(paramPtr, 1), W = param(paramPtr, 2);
  const kh = param(paramPtr, 3), kw = param(paramPtr, 4);
  const sh = param(paramPtr, 5), sw = param(paramPtr, 6);
  const dh = param(paramPtr, 7), dw = param(paramPtr, 8);
  const pt = param(paramPtr, 9), pl = param(paramPtr, 10), ow = param(paramPtr, 11);
  const plane = <usize>(H * W) << 2;
  const ow4 = <usize>ow << 2;
  const one = f32x4.splat(1);
  const end = xPtr + <usize>C * plane;
  let s = colPtr;
  for (let c = 0; c < C; c++) {
    const xc = xPtr + <usize>c * plane;
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const ix0 = kj * dw - pl;
        const lo = oxFirst(ix0, sw, ow);
        const hi = oxEnd(ix0, sw, W, ow, lo);
        const iy0 = ki * dh - pt;
        const oyEnd = oyStart + oyCount;
        const oyLo = max(oyStart, oxFirst(iy0, sh, oyEnd));
        const oyHi = oxEnd(iy0, sh, H, oyEnd, oyLo);
        let src = s + <usize>(oyLo - oyStart) * ow4 + (<usize>lo << 2);
        let dst = xc + (<usize>((oyLo * sh + iy0) * W + ix0 + lo * sw) << 2);
        const rowStep = <usize>(sh * W) << 2;
        const n = hi - lo;
        if (sw == 1 && n == ow && dst + <usize>(oyHi - oyLo - 1) * rowStep + (<usize>(n + 3 & ~3) << 2) <= end) {
          // the common interior case: whole vectors, the last one masked to add 0 past the run
          const n4 = n & ~3;
          const mask = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(n - n4));
          for (let oy = oyLo; oy < oyHi; oy++) {
            for (let i = 0; i < n4; i += 4) {
              const o = <usize>i << 2;
              v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
            }
            if (n4 < n) {
              const o = <usize>n4 << 2;
              v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.and(v128.load(src + o), mask)));
            }
            src += ow4;
            dst += rowStep;
          }
        } else {
          for (let oy = oyLo; oy < oyHi; oy++) {
            addStrided(false, dst, src, n, sw, one, end);
            src += ow4;
            dst += rowStep;
          }
        }
        s += <usize>oyCount * ow4;
      }
    }
  }
}

/**
 * d[i·sw] += scale·s[i] for i < n (SCALE false: scale ignored). Other columns of d before `end`
 * may be rewritten with + 0: stride 1 ends a run with a whole vector whose extra lanes add 0 when
 * it ends before `end`; the stride-2 vector step runs while a later target follows, so its
 * in-between column is in range. Reads ≤ 3 floats past s[n − 1].
 */
@inline function addStrided(SCALE: bool, d: usize, s: usize, n: i32, sw: i32, scale: v128, end: usize): void {
  let i = 0;
  if (sw == 1) {
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      let a = v128.load(s + o), b = v128.load(s + o, 16);
      if (SCALE) { a = f32x4.mul(a, scale); b = f32x4.mul(b, scale); }
      v128.store(d + o, f32x4.add(v128.load(d + o), a));
      v128.store(d + o, f32x4.add(v128.load(d + o, 16), b), 16);
    }
    for (; i < n; i += 4) {
      const o = <usize>i << 2;
      const m = n - i;
      if (m >= 4 || d + o + 16 <= end) {
        let a = v128.load(s + o);
        if (SCALE) a = f32x4.mul(a, scale);
        // after the scaling, so a NaN or ∞ weight cannot leak into the neighbouring columns
        if (m < 4) a = v128.and(a, i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(m)));
        v128.store(d + o, f32x4.add(v128.load(d + o), a));
      } else {
        let a = loadN(s + o, m);
        if (SCALE) a = f32x4.mul(a, scale);
        storeN(d + o, f32x4.add(loadN(d + o, m), a), m);
      }
    }
    return;
  }
  const sc = f32x4.extract_lane(scale, 0);
  if (sw == 2) {
    const z = f32x4.splat(0);
    for (; i + 4 < n; i += 4) {
      let a = v128.load(s + (<usize>i << 2));
      if (SCALE) a = f32x4.mul(a, scale);
      const q = d + (<usize>i << 3);
      v128.store(q, f32x4.add(v128.load(q), f32x4.shuffle(a, z, 0, 4, 1, 5)));
      v128.store(q, f32x4.add(v128.load(q, 16), f32x4.shuffle(a, z, 2, 6, 3, 7)), 16);
    }
  }
  const st = <usize>sw << 2;
  for (; i < n; i++) {
    const q = d + <usize>i * st;
    const v = load<f32>(s + (<usize>i << 2));
    store<f32>(q, load<f32>(q) + (SCALE ? v * sc : v));
  }
}

/**
 * Data gradient of the depthwise convolution (dwconv2d_f32_minmax_simd), one image:
 * dx[c, iy, ix] = Σ w[o, ki, kj]·dy[o, oy, ox] over o = c·mult + m (m < mult) and the taps with
 * oy·sh − padTop + ki·dh = iy, ox·sw − padLeft + kj·dw = ix. Overwrites dx (zeroed first).
 * dyPtr: [C·mult, oh, ow]; wPtr: [C·mult, 1, kh, kw]; dxPtr: [C, H, W]; paramPtr: the depthwise
 * block. Each dy row is scaled by a tap and added into a dx row: v128 for stride 1 (partial
 * vectors at the end), two vectors per four columns for stride 2, one by one otherwise.
 */
export function dwconv2d_bwd_data_f32_simd(dyPtr: usize, wPtr: usize, dxPtr: usize, paramPtr: usize): void {
  const C = param(paramPtr, 0), H = param(paramPtr, 1), W = param(paramPtr, 2), mult = param(paramPtr, 3);
  const kh = param(paramPtr, 4), kw = param(paramPtr, 5);
  const sh = param(paramPtr, 6), sw = param(paramPtr, 7);
  const dh = param(paramPtr, 8), dw = param(paramPtr, 9);
  const pt = param(paramPtr, 10), pl = param(paramPtr, 11);
  const oh = param(paramPtr, 12), ow = param(paramPtr, 13);
  const plane = <usize>(H * W) << 2;
  const end = dxPtr + <usize>C * plane;
  zeroN(dxPtr, C * H * W, end);
  const taps = kh * kw;
  for (let o = 0; o < C * mult; o++) {
    const xc = dxPtr + <usize>(o / mult) * plane;
    const wo = wPtr + (<usize>(o * taps) << 2);
    for (let oy = 0; oy < oh; oy++) {
      const dyr = dyPtr + (<usize>((o * oh + oy) * ow) << 2);
      for (let ki = 0; ki < kh; ki++) {
        const iy = oy * sh - pt + ki * dh;
        if (<u32>iy >= <u32>H) continue;
        const row = xc + (<usize>(iy * W) << 2);
        for (let kj = 0; kj < kw; kj++) {
          const ix0 = kj * dw - pl;
          const lo = oxFirst(ix0, sw, ow);
          const hi = oxEnd(ix0, sw, W, ow, lo);
          const wv = v128.load32_splat(wo + (<usize>(ki * kw + kj) << 2));
          addStrided(true, row + (<usize>(ix0 + lo * sw) << 2), dyr + (<usize>lo << 2), hi - lo, sw, wv, end);
        }
      }
    }
  }
}

/**
 * Filter gradient of the depthwise convolution, one image, ACCUMULATED:
 * dw[o, ki, kj] += Σ_{oy, ox} dy[o, oy, ox]·x[o / mult, oy·sh − padTop + ki·dh, ox·sw − padLeft + kj·dw]
 * over the taps inside the input. xPtr: [C, H, W]; dyPtr: [C·mult, oh, ow]; dwPtr: [C·mult, 1, kh, kw];
 * paramPtr: the depthwise block. Dot products along each output row, two vector accumulators
 * (x gathered with v128 loads for strides 1 and 2), a scalar tail per row.
 * Reads at most one float past the last input row (stride 2).
 */
export function dwconv2d_bwd_filter_f32_simd(xPtr: usize, dyPtr: usize, dwPtr: usize, paramPtr: usize): void {
  const C = param(paramPtr, 0), H = param(paramPtr, 1), W = param(paramPtr, 2), mult = param(paramPtr, 3);
  const kh = param(paramPtr, 4), kw = param(paramPtr, 5);
  const sh = param(paramPtr, 6), sw = param(paramPtr, 7);
  const dh = param(paramPtr, 8), dw = param(paramPtr, 9);
  const pt = param(paramPtr, 10), pl = param(paramPtr, 11);
  const oh = param(paramPtr, 12), ow = param(paramPtr, 13);
  const z = f32x4.splat(0);
  const plane = <usize>(H * W) << 2;
  const st = <usize>sw << 2;
  for (let o = 0; o < C * mult; o++) {
    const xc = xPtr + <usize>(o / mult) * plane;
    const dyo = dyPtr + (<usize>(o * oh * ow) << 2);
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const ix0 = kj * dw - pl;
        const lo = oxFirst(ix0, sw, ow);
        const hi = oxEnd(ix0, sw, W, ow, lo);
        let a0 = z, a1 = z;
        let t: f32 = 0;
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh - pt + ki * dh;
          if (<u32>iy >= <u32>H) continue;
          const xs = xc + (<usize>(iy * W + ix0) << 2);
          const ds = dyo + (<usize>(oy * ow) << 2);
          let ox = lo;
          for (; ox + 8 <= hi; ox += 8) {
            const xp = xs + <usize>ox * st;
            const dp = ds + (<usize>ox << 2);
            a0 = f32x4.add(a0, f32x4.mul(v128.load(dp), loadStrided(xp, sw)));
            a1 = f32x4.add(a1, f32x4.mul(v128.load(dp, 16), loadStrided(xp + 4 * st, sw)));
          }
          for (; ox + 4 <= hi; ox += 4) {
            a0 = f32x4.add(a0, f32x4.mul(v128.load(ds + (<usize>ox << 2)), loadStrided(xs + <usize>ox * st, sw)));
          }
          for (; ox < hi; ox++) t += load<f32>(ds + (<usize>ox << 2)) * load<f32>(xs + <usize>ox * st);
        }
        a0 = f32x4.add(a0, a1);
        const h = f32x4.add(a0, f32x4.shuffle(a0, a0, 2, 3, 0, 1));
        const s = f32x4.extract_lane(f32x4.add(h, f32x4.shuffle(h, h, 1, 0, 3, 2)), 0) + t;
        const q = dwPtr + (<usize>((o * kh + ki) * kw + kj) << 2);
        store<f32>(q, load<f32>(q) + s);
      }
    }
  }
}
