// Resizing of image planes (nearest and bilinear), forward and backward, driven by coordinate
// tables that src/ops/resize.ts computes once per shape (every ONNX / PyTorch coordinate rule
// lives there; the kernels only read the tables).
//
// The table block at tabPtr (i32 slots; weights are f32 bits):
//   [0] H, [1] W, [2] OH, [3] OW, then
//   iy0[OH], iy1[OH], wy[OH], ix0[OW], ix1[OW], wx[OW]
// Row oy reads input rows iy0[oy] and iy1[oy] blended by wy[oy] (nearest: iy0 only); column ox
// likewise through ix0, ix1, wx. Indices are inside the plane.

@inline function slot(tab: usize, i: i32): i32 {
  return load<i32>(tab + (<usize>i << 2));
}

/** p[0..n) = 0: 16 bytes per step, then scalar. */
@inline function zero(p: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), 0);
}

/** The 4 floats row[idx[0..3]] in the lanes of one vector. */
@inline function gather4(row: usize, idx: usize): v128 {
  let v = f32x4.splat(load<f32>(row + (<usize>load<i32>(idx) << 2)));
  v = f32x4.replace_lane(v, 1, load<f32>(row + (<usize>load<i32>(idx, 4) << 2)));
  v = f32x4.replace_lane(v, 2, load<f32>(row + (<usize>load<i32>(idx, 8) << 2)));
  return f32x4.replace_lane(v, 3, load<f32>(row + (<usize>load<i32>(idx, 12) << 2)));
}

/**
 * y[p, oy, ox] = x[p, iy0[oy], ix0[ox]] (nearest). xPtr: f32 [planes, H, W]; yPtr: f32
 * [planes, OH, OW]; tabPtr: the table block above. An output row with the same source row as the
 * row before it is a copy of that row; other rows gather 4 columns per step, the tail scalar.
 * @split range start=planeStart end=planeEnd cost=tabPtr[2]*tabPtr[3]*0.3
 */
export function resize_nearest_f32_simd(xPtr: usize, yPtr: usize, tabPtr: usize, planeStart: i32, planeEnd: i32): void {
  const H = slot(tabPtr, 0), W = slot(tabPtr, 1), OH = slot(tabPtr, 2), OW = slot(tabPtr, 3);
  const iy0 = tabPtr + 16, ix0 = iy0 + (<usize>(3 * OH) << 2);
  const rowBytes = <usize>OW << 2;
  for (let p = planeStart; p < planeEnd; p++) {
    const x = xPtr + (<usize>p * <usize>(H * W) << 2);
    const y = yPtr + (<usize>p * <usize>(OH * OW) << 2);
    let prev = -1;
    for (let oy = 0; oy < OH; oy++) {
      const sy = load<i32>(iy0 + (<usize>oy << 2));
      const dst = y + <usize>oy * rowBytes;
      if (sy == prev) {
        memory.copy(dst, dst - rowBytes, rowBytes);
        continue;
      }
      prev = sy;
      const src = x + (<usize>(sy * W) << 2);
      let ox = 0;
      for (; ox + 4 <= OW; ox += 4) v128.store(dst + (<usize>ox << 2), gather4(src, ix0 + (<usize>ox << 2)));
      for (; ox < OW; ox++) store<f32>(dst + (<usize>ox << 2), load<f32>(src + (<usize>load<i32>(ix0 + (<usize>ox << 2)) << 2)));
    }
  }
}

/**
 * y[p, oy, ox] = x[p, oy >> 1, ox >> 1]: nearest 2× upsampling, each input value written to its
 * 2×2 block. xPtr: f32 [planes, H, W]; yPtr: f32 [planes, 2H, 2W]. 4 input columns per step
 * (two shuffled vectors per output row), the tail scalar.
 * @split range start=planeStart end=planeEnd cost=H*W*0.4
 */
