// Direct filter gradients (dW += dy ⋆ x) of the layers assembly/conv2d-direct.ts computes without
// im2col: no column matrix, x read in place. The im2col-based gradients go through the GEMM
// (assembly/gemm.ts) instead; shared helpers in assembly/gemm-common.ts.
import { param, loadN, storeN, hsum4, madd } from "./gemm-common";

/**
 * Filter gradient of an unpadded convolution with stride 1 along the width, ACCUMULATED over a
 * batch: dw[o, c, ki, kj] += Σ_n Σ_{oy, ox} dy[n, o, oy, ox]·x[n, c, oy·sh + ki·dh, ox + kj·dw].
 * xPtr: N images xStride floats apart, each starting with [C, H, W]; dyPtr: N images dyStride
 * floats apart, each starting with [O, oh, ow]; dwPtr: [O, C, kh, kw]; paramPtr: i32
 * [C, H, W, O, kh, kw, sh, dh, dw, oh, ow, N, xStride, dyStride]. Every window must lie inside the
 * input. No im2col: per image, input channel, pair of output channels, kernel row and run of up
 * to 4 kernel columns, 2 × 4 vector accumulators of dy·x over 4 output columns at a time (x read
 * unaligned at the kj·dw offsets), summed across lanes into dw (per ≤ 1024 pixels); a last
 * partial group of columns is masked to zero. (2 × 5 accumulators would not fit V8's x64
 * registers.) Reads ≤ 3 floats past the last row of x and of dy.
 * @split filter_s1 dy=dyPtr dw=dwPtr params=paramPtr
 */
export function conv2d_bwd_filter_f32_s1_2x4_simd(xPtr: usize, dyPtr: usize, dwPtr: usize, paramPtr: usize): void {
  const C = param(paramPtr, 0), H = param(paramPtr, 1), W = param(paramPtr, 2), O = param(paramPtr, 3);
  const kh = param(paramPtr, 4), kw = param(paramPtr, 5), sh = param(paramPtr, 6);
  const dh = param(paramPtr, 7), dw = param(paramPtr, 8), ohAll = param(paramPtr, 9), ow = param(paramPtr, 10);
  const N = param(paramPtr, 11), xStride = param(paramPtr, 12), dyStride = param(paramPtr, 13);
  const plane = <usize>(H * W) << 2, dPlane = <usize>(ohAll * ow) << 2;
  // whole output rows of ≤ 1024 pixels (≤ 256 per lane) are summed before dw is updated
  const rows = max(1, 1024 / ow);
  const xRow = <usize>(sh * W) << 2, dRow = <usize>ow << 2;
  const dw4 = <usize>dw << 2;
  const oStep = <usize>(C * kh * kw) << 2;
  for (let n = 0; n < N; n++) {
    const xn = xPtr + (<usize>n * <usize>xStride << 2);
    const dyn = dyPtr + (<usize>n * <usize>dyStride << 2);
    for (let c = 0; c < C; c++) {
      for (let o = 0; o < O; o += 2) {
        const two = O - o >= 2;
        const dy0 = dyn + <usize>o * dPlane;
        for (let ki = 0; ki < kh; ki++) {
          for (let kj = 0; kj < kw; kj += 4) for (let y0 = 0; y0 < ohAll; y0 += rows) {
            const xr = xn + <usize>c * plane + (<usize>(ki * dh * W + kj * dw) << 2) + <usize>y0 * xRow;
            const out = dwPtr + (<usize>(((o * C + c) * kh + ki) * kw + kj) << 2);
            const m = min(4, kw - kj);
            const d0 = dy0 + <usize>y0 * dRow, oh = min(rows, ohAll - y0);
            // (undilated runs get loops of their own: their taps are immediate load offsets)
            if (dw != 1) {
              if (two) filterRun(2, 4, false, m, xr, d0, dPlane, xRow, dRow, dw4, oh, ow, out, oStep);
              else filterRun(1, 4, false, m, xr, d0, dPlane, xRow, dRow, dw4, oh, ow, out, oStep);
            } else if (two) {
              if (m == 4) filterRun(2, 4, true, 4, xr, d0, dPlane, xRow, dRow, 4, oh, ow, out, oStep);
              else if (m == 3) filterRun(2, 3, true, 3, xr, d0, dPlane, xRow, dRow, 4, oh, ow, out, oStep);
              else if (m == 2) filterRun(2, 2, true, 2, xr, d0, dPlane, xRow, dRow, 4, oh, ow, out, oStep);
              else filterRun(2, 1, true, 1, xr, d0, dPlane, xRow, dRow, 4, oh, ow, out, oStep);
            } else {
              if (m == 4) filterRun(1, 4, true, 4, xr, d0, dPlane, xRow, dRow, 4, oh, ow, out, oStep);
              else if (m == 3) filterRun(1, 3, true, 3, xr, d0, dPlane, xRow, dRow, 4, oh, ow, out, oStep);
              else if (m == 2) filterRun(1, 2, true, 2, xr, d0, dPlane, xRow, dRow, 4, oh, ow, out, oStep);
              else filterRun(1, 1, true, 1, xr, d0, dPlane, xRow, dRow, 4, oh, ow, out, oStep);
            }
          }
        }
      }
    }
  }
}

