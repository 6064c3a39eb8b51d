// Pooling kernels over NCHW planes, forward: max and average over sliding 2-D windows, global
// average, and adaptive average pooling (PyTorch's AdaptiveAvgPool2d). The backward kernels are in
// assembly/pool2d-backward.ts; shared helpers and the window geometry block's layout in
// assembly/pool2d-common.ts.
//
// A plane is one (n, c) slice; kernels process planes [planeStart, planeEnd) so threads can split.
// Output columns whose window lies inside the input run 4 at a time in SIMD (stride 1: one load,
// stride 2: two loads deinterleaved, other strides: lanes gathered); border columns run scalar.
import { storeLanes } from "./vmath";
import {
  G_H, G_W, G_OH, G_OW, G_KH, G_KW, G_SH, G_SW, G_DH, G_DW, G_PT, G_PL, G_PB, G_PR, G_CIP,
  load4, firstTap, endTap, addRow, winStart, winEnd, align4, windowTable, gatherSum4,
} from "./pool2d-common";

/**
 * y[p, oh, ow] = max over kernel taps (kh, kw) of x[p, oh·SH − PT + kh·DH, ow·SW − PL + kw·DW],
 * padding taps ignored (−∞); NaN wins (PyTorch). xPtr: f32 [planes, H, W]; yPtr: f32
 * [planes, OH, OW]; geomPtr: the i32 geometry block above. idxPtr: 0, or i32 [planes, OH, OW]
 * receiving the argmax as ih·W + iw within the plane (first maximum in row-major window order,
 * −1 for a window with no real element). Any sizes; border and leftover columns scalar.
 */
export function maxpool2d_f32_simd(xPtr: usize, yPtr: usize, idxPtr: usize, geomPtr: usize, planeStart: i32, planeEnd: i32): void {
  const sw = load<i32>(geomPtr, G_SW);
  // specialise the column loads and the argmax bookkeeping out of the inner loops
  if (idxPtr == 0) {
    if (sw == 1) maxPlanes(xPtr, yPtr, 0, geomPtr, planeStart, planeEnd, 1, false);
    else if (sw == 2) maxPlanes(xPtr, yPtr, 0, geomPtr, planeStart, planeEnd, 2, false);
    else maxPlanes(xPtr, yPtr, 0, geomPtr, planeStart, planeEnd, 0, false);
  } else {
    if (sw == 1) maxPlanes(xPtr, yPtr, idxPtr, geomPtr, planeStart, planeEnd, 1, true);
    else if (sw == 2) maxPlanes(xPtr, yPtr, idxPtr, geomPtr, planeStart, planeEnd, 2, true);
    else maxPlanes(xPtr, yPtr, idxPtr, geomPtr, planeStart, planeEnd, 0, true);
  }
}

