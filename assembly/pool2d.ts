// Pooling kernels over NCHW planes: max and average over sliding 2-D windows, global average.
//
// A window geometry block (i32[15], written by src/ops/pool2d.ts) describes the window:
//   0 H, 1 W        input plane           2 OH, 3 OW   output plane
//   4 KH, 5 KW      kernel                6 SH, 7 SW   stride
//   8 DH, 9 DW      dilation (max only)   10 PT, 11 PL, 12 PB, 13 PR   padding top/left/bottom/right
//   14 countIncludePad (avg only: 1 divides by the window clipped to the padded input, 0 by the
//      number of real input elements)
// A plane is one (n, c) slice; kernels process planes [planeStart, planeEnd) so threads can split.
// Output columns whose window lies inside the input run 4 at a time in SIMD (stride 1: one load,
// stride 2: two loads deinterleaved, other strides: lanes gathered); border columns run scalar.
// Backward kernels (below the forward ones) overwrite dx; adaptive average pooling (PyTorch's
// AdaptiveAvgPool2d) and its backward close the file.
import { storeLanes } from "./vmath";

const G_H = 0, G_W = 4, G_OH = 8, G_OW = 12, G_KH = 16, G_KW = 20, G_SH = 24, G_SW = 28;
const G_DH = 32, G_DW = 36, G_PT = 40, G_PL = 44, G_PB = 48, G_PR = 52, G_CIP = 56;

/** Four window columns at p, p + s, p + 2s, p + 3s (elements); mode 1 / 2 = stride 1 / 2, 0 = any. */
@inline function load4(p: usize, mode: i32, sBytes: usize): v128 {
  if (mode == 1) return v128.load(p);
  // may read one float past the last lane: inside the row or the allocation's padding
  if (mode == 2) return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + sBytes));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * sBytes));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * sBytes));
}

/** First kernel tap t ≥ 0 with start + t·d ≥ 0. */
@inline function firstTap(start: i32, d: i32): i32 {
  return start < 0 ? (d - 1 - start) / d : 0;
}

/** One past the last kernel tap t < k with start + t·d < n. */
@inline function endTap(start: i32, d: i32, k: i32, n: i32): i32 {
  const room = n - 1 - start;
  return room < 0 ? 0 : min(k, room / d + 1);
}

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

// ---- backward ------------------------------------------------------------------------------

/** Zeroes n floats at p: 16 per step, then 4, then one at a time. */
@inline function zeroF32(p: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const q = p + (<usize>i << 2);
    v128.store(q, z);
    v128.store(q, z, 16);
    v128.store(q, z, 32);
    v128.store(q, z, 48);
  }
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), 0);
}

/** d[i] += s[i] for i in [0, n): 8 per step, then 4, then one at a time. */
@inline function addRow(d: usize, s: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
    v128.store(d + o, f32x4.add(v128.load(d + o, 16), v128.load(s + o, 16)), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
  }
}

/** dxp[i] += g for an argmax i of the plane; i outside [0, hw) (−1: a window without real taps) is skipped. */
@inline function scatter1(dxp: usize, i: i32, hw: i32, g: f32): void {
  // one unsigned compare also rejects negative (or corrupt) indices, so dx is never written out of bounds
  if (<u32>i < <u32>hw) {
    const q = dxp + (<usize>i << 2);
    store<f32>(q, load<f32>(q) + g);
  }
}

/** Four argmax lanes with their dy lanes, in lane order (overlapping windows may share an argmax). */
@inline function scatter4(dxp: usize, ix: v128, g: v128, hw: i32): void {
  scatter1(dxp, i32x4.extract_lane(ix, 0), hw, f32x4.extract_lane(g, 0));
  scatter1(dxp, i32x4.extract_lane(ix, 1), hw, f32x4.extract_lane(g, 1));
  scatter1(dxp, i32x4.extract_lane(ix, 2), hw, f32x4.extract_lane(g, 2));
  scatter1(dxp, i32x4.extract_lane(ix, 3), hw, f32x4.extract_lane(g, 3));
}

