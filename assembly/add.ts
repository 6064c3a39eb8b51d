// Elementwise addition with broadcasting. The TypeScript op reduces every pair of shapes to one
// of four layouts (dims of size 1 dropped, neighbouring dims merged, operands swapped so that a
// is the full one); all pointers are byte addresses of f32 arrays, all counts in elements, and
// y never overlaps a or b unless it equals one of them exactly.

/** y[i] = a[i] + b[i] for i in [0, n). Tail (n mod 4): scalar. */
export function add_f32_simd(aPtr: usize, bPtr: usize, yPtr: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a0 = v128.load(aPtr + o), a1 = v128.load(aPtr + o, 16), a2 = v128.load(aPtr + o, 32), a3 = v128.load(aPtr + o, 48);
    const b0 = v128.load(bPtr + o), b1 = v128.load(bPtr + o, 16), b2 = v128.load(bPtr + o, 32), b3 = v128.load(bPtr + o, 48);
    v128.store(yPtr + o, f32x4.add(a0, b0));
    v128.store(yPtr + o, f32x4.add(a1, b1), 16);
    v128.store(yPtr + o, f32x4.add(a2, b2), 32);
    v128.store(yPtr + o, f32x4.add(a3, b3), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yPtr + o, f32x4.add(v128.load(aPtr + o), v128.load(bPtr + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(yPtr + o, load<f32>(aPtr + o) + load<f32>(bPtr + o));
  }
}

/** y[i] = a[i] + s for i in [0, n), s a splatted scalar. */
@inline function addSplat(aPtr: usize, s: v128, yPtr: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a0 = v128.load(aPtr + o), a1 = v128.load(aPtr + o, 16), a2 = v128.load(aPtr + o, 32), a3 = v128.load(aPtr + o, 48);
    v128.store(yPtr + o, f32x4.add(a0, s));
    v128.store(yPtr + o, f32x4.add(a1, s), 16);
    v128.store(yPtr + o, f32x4.add(a2, s), 32);
    v128.store(yPtr + o, f32x4.add(a3, s), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yPtr + o, f32x4.add(v128.load(aPtr + o), s));
  }
  const sf = f32x4.extract_lane(s, 0);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(yPtr + o, load<f32>(aPtr + o) + sf);
  }
}

/**
 * b repeats along the outer dim: y[o, i] = a[o, i] + b[i] for a, y of [outer, inner] and b of
 * [inner] (e.g. [N, F] + [F], or [N, C, H, W] + [W]). Tail (inner mod 4): scalar.
 */
export function add_f32_row_simd(aPtr: usize, bPtr: usize, yPtr: usize, outer: i32, inner: i32): void {
  const rowBytes = <usize>inner << 2;
  for (let r = 0; r < outer; r++) {
    const off = <usize>r * rowBytes;
    add_f32_simd(aPtr + off, bPtr, yPtr + off, inner);
  }
}

/**
 * One value per channel: y[o, k, i] = a[o, k, i] + b[k] for a, y of [outer, c, inner] and b of
 * [c] (e.g. [N, C, H, W] + [1, C, 1, 1] or + [C, 1, 1]; a scalar b is outer = c = 1).
 * Tail (inner mod 4): scalar.
 */
export function add_f32_channel_simd(aPtr: usize, bPtr: usize, yPtr: usize, outer: i32, c: i32, inner: i32): void {
  const rowBytes = <usize>inner << 2;
  let off: usize = 0;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < c; k++, off += rowBytes) {
      addSplat(aPtr + off, v128.load32_splat(bPtr + (<usize>k << 2)), yPtr + off, inner);
    }
  }
}

/**
 * General broadcasting: y (contiguous, dims d[0..r)) = a + b where a and b are read through
 * element strides (0 along broadcast dims). paramsPtr: i32 block
 *   [r, d[0..r), aStride[0..r), bStride[0..r), counter[0..r)]
 * where aStride[r−1] = 1 and bStride[r−1] ∈ {0, 1}; counter is scratch the kernel overwrites.
 * The innermost dim is vectorized (scalar tail).
 */
export function add_f32_strided_simd(aPtr: usize, bPtr: usize, yPtr: usize, paramsPtr: usize): void {
  const r = load<i32>(paramsPtr);
  const dims = paramsPtr + 4;
  const aStr = dims + (<usize>r << 2);
  const bStr = aStr + (<usize>r << 2);
  const ctr = bStr + (<usize>r << 2);
  const inner = load<i32>(dims + (<usize>(r - 1) << 2));
  const bContig = load<i32>(bStr + (<usize>(r - 1) << 2)) != 0;
  let rows = 1;
  for (let d = 0; d < r - 1; d++) {
    rows *= load<i32>(dims + (<usize>d << 2));
    store<i32>(ctr + (<usize>d << 2), 0);
  }
  let aOff: isize = 0, bOff: isize = 0;
  let y = yPtr;
  const rowBytes = <usize>inner << 2;
  for (let row = 0; row < rows; row++, y += rowBytes) {
    const a = aPtr + (<usize>aOff << 2), b = bPtr + (<usize>bOff << 2);
    if (bContig) add_f32_simd(a, b, y, inner);
    else addSplat(a, v128.load32_splat(b), y, inner);
    // odometer over the outer dims
    for (let d = r - 2; d >= 0; d--) {
      const dp = <usize>d << 2;
      const c = load<i32>(ctr + dp) + 1;
      aOff += load<i32>(aStr + dp);
      bOff += load<i32>(bStr + dp);
      if (c < load<i32>(dims + dp)) { store<i32>(ctr + dp, c); break; }
      aOff -= <isize>load<i32>(aStr + dp) * c;
      bOff -= <isize>load<i32>(bStr + dp) * c;
      store<i32>(ctr + dp, 0);
    }
  }
}