@inline function maxPlanes(xPtr: usize, yPtr: usize, idxPtr: usize, g: usize, planeStart: i32, planeEnd: i32, mode: i32, withIdx: bool): void {
  const H = load<i32>(g, G_H), W = load<i32>(g, G_W), OH = load<i32>(g, G_OH), OW = load<i32>(g, G_OW);
  const KH = load<i32>(g, G_KH), KW = load<i32>(g, G_KW), SH = load<i32>(g, G_SH), SW = load<i32>(g, G_SW);
  const DH = load<i32>(g, G_DH), DW = load<i32>(g, G_DW), PT = load<i32>(g, G_PT), PL = load<i32>(g, G_PL);
  // interior columns [a, b): every tap of the window inside [0, W)
  const a = min(OW, (PL + SW - 1) / SW);
  const reach = W - 1 + PL - (KW - 1) * DW;
  const b = max(a, min(OW, reach < 0 ? 0 : reach / SW + 1));
  const swBytes = <usize>SW << 2;
  const lanes = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(0), 1, SW), 2, 2 * SW), 3, 3 * SW);
  const negInf = f32x4.splat(-Infinity);
  for (let p = planeStart; p < planeEnd; p++) {
    const xp = xPtr + ((<usize>p * <usize>H * <usize>W) << 2);
    const yBase = <usize>p * <usize>OH * <usize>OW;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * SH - PT;
      const khLo = firstTap(ih0, DH), khHi = endTap(ih0, DH, KH, H);
      const yp = yPtr + ((yBase + <usize>oh * <usize>OW) << 2);
      const ip = idxPtr + ((yBase + <usize>oh * <usize>OW) << 2);
      let ow = 0;
      for (; ow < a; ow++) maxAt(xp, yp, ip, ow, W, ih0, khLo, khHi, DH, ow * SW - PL, KW, DW, withIdx);
      for (; ow + 4 <= b; ow += 4) {
        const iw0 = ow * SW - PL;
        let m = negInf;
        let nan = v128.splat<i32>(0);
        let ix = i32x4.splat(-1);
        if (withIdx && khLo < khHi) ix = i32x4.add(i32x4.splat((ih0 + khLo * DH) * W + iw0), lanes);
        for (let kh = khLo; kh < khHi; kh++) {
          const rowStart = (ih0 + kh * DH) * W + iw0;
          const rp = xp + (<usize>rowStart << 2);
          for (let kw = 0; kw < KW; kw++) {
            const v = load4(rp + (<usize>(kw * DW) << 2), mode, swBytes);
            if (withIdx) {
              // strictly greater keeps the first maximum; NaN always takes over (PyTorch)
              const take = v128.or(f32x4.gt(v, m), f32x4.ne(v, v));
              m = v128.bitselect(v, m, take);
              ix = v128.bitselect(i32x4.add(i32x4.splat(rowStart + kw * DW), lanes), ix, take);
            } else {
              // pmax is one instruction where max is a NaN-fixing sequence; NaN lanes are
              // tracked on the side and restored below
              m = f32x4.pmax(m, v);
              nan = v128.or(nan, f32x4.ne(v, v));
            }
          }
        }
        if (!withIdx) m = v128.or(m, nan); // all-ones bits are a NaN
        v128.store(yp + (<usize>ow << 2), m);
        if (withIdx) v128.store(ip + (<usize>ow << 2), ix);
      }
      for (; ow < OW; ow++) maxAt(xp, yp, ip, ow, W, ih0, khLo, khHi, DH, ow * SW - PL, KW, DW, withIdx);
    }
  }
}

/** One output column of max pooling with every tap bounds-checked. */
@inline function maxAt(xp: usize, yp: usize, ip: usize, ow: i32, W: i32, ih0: i32, khLo: i32, khHi: i32, DH: i32, iw0: i32, KW: i32, DW: i32, withIdx: bool): void {
  const kwLo = firstTap(iw0, DW), kwHi = endTap(iw0, DW, KW, W);
  let m: f32 = -Infinity;
  let ix: i32 = -1;
  if (khLo < khHi && kwLo < kwHi) ix = (ih0 + khLo * DH) * W + iw0 + kwLo * DW;
  for (let kh = khLo; kh < khHi; kh++) {
    const rowStart = (ih0 + kh * DH) * W + iw0;
    for (let kw = kwLo; kw < kwHi; kw++) {
      const i = rowStart + kw * DW;
      const v = load<f32>(xp + (<usize>i << 2));
      if (withIdx) {
        if (v > m || v != v) { m = v; ix = i; }
      } else {
        m = max(m, v);
      }
    }
  }
  store<f32>(yp + (<usize>ow << 2), m);
  if (withIdx) store<i32>(ip + (<usize>ow << 2), ix);
}

/**
 * y[p, oh, ow] = (Σ of x over the window's real taps) / divisor, PyTorch's avg_pool2d: with
 * hstart = oh·SH − PT, hend = min(hstart + KH, H + PB) (likewise for w), the divisor is
 * (hend − hstart)·(wend − wstart) when countIncludePad, else the number of real taps; a window
 * without real taps gives 0. xPtr: f32 [planes, H, W]; yPtr: f32 [planes, OH, OW]; geomPtr: the
 * geometry block (dilation ignored). Any sizes; border and leftover columns scalar.
 */
