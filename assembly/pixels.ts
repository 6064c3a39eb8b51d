// Images in: RGBA bytes → a normalised NCHW float32 image (Tensor.fromPixels, src/tensor-pixels.ts).

/**
 * dst[c][oy][ox] = interp(src)[c] · scale[c] + bias[c]   (channels = 3: c = R, G, B), or
 * dst[0][oy][ox] = Σc interp(src)[c] · scale[c] + bias[0] (channels = 1: scale holds luma·scale).
 * interp = PyTorch's 2-tap interpolation, h0·(w0·p00 + w1·p01) + h1·(w0·p10 + w1·p11), with the
 * taps of one row at x0 and x0 + 1 (nearest and the right edge carry w1 = 0).
 *
 * srcPtr: u8 RGBA rows (the caller copies in only the rows the table names; each row starts at
 *   the byte offset the row table gives, pixel x at +4x). Up to 4 bytes past the last pixel of a
 *   row are read (the next row, or the allocation's padding) and weighted by w1 = 0.
 * tablesPtr: a parameter block, then one 16-byte entry per output column, then one per output row:
 *   [0, 32):       f32 scale[4], f32 bias[4] (lane 3 unused)
 *   column ox:     i32 byte offset of x0 in a row (4·x0), f32 w0, f32 w1, unused
 *   row oy:        i32 byte offset of row y0, i32 byte offset of row y1, f32 h0, f32 h1
 * dstPtr: f32 planes [channels][outH][outW], overwritten. Tail (outW mod 4): scalar stores.
 */
export function pixels_rgba8_to_nchw_f32_simd(srcPtr: usize, tablesPtr: usize, dstPtr: usize, outH: i32, outW: i32, channels: i32): void {
  const scale = v128.load(tablesPtr);
  const bias = v128.load(tablesPtr, 16);
  const cols = tablesPtr + 32;
  const rows = cols + (<usize>outW << 4);
  const plane = <usize>outH * <usize>outW << 2;
  // The three scales and biases as splats, for the planar (transposed) stores.
  const s0 = f32x4.splat(f32x4.extract_lane(scale, 0));
  const s1 = f32x4.splat(f32x4.extract_lane(scale, 1));
  const s2 = f32x4.splat(f32x4.extract_lane(scale, 2));
  const b0 = f32x4.splat(f32x4.extract_lane(bias, 0));
  const b1 = f32x4.splat(f32x4.extract_lane(bias, 1));
  const b2 = f32x4.splat(f32x4.extract_lane(bias, 2));
  const grey = channels == 1;
  for (let oy = 0; oy < outH; oy++) {
    const re = rows + (<usize>oy << 4);
    const r0 = srcPtr + <usize>load<i32>(re);
    const r1 = srcPtr + <usize>load<i32>(re, 4);
    const h0 = f32x4.splat(load<f32>(re, 8));
    const h1 = f32x4.splat(load<f32>(re, 12));
    const out = dstPtr + (<usize>oy * <usize>outW << 2);
    let ox = 0;
    for (; ox + 4 <= outW; ox += 4) {
      const ce = cols + (<usize>ox << 4);
      const p0 = tap(r0, r1, ce, h0, h1);
      const p1 = tap(r0, r1, ce + 16, h0, h1);
      const p2 = tap(r0, r1, ce + 32, h0, h1);
      const p3 = tap(r0, r1, ce + 48, h0, h1);
      // 4×4 transpose of (R, G, B, A) per pixel into R, G, B per 4 pixels
      const t0 = v128.shuffle<f32>(p0, p1, 0, 4, 1, 5); // R0 R1 G0 G1
      const t1 = v128.shuffle<f32>(p2, p3, 0, 4, 1, 5); // R2 R3 G2 G3
      const t2 = v128.shuffle<f32>(p0, p1, 2, 6, 3, 7); // B0 B1 A0 A1
      const t3 = v128.shuffle<f32>(p2, p3, 2, 6, 3, 7); // B2 B3 A2 A3
      const r = v128.shuffle<f32>(t0, t1, 0, 1, 4, 5);
      const g = v128.shuffle<f32>(t0, t1, 2, 3, 6, 7);
      const b = v128.shuffle<f32>(t2, t3, 0, 1, 4, 5);
      const o = out + (<usize>ox << 2);
      if (grey) {
        v128.store(o, f32x4.add(f32x4.add(f32x4.mul(r, s0), f32x4.mul(g, s1)), f32x4.add(f32x4.mul(b, s2), b0)));
      } else {
        v128.store(o, f32x4.add(f32x4.mul(r, s0), b0));
        v128.store(o + plane, f32x4.add(f32x4.mul(g, s1), b1));
        v128.store(o + (plane << 1), f32x4.add(f32x4.mul(b, s2), b2));
      }
    }
    for (; ox < outW; ox++) {
      const v = tap(r0, r1, cols + (<usize>ox << 4), h0, h1);
      const o = out + (<usize>ox << 2);
      const m = f32x4.mul(v, scale);
      if (grey) {
        store<f32>(o, f32x4.extract_lane(m, 0) + f32x4.extract_lane(m, 1) + (f32x4.extract_lane(m, 2) + f32x4.extract_lane(bias, 0)));
      } else {
        const y = f32x4.add(m, bias);
        store<f32>(o, f32x4.extract_lane(y, 0));
        store<f32>(o + plane, f32x4.extract_lane(y, 1));
        store<f32>(o + (plane << 1), f32x4.extract_lane(y, 2));
      }
    }
  }
}

/** The interpolated RGBA (0…255 floats) of one output pixel: column entry ce, rows r0/r1. */
@inline function tap(r0: usize, r1: usize, ce: usize, h0: v128, h1: v128): v128 {
  const x = <usize>load<i32>(ce);
  const w0 = v128.load32_splat(ce + 4);
  const w1 = v128.load32_splat(ce + 8);
  // Two neighbouring RGBA pixels of each row in one 16-byte vector: row 0 low, row 1 high.
  const both = v128.load64_lane(r1 + x, v128.load64_zero(r0 + x), 1);
  const lo = i16x8.extend_low_i8x16_u(both); // p00, p01
  const hi = i16x8.extend_high_i8x16_u(both); // p10, p11
  const p00 = f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo));
  const p01 = f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo));
  const p10 = f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi));
  const p11 = f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi));
  const top = f32x4.add(f32x4.mul(p00, w0), f32x4.mul(p01, w1));
  const bot = f32x4.add(f32x4.mul(p10, w0), f32x4.mul(p11, w1));
  return f32x4.add(f32x4.mul(top, h0), f32x4.mul(bot, h1));
}
