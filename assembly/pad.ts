// Padding of the last two dims of image planes: constant, reflect (mirror without repeating the
// edge, PyTorch's 'reflect', ONNX's 'reflect') and replicate (ONNX's 'edge'), with the adjoint.
//
// The parameter block at paramsPtr (i32): [H, W, OH, OW, top, left, mode], mode 0 constant,
// 1 reflect, 2 replicate. OH = top + H + bottom, OW = left + W + right; pads are ≥ 0, and reflect
// pads are < the padded dim (src/ops/pad.ts checks).

const CONSTANT = 0;
const REFLECT = 1;

@inline function slot(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/** The source index of padded index i (−1: outside, constant mode). */
@inline function source(i: i32, n: i32, mode: i32): i32 {
  if (i >= 0 && i < n) return i;
  if (mode == CONSTANT) return -1;
  if (mode == REFLECT) return i < 0 ? -i : 2 * (n - 1) - i;
  return i < 0 ? 0 : n - 1;
}

/** y[i] = x[i] for i in [0, n): 16 bytes per step, then scalar. */
@inline function copyRun(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(y + (<usize>i << 2), v128.load(x + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(x + (<usize>i << 2)));
}

/** y[i] += x[i] for i in [0, n). */
@inline function addRun(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(x + o)));
  }
  for (; i < n; i++) store<f32>(y + (<usize>i << 2), load<f32>(y + (<usize>i << 2)) + load<f32>(x + (<usize>i << 2)));
}

/**
 * y[p, oy, ox] = x[p, src(oy − top), src(ox − left)], or `value` where a constant pad has no
 * source. xPtr: f32 [planes, H, W]; yPtr: f32 [planes, OH, OW]; paramsPtr: the block above. Each
 * row's interior is a SIMD copy, its borders scalar; constant rows are filled.
 * @split range start=planeStart end=planeEnd cost=paramsPtr[2]*paramsPtr[3]*0.1
 */
export function pad_f32_simd(xPtr: usize, yPtr: usize, paramsPtr: usize, value: f32, planeStart: i32, planeEnd: i32): void {
  const H = slot(paramsPtr, 0), W = slot(paramsPtr, 1), OH = slot(paramsPtr, 2), OW = slot(paramsPtr, 3);
  const top = slot(paramsPtr, 4), left = slot(paramsPtr, 5), mode = slot(paramsPtr, 6);
  const vv = f32x4.splat(value);
  for (let p = planeStart; p < planeEnd; p++) {
    const x = xPtr + (<usize>p * <usize>(H * W) << 2);
    const y = yPtr + (<usize>p * <usize>(OH * OW) << 2);
    for (let oy = 0; oy < OH; oy++) {
      const dst = y + (<usize>(oy * OW) << 2);
      const sy = source(oy - top, H, mode);
      if (sy < 0) {
        let i = 0;
        for (; i + 4 <= OW; i += 4) v128.store(dst + (<usize>i << 2), vv);
        for (; i < OW; i++) store<f32>(dst + (<usize>i << 2), value);
        continue;
      }
      const src = x + (<usize>(sy * W) << 2);
      for (let ox = 0; ox < left; ox++) {
        const sx = source(ox - left, W, mode);
        store<f32>(dst + (<usize>ox << 2), sx < 0 ? value : load<f32>(src + (<usize>sx << 2)));
      }
      copyRun(src, dst + (<usize>left << 2), W);
      for (let ox = left + W; ox < OW; ox++) {
        const sx = source(ox - left, W, mode);
        store<f32>(dst + (<usize>ox << 2), sx < 0 ? value : load<f32>(src + (<usize>sx << 2)));
      }
    }
  }
}

/** Adds the border columns of padded row src into their sources in row (reflect, replicate). */
@inline function addBorders(src: usize, row: usize, W: i32, OW: i32, left: i32, mode: i32): void {
  for (let ox = 0; ox < left; ox++) {
    const t = row + (<usize>source(ox - left, W, mode) << 2);
    store<f32>(t, load<f32>(t) + load<f32>(src + (<usize>ox << 2)));
  }
  for (let ox = left + W; ox < OW; ox++) {
    const t = row + (<usize>source(ox - left, W, mode) << 2);
    store<f32>(t, load<f32>(t) + load<f32>(src + (<usize>ox << 2)));
  }
}

/**
 * The adjoint of pad_f32_simd: dx[p, i] is first the interior of dy[p, top + i] (a copy, its
 * border columns then added onto the columns they copied), then the rows of the top and bottom
 * borders are added onto the rows they copied (reflect, replicate), in order. dyPtr: f32
 * [planes, OH, OW]; dxPtr: f32 [planes, H, W] (overwritten). Rows in vectors, border columns
 * scalar.
 * @split range start=planeStart end=planeEnd cost=paramsPtr[2]*paramsPtr[3]*0.1
 */
export function pad_bwd_f32_simd(dyPtr: usize, dxPtr: usize, paramsPtr: usize, planeStart: i32, planeEnd: i32): void {
  const H = slot(paramsPtr, 0), W = slot(paramsPtr, 1), OH = slot(paramsPtr, 2), OW = slot(paramsPtr, 3);
  const top = slot(paramsPtr, 4), left = slot(paramsPtr, 5), mode = slot(paramsPtr, 6);
  for (let p = planeStart; p < planeEnd; p++) {
    const dx = dxPtr + (<usize>p * <usize>(H * W) << 2);
    const dy = dyPtr + (<usize>p * <usize>(OH * OW) << 2);
    for (let i = 0; i < H; i++) {
      const src = dy + (<usize>((top + i) * OW) << 2);
      const row = dx + (<usize>(i * W) << 2);
      copyRun(src + (<usize>left << 2), row, W);
      if (mode != CONSTANT) addBorders(src, row, W, OW, left, mode);
    }
    if (mode == CONSTANT) continue;
    for (let oy = 0; oy < OH; oy++) {
      if (oy == top) oy = top + H;
      if (oy >= OH) break;
      const src = dy + (<usize>(oy * OW) << 2);
      const row = dx + (<usize>(source(oy - top, H, mode) * W) << 2);
      addRun(src + (<usize>left << 2), row, W);
      addBorders(src, row, W, OW, left, mode);
    }
  }
}
