// Layout copies by strides: transpose (any permutation), slice (with steps, also negative) and the
// slice's backward scatter all walk an output (or input) box of up to 6 dims and read/write with
// per-dim element strides, on floats (copy_f32_strided_simd) or bytes (copy_i8_strided_simd: int8
// activations). src/ops merges dims that stay adjacent first, so a channel shuffle
// [N, g, C/g, H·W] → [N, C/g, g, H·W] becomes whole-plane block copies, and a last-two-dims
// transpose becomes transpose_f32_4x4_simd.

/**
 * The n bytes at x copied to y: 64 bytes per step, then 16, then 4, then single bytes (a run of
 * floats never reaches the last loop). No over-read, no alignment needed.
 */
@inline function copyRun(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 64 <= n; i += 64) {
    const o = <usize>i;
    const a = v128.load(x + o), b = v128.load(x + o, 16), c = v128.load(x + o, 32), d = v128.load(x + o, 48);
    v128.store(y + o, a); v128.store(y + o, b, 16); v128.store(y + o, c, 32); v128.store(y + o, d, 48);
  }
  for (; i + 16 <= n; i += 16) v128.store(y + <usize>i, v128.load(x + <usize>i));
  for (; i + 4 <= n; i += 4) store<u32>(y + <usize>i, load<u32>(x + <usize>i));
  for (; i < n; i++) store<u8>(y + <usize>i, load<u8>(x + <usize>i));
}

@inline function p(params: usize, i: i32): i32 {
  return load<i32>(params + (<usize>i << 2));
}

/**
 * The walk shared by the f32 and byte copies: T is the element (f32 or i8), its size 1 << alignof<T>.
 * Strides arrive in elements and are scaled to bytes once; the innermost run is a SIMD block copy
 * when both its strides are 1, else an element loop.
 */
@inline function walkStrided<T>(srcPtr: usize, dstPtr: usize, paramsPtr: usize): void {
  const sh = <i32>alignof<T>();
  const d0 = p(paramsPtr, 0), d1 = p(paramsPtr, 1), d2 = p(paramsPtr, 2), d3 = p(paramsPtr, 3), d4 = p(paramsPtr, 4), d5 = p(paramsPtr, 5);
  const s0 = p(paramsPtr, 6) << sh, s1 = p(paramsPtr, 7) << sh, s2 = p(paramsPtr, 8) << sh;
  const s3 = p(paramsPtr, 9) << sh, s4 = p(paramsPtr, 10) << sh, s5 = p(paramsPtr, 11);
  const t0 = p(paramsPtr, 12) << sh, t1 = p(paramsPtr, 13) << sh, t2 = p(paramsPtr, 14) << sh;
  const t3 = p(paramsPtr, 15) << sh, t4 = p(paramsPtr, 16) << sh, t5 = p(paramsPtr, 17);
  const contiguous = s5 == 1 && t5 == 1;
  const ss = <usize>(s5 << sh), ts = <usize>(t5 << sh);
  // byte offsets are i32 (strides may be negative); wrapping usize addition gives the address
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        for (let i3 = 0; i3 < d3; i3++) {
          const so = i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3, to = i0 * t0 + i1 * t1 + i2 * t2 + i3 * t3;
          for (let i4 = 0; i4 < d4; i4++) {
            let x = srcPtr + <usize>(so + i4 * s4), y = dstPtr + <usize>(to + i4 * t4);
            if (contiguous) {
              copyRun(x, y, d5 << sh);
            } else {
              for (let i5 = 0; i5 < d5; i5++, x += ss, y += ts) store<T>(y, load<T>(x));
            }
          }
        }
      }
    }
  }
}

/**
 * dst[i0..i5 · dstStride] = src[i0..i5 · srcStride] over the box d0 × … × d5.
 * paramsPtr: i32 block [d0..d5, srcStride0..5, dstStride0..5] (18 values; strides in elements,
 * may be negative or 0; unused leading dims are 1). srcPtr / dstPtr: byte addresses of the box's
 * first element. The innermost dim is a SIMD block copy when both its strides are 1, else an
 * element loop. Nothing outside the box is read or written; src and dst must not overlap.
 */
export function copy_f32_strided_simd(srcPtr: usize, dstPtr: usize, paramsPtr: usize): void {
  walkStrided<f32>(srcPtr, dstPtr, paramsPtr);
}

/**
 * copy_f32_strided_simd on bytes (int8 activations: slice, transpose and channel shuffle move them
 * unchanged): the same 18-value block, strides in elements = bytes. The innermost dim is a SIMD
 * block copy (16 bytes a step, the tail byte by byte) when both its strides are 1, else a byte
 * loop. Nothing outside the box is read or written; src and dst must not overlap.
 */
export function copy_i8_strided_simd(srcPtr: usize, dstPtr: usize, paramsPtr: usize): void {
  walkStrided<i8>(srcPtr, dstPtr, paramsPtr);
}

/** Transposes the 4×4 block at x (row stride xs bytes) into y (row stride ys bytes). */
@inline function block4(x: usize, xs: usize, y: usize, ys: usize): void {
  const a = v128.load(x), b = v128.load(x + xs), c = v128.load(x + 2 * xs), d = v128.load(x + 3 * xs);
  const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(c, d, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
  v128.store(y, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(y + ys, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(y + 2 * ys, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(y + 3 * ys, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

/**
 * y[b, j, i] = x[b, i, j]: x [batch, rows, cols] → y [batch, cols, rows] (the last two dims
 * swapped; NCHW → NHWC is [N, C, H·W]). 4×4 tiles transposed in registers with shuffles; the
 * rows mod 4 and cols mod 4 edges are copied element by element. Nothing outside x and y is
 * touched; x and y must not overlap.
 */
export function transpose_f32_4x4_simd(xPtr: usize, yPtr: usize, batch: i32, rows: i32, cols: i32): void {
  const xs = <usize>cols << 2, ys = <usize>rows << 2;
  const plane = <usize>rows * <usize>cols << 2;
  const r4 = rows & ~3, c4 = cols & ~3;
  for (let b = 0; b < batch; b++) {
    const x = xPtr + <usize>b * plane, y = yPtr + <usize>b * plane;
    for (let i = 0; i < r4; i += 4) {
      const xr = x + <usize>i * xs, yc = y + (<usize>i << 2);
      for (let j = 0; j < c4; j += 4) block4(xr + (<usize>j << 2), xs, yc + <usize>j * ys, ys);
      for (let j = c4; j < cols; j++) {
        for (let k = 0; k < 4; k++) store<f32>(yc + <usize>j * ys + (<usize>k << 2), load<f32>(xr + <usize>k * xs + (<usize>j << 2)));
      }
    }
    for (let i = r4; i < rows; i++) {
      for (let j = 0; j < cols; j++) store<f32>(y + <usize>j * ys + (<usize>i << 2), load<f32>(x + <usize>i * xs + (<usize>j << 2)));
    }
  }
}
