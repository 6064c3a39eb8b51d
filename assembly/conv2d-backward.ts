// Convolution kernels (NCHW, OIHW), backward: col2im (the adjoint of im2col in assembly/conv2d.ts:
// scatter-adds columns back into an image, for the data gradient) and the depthwise convolution's
// data and filter gradients. The direct filter gradients of unpadded layers are in
// assembly/conv2d-direct-backward.ts; parameter blocks and shared helpers in assembly/gemm-common.ts.
import { param, loadN, storeN, oxFirst, oxEnd, zeroN, loadStrided, hsum4 } from "./gemm-common";
import { Im2colBlock, tapColLo, tapColHi, tapRowLo, tapRowHi, tapOffset } from "./conv2d-common";

/**
 * x[c, oy·sh − padTop + ki·dh, ox·sw − padLeft + kj·dw] += col[k, (oy − oyStart)·ow + ox] for
 * every tap that lands inside the input (k, oy, ox as in conv2d_im2col_f32_simd, oy in [oyStart,
 * oyEnd)): the adjoint of im2col, ADDING into x (the caller zeroes it before the first block of
 * rows). colPtr: row-major [K, (oyEnd − oyStart)·ow]; xPtr: one image (or group) [C, H, W];
 * paramPtr: the im2col block (assembly/conv2d-common.ts). Stride 1: v128 adds, the end of a run as
 * a whole vector with the extra lanes adding 0 (a partial one at the end of x); stride 2: four
 * columns spread over two vectors (the skipped columns get + 0); larger strides one by one.
 * Writes only inside x; reads ≤ 3 floats past col's end.
 * @split col2im col=colPtr x=xPtr params=paramPtr start=oyStart end=oyEnd
 */
export function conv2d_col2im_f32_simd(colPtr: usize, xPtr: usize, paramPtr: usize, oyStart: i32, oyEnd: i32): void {
  const g = changetype<Im2colBlock>(paramPtr);
  const C = g.C, kh = g.kh, kw = g.kw, sw = g.sw, ow = g.ow;
  const plane = <usize>(g.H * g.W) << 2;
  const ow4 = <usize>ow << 2;
  const one = f32x4.splat(1);
  const end = xPtr + <usize>C * plane;
  const rowStep = <usize>(g.sh * g.W) << 2;
  const tapBytes = <usize>(oyEnd - oyStart) * ow4;
  let s = colPtr;
  for (let c = 0; c < C; c++) {
    const xc = xPtr + <usize>c * plane;
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const lo = tapColLo(g, kj), hi = tapColHi(g, kj, lo);
        const oyLo = tapRowLo(g, ki, oyStart, oyEnd), oyHi = tapRowHi(g, ki, oyEnd, oyLo);
        let src = s + <usize>(oyLo - oyStart) * ow4 + (<usize>lo << 2);
        let dst = xc + tapOffset(g, ki, kj, oyLo, lo);
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
        s += tapBytes;
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
        const s = hsum4(f32x4.add(a0, a1)) + t;
        const q = dwPtr + (<usize>((o * kh + ki) * kw + kj) << 2);
        store<f32>(q, load<f32>(q) + s);
      }
    }
  }
}