export function resize_nearest_f32_2x_simd(xPtr: usize, yPtr: usize, H: i32, W: i32, planeStart: i32, planeEnd: i32): void {
  const ow = <usize>(2 * W) << 2;
  for (let p = planeStart; p < planeEnd; p++) {
    const x = xPtr + (<usize>p * <usize>(H * W) << 2);
    const y = yPtr + (<usize>p * <usize>(4 * H * W) << 2);
    for (let h = 0; h < H; h++) {
      const src = x + (<usize>(h * W) << 2);
      const d0 = y + <usize>(2 * h) * ow, d1 = d0 + ow;
      let w = 0;
      for (; w + 4 <= W; w += 4) {
        const v = v128.load(src + (<usize>w << 2));
        const lo = i32x4.shuffle(v, v, 0, 0, 1, 1), hi = i32x4.shuffle(v, v, 2, 2, 3, 3);
        const o = <usize>w << 3;
        v128.store(d0 + o, lo); v128.store(d0 + o, hi, 16);
        v128.store(d1 + o, lo); v128.store(d1 + o, hi, 16);
      }
      for (; w < W; w++) {
        const v = load<f32>(src + (<usize>w << 2));
        const o = <usize>w << 3;
        store<f32>(d0 + o, v); store<f32>(d0 + o, v, 4);
        store<f32>(d1 + o, v); store<f32>(d1 + o, v, 4);
      }
    }
  }
}

/**
 * y[p, oy, ox] = top + (bottom − top)·wy[oy], top = a + (b − a)·wx[ox] over input row iy0[oy]
 * (a at column ix0[ox], b at ix1[ox]), bottom the same over row iy1[oy]. Pointers as
 * resize_nearest_f32_simd. 4 output columns per step (their sources gathered through the column
 * tables, the weights loaded as vectors), the tail scalar.
 * @split range start=planeStart end=planeEnd cost=tabPtr[2]*tabPtr[3]*0.8
 */
export function resize_bilinear_f32_simd(xPtr: usize, yPtr: usize, tabPtr: usize, planeStart: i32, planeEnd: i32): void {
  const H = slot(tabPtr, 0), W = slot(tabPtr, 1), OH = slot(tabPtr, 2), OW = slot(tabPtr, 3);
  const iy0 = tabPtr + 16, iy1 = iy0 + (<usize>OH << 2), wyp = iy1 + (<usize>OH << 2);
  const ix0 = wyp + (<usize>OH << 2), ix1 = ix0 + (<usize>OW << 2), wxp = ix1 + (<usize>OW << 2);
  for (let p = planeStart; p < planeEnd; p++) {
    const x = xPtr + (<usize>p * <usize>(H * W) << 2);
    const y = yPtr + (<usize>p * <usize>(OH * OW) << 2);
    for (let oy = 0; oy < OH; oy++) {
      const o = <usize>oy << 2;
      const r0 = x + (<usize>(load<i32>(iy0 + o) * W) << 2), r1 = x + (<usize>(load<i32>(iy1 + o) * W) << 2);
      const wy = load<f32>(wyp + o), wyv = f32x4.splat(wy);
      const dst = y + (<usize>(oy * OW) << 2);
      let ox = 0;
      for (; ox + 4 <= OW; ox += 4) {
        const c = <usize>ox << 2;
        const wx = v128.load(wxp + c);
        const a = gather4(r0, ix0 + c), b = gather4(r0, ix1 + c);
        const cc = gather4(r1, ix0 + c), d = gather4(r1, ix1 + c);
        const top = f32x4.add(a, f32x4.mul(f32x4.sub(b, a), wx));
        const bot = f32x4.add(cc, f32x4.mul(f32x4.sub(d, cc), wx));
        v128.store(dst + c, f32x4.add(top, f32x4.mul(f32x4.sub(bot, top), wyv)));
      }
      for (; ox < OW; ox++) {
        const c = <usize>ox << 2;
        const j0 = <usize>load<i32>(ix0 + c) << 2, j1 = <usize>load<i32>(ix1 + c) << 2;
        const wx = load<f32>(wxp + c);
        const a = load<f32>(r0 + j0), b = load<f32>(r0 + j1), cc = load<f32>(r1 + j0), d = load<f32>(r1 + j1);
        const top = a + (b - a) * wx, bot = cc + (d - cc) * wx;
        store<f32>(dst + c, top + (bot - top) * wy);
      }
    }
  }
}

