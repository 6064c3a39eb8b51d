// The adjoints of the resize kernels (assembly/resize.ts): each output gradient added into the
// inputs it was read from, with its weights. Written as gathers wherever the tables allow: the
// output rows that read one input row are summed (or blended) first, in whole vectors, then that
// row's columns are reduced once, so no input element is read-modified-written per output
// element. Tables as in assembly/resize-common.ts.
import { madd } from "./gemm-common";
import { TABLE_HEADER, slot, addRows } from "./resize-common";

/**
 * The adjoint of resize_nearest_f32_simd: dx[p, i, j] = Σ dy[p, oy, ox] over iy0[oy] = i,
 * ix0[ox] = j. dyPtr: f32 [planes, OH, OW]; dxPtr: f32 [planes, H, W] (overwritten); tabPtr: the
 * table block; rowPtr: scratch of ⌈OW/4⌉·4 f32. Each run of output rows with one source row is
 * summed into the scratch row in vectors (a single row is read in place), then its runs of
 * columns with one source column are summed in order into dx.
 */
export function resize_nearest_bwd_f32_simd(dyPtr: usize, dxPtr: usize, tabPtr: usize, rowPtr: usize, planeStart: i32, planeEnd: i32): void {
  const H = slot(tabPtr, 0), W = slot(tabPtr, 1), OH = slot(tabPtr, 2), OW = slot(tabPtr, 3);
  const iy0 = tabPtr + TABLE_HEADER, ix0 = iy0 + (<usize>(3 * OH) << 2);
  const rowBytes = <usize>OW << 2;
  for (let p = planeStart; p < planeEnd; p++) {
    const dx = dxPtr + (<usize>p * <usize>(H * W) << 2);
    const dy = dyPtr + (<usize>p * <usize>(OH * OW) << 2);
    memory.fill(dx, 0, <usize>(H * W) << 2);
    let oy = 0;
    while (oy < OH) {
      const i = load<i32>(iy0 + (<usize>oy << 2));
      let e = oy + 1;
      while (e < OH && load<i32>(iy0 + (<usize>e << 2)) == i) e++;
      let src = dy + <usize>oy * rowBytes;
      if (e - oy > 1) {
        addRows(src, src + rowBytes, rowPtr, OW);
        for (let r = oy + 2; r < e; r++) addRows(rowPtr, dy + <usize>r * rowBytes, rowPtr, OW);
        src = rowPtr;
      }
      const row = dx + (<usize>(i * W) << 2);
      let j = load<i32>(ix0), s: f32 = 0;
      for (let ox = 0; ox < OW; ox++) {
        const jj = load<i32>(ix0 + (<usize>ox << 2));
        if (jj != j) {
          const t = row + (<usize>j << 2);
          store<f32>(t, load<f32>(t) + s);
          s = 0;
          j = jj;
        }
        s += load<f32>(src + (<usize>ox << 2));
      }
      const t = row + (<usize>j << 2);
      store<f32>(t, load<f32>(t) + s);
      oy = e;
    }
  }
}

/**
 * The adjoint of nearest 2× upsampling: dx[p, k, j] = (dy[p, 2k, 2j] + dy[p, 2k + 1, 2j]) +
 * (dy[p, 2k, 2j + 1] + dy[p, 2k + 1, 2j + 1]). dyPtr: f32 [planes, 2H, 2W]; dxPtr: f32
 * [planes, H, W] (overwritten). The two rows added in vectors, then the column pairs by shuffles;
 * the tail scalar in the same order.
 * @split range start=planeStart end=planeEnd cost=H*W*0.5
 */
export function resize_nearest_bwd_f32_2x_simd(dyPtr: usize, dxPtr: usize, H: i32, W: i32, planeStart: i32, planeEnd: i32): void {
  const ow = <usize>W << 3;
  for (let p = planeStart; p < planeEnd; p++) {
    const dx = dxPtr + (<usize>p * <usize>(H * W) << 2);
    const dy = dyPtr + (<usize>p * <usize>(4 * H * W) << 2);
    for (let k = 0; k < H; k++) {
      const r0 = dy + <usize>(2 * k) * ow, r1 = r0 + ow;
      const d = dx + (<usize>(k * W) << 2);
      let j = 0;
      for (; j + 4 <= W; j += 4) {
        const c = <usize>j << 3;
        const a = f32x4.add(v128.load(r0 + c), v128.load(r1 + c));
        const b = f32x4.add(v128.load(r0 + c, 16), v128.load(r1 + c, 16));
        v128.store(d + (<usize>j << 2), f32x4.add(i32x4.shuffle(a, b, 0, 2, 4, 6), i32x4.shuffle(a, b, 1, 3, 5, 7)));
      }
      for (; j < W; j++) {
        const c = <usize>j << 3;
        store<f32>(d + (<usize>j << 2), (load<f32>(r0 + c) + load<f32>(r1 + c)) + (load<f32>(r0 + c, 4) + load<f32>(r1 + c, 4)));
      }
    }
  }
}

