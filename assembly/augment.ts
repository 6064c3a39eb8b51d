// Data augmentation of an image batch inside wasm memory (fit's random crops and flips): no
// random numbers here, the per-image draws come in a parameter array from the TypeScript op
// (src/ops/augment.ts), so the kernel is a pure, splittable function of its inputs.

/**
 * y[i, ch, r, q] = x[i, ch, r + dy_i, s] with s = q + dx_i, or w − 1 − (q + dx_i) when flip_i ≠ 0,
 * and 0 where that lies outside the image: a crop of the image zero-padded by |dy|, |dx| at the
 * offset (dy, dx), then mirrored left–right. xPtr, yPtr: f32 [n, c, h, w] (distinct buffers);
 * paramsPtr: i32 [n, 3] of (dy, dx, flip). Counts in elements. The columns that read inside the
 * image are [max(0, −dx), min(w, w − dx)) whether flipped or not; they are copied by memory.copy,
 * or when flipped 4 at a time (a v128 load reversed by a shuffle) and the last 1–3 one by one;
 * the rest of the row and rows outside the image are zero-filled (memory.fill). Values are moved,
 * never computed: the bits of x (NaN payloads too) reach y. Reads and writes only inside x and y.
 * @split rows count=n move=xPtr*c*h*w,yPtr*c*h*w,paramsPtr*3 cost=c*h*w*0.15
 */
export function augment_crop_flip_f32_simd(xPtr: usize, yPtr: usize, n: i32, c: i32, h: i32, w: i32, paramsPtr: usize): void {
  const rowBytes = <usize>w << 2;
  const plane = <usize>h * rowBytes;
  for (let i = 0; i < n; i++) {
    const pi = paramsPtr + <usize>(i * 12);
    const dy = load<i32>(pi), dx = load<i32>(pi, 4), flip = load<i32>(pi, 8) != 0;
    const lo = max(0, -dx), hi = max(lo, min(w, w - dx));
    const img = <usize>i * <usize>c * plane;
    for (let ch = 0; ch < c; ch++) {
      const xp = xPtr + img + <usize>ch * plane, yp = yPtr + img + <usize>ch * plane;
      for (let r = 0; r < h; r++) {
        const yr = yp + <usize>r * rowBytes;
        const sy = r + dy;
        if (sy < 0 || sy >= h || lo >= hi) {
          memory.fill(yr, 0, rowBytes);
          continue;
        }
        const xr = xp + <usize>sy * rowBytes;
        memory.fill(yr, 0, <usize>lo << 2);
        if (flip) copyReversed(yr, xr, lo, hi, w - 1 - dx);
        else memory.copy(yr + (<usize>lo << 2), xr + (<usize>(lo + dx) << 2), <usize>(hi - lo) << 2);
        memory.fill(yr + (<usize>hi << 2), 0, <usize>(w - hi) << 2);
      }
    }
  }
}

/** yr[q] = xr[m − q] for q in [lo, hi) (m − q stays inside the row). */
@inline function copyReversed(yr: usize, xr: usize, lo: i32, hi: i32, m: i32): void {
  let q = lo;
  for (; q + 4 <= hi; q += 4) {
    // xr[m − q − 3 … m − q] reversed into yr[q … q + 3]
    const v = v128.load(xr + (<usize>(m - q - 3) << 2));
    v128.store(yr + (<usize>q << 2), v128.shuffle<f32>(v, v, 3, 2, 1, 0));
  }
  for (; q < hi; q++) store<f32>(yr + (<usize>q << 2), load<f32>(xr + (<usize>(m - q) << 2)));
}