/**
 * dx[p, i] = Σ of dy[p, q] over the outputs q of plane p whose argmax idx[p, q] is i. dyPtr: f32
 * [planes, ohw]; idxPtr: i32 [planes, ohw] (maxPool2dWithIndices' ih·W + iw; entries outside
 * [0, hw), such as −1, are skipped); dxPtr: f32 [planes, hw], zero-filled here then added into.
 * hw = H·W and ohw = OH·OW in elements. The fill is v128 stores; the scatter reads 4 dy and 4
 * indices per v128 load and adds lane by lane (4 lanes may hit one element); tails scalar.
 */
export function maxpool2d_bwd_f32_simd(dyPtr: usize, idxPtr: usize, dxPtr: usize, hw: i32, ohw: i32, planeStart: i32, planeEnd: i32): void {
  for (let p = planeStart; p < planeEnd; p++) {
    const dxp = dxPtr + ((<usize>p * <usize>hw) << 2);
    const base = (<usize>p * <usize>ohw) << 2;
    const dyp = dyPtr + base, ip = idxPtr + base;
    zeroF32(dxp, hw);
    let q = 0;
    for (; q + 4 <= ohw; q += 4) {
      const o = <usize>q << 2;
      scatter4(dxp, v128.load(ip + o), v128.load(dyp + o), hw);
    }
    for (; q < ohw; q++) {
      const o = <usize>q << 2;
      scatter1(dxp, load<i32>(ip + o), hw, load<f32>(dyp + o));
    }
  }
}

/**
 * The same gradient without stored indices: each window's argmax is recomputed from x with the
 * forward's rule (first maximum in row-major window order, a NaN wins) and dy scattered there.
 * dyPtr: f32 [planes, OH, OW]; xPtr: f32 [planes, H, W]; dxPtr: f32 [planes, H, W] (overwritten);
 * geomPtr: the geometry block. Interior columns find 4 argmaxes per v128 pass as the forward;
 * border and leftover columns scalar.
 */
export function maxpool2d_bwd_f32_recompute_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, geomPtr: usize, planeStart: i32, planeEnd: i32): void {
  const sw = load<i32>(geomPtr, G_SW);
  if (sw == 1) maxBwdPlanes(dyPtr, xPtr, dxPtr, geomPtr, planeStart, planeEnd, 1);
  else if (sw == 2) maxBwdPlanes(dyPtr, xPtr, dxPtr, geomPtr, planeStart, planeEnd, 2);
  else maxBwdPlanes(dyPtr, xPtr, dxPtr, geomPtr, planeStart, planeEnd, 0);
}

