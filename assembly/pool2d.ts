// Pooling kernels over NCHW planes, forward: max and average over sliding 2-D windows, global
// average, and adaptive average pooling (PyTorch's AdaptiveAvgPool2d). The backward kernels are in
// assembly/pool2d-backward.ts; shared helpers and the window geometry block's layout in
// assembly/pool2d-common.ts.
//
// A plane is one (n, c) slice; kernels process planes [planeStart, planeEnd) so threads can split.
// Output columns whose window lies inside the input run 4 at a time in SIMD (stride 1: one load,
// stride 2: two loads deinterleaved, other strides: lanes gathered); border columns run scalar.
// Max pooling's common 2×2 and 3×3 stride-2 windows have rows of their own (pool2d-common.ts).
import { storeLanes } from "./vmath";
import {
  G_H, G_W, G_OH, G_OW, G_KH, G_KW, G_SH, G_SW, G_DH, G_DW, G_PT, G_PL, G_PB, G_PR, G_CIP,
  load4, firstTap, endTap, addRow, interiorLo, interiorHi, avgStart, avgEnd, avgDivisor, winStart, winEnd, align4, windowTable, gatherSum4,
  rowsMax2x2s2, rowsArgmax2x2s2, rowsMax3x3s2, rowsArgmax3x3s2,
} from "./pool2d-common";

/**
 * y[p, oh, ow] = max over kernel taps (kh, kw) of x[p, oh·SH − PT + kh·DH, ow·SW − PL + kw·DW],
 * padding taps ignored (−∞); NaN wins (PyTorch). xPtr: f32 [planes, H, W]; yPtr: f32
 * [planes, OH, OW]; geomPtr: the i32 geometry block above. idxPtr: 0, or i32 [planes, OH, OW]
 * receiving the argmax as ih·W + iw within the plane (first maximum in row-major window order,
 * −1 for a window with no real element). Any sizes. Undilated 2×2 and 3×3 windows at stride 2
 * run the rows whose window rows are all inside the plane through the specialised row kernels of
 * pool2d-common.ts (rowsMax2x2s2 …); other rows and windows run 4 interior columns per step (the
 * last step overlapping the one before it when the count is not a multiple of 4), border columns
 * scalar. Reads at most one float past the input's last row (stride-2 column loads).
 * @split range start=planeStart end=planeEnd cost=geomPtr[0]*geomPtr[1]*0.2
 */
export function maxpool2d_f32_simd(xPtr: usize, yPtr: usize, idxPtr: usize, geomPtr: usize, planeStart: i32, planeEnd: i32): void {
  const g = geomPtr;
  const sw = load<i32>(g, G_SW);
  const undilated = load<i32>(g, G_DH) == 1 && load<i32>(g, G_DW) == 1 && load<i32>(g, G_SH) == 2 && sw == 2;
  const kh = load<i32>(g, G_KH), kw = load<i32>(g, G_KW);
  const fast = undilated && kh == kw && (kh == 2 || kh == 3) ? kh : 0;
  // specialise the column loads, the window shape and the argmax bookkeeping out of the inner
  // loops: one function per variant (small functions also get better register allocation in V8)
  if (idxPtr == 0) {
    if (fast == 2) max2x2s2(xPtr, yPtr, geomPtr, planeStart, planeEnd);
    else if (fast == 3) max3x3s2(xPtr, yPtr, geomPtr, planeStart, planeEnd);
    else if (sw == 1) maxS1(xPtr, yPtr, geomPtr, planeStart, planeEnd);
    else if (sw == 2) maxS2(xPtr, yPtr, geomPtr, planeStart, planeEnd);
    else maxAny(xPtr, yPtr, geomPtr, planeStart, planeEnd);
  } else {
    if (fast == 2) argmax2x2s2(xPtr, yPtr, idxPtr, geomPtr, planeStart, planeEnd);
    else if (fast == 3) argmax3x3s2(xPtr, yPtr, idxPtr, geomPtr, planeStart, planeEnd);
    else if (sw == 1) argmaxS1(xPtr, yPtr, idxPtr, geomPtr, planeStart, planeEnd);
    else if (sw == 2) argmaxS2(xPtr, yPtr, idxPtr, geomPtr, planeStart, planeEnd);
    else argmaxAny(xPtr, yPtr, idxPtr, geomPtr, planeStart, planeEnd);
  }
}

