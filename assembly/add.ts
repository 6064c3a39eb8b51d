// Elementwise arithmetic with broadcasting: mul (the loops are binary-common's,
// shared with sub/div/pow in binary.ts), scale, in-place accumulation, and add's backward (the
// reductions of dy over broadcast dims). The TypeScript op reduces every pair of shapes to one of four layouts (dims of size 1 dropped, neighbouring dims merged,
// operands swapped so that a is the full one); all pointers are byte addresses of f32 arrays,
// all counts in elements, and y never overlaps a or b unless it equals one of them exactly.

import { ADD, MUL, same, splat } from "./binary-common";

/**
 * y[i] = a[i]·b[i] for i in [0, n). Tail (n mod 4): scalar.
 * @split rows count=n move=aPtr,bPtr,yPtr align=16 grain=64 cost=0.15
 */
export function mul_f32_simd(aPtr: usize, bPtr: usize, yPtr: usize, n: i32): void {
  same(aPtr, bPtr, yPtr, n, MUL);
}

/**
 * y[i] = x[i]·s for i in [0, n) (x and y may be the same array). Tail (n mod 4): scalar.
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.1
 */
export function scale_f32_simd(xPtr: usize, yPtr: usize, n: i32, s: f32): void {
  splat(xPtr, f32x4.splat(s), yPtr, n, MUL);
}

/**
 * y[i] += x[i] for i in [0, n) (gradient fan-in; x may be y). Tail (n mod 4): scalar.
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.15
 */
export function add_inc_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  same(yPtr, xPtr, yPtr, n, ADD);
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────
// d(a + b)/da = 1, so da and db are dy summed over the dims along which each operand was
// broadcast. The TypeScript op copies dy when no dim was broadcast; these kernels do the
// reductions and ACCUMULATE (+=) into the gradient (DESIGN rule 5; the op zero-fills a new one).

/** Σ of a contiguous run of n f32 as an f64: four f32x4 accumulators, scalar tail. */
@inline function sumRun(p: usize, n: i32): f64 {
  const zero = f32x4.splat(0.0);
  let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    s0 = f32x4.add(s0, v128.load(p + o));
    s1 = f32x4.add(s1, v128.load(p + o, 16));
    s2 = f32x4.add(s2, v128.load(p + o, 32));
    s3 = f32x4.add(s3, v128.load(p + o, 48));
  }
  for (; i + 4 <= n; i += 4) s0 = f32x4.add(s0, v128.load(p + (<usize>i << 2)));
  const s = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
  let t = <f64>f32x4.extract_lane(s, 0) + <f64>f32x4.extract_lane(s, 1) + <f64>f32x4.extract_lane(s, 2) + <f64>f32x4.extract_lane(s, 3);
  for (; i < n; i++) t += <f64>load<f32>(p + (<usize>i << 2));
  return t;
}

/**
 * db[i] += Σ_o dy[o, i] for dy of [outer, inner] and db of [inner] (the bias of [N, F] + [F]).
 * 16 columns at a time with four f32x4 accumulators running down the rows (f32 sums), then 4;
 * the inner mod 4 tail is one partial vector: its loads run into the next row or the padding
 * and only its live lanes of db are stored.
 */
export function add_bwd_f32_row_simd(dyPtr: usize, dbPtr: usize, outer: i32, inner: i32): void {
  const stride = <usize>inner << 2;
  let j = 0;
  for (; j + 16 <= inner; j += 16) {
    const c = <usize>j << 2;
    let s0 = v128.load(dbPtr + c), s1 = v128.load(dbPtr + c, 16), s2 = v128.load(dbPtr + c, 32), s3 = v128.load(dbPtr + c, 48);
    let p = dyPtr + c;
    for (let o = 0; o < outer; o++, p += stride) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
    }
    v128.store(dbPtr + c, s0);
    v128.store(dbPtr + c, s1, 16);
    v128.store(dbPtr + c, s2, 32);
    v128.store(dbPtr + c, s3, 48);
  }
  for (; j < inner; j += 4) {
    const c = <usize>j << 2;
    let s = v128.load(dbPtr + c);
    let p = dyPtr + c;
    for (let o = 0; o < outer; o++, p += stride) s = f32x4.add(s, v128.load(p));
    const k = inner - j;
    if (k >= 4) v128.store(dbPtr + c, s);
    else {
      v128.store32_lane(dbPtr + c, s, 0);
      if (k > 1) v128.store32_lane(dbPtr + c, s, 1, 4);
      if (k > 2) v128.store32_lane(dbPtr + c, s, 2, 8);
    }
  }
}

/**
 * db[k] += Σ_o Σ_i dy[o, k, i] for dy of [outer, c, inner] and db of [c] (the bias of
 * [N, C, H, W] + [1, C, 1, 1]; a scalar is outer = c = 1). Each contiguous run of inner is
 * summed in f32 (four f32x4 accumulators, scalar tail); the runs are combined in f64.
 */
export function add_bwd_f32_channel_simd(dyPtr: usize, dbPtr: usize, outer: i32, c: i32, inner: i32): void {
  const run = <usize>inner << 2;
  const slab = <usize>c * run;
  for (let k = 0; k < c; k++) {
    let t: f64 = 0;
    let p = dyPtr + <usize>k * run;
    for (let o = 0; o < outer; o++, p += slab) t += sumRun(p, inner);
    const q = dbPtr + (<usize>k << 2);
    store<f32>(q, <f32>(<f64>load<f32>(q) + t));
  }
}

/**
 * General reduction: db[Σ_d coord_d·bStride_d] += dy[coord] over every coordinate of dy
 * (contiguous, dims d[0..r)). paramsPtr: i32 block [r, d[0..r), bStride[0..r), counter[0..r)]
 * with bStride[r−1] ∈ {0, 1} (0 along broadcast dims); counter is scratch the kernel overwrites.
 * Innermost dim: vector accumulate into db (stride 1, scalar tail) or one f32 sum (stride 0).
 */
export function add_bwd_f32_strided_simd(dyPtr: usize, dbPtr: usize, paramsPtr: usize): void {
  const r = load<i32>(paramsPtr);
  const dims = paramsPtr + 4;
  const bStr = dims + (<usize>r << 2);
  const ctr = bStr + (<usize>r << 2);
  const inner = load<i32>(dims + (<usize>(r - 1) << 2));
  const bContig = load<i32>(bStr + (<usize>(r - 1) << 2)) != 0;
  let rows = 1;
  for (let d = 0; d < r - 1; d++) {
    rows *= load<i32>(dims + (<usize>d << 2));
    store<i32>(ctr + (<usize>d << 2), 0);
  }
  let bOff: isize = 0;
  let dy = dyPtr;
  const rowBytes = <usize>inner << 2;
  for (let row = 0; row < rows; row++, dy += rowBytes) {
    const b = dbPtr + (<usize>bOff << 2);
    if (bContig) add_inc_f32_simd(dy, b, inner);
    else store<f32>(b, <f32>(<f64>load<f32>(b) + sumRun(dy, inner)));
    for (let d = r - 2; d >= 0; d--) {
      const dp = <usize>d << 2;
      const c = load<i32>(ctr + dp) + 1;
      bOff += load<i32>(bStr + dp);
      if (c < load<i32>(dims + dp)) { store<i32>(ctr + dp, c); break; }
      bOff -= <isize>load<i32>(bStr + dp) * c;
      store<i32>(ctr + dp, 0);
    }
  }
}