/** acc[i] = (used ? acc[i] : 0) + w·g[i] for i in [0, n). */
@inline function blendInto(acc: usize, g: usize, w: f32, used: bool, n: i32): void {
  const wv = f32x4.splat(w);
  let i = 0;
  if (used) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(acc + o, madd(v128.load(g + o), wv, v128.load(acc + o)));
    }
    for (; i < n; i++) store<f32>(acc + (<usize>i << 2), load<f32>(acc + (<usize>i << 2)) + load<f32>(g + (<usize>i << 2)) * w);
  } else {
    for (; i + 4 <= n; i += 4) v128.store(acc + (<usize>i << 2), f32x4.mul(v128.load(g + (<usize>i << 2)), wv));
    for (; i < n; i++) store<f32>(acc + (<usize>i << 2), load<f32>(g + (<usize>i << 2)) * w);
  }
}

/**
 * dx row += the horizontal adjoint of row G: G[ox]·(1 − wx[ox]) into column ix0[ox], G[ox]·wx[ox]
 * into ix1[ox]; one pair of running sums per run of columns with the same ix0 (they share ix1).
 */
@inline function scatterRow(G: usize, row: usize, ix0: usize, ix1: usize, wxp: usize, OW: i32): void {
  let j = load<i32>(ix0), j1 = load<i32>(ix1);
  let s0: f32 = 0, s1: f32 = 0;
  for (let ox = 0; ox < OW; ox++) {
    const c = <usize>ox << 2;
    const jj = load<i32>(ix0 + c);
    if (jj != j) {
      store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) + s0);
      store<f32>(row + (<usize>j1 << 2), load<f32>(row + (<usize>j1 << 2)) + s1);
      s0 = 0; s1 = 0;
      j = jj; j1 = load<i32>(ix1 + c);
    }
    const g = load<f32>(G + c), w = load<f32>(wxp + c);
    s0 += g * (1 - w);
    s1 += g * w;
  }
  store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) + s0);
  store<f32>(row + (<usize>j1 << 2), load<f32>(row + (<usize>j1 << 2)) + s1);
}

/**
 * The adjoint of resize_bilinear_f32_simd: dx = 0, then dy[p, oy] blended into two accumulator
 * rows (the gradients of input rows iy0[oy] and iy1[oy]: weights 1 − wy[oy] and wy[oy]), each
 * accumulator scattered through the column tables into dx once its row is complete (the row
 * tables never decrease, and iy1 ∈ {iy0, iy0 + 1}). dyPtr: f32 [planes, OH, OW]; dxPtr: f32
 * [planes, H, W] (overwritten); tabPtr: the table block; rowsPtr: scratch of 2·⌈OW/4⌉·4 f32.
 */
export function resize_bilinear_bwd_f32_simd(dyPtr: usize, dxPtr: usize, tabPtr: usize, rowsPtr: usize, planeStart: i32, planeEnd: i32): void {
  const H = slot(tabPtr, 0), W = slot(tabPtr, 1), OH = slot(tabPtr, 2), OW = slot(tabPtr, 3);
  const iy0 = tabPtr + TABLE_HEADER, iy1 = iy0 + (<usize>OH << 2), wyp = iy1 + (<usize>OH << 2);
  const ix0 = wyp + (<usize>OH << 2), ix1 = ix0 + (<usize>OW << 2), wxp = ix1 + (<usize>OW << 2);
  const rowBytes = <usize>OW << 2;
  for (let p = planeStart; p < planeEnd; p++) {
    const dx = dxPtr + (<usize>p * <usize>(H * W) << 2);
    const dy = dyPtr + (<usize>p * <usize>(OH * OW) << 2);
    memory.fill(dx, 0, <usize>(H * W) << 2);
    let ga = rowsPtr, gb = rowsPtr + (<usize>((OW + 3) & ~3) << 2);
    let cur = -1, aUsed = false, bUsed = false; // ga: input row cur's gradient, gb: row cur + 1's
    for (let oy = 0; oy < OH; oy++) {
      const o = <usize>oy << 2;
      const a = load<i32>(iy0 + o), b = load<i32>(iy1 + o), wy = load<f32>(wyp + o);
      if (a != cur) {
        if (aUsed) scatterRow(ga, dx + (<usize>(cur * W) << 2), ix0, ix1, wxp, OW);
        if (a == cur + 1) {
          const t = ga; ga = gb; gb = t;
          aUsed = bUsed;
        } else {
          if (bUsed) scatterRow(gb, dx + (<usize>((cur + 1) * W) << 2), ix0, ix1, wxp, OW);
          aUsed = false;
        }
        bUsed = false;
        cur = a;
      }
      const g = dy + <usize>oy * rowBytes;
      if (b == a || wy == 0) {
        blendInto(ga, g, 1, aUsed, OW);
      } else {
        blendInto(ga, g, 1 - wy, aUsed, OW);
        blendInto(gb, g, wy, bUsed, OW);
        bUsed = true;
      }
      aUsed = true;
    }
    if (aUsed) scatterRow(ga, dx + (<usize>(cur * W) << 2), ix0, ix1, wxp, OW);
    if (bUsed) scatterRow(gb, dx + (<usize>((cur + 1) * W) << 2), ix0, ix1, wxp, OW);
  }
}

