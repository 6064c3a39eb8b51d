// Concatenation along one axis: contiguous block copies. Each input t, viewed as
// [outer, len_t] (len_t = its size along the axis times the inner size), contributes one block
// of len_t elements to every outer row of the output, in input order.

/** y[i] = x[i] for i in [0, n): 64 bytes per step, then 16, then scalar. */
@inline function copyBlock(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a = v128.load(x + o), b = v128.load(x + o, 16), c = v128.load(x + o, 32), d = v128.load(x + o, 48);
    v128.store(y + o, a);
    v128.store(y + o, b, 16);
    v128.store(y + o, c, 32);
    v128.store(y + o, d, 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, v128.load(x + o));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(x + o));
  }
}

/**
 * y[o, off_t + j] = x_t[o, j] for o in [0, outer), t in [0, k), j in [0, len_t), where
 * off_t = Σ_{s<t} len_s. paramsPtr: i32 block of k pairs [xPtr_t (byte address), len_t
 * (elements)]; yPtr: byte address of outer·Σ len_t f32. Inputs must not overlap y. Blocks need
 * no alignment; each block's tail (len_t mod 4) is copied one element at a time.
 */
export function concat_f32_simd(paramsPtr: usize, k: i32, outer: i32, yPtr: usize): void {
  let y = yPtr;
  for (let o = 0; o < outer; o++) {
    for (let t = 0; t < k; t++) {
      const p = paramsPtr + (<usize>t << 3);
      const len = load<i32>(p, 4);
      const x = <usize>load<u32>(p) + (<usize>o * <usize>len << 2);
      copyBlock(x, y, len);
      y += <usize>len << 2;
    }
  }
}

/**
 * concat's backward (the split): x_t[o, j] = dy[o, off_t + j] for o in [0, outer), t in [0, k),
 * j in [0, len_t), off_t = Σ_{s<t} len_s. dyPtr: byte address of outer·Σ len_t f32; paramsPtr:
 * i32 block of k pairs [xPtr_t (byte address of the output t), len_t (elements)]. Outputs must
 * not overlap dy. Blocks need no alignment; each block's tail is copied one element at a time.
 */
export function concat_bwd_f32_simd(dyPtr: usize, paramsPtr: usize, k: i32, outer: i32): void {
  let dy = dyPtr;
  for (let o = 0; o < outer; o++) {
    for (let t = 0; t < k; t++) {
      const p = paramsPtr + (<usize>t << 3);
      const len = load<i32>(p, 4);
      const x = <usize>load<u32>(p) + (<usize>o * <usize>len << 2);
      copyBlock(dy, x, len);
      dy += <usize>len << 2;
    }
  }
}