@inline function maxBwdPlanes(dyPtr: usize, xPtr: usize, dxPtr: usize, g: usize, planeStart: i32, planeEnd: i32, mode: i32): void {
  const H = load<i32>(g, G_H), W = load<i32>(g, G_W), OH = load<i32>(g, G_OH), OW = load<i32>(g, G_OW);
  const KH = load<i32>(g, G_KH), KW = load<i32>(g, G_KW), SH = load<i32>(g, G_SH), SW = load<i32>(g, G_SW);
  const DH = load<i32>(g, G_DH), DW = load<i32>(g, G_DW), PT = load<i32>(g, G_PT), PL = load<i32>(g, G_PL);
  const a = min(OW, (PL + SW - 1) / SW);
  const reach = W - 1 + PL - (KW - 1) * DW;
  const b = max(a, min(OW, reach < 0 ? 0 : reach / SW + 1));
  const swBytes = <usize>SW << 2;
  const hw = H * W;
  const lanes = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(0), 1, SW), 2, 2 * SW), 3, 3 * SW);
  for (let p = planeStart; p < planeEnd; p++) {
    const xp = xPtr + ((<usize>p * <usize>hw) << 2);
    const dxp = dxPtr + ((<usize>p * <usize>hw) << 2);
    zeroF32(dxp, hw);
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * SH - PT;
      const khLo = firstTap(ih0, DH), khHi = endTap(ih0, DH, KH, H);
      const dyp = dyPtr + ((<usize>p * <usize>OH * <usize>OW + <usize>oh * <usize>OW) << 2);
      let ow = 0;
      for (; ow < a; ow++) scatter1(dxp, argmaxAt(xp, W, ih0, khLo, khHi, DH, ow * SW - PL, KW, DW), hw, load<f32>(dyp + (<usize>ow << 2)));
      for (; ow + 4 <= b; ow += 4) {
        const iw0 = ow * SW - PL;
        let m = f32x4.splat(-Infinity);
        let ix = i32x4.splat(-1);
        if (khLo < khHi) ix = i32x4.add(i32x4.splat((ih0 + khLo * DH) * W + iw0), lanes);
        for (let kh = khLo; kh < khHi; kh++) {
          const rowStart = (ih0 + kh * DH) * W + iw0;
          const rp = xp + (<usize>rowStart << 2);
          for (let kw = 0; kw < KW; kw++) {
            const v = load4(rp + (<usize>(kw * DW) << 2), mode, swBytes);
            const take = v128.or(f32x4.gt(v, m), f32x4.ne(v, v));
            m = v128.bitselect(v, m, take);
            ix = v128.bitselect(i32x4.add(i32x4.splat(rowStart + kw * DW), lanes), ix, take);
          }
        }
        scatter4(dxp, ix, v128.load(dyp + (<usize>ow << 2)), hw);
      }
      for (; ow < OW; ow++) scatter1(dxp, argmaxAt(xp, W, ih0, khLo, khHi, DH, ow * SW - PL, KW, DW), hw, load<f32>(dyp + (<usize>ow << 2)));
    }
  }
}

/** The argmax (ih·W + iw) of one window with every tap bounds-checked; −1 without real taps. */
@inline function argmaxAt(xp: usize, W: i32, ih0: i32, khLo: i32, khHi: i32, DH: i32, iw0: i32, KW: i32, DW: i32): i32 {
  const kwLo = firstTap(iw0, DW), kwHi = endTap(iw0, DW, KW, W);
  let m: f32 = -Infinity;
  let ix: i32 = -1;
  if (khLo < khHi && kwLo < kwHi) ix = (ih0 + khLo * DH) * W + iw0 + kwLo * DW;
  for (let kh = khLo; kh < khHi; kh++) {
    const rowStart = (ih0 + kh * DH) * W + iw0;
    for (let kw = kwLo; kw < kwHi; kw++) {
      const i = rowStart + kw * DW;
      const v = load<f32>(xp + (<usize>i << 2));
      if (v > m || v != v) { m = v; ix = i; }
    }
  }
  return ix;
}

/** t[q + j·s] += lanes j of g (s = stride in elements; mode 1 / 2 = stride 1 / 2, 0 = any). */
@inline function spread4(q: usize, g: v128, mode: i32, sBytes: usize): void {
  if (mode == 1) {
    v128.store(q, f32x4.add(v128.load(q), g));
  } else if (mode == 2) {
    // interleave with zeros: 8 floats from q get g0 0 g1 0 g2 0 g3 0 (the row has room: see the kernel)
    const z = f32x4.splat(0);
    v128.store(q, f32x4.add(v128.load(q), v128.shuffle<f32>(g, z, 0, 4, 1, 4)));
    v128.store(q, f32x4.add(v128.load(q, 16), v128.shuffle<f32>(g, z, 2, 4, 3, 4)), 16);
  } else {
    store<f32>(q, load<f32>(q) + f32x4.extract_lane(g, 0));
    store<f32>(q + sBytes, load<f32>(q + sBytes) + f32x4.extract_lane(g, 1));
    store<f32>(q + 2 * sBytes, load<f32>(q + 2 * sBytes) + f32x4.extract_lane(g, 2));
    store<f32>(q + 3 * sBytes, load<f32>(q + 3 * sBytes) + f32x4.extract_lane(g, 3));
  }
}