export function avgpool2d_f32_simd(xPtr: usize, yPtr: usize, geomPtr: usize, planeStart: i32, planeEnd: i32): void {
  const sw = load<i32>(geomPtr, G_SW);
  if (sw == 1) avgPlanes(xPtr, yPtr, geomPtr, planeStart, planeEnd, 1);
  else if (sw == 2) avgPlanes(xPtr, yPtr, geomPtr, planeStart, planeEnd, 2);
  else avgPlanes(xPtr, yPtr, geomPtr, planeStart, planeEnd, 0);
}

@inline function avgPlanes(xPtr: usize, yPtr: usize, g: usize, planeStart: i32, planeEnd: i32, mode: i32): void {
  const H = load<i32>(g, G_H), W = load<i32>(g, G_W), OH = load<i32>(g, G_OH), OW = load<i32>(g, G_OW);
  const KH = load<i32>(g, G_KH), KW = load<i32>(g, G_KW), SH = load<i32>(g, G_SH), SW = load<i32>(g, G_SW);
  const PT = load<i32>(g, G_PT), PL = load<i32>(g, G_PL), PB = load<i32>(g, G_PB), PR = load<i32>(g, G_PR);
  const includePad = load<i32>(g, G_CIP) != 0;
  const a = min(OW, (PL + SW - 1) / SW);
  const reach = W - KW + PL;
  const b = max(a, min(OW, reach < 0 ? 0 : reach / SW + 1));
  const swBytes = <usize>SW << 2;
  for (let p = planeStart; p < planeEnd; p++) {
    const xp = xPtr + ((<usize>p * <usize>H * <usize>W) << 2);
    const yBase = <usize>p * <usize>OH * <usize>OW;
    for (let oh = 0; oh < OH; oh++) {
      const hstart = oh * SH - PT;
      const hendPad = min(hstart + KH, H + PB);
      const hs = max(hstart, 0), he = min(hendPad, H);
      const rowsDiv = includePad ? hendPad - hstart : he - hs;
      const yp = yPtr + ((yBase + <usize>oh * <usize>OW) << 2);
      let ow = 0;
      for (; ow < a; ow++) avgAt(xp, yp, ow, W, hs, he, rowsDiv, ow * SW - PL, KW, PR, includePad);
      // interior columns span KW real taps in both modes
      const div = f32x4.splat(<f32>(rowsDiv * KW));
      for (; ow + 4 <= b; ow += 4) {
        const iw0 = ow * SW - PL;
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
        for (let ih = hs; ih < he; ih++) {
          const rp = xp + (<usize>(ih * W + iw0) << 2);
          let kw = 0;
          // two accumulators: independent add chains
          for (; kw + 2 <= KW; kw += 2) {
            s0 = f32x4.add(s0, load4(rp + (<usize>kw << 2), mode, swBytes));
            s1 = f32x4.add(s1, load4(rp + (<usize>(kw + 1) << 2), mode, swBytes));
          }
          if (kw < KW) s0 = f32x4.add(s0, load4(rp + (<usize>kw << 2), mode, swBytes));
        }
        const s = f32x4.add(s0, s1);
        v128.store(yp + (<usize>ow << 2), hs < he ? f32x4.div(s, div) : f32x4.splat(0));
      }
      for (; ow < OW; ow++) avgAt(xp, yp, ow, W, hs, he, rowsDiv, ow * SW - PL, KW, PR, includePad);
    }
  }
}

/** One output column of average pooling with PyTorch's divisor rule. */
@inline function avgAt(xp: usize, yp: usize, ow: i32, W: i32, hs: i32, he: i32, rowsDiv: i32, wstart: i32, KW: i32, PR: i32, includePad: bool): void {
  const wendPad = min(wstart + KW, W + PR);
  const ws = max(wstart, 0), we = min(wendPad, W);
  const colsDiv = includePad ? wendPad - wstart : we - ws;
  let s: f32 = 0;
  for (let ih = hs; ih < he; ih++) {
    const rp = xp + (<usize>(ih * W) << 2);
    for (let iw = ws; iw < we; iw++) s += load<f32>(rp + (<usize>iw << 2));
  }
  store<f32>(yp + (<usize>ow << 2), hs < he && ws < we ? s / <f32>(rowsDiv * colsDiv) : 0);
}