/**
 * One run of conv2d_bwd_filter_f32_s1_2x4_simd: OB (1 or 2) output channels × m ≤ KJ ≤ 4 kernel
 * columns (KJ, OB, DW1 constants; m = KJ unless dilated). xr: x at (c, ki·dh, kj·dw) of the image;
 * d0: dy plane of the first output channel (the second dPlane bytes later); dw4: bytes between
 * kernel columns (4 when DW1); out: &dw[o, c, ki, kj] (the next output channel oStep bytes later).
 */
@inline function filterRun(
  OB: i32, KJ: i32, DW1: bool, m: i32, xr: usize, d0: usize, dPlane: usize, xRow: usize, dRow: usize,
  dw4: usize, oh: i32, ow: i32, out: usize, oStep: usize,
): void {
  const z = f32x4.splat(0);
  let a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
  const steps = ow >> 2;
  const mask = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(ow & 3));
  for (let oy = 0; oy < oh; oy++) {
    let p = xr + <usize>oy * xRow, d = d0 + <usize>oy * dRow;
    for (let s = 0; s < steps; s++) {
      const u = v128.load(d);
      const v = OB > 1 ? v128.load(d + dPlane) : z;
      let x = v128.load(p);
      a0 = madd(u, x, a0);
      if (OB > 1) b0 = madd(v, x, b0);
      if (KJ > 1 && (DW1 || m > 1)) {
        x = DW1 ? v128.load(p, 4) : v128.load(p + dw4);
        a1 = madd(u, x, a1);
        if (OB > 1) b1 = madd(v, x, b1);
      }
      if (KJ > 2 && (DW1 || m > 2)) {
        x = DW1 ? v128.load(p, 8) : v128.load(p + 2 * dw4);
        a2 = madd(u, x, a2);
        if (OB > 1) b2 = madd(v, x, b2);
      }
      if (KJ > 3 && (DW1 || m > 3)) {
        x = DW1 ? v128.load(p, 12) : v128.load(p + 3 * dw4);
        a3 = madd(u, x, a3);
        if (OB > 1) b3 = madd(v, x, b3);
      }
      p += 16;
      d += 16;
    }
    if (ow & 3) {
      // the row's last 1–3 columns: whole vectors with the lanes past the row zeroed (x too, so
      // that whatever follows the row cannot turn 0·x into NaN)
      const u = v128.and(v128.load(d), mask);
      const v = OB > 1 ? v128.and(v128.load(d + dPlane), mask) : z;
      let x = v128.and(v128.load(p), mask);
      a0 = madd(u, x, a0);
      if (OB > 1) b0 = madd(v, x, b0);
      if (KJ > 1 && (DW1 || m > 1)) {
        x = v128.and(v128.load(p + dw4), mask);
        a1 = madd(u, x, a1);
        if (OB > 1) b1 = madd(v, x, b1);
      }
      if (KJ > 2 && (DW1 || m > 2)) {
        x = v128.and(v128.load(p + 2 * dw4), mask);
        a2 = madd(u, x, a2);
        if (OB > 1) b2 = madd(v, x, b2);
      }
      if (KJ > 3 && (DW1 || m > 3)) {
        x = v128.and(v128.load(p + 3 * dw4), mask);
        a3 = madd(u, x, a3);
        if (OB > 1) b3 = madd(v, x, b3);
      }
    }
  }
  addTo(out, a0, a1, a2, a3, DW1 ? KJ : m);
  if (OB > 1) addTo(out + oStep, b0, b1, b2, b3, DW1 ? KJ : m);
}