function max2x2s2(x: usize, y: usize, g: usize, p0: i32, p1: i32): void { maxPlanes(x, y, 0, g, p0, p1, 2, false, 2); }
function max3x3s2(x: usize, y: usize, g: usize, p0: i32, p1: i32): void { maxPlanes(x, y, 0, g, p0, p1, 2, false, 3); }
function maxS1(x: usize, y: usize, g: usize, p0: i32, p1: i32): void { maxPlanes(x, y, 0, g, p0, p1, 1, false, 0); }
function maxS2(x: usize, y: usize, g: usize, p0: i32, p1: i32): void { maxPlanes(x, y, 0, g, p0, p1, 2, false, 0); }
function maxAny(x: usize, y: usize, g: usize, p0: i32, p1: i32): void { maxPlanes(x, y, 0, g, p0, p1, 0, false, 0); }
function argmax2x2s2(x: usize, y: usize, i: usize, g: usize, p0: i32, p1: i32): void { maxPlanes(x, y, i, g, p0, p1, 2, true, 2); }
function argmax3x3s2(x: usize, y: usize, i: usize, g: usize, p0: i32, p1: i32): void { maxPlanes(x, y, i, g, p0, p1, 2, true, 3); }
function argmaxS1(x: usize, y: usize, i: usize, g: usize, p0: i32, p1: i32): void { maxPlanes(x, y, i, g, p0, p1, 1, true, 0); }
function argmaxS2(x: usize, y: usize, i: usize, g: usize, p0: i32, p1: i32): void { maxPlanes(x, y, i, g, p0, p1, 2, true, 0); }
function argmaxAny(x: usize, y: usize, i: usize, g: usize, p0: i32, p1: i32): void { maxPlanes(x, y, i, g, p0, p1, 0, true, 0); }

@inline function maxPlanes(xPtr: usize, yPtr: usize, idxPtr: usize, g: usize, planeStart: i32, planeEnd: i32, mode: i32, withIdx: bool, fast: i32): void {
  const H = load<i32>(g, G_H), W = load<i32>(g, G_W), OH = load<i32>(g, G_OH), OW = load<i32>(g, G_OW);
  const KW = load<i32>(g, G_KW), SW = load<i32>(g, G_SW), DW = load<i32>(g, G_DW), PT = load<i32>(g, G_PT), PL = load<i32>(g, G_PL);
  // interior columns [a, b): every tap of the window inside [0, W)
  const a = interiorLo(g), b = interiorHi(g, a, DW);
  // specialised rows [fLo, fHi): all `fast` window rows inside the plane (stride 2)
  let fLo = 0, fHi = 0;
  if (fast != 0 && b - a >= 4) {
    fLo = min(OH, (PT + 1) >> 1);
    const room = H - fast + PT;
    fHi = room < 0 ? fLo : max(fLo, min(OH, (room >> 1) + 1));
  }
  if (fast == 2 && !withIdx && fLo == 0 && fHi == OH && H == 2 * OH && a == 0 && b == OW) {
    // every row of every plane is specialised and the planes' row pairs are contiguous: one run
    // over all of them (no per-plane work), interrupted only to redo a row exactly
    const total = (planeEnd - planeStart) * OH;
    const x0 = xPtr + ((<usize>planeStart * <usize>H * <usize>W) << 2);
    const y0 = yPtr + ((<usize>planeStart * <usize>OH * <usize>OW) << 2);
    let r = 0;
    while (r < total) {
      r += rowsMax2x2s2(x0 + ((<usize>r * <usize>(2 * W)) << 2), y0 + ((<usize>r * <usize>OW) << 2), OW, total - r, W, OW);
      if (r < total) {
        const p = planeStart + r / OH;
        const xp = xPtr + ((<usize>p * <usize>H * <usize>W) << 2);
        const yRow = yPtr + ((<usize>p * <usize>OH * <usize>OW) << 2);
        rowOf(xp, yRow, 0, g, r % OH, 0, OW, a, b, mode, false);
        r++;
      }
    }
    return;
  }
  for (let p = planeStart; p < planeEnd; p++) {
    const xp = xPtr + ((<usize>p * <usize>H * <usize>W) << 2);
    const yRow = yPtr + ((<usize>p * <usize>OH * <usize>OW) << 2);
    const iRow = idxPtr + ((<usize>p * <usize>OH * <usize>OW) << 2);
    let oh = 0;
    while (oh < OH) {
      if (fast != 0 && oh >= fLo && oh < fHi) {
        const rows = fHi - oh;
        const start = (2 * oh - PT) * W + 2 * a - PL;
        const o = (<usize>(oh * OW + a)) << 2;
        const n = b - a;
        // rows done before one that may hold a NaN (that one is redone exactly below)
        const done = fast == 2
          ? (withIdx ? rowsArgmax2x2s2(xp, yRow + o, iRow + o, start, n, rows, W, OW) : rowsMax2x2s2(xp + (<usize>start << 2), yRow + o, n, rows, W, OW))
          : (withIdx ? rowsArgmax3x3s2(xp, yRow + o, iRow + o, start, n, rows, W, OW) : rowsMax3x3s2(xp + (<usize>start << 2), yRow + o, n, rows, W, OW));
        if (a > 0 || b < OW) {
          for (let r = oh; r < oh + done; r++) {
            rowOf(xp, yRow, iRow, g, r, 0, a, a, b, mode, withIdx);
            rowOf(xp, yRow, iRow, g, r, b, OW, a, b, mode, withIdx);
          }
        }
        oh += done;
        if (done < rows) rowOf(xp, yRow, iRow, g, oh++, 0, OW, a, b, mode, withIdx);
        continue;
      }
      rowOf(xp, yRow, iRow, g, oh++, 0, OW, a, b, mode, withIdx);
    }
  }
}