/**
 * y[p] = (1/hw)·Σ_i x[p, i] for planes p in [planeStart, planeEnd). xPtr: f32 [planes, hw];
 * yPtr: f32 [planes]; hw in elements (≥ 1). Four v128 accumulators, then a scalar tail.
 */
export function global_avgpool2d_f32_simd(xPtr: usize, yPtr: usize, hw: i32, planeStart: i32, planeEnd: i32): void {
  const inv: f32 = 1 / <f32>hw;
  for (let p = planeStart; p < planeEnd; p++) {
    const xp = xPtr + ((<usize>p * <usize>hw) << 2);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let i = 0;
    for (; i + 16 <= hw; i += 16) {
      const q = xp + (<usize>i << 2);
      a0 = f32x4.add(a0, v128.load(q));
      a1 = f32x4.add(a1, v128.load(q, 16));
      a2 = f32x4.add(a2, v128.load(q, 32));
      a3 = f32x4.add(a3, v128.load(q, 48));
    }
    for (; i + 4 <= hw; i += 4) a0 = f32x4.add(a0, v128.load(xp + (<usize>i << 2)));
    const acc = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
    let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
    for (; i < hw; i++) s += load<f32>(xp + (<usize>i << 2));
    store<f32>(yPtr + (<usize>p << 2), s * inv);
  }
}

// ---- adaptive average pooling --------------------------------------------------------------
// Window tables and the masked 4-lane gather are in assembly/pool2d-common.ts.

/**
 * y[p, i, j] = mean of x[p, r, c] over r in [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉), c in [⌊j·W/OW⌋, ⌈(j+1)·W/OW⌉)
 * (PyTorch's adaptive_avg_pool2d). xPtr: f32 [planes, H, W]; yPtr: f32 [planes, OH, OW];
 * scratchPtr: align4(W + 4) f32 (row sums) then 2·align4(OW) i32 (column windows: start, length),
 * all written here. Separable: the window's rows are summed along W (v128) into the row-sum
 * scratch, then 4 output columns per step gather their windows from it (SIMD across output
 * columns, lanes masked to each window's length); the last group stores only its real lanes.
 */
export function adaptive_avgpool2d_f32_simd(xPtr: usize, yPtr: usize, scratchPtr: usize, H: i32, W: i32, OH: i32, OW: i32, planeStart: i32, planeEnd: i32): void {
  const rs = scratchPtr;
  const starts = rs + (<usize>align4(W + 4) << 2);
  const lens = starts + (<usize>align4(OW) << 2);
  windowTable(starts, lens, W, OW);
  for (let p = planeStart; p < planeEnd; p++) {
    const xp = xPtr + ((<usize>p * <usize>H * <usize>W) << 2);
    for (let i = 0; i < OH; i++) {
      const r0 = winStart(i, H, OH), r1 = winEnd(i, H, OH);
      // the first row copied, the others added: no separate zero fill
      const first = xp + (<usize>(r0 * W) << 2);
      let c = 0;
      for (; c + 4 <= W; c += 4) v128.store(rs + (<usize>c << 2), v128.load(first + (<usize>c << 2)));
      for (; c < W; c++) store<f32>(rs + (<usize>c << 2), load<f32>(first + (<usize>c << 2)));
      for (let r = r0 + 1; r < r1; r++) addRow(rs, xp + (<usize>(r * W) << 2), W);
      const yp = yPtr + ((<usize>p * <usize>OH * <usize>OW + <usize>i * <usize>OW) << 2);
      const rows = f32x4.splat(<f32>(r1 - r0));
      for (let j = 0; j < OW; j += 4) {
        const o = <usize>j << 2;
        const ln = v128.load(lens + o);
        const s = gatherSum4(rs, v128.load(starts + o), ln);
        // padded lanes divide 0 by 0: NaN, never stored
        storeLanes(yp + o, f32x4.div(s, f32x4.mul(rows, f32x4.convert_i32x4_s(ln))), OW - j);
      }
    }
  }
}