/**
 * The transpose of avgpool2d_f32_simd: dx[p, ih, iw] = Σ over the windows (oh, ow) holding
 * (ih, iw) of dy[p, oh, ow] / divisor(oh, ow), with the forward's divisor rule. The divisor is
 * rows(oh)·cols(ow), so each output row first spreads dy[p, oh, :]/divisor into a row t of W
 * floats, which is then added along W (v128) into the window's dx rows. dyPtr: f32 [planes, OH,
 * OW]; dxPtr: f32 [planes, H, W] (overwritten); rowPtr: scratch of W + 8 floats; geomPtr: the
 * geometry block. Interior columns spread 4 outputs per tap (stride 1: one v128 add, stride 2:
 * 8 floats interleaved with zeros, other strides lane by lane); border columns scalar.
 */
export function avgpool2d_bwd_f32_simd(dyPtr: usize, dxPtr: usize, rowPtr: usize, geomPtr: usize, planeStart: i32, planeEnd: i32): void {
  const sw = load<i32>(geomPtr, G_SW);
  if (sw == 1) avgBwdPlanes(dyPtr, dxPtr, rowPtr, geomPtr, planeStart, planeEnd, 1);
  else if (sw == 2) avgBwdPlanes(dyPtr, dxPtr, rowPtr, geomPtr, planeStart, planeEnd, 2);
  else avgBwdPlanes(dyPtr, dxPtr, rowPtr, geomPtr, planeStart, planeEnd, 0);
}

@inline function avgBwdPlanes(dyPtr: usize, dxPtr: usize, t: usize, g: usize, planeStart: i32, planeEnd: i32, mode: i32): void {
  const H = load<i32>(g, G_H), W = load<i32>(g, G_W), OH = load<i32>(g, G_OH), OW = load<i32>(g, G_OW);
  const KH = load<i32>(g, G_KH), KW = load<i32>(g, G_KW), SH = load<i32>(g, G_SH), SW = load<i32>(g, G_SW);
  const PT = load<i32>(g, G_PT), PL = load<i32>(g, G_PL), PB = load<i32>(g, G_PB), PR = load<i32>(g, G_PR);
  const includePad = load<i32>(g, G_CIP) != 0;
  // interior columns [a, b) as in the forward: KW real taps, the last at ≤ W − 1, so a stride-2
  // spread (8 floats from the first tap) ends at ≤ W: inside the W + 8 floats of t
  const a = min(OW, (PL + SW - 1) / SW);
  const reach = W - KW + PL;
  const b = max(a, min(OW, reach < 0 ? 0 : reach / SW + 1));
  const swBytes = <usize>SW << 2;
  for (let p = planeStart; p < planeEnd; p++) {
    const dxp = dxPtr + ((<usize>p * <usize>H * <usize>W) << 2);
    zeroF32(dxp, H * W);
    for (let oh = 0; oh < OH; oh++) {
      const hstart = oh * SH - PT;
      const hendPad = min(hstart + KH, H + PB);
      const hs = max(hstart, 0), he = min(hendPad, H);
      if (hs >= he) continue; // the forward wrote 0 there: no gradient flows
      const rowsDiv = includePad ? hendPad - hstart : he - hs;
      const dyp = dyPtr + ((<usize>p * <usize>OH * <usize>OW + <usize>oh * <usize>OW) << 2);
      zeroF32(t, W);
      let ow = 0;
      for (; ow < a; ow++) spreadAt(t, load<f32>(dyp + (<usize>ow << 2)), ow * SW - PL, W, KW, PR, rowsDiv, includePad);
      const div = f32x4.splat(<f32>(rowsDiv * KW));
      for (; ow + 4 <= b; ow += 4) {
        const gv = f32x4.div(v128.load(dyp + (<usize>ow << 2)), div);
        const q = t + (<usize>(ow * SW - PL) << 2);
        for (let kw = 0; kw < KW; kw++) spread4(q + (<usize>kw << 2), gv, mode, swBytes);
      }
      for (; ow < OW; ow++) spreadAt(t, load<f32>(dyp + (<usize>ow << 2)), ow * SW - PL, W, KW, PR, rowsDiv, includePad);
      for (let ih = hs; ih < he; ih++) addRow(dxp + (<usize>(ih * W) << 2), t, W);
    }
  }
}