/** 0.75·(g0 + g1) + 0.25·(gm + gp) of 4 columns at byte offset c. */
@inline function rows4(g0: usize, g1: usize, gm: usize, gp: usize, c: usize, q: v128, t: v128): v128 {
  return madd(f32x4.add(v128.load(gm + c), v128.load(gp + c)), q, f32x4.mul(f32x4.add(v128.load(g0 + c), v128.load(g1 + c)), t));
}

/** rows4 of one column f (scalar). */
@inline function rows1(g0: usize, g1: usize, gm: usize, gp: usize, f: i32): f32 {
  const c = <usize>f << 2;
  return (load<f32>(gm + c) + load<f32>(gp + c)) * 0.25 + (load<f32>(g0 + c) + load<f32>(g1 + c)) * 0.75;
}

/**
 * The adjoint of resize_bilinear_f32_2x_simd. Along each axis dx[k] = 0.75·(g[2k] + g[2k + 1]) +
 * 0.25·(g[2k − 1] + g[2k + 2]), with g[−1] read as g[0] and g[2n] as g[2n − 1] (the edge
 * outputs' whole weight goes to the edge input). dyPtr: f32 [planes, 2H, 2W]; dxPtr: f32
 * [planes, H, W] (overwritten). Per input row the four output rows are combined 8 columns at a
 * time, split into even and odd columns by shuffles and combined again with their neighbours'
 * lanes; the tail columns scalar. Reads at most 2 floats past the last output row.
 * @split range start=planeStart end=planeEnd cost=H*W*1.2
 */
export function resize_bilinear_bwd_f32_2x_simd(dyPtr: usize, dxPtr: usize, H: i32, W: i32, planeStart: i32, planeEnd: i32): void {
  const q = f32x4.splat(0.25), t = f32x4.splat(0.75);
  const ow = <usize>W << 3;
  const OW = 2 * W;
  for (let p = planeStart; p < planeEnd; p++) {
    const dx = dxPtr + (<usize>p * <usize>(H * W) << 2);
    const dy = dyPtr + (<usize>p * <usize>(4 * H * W) << 2);
    for (let k = 0; k < H; k++) {
      const g0 = dy + <usize>(2 * k) * ow, g1 = g0 + ow;
      const gm = k > 0 ? g0 - ow : g0, gp = k + 1 < H ? g1 + ow : g1;
      const d = dx + (<usize>(k * W) << 2);
      let j = 0;
      if (W >= 4) {
        let A = rows4(g0, g1, gm, gp, 0, q, t), B = rows4(g0, g1, gm, gp, 16, q, t);
        let e = i32x4.shuffle(A, B, 0, 2, 4, 6), o = i32x4.shuffle(A, B, 1, 3, 5, 7);
        let op = f32x4.splat(f32x4.extract_lane(e, 0)); // g[−1] is g[0]
        for (; j + 4 <= W; j += 4) {
          let en: v128, on: v128;
          if (j + 4 < W) {
            const c = <usize>(2 * j + 8) << 2;
            A = rows4(g0, g1, gm, gp, c, q, t);
            B = j + 8 <= W ? rows4(g0, g1, gm, gp, c + 16, q, t) : A;
            en = i32x4.shuffle(A, B, 0, 2, 4, 6);
            on = i32x4.shuffle(A, B, 1, 3, 5, 7);
          } else {
            en = f32x4.splat(f32x4.extract_lane(o, 3)); // g[2W] is g[2W − 1]
            on = en;
          }
          const left = i32x4.shuffle(op, o, 3, 4, 5, 6), right = i32x4.shuffle(e, en, 1, 2, 3, 4);
          v128.store(d + (<usize>j << 2), madd(f32x4.add(left, right), q, f32x4.mul(f32x4.add(e, o), t)));
          op = o; e = en; o = on;
        }
      }
      for (; j < W; j++) {
        const l = 2 * j > 0 ? 2 * j - 1 : 0, r = 2 * j + 2 < OW ? 2 * j + 2 : OW - 1;
        const s = rows1(g0, g1, gm, gp, l) + rows1(g0, g1, gm, gp, r);
        const m = rows1(g0, g1, gm, gp, 2 * j) + rows1(g0, g1, gm, gp, 2 * j + 1);
        store<f32>(d + (<usize>j << 2), s * 0.25 + m * 0.75);
      }
    }
  }
}