/** out[j] += the lane sum of the j-th accumulator, for j < m. */
@inline function addTo(out: usize, a0: v128, a1: v128, a2: v128, a3: v128, m: i32): void {
  store<f32>(out, load<f32>(out) + hsum4(a0));
  if (m > 1) store<f32>(out, load<f32>(out, 4) + hsum4(a1), 4);
  if (m > 2) store<f32>(out, load<f32>(out, 8) + hsum4(a2), 8);
  if (m > 3) store<f32>(out, load<f32>(out, 12) + hsum4(a3), 12);
}

/**
 * Filter gradient of an unpadded convolution (any stride and dilation), one image, ACCUMULATED:
 * dw[o, t] += Σ_{oy, ox} dy[o, oy, ox]·x[c, oy·sh + ki·dh, ox·sw + kj·dw] for each tap
 * t = (c·kh + ki)·kw + kj. The GEMM's 4 × 8 tile with C stored transposed (4 taps × 8 output
 * channels; dw[o, t] at dwPtr + 4·(o·K + t)), its A operand read in place: tap t of pixel
 * (oy, ox) is x at byte offsetsPtr[t] + 4·(oy·sh·W + ox·sw), splat-loaded. xPtr: one image (or
 * group) [C, H, W]; dyPtr: dy [O, oh·ow] packed by gemm_pack_f32_t_p8_simd ([⌈O/8⌉][oh·ow][8]);
 * offsetsPtr: i32[K] tap offsets in bytes; paramPtr: i32 [C, H, W, O, kh, kw, sh, sw, oh, ow]. Tap
 * tails in 2- and 1-tap tiles, a last panel of fewer than 8 channels stores only those; the pixels
 * are summed in runs of ≤ 256 (whole output rows, as the GEMM's K chunks) before dw is updated.
 * @split filter_ct dy=dyPtr dw=dwPtr params=paramPtr
 */
export function conv2d_bwd_filter_f32_ct_4x8_simd(xPtr: usize, dyPtr: usize, dwPtr: usize, offsetsPtr: usize, paramPtr: usize): void {
  const C = param(paramPtr, 0), H = param(paramPtr, 1), W = param(paramPtr, 2), O = param(paramPtr, 3);
  const kh = param(paramPtr, 4), kw = param(paramPtr, 5), sh = param(paramPtr, 6), sw = param(paramPtr, 7);
  const oh = param(paramPtr, 8), ow = param(paramPtr, 9);
  const K = C * kh * kw, P = oh * ow;
  const rows = max(1, 256 / ow);
  const sw4 = <usize>sw << 2;
  const skip = <usize>(sh * W - ow * sw) << 2;
  const K4 = <usize>K << 2;
  for (let o = 0; o < O; o += 8) {
    const nc = min(8, O - o);
    const panel = dyPtr + <usize>(o >> 3) * (<usize>P << 5);
    for (let y0 = 0; y0 < oh; y0 += rows) {
      const y1 = min(oh, y0 + rows);
      const xs = xPtr + (<usize>(y0 * sh * W) << 2);
      const pb = panel + (<usize>(y0 * ow) << 5);
      let t = 0;
      while (t < K) {
        const rem = K - t;
        const off = offsetsPtr + (<usize>t << 2);
        const out = dwPtr + (<usize>(o * K + t) << 2);
        if (rem >= 4) {
          tapTile(4, xs, off, pb, out, K4, nc, y1 - y0, ow, sw4, skip);
          t += 4;
        } else if (rem >= 2) {
          tapTile(2, xs, off, pb, out, K4, nc, y1 - y0, ow, sw4, skip);
          t += 2;
        } else {
          tapTile(1, xs, off, pb, out, K4, nc, y1 - y0, ow, sw4, skip);
          t += 1;
        }
      }
    }
  }
}