/** One output column's share dy/divisor added over the window's real columns of t. */
@inline function spreadAt(t: usize, dy: f32, wstart: i32, W: i32, KW: i32, PR: i32, rowsDiv: i32, includePad: bool): void {
  const wendPad = min(wstart + KW, W + PR);
  const ws = max(wstart, 0), we = min(wendPad, W);
  if (ws >= we) return;
  const colsDiv = includePad ? wendPad - wstart : we - ws;
  const g = dy / <f32>(rowsDiv * colsDiv);
  for (let iw = ws; iw < we; iw++) {
    const q = t + (<usize>iw << 2);
    store<f32>(q, load<f32>(q) + g);
  }
}

/**
 * dx[p, i] = dy[p] / hw for i in [0, hw): the transpose of global_avgpool2d_f32_simd. dyPtr: f32
 * [planes]; dxPtr: f32 [planes, hw] (overwritten). 16 then 4 floats per store step, scalar tail.
 */
export function global_avgpool2d_bwd_f32_simd(dyPtr: usize, dxPtr: usize, hw: i32, planeStart: i32, planeEnd: i32): void {
  const inv: f32 = 1 / <f32>hw;
  for (let p = planeStart; p < planeEnd; p++) {
    const g = load<f32>(dyPtr + (<usize>p << 2)) * inv;
    const v = f32x4.splat(g);
    const dxp = dxPtr + ((<usize>p * <usize>hw) << 2);
    let i = 0;
    for (; i + 16 <= hw; i += 16) {
      const q = dxp + (<usize>i << 2);
      v128.store(q, v);
      v128.store(q, v, 16);
      v128.store(q, v, 32);
      v128.store(q, v, 48);
    }
    for (; i + 4 <= hw; i += 4) v128.store(dxp + (<usize>i << 2), v);
    for (; i < hw; i++) store<f32>(dxp + (<usize>i << 2), g);
  }
}

// ---- adaptive average pooling --------------------------------------------------------------
// Output cell i of n spans input [⌊i·N/n⌋, ⌈(i+1)·N/n⌉) (PyTorch). Lengths are ⌈N/n⌉ or ⌈N/n⌉ + 1,
// so 4 neighbouring windows differ by at most one element: a gather of 4 lanes over the longest,
// masked per lane, wastes little. The input columns an output column covers are, symmetrically,
// j in [⌊c·n/N⌋, ⌈(c+1)·n/N⌉): the backward gathers over those the same way.

@inline function winStart(i: i32, N: i32, n: i32): i32 {
  return <i32>((<i64>i * <i64>N) / <i64>n);
}

@inline function winEnd(i: i32, N: i32, n: i32): i32 {
  return <i32>(((<i64>(i + 1) * <i64>N) + <i64>(n - 1)) / <i64>n);
}

@inline function align4(n: i32): i32 {
  return (n + 3) & ~3;
}

/** Writes start and length of the windows i in [0, n) over N (i32 arrays, padded to align4(n) with 0, 0). */
@inline function windowTable(startPtr: usize, lenPtr: usize, N: i32, n: i32): void {
  for (let i = 0; i < align4(n); i++) {
    const s = i < n ? winStart(i, N, n) : 0;
    store<i32>(startPtr + (<usize>i << 2), s);
    store<i32>(lenPtr + (<usize>i << 2), i < n ? winEnd(i, N, n) - s : 0);
  }
}

