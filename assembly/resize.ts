// Resizing of image planes (nearest and bilinear), forward, driven by coordinate tables that
// src/ops/resize.ts computes once per shape (every ONNX / PyTorch coordinate rule lives there; the
// kernels only read the tables, laid out in assembly/resize-common.ts), and two specialised
// kernels that need no table: nearest by integer factors and bilinear 2× with half-pixel centres.
// The adjoints are in assembly/resize-backward.ts.
import { madd } from "./gemm-common";
import { TABLE_HEADER, slot, gather4, swizzle } from "./resize-common";

/**
 * y[p, oy, ox] = x[p, iy0[oy], ix0[ox]] (nearest, any tables). xPtr: f32 [planes, H, W]; yPtr: f32
 * [planes, OH, OW]; tabPtr: the table block (resize-common.ts). An output row with the same source
 * row as the row before it is a copy of that row; other rows gather 4 columns per step, the tail
 * scalar.
 * @split range start=planeStart end=planeEnd cost=tabPtr[2]*tabPtr[3]*0.3
 */
export function resize_nearest_f32_simd(xPtr: usize, yPtr: usize, tabPtr: usize, planeStart: i32, planeEnd: i32): void {
  const H = slot(tabPtr, 0), W = slot(tabPtr, 1), OH = slot(tabPtr, 2), OW = slot(tabPtr, 3);
  const iy0 = tabPtr + TABLE_HEADER, ix0 = iy0 + (<usize>(3 * OH) << 2);
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

/** Stores v at d and, when `two`, at d2. */
@inline function put(d: usize, d2: usize, two: bool, v: v128): void {
  v128.store(d, v);
  if (two) v128.store(d2, v);
}

/**
 * Output row d (and d2 when `two`, a constant after inlining) = input row src widened sw times:
 * sw = 1: copies; 2, 3: shuffles of 4 inputs; sw ≥ 4: one splat per input, stored in whole
 * vectors, the last one overlapping inside the block. The tail columns scalar. Returns nothing.
 */
@inline function widen(src: usize, d: usize, d2: usize, W: i32, sw: i32, two: bool): void {
  let w = 0;
  if (sw == 1) {
    for (; w + 4 <= W; w += 4) {
      const o = <usize>w << 2;
      put(d + o, d2 + o, two, v128.load(src + o));
    }
  } else if (sw == 2) {
    for (; w + 4 <= W; w += 4) {
      const v = v128.load(src + (<usize>w << 2));
      const o = <usize>w << 3;
      const lo = i32x4.shuffle(v, v, 0, 0, 1, 1), hi = i32x4.shuffle(v, v, 2, 2, 3, 3);
      v128.store(d + o, lo); v128.store(d + o, hi, 16);
      if (two) { v128.store(d2 + o, lo); v128.store(d2 + o, hi, 16); }
    }
  } else if (sw == 3) {
    for (; w + 4 <= W; w += 4) {
      const v = v128.load(src + (<usize>w << 2));
      const o = <usize>(w * 12);
      const a = i32x4.shuffle(v, v, 0, 0, 0, 1), b = i32x4.shuffle(v, v, 1, 1, 2, 2), c = i32x4.shuffle(v, v, 2, 3, 3, 3);
      v128.store(d + o, a); v128.store(d + o, b, 16); v128.store(d + o, c, 32);
      if (two) { v128.store(d2 + o, a); v128.store(d2 + o, b, 16); v128.store(d2 + o, c, 32); }
    }
  } else {
    const last = <usize>(sw - 4) << 2;
    for (; w < W; w++) {
      const v = v128.load32_splat(src + (<usize>w << 2));
      const o = <usize>(w * sw) << 2;
      for (let c = 0; c + 4 <= sw; c += 4) put(d + o + (<usize>c << 2), d2 + o + (<usize>c << 2), two, v);
      put(d + o + last, d2 + o + last, two, v);
    }
  }
  for (; w < W; w++) {
    const v = load<f32>(src + (<usize>w << 2));
    const o = <usize>(w * sw) << 2;
    for (let c = 0; c < sw; c++) {
      store<f32>(d + o + (<usize>c << 2), v);
      if (two) store<f32>(d2 + o + (<usize>c << 2), v);
    }
  }
}

/**
 * y[p, oy, ox] = x[p, ⌊oy / sh⌋, ⌊ox / sw⌋]: nearest upsampling by integer factors, each input
 * value written to its sh × sw block. xPtr: f32 [planes, H, W]; yPtr: f32 [planes, sh·H, sw·W].
 * Each input row is widened in vectors (see widen) into the first of its output rows, and the
 * second when sh = 2; for sh ≥ 3 the other rows are copies of the first.
 * @split range start=planeStart end=planeEnd cost=H*W*sh*sw*0.1
 */
export function resize_nearest_f32_nx_simd(xPtr: usize, yPtr: usize, H: i32, W: i32, sh: i32, sw: i32, planeStart: i32, planeEnd: i32): void {
  const ow = <usize>(sw * W) << 2;
  if (sh == 2 && sw == 2) {
    // the common case (U-Net, FPN, YOLO necks) in one flat loop over all rows
    const rows = (planeEnd - planeStart) * H;
    let src = xPtr + (<usize>planeStart * <usize>(H * W) << 2), d = yPtr + (<usize>planeStart * <usize>(4 * H * W) << 2);
    for (let r = 0; r < rows; r++, src += <usize>W << 2, d += ow << 1) widen(src, d, d + ow, W, 2, true);
    return;
  }
  for (let p = planeStart; p < planeEnd; p++) {
    const x = xPtr + (<usize>p * <usize>(H * W) << 2);
    const y = yPtr + (<usize>p * <usize>(H * W) * <usize>(sh * sw) << 2);
    for (let h = 0; h < H; h++) {
      const src = x + (<usize>(h * W) << 2);
      const d = y + <usize>(h * sh) * ow;
      if (sh == 2) {
        widen(src, d, d + ow, W, sw, true);
      } else {
        widen(src, d, d, W, sw, false);
        for (let r = 1; r < sh; r++) memory.copy(d + <usize>r * ow, d, ow);
      }
    }
  }
}

/**
 * dst[ox] = a + (b − a)·wx[ox] over input row `row`: a = row[ix0[ox]], b = row[ix1[ox]] (see the
 * table). Groups of 4 columns whose sources lie within 4 adjacent inputs (upsampling) take a and b
 * from two vector loads by one byte shuffle each; the other columns before pairCols load each
 * (x[j], x[j + 1]) pair with one 8-byte load; the rest scalar.
 */
@inline function horizontal(row: usize, dst: usize, tab: usize): void {
  const OH = slot(tab, 2), OW = slot(tab, 3), pairs = slot(tab, 4), groups = slot(tab, 5);
  const ix0 = tab + TABLE_HEADER + (<usize>(3 * OH) << 2), ix1 = ix0 + (<usize>OW << 2), wxp = ix1 + (<usize>OW << 2);
  const bases = wxp + (<usize>OW << 2), masks = bases + (<usize>groups << 2);
  let ox = 0;
  for (let g = 0; g < groups; g++, ox += 4) {
    const c = <usize>ox << 2;
    const src = row + (<usize>load<i32>(bases + (<usize>g << 2)) << 2);
    const m = v128.load(masks + (<usize>g << 4));
    const a = swizzle(v128.load(src), m), b = swizzle(v128.load(src, 4), m);
    v128.store(dst + c, madd(f32x4.sub(b, a), v128.load(wxp + c), a));
  }
  for (; ox + 4 <= pairs; ox += 4) {
    const c = <usize>ox << 2;
    // x[j] and x[j + 1] with one 8-byte load per column, then split into the a and b lanes
    let v01 = v128.load64_zero(row + (<usize>load<i32>(ix0 + c) << 2));
    v01 = v128.load64_lane(row + (<usize>load<i32>(ix0 + c, 4) << 2), v01, 1);
    let v23 = v128.load64_zero(row + (<usize>load<i32>(ix0 + c, 8) << 2));
    v23 = v128.load64_lane(row + (<usize>load<i32>(ix0 + c, 12) << 2), v23, 1);
    const a = i32x4.shuffle(v01, v23, 0, 2, 4, 6), b = i32x4.shuffle(v01, v23, 1, 3, 5, 7);
    v128.store(dst + c, madd(f32x4.sub(b, a), v128.load(wxp + c), a));
  }
  for (; ox < OW; ox++) {
    const c = <usize>ox << 2;
    const a = load<f32>(row + (<usize>load<i32>(ix0 + c) << 2)), b = load<f32>(row + (<usize>load<i32>(ix1 + c) << 2));
    store<f32>(dst + c, a + (b - a) * load<f32>(wxp + c));
  }
}

/**
 * y[p, oy, ox] = t + (b − t)·wy[oy] with t = Hx(iy0[oy])[ox], b = Hx(iy1[oy])[ox], where
 * Hx(r)[ox] = a + (c − a)·wx[ox], a = x[p, r, ix0[ox]], c = x[p, r, ix1[ox]] (bilinear, any
 * tables: separable). Each input row's horizontal pass is computed once per plane into one of two
 * scratch rows, which the output rows reading that input row share; every output row is then a
 * vertical blend of two scratch rows in whole vectors. xPtr: f32 [planes, H, W]; yPtr: f32
 * [planes, OH, OW]; tabPtr: the table block (resize-common.ts, with the shuffle groups);
 * rowsPtr: scratch of 2·⌈OW/4⌉·4 f32. Vertical tails scalar. Reads at most 4 floats past the
 * last input row.
 */
export function resize_bilinear_f32_simd(xPtr: usize, yPtr: usize, tabPtr: usize, rowsPtr: usize, planeStart: i32, planeEnd: i32): void {
  const H = slot(tabPtr, 0), W = slot(tabPtr, 1), OH = slot(tabPtr, 2), OW = slot(tabPtr, 3);
  const iy0 = tabPtr + TABLE_HEADER, iy1 = iy0 + (<usize>OH << 2), wyp = iy1 + (<usize>OH << 2);
  const s0 = rowsPtr, s1 = rowsPtr + (<usize>((OW + 3) & ~3) << 2);
  const rowIn = <usize>W << 2;
  for (let p = planeStart; p < planeEnd; p++) {
    const x = xPtr + (<usize>p * <usize>(H * W) << 2);
    const y = yPtr + (<usize>p * <usize>(OH * OW) << 2);
    let t0 = -1, t1 = -1; // the input rows whose horizontal passes s0 and s1 hold
    for (let oy = 0; oy < OH; oy++) {
      const o = <usize>oy << 2;
      const a = load<i32>(iy0 + o), b = load<i32>(iy1 + o);
      // bring rows a and b into the slots, never evicting the other one
      if (a != t0 && a != t1) {
        if (t0 == b) { horizontal(x + <usize>a * rowIn, s1, tabPtr); t1 = a; }
        else { horizontal(x + <usize>a * rowIn, s0, tabPtr); t0 = a; }
      }
      if (b != t0 && b != t1) {
        if (t0 == a) { horizontal(x + <usize>b * rowIn, s1, tabPtr); t1 = b; }
        else { horizontal(x + <usize>b * rowIn, s0, tabPtr); t0 = b; }
      }
      const top = t0 == a ? s0 : s1, bot = t0 == b ? s0 : s1;
      const wy = load<f32>(wyp + o), wyv = f32x4.splat(wy);
      const dst = y + (<usize>(oy * OW) << 2);
      let ox = 0;
      for (; ox + 4 <= OW; ox += 4) {
        const c = <usize>ox << 2;
        const tv = v128.load(top + c);
        v128.store(dst + c, madd(f32x4.sub(v128.load(bot + c), tv), wyv, tv));
      }
      for (; ox < OW; ox++) {
        const c = <usize>ox << 2;
        const tv = load<f32>(top + c);
        store<f32>(dst + c, tv + (load<f32>(bot + c) - tv) * wy);
      }
    }
  }
}

/** The two output rows' 8 columns from the 4 vertical blends `cur` and their neighbours (see below). */
@inline function widen2x(dst: usize, prev: v128, cur: v128, next: v128, q: v128, t: v128): void {
  const left = i32x4.shuffle(prev, cur, 3, 4, 5, 6), right = i32x4.shuffle(cur, next, 1, 2, 3, 4);
  const m = f32x4.mul(cur, t);
  const e = madd(left, q, m), o = madd(right, q, m);
  v128.store(dst, i32x4.shuffle(e, o, 0, 4, 1, 5));
  v128.store(dst, i32x4.shuffle(e, o, 2, 6, 3, 7), 16);
}

/** One vertical blend 0.75·x[r0] + 0.25·x[rn] at column j (scalar). */
@inline function vblend(r0: usize, rn: usize, j: i32): f32 {
  const c = <usize>j << 2;
  return load<f32>(r0 + c) * 0.75 + load<f32>(rn + c) * 0.25;
}

/**
 * Bilinear 2× with half-pixel centres (F.interpolate(scale_factor=2, align_corners=False), ONNX
 * half_pixel / pytorch_half_pixel): along each axis output 2k = 0.25·x[k − 1] + 0.75·x[k] and
 * 2k + 1 = 0.75·x[k] + 0.25·x[k + 1], an index outside the plane replaced by the edge (so the
 * edge outputs are the edge inputs). xPtr: f32 [planes, H, W]; yPtr: f32 [planes, 2H, 2W]. Per
 * input row k the two vertical blends (rows 2k and 2k + 1) are made 4 columns at a time and
 * widened with their neighbours' lanes by shuffles into 8 output columns of each row; the tail
 * columns scalar. Reads at most 3 floats past the last input row.
 * @split range start=planeStart end=planeEnd cost=H*W*1.2
 */
export function resize_bilinear_f32_2x_simd(xPtr: usize, yPtr: usize, H: i32, W: i32, planeStart: i32, planeEnd: i32): void {
  const q = f32x4.splat(0.25), t = f32x4.splat(0.75);
  const rowIn = <usize>W << 2, ow = <usize>W << 3;
  for (let p = planeStart; p < planeEnd; p++) {
    const x = xPtr + (<usize>p * <usize>(H * W) << 2);
    const y = yPtr + (<usize>p * <usize>(4 * H * W) << 2);
    for (let k = 0; k < H; k++) {
      const r0 = x + <usize>k * rowIn;
      const rm = k > 0 ? r0 - rowIn : r0, rp = k + 1 < H ? r0 + rowIn : r0;
      const d0 = y + <usize>(2 * k) * ow, d1 = d0 + ow;
      let j = 0;
      if (W >= 4) {
        let v = f32x4.mul(v128.load(r0), t);
        let ce = madd(v128.load(rm), q, v), co = madd(v128.load(rp), q, v);
        // left of column 0 is column 0 itself
        let pe = f32x4.splat(f32x4.extract_lane(ce, 0)), po = f32x4.splat(f32x4.extract_lane(co, 0));
        for (; j + 4 <= W; j += 4) {
          let ne: v128, no: v128;
          if (j + 4 < W) {
            const c = <usize>(j + 4) << 2;
            v = f32x4.mul(v128.load(r0 + c), t);
            ne = madd(v128.load(rm + c), q, v);
            no = madd(v128.load(rp + c), q, v);
          } else {
            ne = f32x4.splat(f32x4.extract_lane(ce, 3));
            no = f32x4.splat(f32x4.extract_lane(co, 3));
          }
          widen2x(d0 + (<usize>j << 3), pe, ce, ne, q, t);
          widen2x(d1 + (<usize>j << 3), po, co, no, q, t);
          pe = ce; po = co; ce = ne; co = no;
        }
      }
      for (; j < W; j++) {
        const jl = j > 0 ? j - 1 : 0, jr = j + 1 < W ? j + 1 : j;
        const e = vblend(r0, rm, j), el = vblend(r0, rm, jl), er = vblend(r0, rm, jr);
        const o = vblend(r0, rp, j), ol = vblend(r0, rp, jl), or = vblend(r0, rp, jr);
        const c = <usize>j << 3;
        store<f32>(d0 + c, e * 0.75 + el * 0.25); store<f32>(d0 + c, e * 0.75 + er * 0.25, 4);
        store<f32>(d1 + c, o * 0.75 + ol * 0.25); store<f32>(d1 + c, o * 0.75 + or * 0.25, 4);
      }
    }
  }
}