// One row through a function of its own per (column mode, argmax) pair: maxRow inlined once each
// (rather than at each of maxPlanes' call sites in every variant) keeps the module small, and a
// call per output row costs nothing next to the row.
function rowMax0(xp: usize, yRow: usize, iRow: usize, g: usize, oh: i32, from: i32, to: i32, a: i32, b: i32): void { maxRow(xp, yRow, iRow, g, oh, from, to, a, b, 0, false); }
function rowMax1(xp: usize, yRow: usize, iRow: usize, g: usize, oh: i32, from: i32, to: i32, a: i32, b: i32): void { maxRow(xp, yRow, iRow, g, oh, from, to, a, b, 1, false); }
function rowMax2(xp: usize, yRow: usize, iRow: usize, g: usize, oh: i32, from: i32, to: i32, a: i32, b: i32): void { maxRow(xp, yRow, iRow, g, oh, from, to, a, b, 2, false); }
function rowArg0(xp: usize, yRow: usize, iRow: usize, g: usize, oh: i32, from: i32, to: i32, a: i32, b: i32): void { maxRow(xp, yRow, iRow, g, oh, from, to, a, b, 0, true); }
function rowArg1(xp: usize, yRow: usize, iRow: usize, g: usize, oh: i32, from: i32, to: i32, a: i32, b: i32): void { maxRow(xp, yRow, iRow, g, oh, from, to, a, b, 1, true); }
function rowArg2(xp: usize, yRow: usize, iRow: usize, g: usize, oh: i32, from: i32, to: i32, a: i32, b: i32): void { maxRow(xp, yRow, iRow, g, oh, from, to, a, b, 2, true); }

/** maxRow through the function of its (mode, withIdx): both are constants where it is inlined. */
@inline function rowOf(xp: usize, yRow: usize, iRow: usize, g: usize, oh: i32, from: i32, to: i32, a: i32, b: i32, mode: i32, withIdx: bool): void {
  if (withIdx) {
    if (mode == 1) rowArg1(xp, yRow, iRow, g, oh, from, to, a, b);
    else if (mode == 2) rowArg2(xp, yRow, iRow, g, oh, from, to, a, b);
    else rowArg0(xp, yRow, iRow, g, oh, from, to, a, b);
  } else {
    if (mode == 1) rowMax1(xp, yRow, iRow, g, oh, from, to, a, b);
    else if (mode == 2) rowMax2(xp, yRow, iRow, g, oh, from, to, a, b);
    else rowMax0(xp, yRow, iRow, g, oh, from, to, a, b);
  }
}

/**
 * Output columns [from, to) of row oh of one plane (yRow, iRow: the plane's first output row),
 * interior columns [a, b) 4 per step, the rest scalar.
 */
@inline function maxRow(xp: usize, yRow: usize, iRow: usize, g: usize, oh: i32, from: i32, to: i32, a: i32, b: i32, mode: i32, withIdx: bool): void {
  const H = load<i32>(g, G_H), W = load<i32>(g, G_W), OW = load<i32>(g, G_OW);
  const KH = load<i32>(g, G_KH), KW = load<i32>(g, G_KW), SH = load<i32>(g, G_SH), SW = load<i32>(g, G_SW);
  const DH = load<i32>(g, G_DH), DW = load<i32>(g, G_DW), PT = load<i32>(g, G_PT), PL = load<i32>(g, G_PL);
  const ih0 = oh * SH - PT;
  const khLo = firstTap(ih0, DH), khHi = endTap(ih0, DH, KH, H);
  const yp = yRow + ((<usize>oh * <usize>OW) << 2);
  const ip = iRow + ((<usize>oh * <usize>OW) << 2);
  let ow = from;
  const lo = min(to, max(from, a)), hi = min(to, b);
  for (; ow < lo; ow++) maxAt(xp, yp, ip, ow, W, ih0, khLo, khHi, DH, ow * SW - PL, KW, DW, withIdx);
  if (hi - ow >= 4) {
    for (; ow + 4 <= hi; ow += 4) maxCols4(xp, yp, ip, ow, W, ih0, khLo, khHi, DH, SW, PL, KW, DW, mode, withIdx);
    // the last few columns as one more step overlapping the previous one (same values rewritten)
    if (ow < hi) maxCols4(xp, yp, ip, hi - 4, W, ih0, khLo, khHi, DH, SW, PL, KW, DW, mode, withIdx);
    ow = hi;
  }
  for (; ow < to; ow++) maxAt(xp, yp, ip, ow, W, ih0, khLo, khHi, DH, ow * SW - PL, KW, DW, withIdx);
}