/** Lane k = Σ_{t < len[k]} src[start[k] + t], for the 4 lanes of start/len (f32 src, byte address). */
@inline function gatherSum4(src: usize, st: v128, ln: v128): v128 {
  const l2 = i32x4.max_s(ln, v128.shuffle<i32>(ln, ln, 2, 3, 0, 1));
  const longest = max(i32x4.extract_lane(l2, 0), i32x4.extract_lane(l2, 1));
  const p0 = src + (<usize>i32x4.extract_lane(st, 0) << 2), p1 = src + (<usize>i32x4.extract_lane(st, 1) << 2);
  const p2 = src + (<usize>i32x4.extract_lane(st, 2) << 2), p3 = src + (<usize>i32x4.extract_lane(st, 3) << 2);
  let acc = f32x4.splat(0);
  for (let t = 0; t < longest; t++) {
    const o = <usize>t << 2;
    let v = f32x4.splat(load<f32>(p0 + o));
    v = f32x4.replace_lane(v, 1, load<f32>(p1 + o));
    v = f32x4.replace_lane(v, 2, load<f32>(p2 + o));
    v = f32x4.replace_lane(v, 3, load<f32>(p3 + o));
    // a lane past its window reads its neighbour's elements (or the scratch's padding): masked off
    acc = f32x4.add(acc, v128.and(v, i32x4.gt_s(ln, i32x4.splat(t))));
  }
  return acc;
}

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

/**
 * The transpose of adaptive_avgpool2d_f32_simd: dx[p, r, c] = Σ_{i ∋ r} Σ_{j ∋ c} dy[p, i, j] /
 * (|rows(i)|·|cols(j)|). dyPtr: f32 [planes, OH, OW]; dxPtr: f32 [planes, H, W] (overwritten);
 * scratchPtr: align4(OW + 4) f32 (g), align4(W) f32 (t), 2·align4(W) i32 (per input column: the
 * first output window holding it and how many do), align4(OW) f32 (1/|cols(j)|), all written
 * here. Per output row i: g = dy[p, i, :]·(1/|cols|)/|rows(i)| (v128 over j), t[c] = Σ_{j ∋ c}
 * g[j] gathered 4 input columns per step (SIMD across input columns, lanes masked), then t is
 * added along W into the dx rows of rows(i).
 */
export function adaptive_avgpool2d_bwd_f32_simd(dyPtr: usize, dxPtr: usize, scratchPtr: usize, H: i32, W: i32, OH: i32, OW: i32, planeStart: i32, planeEnd: i32): void {
  const g = scratchPtr;
  const t = g + (<usize>align4(OW + 4) << 2);
  const starts = t + (<usize>align4(W) << 2);
  const counts = starts + (<usize>align4(W) << 2);
  const invLen = counts + (<usize>align4(W) << 2);
  // input column c lies in output windows j in [⌊c·OW/W⌋, ⌈(c+1)·OW/W⌉): the same formula, roles swapped
  windowTable(starts, counts, OW, W);
  for (let j = 0; j < align4(OW); j++) {
    store<f32>(invLen + (<usize>j << 2), j < OW ? 1 / <f32>(winEnd(j, W, OW) - winStart(j, W, OW)) : 0);
  }
  for (let p = planeStart; p < planeEnd; p++) {
    const dxp = dxPtr + ((<usize>p * <usize>H * <usize>W) << 2);
    zeroF32(dxp, H * W);
    for (let i = 0; i < OH; i++) {
      const r0 = winStart(i, H, OH), r1 = winEnd(i, H, OH);
      const dyp = dyPtr + ((<usize>p * <usize>OH * <usize>OW + <usize>i * <usize>OW) << 2);
      const invRows = f32x4.splat(1 / <f32>(r1 - r0));
      let j = 0;
      for (; j + 4 <= OW; j += 4) {
        const o = <usize>j << 2;
        v128.store(g + o, f32x4.mul(f32x4.mul(v128.load(dyp + o), v128.load(invLen + o)), invRows));
      }
      for (; j < OW; j++) {
        const o = <usize>j << 2;
        store<f32>(g + o, load<f32>(dyp + o) * load<f32>(invLen + o) * f32x4.extract_lane(invRows, 0));
      }
      for (let c = 0; c < W; c += 4) {
        const o = <usize>c << 2;
        // t has align4(W) floats: the padded lanes (count 0) store zeros there
        v128.store(t + o, gatherSum4(g, v128.load(starts + o), v128.load(counts + o)));
      }
      for (let r = r0; r < r1; r++) addRow(dxp + (<usize>(r * W) << 2), t, W);
    }
  }
}