/**
 * MR taps (byte offsets at off) × nc ≤ 8 channels over `rows` output rows: xs is x at the first
 * row's pixel 0, pb the packed dy at that pixel, out &dw[o, t] (channels K4 bytes apart).
 */
@inline function tapTile(MR: i32, xs: usize, off: usize, pb: usize, out: usize, K4: usize, nc: i32, rows: i32, ow: i32, sw4: usize, skip: usize): void {
  const z = f32x4.splat(0);
  let c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
  let p0 = xs + <usize>load<i32>(off);
  let p1 = MR > 1 ? xs + <usize>load<i32>(off, 4) : 0;
  let p2 = MR > 2 ? xs + <usize>load<i32>(off, 8) : 0;
  let p3 = MR > 2 ? xs + <usize>load<i32>(off, 12) : 0;
  let b = pb;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < ow; i++) {
      const b0 = v128.load(b), b1 = v128.load(b, 16);
      const a0 = v128.load32_splat(p0);
      c00 = madd(a0, b0, c00);
      c01 = madd(a0, b1, c01);
      if (MR > 1) {
        const a1 = v128.load32_splat(p1);
        c10 = madd(a1, b0, c10);
        c11 = madd(a1, b1, c11);
      }
      if (MR > 2) {
        const a2 = v128.load32_splat(p2);
        c20 = madd(a2, b0, c20);
        c21 = madd(a2, b1, c21);
        const a3 = v128.load32_splat(p3);
        c30 = madd(a3, b0, c30);
        c31 = madd(a3, b1, c31);
      }
      b += 32;
      p0 += sw4;
      if (MR > 1) p1 += sw4;
      if (MR > 2) { p2 += sw4; p3 += sw4; }
    }
    p0 += skip;
    if (MR > 1) p1 += skip;
    if (MR > 2) { p2 += skip; p3 += skip; }
  }
  // rows of the tile are taps, lanes channels: transpose 4 × 4 blocks into each channel's taps
  let t0 = f32x4.shuffle(c00, c10, 0, 4, 1, 5), t1 = f32x4.shuffle(c20, c30, 0, 4, 1, 5);
  let t2 = f32x4.shuffle(c00, c10, 2, 6, 3, 7), t3 = f32x4.shuffle(c20, c30, 2, 6, 3, 7);
  tapAdd(out, f32x4.shuffle(t0, t1, 0, 1, 4, 5), MR);
  if (nc > 1) tapAdd(out + K4, f32x4.shuffle(t0, t1, 2, 3, 6, 7), MR);
  if (nc > 2) tapAdd(out + 2 * K4, f32x4.shuffle(t2, t3, 0, 1, 4, 5), MR);
  if (nc > 3) tapAdd(out + 3 * K4, f32x4.shuffle(t2, t3, 2, 3, 6, 7), MR);
  if (nc > 4) {
    const q = out + 4 * K4;
    t0 = f32x4.shuffle(c01, c11, 0, 4, 1, 5);
    t1 = f32x4.shuffle(c21, c31, 0, 4, 1, 5);
    t2 = f32x4.shuffle(c01, c11, 2, 6, 3, 7);
    t3 = f32x4.shuffle(c21, c31, 2, 6, 3, 7);
    tapAdd(q, f32x4.shuffle(t0, t1, 0, 1, 4, 5), MR);
    if (nc > 5) tapAdd(q + K4, f32x4.shuffle(t0, t1, 2, 3, 6, 7), MR);
    if (nc > 6) tapAdd(q + 2 * K4, f32x4.shuffle(t2, t3, 0, 1, 4, 5), MR);
    if (nc > 7) tapAdd(q + 3 * K4, f32x4.shuffle(t2, t3, 2, 3, 6, 7), MR);
  }
}

/** q[0 .. n) += the first n lanes of v. */
@inline function tapAdd(q: usize, v: v128, n: i32): void {
  storeN(q, f32x4.add(loadN(q, n), v), n);
}