/**
 * The adjoint of resize_nearest_f32_simd: dx[p] = 0, then dx[p, iy0[oy], ix0[ox]] += dy[p, oy, ox]
 * in row-major order. dyPtr: f32 [planes, OH, OW]; dxPtr: f32 [planes, H, W] (overwritten).
 * @split range start=planeStart end=planeEnd cost=tabPtr[2]*tabPtr[3]*0.5
 */
export function resize_nearest_bwd_f32_simd(dyPtr: usize, dxPtr: usize, tabPtr: usize, planeStart: i32, planeEnd: i32): void {
  const H = slot(tabPtr, 0), W = slot(tabPtr, 1), OH = slot(tabPtr, 2), OW = slot(tabPtr, 3);
  const iy0 = tabPtr + 16, ix0 = iy0 + (<usize>(3 * OH) << 2);
  for (let p = planeStart; p < planeEnd; p++) {
    const dx = dxPtr + (<usize>p * <usize>(H * W) << 2);
    const dy = dyPtr + (<usize>p * <usize>(OH * OW) << 2);
    zero(dx, H * W);
    for (let oy = 0; oy < OH; oy++) {
      const row = dx + (<usize>(load<i32>(iy0 + (<usize>oy << 2)) * W) << 2);
      const src = dy + (<usize>(oy * OW) << 2);
      for (let ox = 0; ox < OW; ox++) {
        const t = row + (<usize>load<i32>(ix0 + (<usize>ox << 2)) << 2);
        store<f32>(t, load<f32>(t) + load<f32>(src + (<usize>ox << 2)));
      }
    }
  }
}

/**
 * The adjoint of resize_bilinear_f32_simd: dx[p] = 0, then each dy[p, oy, ox] adds into its four
 * sources with weights (1 − wx)(1 − wy), wx(1 − wy), (1 − wx)wy, wx·wy, in row-major order.
 * Pointers as resize_nearest_bwd_f32_simd.
 * @split range start=planeStart end=planeEnd cost=tabPtr[2]*tabPtr[3]*1.2
 */
export function resize_bilinear_bwd_f32_simd(dyPtr: usize, dxPtr: usize, tabPtr: usize, planeStart: i32, planeEnd: i32): void {
  const H = slot(tabPtr, 0), W = slot(tabPtr, 1), OH = slot(tabPtr, 2), OW = slot(tabPtr, 3);
  const iy0 = tabPtr + 16, iy1 = iy0 + (<usize>OH << 2), wyp = iy1 + (<usize>OH << 2);
  const ix0 = wyp + (<usize>OH << 2), ix1 = ix0 + (<usize>OW << 2), wxp = ix1 + (<usize>OW << 2);
  for (let p = planeStart; p < planeEnd; p++) {
    const dx = dxPtr + (<usize>p * <usize>(H * W) << 2);
    const dy = dyPtr + (<usize>p * <usize>(OH * OW) << 2);
    zero(dx, H * W);
    for (let oy = 0; oy < OH; oy++) {
      const o = <usize>oy << 2;
      const r0 = dx + (<usize>(load<i32>(iy0 + o) * W) << 2), r1 = dx + (<usize>(load<i32>(iy1 + o) * W) << 2);
      const wy = load<f32>(wyp + o);
      const src = dy + (<usize>(oy * OW) << 2);
      for (let ox = 0; ox < OW; ox++) {
        const c = <usize>ox << 2;
        const j0 = <usize>load<i32>(ix0 + c) << 2, j1 = <usize>load<i32>(ix1 + c) << 2;
        const wx = load<f32>(wxp + c), g = load<f32>(src + c);
        const gt = g * (1 - wy), gb = g * wy;
        store<f32>(r0 + j0, load<f32>(r0 + j0) + gt * (1 - wx));
        store<f32>(r0 + j1, load<f32>(r0 + j1) + gt * wx);
        store<f32>(r1 + j0, load<f32>(r1 + j0) + gb * (1 - wx));
        store<f32>(r1 + j1, load<f32>(r1 + j1) + gb * wx);
      }
    }
  }
}
