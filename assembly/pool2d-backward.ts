// Pooling kernels over NCHW planes, backward (each the transpose of its forward in
// assembly/pool2d.ts): max pooling from stored or recomputed argmaxes, average, global average
// and adaptive average pooling. Every kernel overwrites dx (zero-fills it, then adds into it).
// Shared helpers and the window geometry block's layout are in assembly/pool2d-common.ts.
// A plane is one (n, c) slice; kernels process planes [planeStart, planeEnd) so threads can split.
import {
  G_H, G_W, G_OH, G_OW, G_KH, G_KW, G_SH, G_SW, G_DH, G_DW, G_PT, G_PL, G_PB, G_PR, G_CIP,
  load4, firstTap, endTap, zeroF32, addRow, interiorLo, interiorHi, avgStart, avgEnd, avgDivisor, winStart, winEnd, align4, windowTable, gatherSum4,
} from "./pool2d-common";

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
 * @split range start=planeStart end=planeEnd cost=hw*0.2
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
 * @split range start=planeStart end=planeEnd cost=geomPtr[0]*geomPtr[1]*0.2
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
  const a = interiorLo(g), b = interiorHi(g, a, DW);
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
// (border columns only: a function of its own rather than inlined at every call site)
function argmaxAt(xp: usize, W: i32, ih0: i32, khLo: i32, khHi: i32, DH: i32, iw0: i32, KW: i32, DW: i32): i32 {
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
  const KW = load<i32>(g, G_KW), SW = load<i32>(g, G_SW), PL = load<i32>(g, G_PL);
  // interior columns [a, b) as in the forward: KW real taps, the last at ≤ W − 1, so a stride-2
  // spread (8 floats from the first tap) ends at ≤ W: inside the W + 8 floats of t
  const a = interiorLo(g), b = interiorHi(g, a, 1);
  const swBytes = <usize>SW << 2;
  for (let p = planeStart; p < planeEnd; p++) {
    const dxp = dxPtr + ((<usize>p * <usize>H * <usize>W) << 2);
    zeroF32(dxp, H * W);
    for (let oh = 0; oh < OH; oh++) {
      const hstart = avgStart(g, 0, oh);
      const hs = max(hstart, 0), he = avgEnd(g, 0, hstart);
      if (hs >= he) continue; // the forward wrote 0 there: no gradient flows
      const rowsDiv = avgDivisor(g, 0, hstart);
      const dyp = dyPtr + ((<usize>p * <usize>OH * <usize>OW + <usize>oh * <usize>OW) << 2);
      zeroF32(t, W);
      let ow = 0;
      for (; ow < a; ow++) spreadAt(t, load<f32>(dyp + (<usize>ow << 2)), ow, g, rowsDiv);
      const div = f32x4.splat(<f32>(rowsDiv * KW));
      for (; ow + 4 <= b; ow += 4) {
        const gv = f32x4.div(v128.load(dyp + (<usize>ow << 2)), div);
        const q = t + (<usize>(ow * SW - PL) << 2);
        for (let kw = 0; kw < KW; kw++) spread4(q + (<usize>kw << 2), gv, mode, swBytes);
      }
      for (; ow < OW; ow++) spreadAt(t, load<f32>(dyp + (<usize>ow << 2)), ow, g, rowsDiv);
      for (let ih = hs; ih < he; ih++) addRow(dxp + (<usize>(ih * W) << 2), t, W);
    }
  }
}

/** One output column's share dy/divisor added over the window's real columns of t. */
// (border columns only: not inlined, as argmaxAt)
function spreadAt(t: usize, dy: f32, ow: i32, g: usize, rowsDiv: i32): void {
  const wstart = avgStart(g, 1, ow);
  const ws = max(wstart, 0), we = avgEnd(g, 1, wstart);
  if (ws >= we) return;
  const g1 = dy / <f32>(rowsDiv * avgDivisor(g, 1, wstart));
  for (let iw = ws; iw < we; iw++) {
    const q = t + (<usize>iw << 2);
    store<f32>(q, load<f32>(q) + g1);
  }
}

/**
 * dx[p, i] = dy[p] / hw for i in [0, hw): the transpose of global_avgpool2d_f32_simd. dyPtr: f32
 * [planes]; dxPtr: f32 [planes, hw] (overwritten). 16 then 4 floats per store step, scalar tail.
 * @split range start=planeStart end=planeEnd cost=hw*0.1
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