/** Four interior output columns from ow (every tap of their windows inside the row). */
@inline function maxCols4(xp: usize, yp: usize, ip: usize, ow: i32, W: i32, ih0: i32, khLo: i32, khHi: i32, DH: i32, SW: i32, PL: i32, KW: i32, DW: i32, mode: i32, withIdx: bool): void {
  const swBytes = <usize>SW << 2;
  const lanes = i32x4(0, SW, 2 * SW, 3 * SW);
  const iw0 = ow * SW - PL;
  let m = f32x4.splat(-Infinity);
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
        // pmax is one instruction where max is a NaN-fixing sequence; NaN lanes are tracked on
        // the side and restored below
        m = f32x4.pmax(m, v);
        nan = v128.or(nan, f32x4.ne(v, v));
      }
    }
  }
  if (!withIdx) m = v128.or(m, nan); // all-ones bits are a NaN
  v128.store(yp + (<usize>ow << 2), m);
  if (withIdx) v128.store(ip + (<usize>ow << 2), ix);
}

/** One output column of max pooling with every tap bounds-checked. */
// (border columns only: a function of its own, withIdx decided per tap, rather than inlined at
// every call site of every variant)
function maxAt(xp: usize, yp: usize, ip: usize, ow: i32, W: i32, ih0: i32, khLo: i32, khHi: i32, DH: i32, iw0: i32, KW: i32, DW: i32, withIdx: bool): void {
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
 * @split range start=planeStart end=planeEnd cost=geomPtr[0]*geomPtr[1]*0.2
 */
export function avgpool2d_f32_simd(xPtr: usize, yPtr: usize, geomPtr: usize, planeStart: i32, planeEnd: i32): void {
  const sw = load<i32>(geomPtr, G_SW);
  if (sw == 1) avgPlanes(xPtr, yPtr, geomPtr, planeStart, planeEnd, 1);
  else if (sw == 2) avgPlanes(xPtr, yPtr, geomPtr, planeStart, planeEnd, 2);
  else avgPlanes(xPtr, yPtr, geomPtr, planeStart, planeEnd, 0);
}

@inline function avgPlanes(xPtr: usize, yPtr: usize, g: usize, planeStart: i32, planeEnd: i32, mode: i32): void {
  const H = load<i32>(g, G_H), W = load<i32>(g, G_W), OH = load<i32>(g, G_OH), OW = load<i32>(g, G_OW);
  const KW = load<i32>(g, G_KW), SW = load<i32>(g, G_SW), PL = load<i32>(g, G_PL);
  const a = interiorLo(g), b = interiorHi(g, a, 1);
  const swBytes = <usize>SW << 2;
  for (let p = planeStart; p < planeEnd; p++) {
    const xp = xPtr + ((<usize>p * <usize>H * <usize>W) << 2);
    const yBase = <usize>p * <usize>OH * <usize>OW;
    for (let oh = 0; oh < OH; oh++) {
      const hstart = avgStart(g, 0, oh);
      const hs = max(hstart, 0), he = avgEnd(g, 0, hstart);
      const rowsDiv = avgDivisor(g, 0, hstart);
      const yp = yPtr + ((yBase + <usize>oh * <usize>OW) << 2);
      let ow = 0;
      for (; ow < a; ow++) avgAt(xp, yp, ow, g, hs, he, rowsDiv);
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
      for (; ow < OW; ow++) avgAt(xp, yp, ow, g, hs, he, rowsDiv);
    }
  }
}

/** One output column of average pooling with PyTorch's divisor rule. */
// (border columns only: not inlined, as maxAt)
function avgAt(xp: usize, yp: usize, ow: i32, g: usize, hs: i32, he: i32, rowsDiv: i32): void {
  const W = load<i32>(g, G_W);
  const wstart = avgStart(g, 1, ow);
  const ws = max(wstart, 0), we = avgEnd(g, 1, wstart);
  const colsDiv = avgDivisor(g, 1, wstart);
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
 * @split range start=planeStart end=planeEnd cost=hw*0.1
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
