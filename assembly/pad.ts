// Padding of image planes (the last two dims) and, through a list of leading dims, of any other
// axis: constant, reflect (mirror without repeating the edge, PyTorch's 'reflect', ONNX's
// 'reflect') and replicate (ONNX's 'edge'), with the adjoint.
//
// The parameter block at paramsPtr (i32): [H, W, OH, OW, top, left, mode, L, then L triples
// (n, on, begin) for the leading dims, outermost first], mode 0 constant, 1 reflect, 2 replicate.
// OH = top + H + bottom, OW = left + W + right; a leading dim of size n becomes on = begin + n +
// end. L = 0: the leading dims are not padded, and plane p of y reads plane p of x. Pads are ≥ 0,
// and reflect pads are < the padded dim (src/ops/pad.ts checks).

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

/** y = x[src(…)] over one plane (value where a constant pad has no source): row interiors SIMD copies, borders scalar. */
@inline function padPlane(x: usize, y: usize, H: i32, W: i32, OH: i32, OW: i32, top: i32, left: i32, mode: i32, value: f32): void {
  const vv = f32x4.splat(value);
  for (let oy = 0; oy < OH; oy++) {
    const dst = y + (<usize>(oy * OW) << 2);
    const sy = source(oy - top, H, mode);
    if (sy < 0) {
      fillRun(dst, OW, vv, value);
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

@inline function fillRun(dst: usize, n: i32, vv: v128, value: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), value);
}

/**
 * dx = the adjoint of padPlane for one plane, overwriting: the interior rows of dy are copied (their
 * border columns then added onto the columns they copied), then the rows of the top and bottom
 * borders are added onto the rows they copied (reflect, replicate), in order.
 */
@inline function padPlaneAdjointInto(dy: usize, dx: usize, H: i32, W: i32, OH: i32, OW: i32, top: i32, left: i32, mode: i32): void {
  for (let i = 0; i < H; i++) {
    const src = dy + (<usize>((top + i) * OW) << 2);
    const row = dx + (<usize>(i * W) << 2);
    copyRun(src + (<usize>left << 2), row, W);
    if (mode != CONSTANT) addBorders(src, row, W, OW, left, mode);
  }
  if (mode == CONSTANT) return;
  for (let oy = 0; oy < OH; oy++) {
    if (oy == top) oy = top + H;
    if (oy >= OH) break;
    const src = dy + (<usize>(oy * OW) << 2);
    const row = dx + (<usize>(source(oy - top, H, mode) * W) << 2);
    addRun(src + (<usize>left << 2), row, W);
    addBorders(src, row, W, OW, left, mode);
  }
}

/** dx += the adjoint of padPlane applied to one dy plane (reflect / replicate borders add onto their sources). */
@inline function padPlaneAdjoint(dy: usize, dx: usize, H: i32, W: i32, OH: i32, OW: i32, top: i32, left: i32, mode: i32): void {
  for (let oy = 0; oy < OH; oy++) {
    const sy = source(oy - top, H, mode);
    if (sy < 0) continue;
    const src = dy + (<usize>(oy * OW) << 2);
    const row = dx + (<usize>(sy * W) << 2);
    addRun(src + (<usize>left << 2), row, W);
    if (mode != CONSTANT) addBorders(src, row, W, OW, left, mode);
  }
}

/** The x plane that y plane p reads through the L leading dims (−1: a constant pad, no source). */
@inline function sourcePlane(paramsPtr: usize, L: i32, mode: i32, p: i32): i32 {
  let q = 0, stride = 1;
  for (let k = L - 1; k >= 0; k--) {
    const n = slot(paramsPtr, 8 + 3 * k), on = slot(paramsPtr, 9 + 3 * k), begin = slot(paramsPtr, 10 + 3 * k);
    const i = p % on;
    p /= on;
    const s = source(i - begin, n, mode);
    if (s < 0) return -1;
    q += s * stride;
    stride *= n;
  }
  return q;
}

/**
 * y[p, oy, ox] = x[src(p), src(oy − top), src(ox − left)], or `value` where a constant pad has no
 * source; src(p) maps an output plane through the leading dims of the block (identity when L = 0).
 * xPtr: f32 [planes of x, H, W]; yPtr: f32 [planes of y, OH, OW]; paramsPtr: the block above;
 * [planeStart, planeEnd): planes of y. Each row's interior is a SIMD copy, its borders scalar;
 * constant rows and planes are filled.
 * @split range start=planeStart end=planeEnd cost=paramsPtr[2]*paramsPtr[3]*0.1
 */
export function pad_f32_simd(xPtr: usize, yPtr: usize, paramsPtr: usize, value: f32, planeStart: i32, planeEnd: i32): void {
  const H = slot(paramsPtr, 0), W = slot(paramsPtr, 1), OH = slot(paramsPtr, 2), OW = slot(paramsPtr, 3);
  const top = slot(paramsPtr, 4), left = slot(paramsPtr, 5), mode = slot(paramsPtr, 6), L = slot(paramsPtr, 7);
  const plane = <usize>(OH * OW) << 2;
  for (let p = planeStart; p < planeEnd; p++) {
    const y = yPtr + <usize>p * plane;
    const q = L == 0 ? p : sourcePlane(paramsPtr, L, mode, p);
    if (q < 0) {
      fillRun(y, OH * OW, f32x4.splat(value), value);
      continue;
    }
    padPlane(xPtr + (<usize>q * <usize>(H * W) << 2), y, H, W, OH, OW, top, left, mode, value);
  }
}

/**
 * The adjoint of pad_f32_simd: dx[q] = Σ over the dy planes p that read plane q (in order of p) of
 * the plane adjoint (reflect and replicate borders accumulate onto the rows and columns they
 * copied). dyPtr: f32 [planes of y, OH, OW]; dxPtr: f32 [planes of x, H, W] (overwritten);
 * [planeStart, planeEnd): planes of x. With L > 0 every task scans all dy planes' sources (cheap:
 * L divisions per plane) and takes those that fall in its range.
 * @split range start=planeStart end=planeEnd cost=paramsPtr[2]*paramsPtr[3]*0.15
 */
export function pad_bwd_f32_simd(dyPtr: usize, dxPtr: usize, paramsPtr: usize, planeStart: i32, planeEnd: i32): void {
  const H = slot(paramsPtr, 0), W = slot(paramsPtr, 1), OH = slot(paramsPtr, 2), OW = slot(paramsPtr, 3);
  const top = slot(paramsPtr, 4), left = slot(paramsPtr, 5), mode = slot(paramsPtr, 6), L = slot(paramsPtr, 7);
  const xPlane = <usize>(H * W) << 2, yPlane = <usize>(OH * OW) << 2;
  if (L == 0) {
    for (let p = planeStart; p < planeEnd; p++) padPlaneAdjointInto(dyPtr + <usize>p * yPlane, dxPtr + <usize>p * xPlane, H, W, OH, OW, top, left, mode);
    return;
  }
  const zero = f32x4.splat(0);
  for (let q = planeStart; q < planeEnd; q++) fillRun(dxPtr + <usize>q * xPlane, H * W, zero, 0);
  let outPlanes = 1;
  for (let k = 0; k < L; k++) outPlanes *= slot(paramsPtr, 9 + 3 * k);
  for (let p = 0; p < outPlanes; p++) {
    const q = sourcePlane(paramsPtr, L, mode, p);
    if (q >= planeStart && q < planeEnd) padPlaneAdjoint(dyPtr + <usize>p * yPlane, dxPtr + <usize>q * xPlane, H, W, OH, OW, top, left, mode);
  }
}
