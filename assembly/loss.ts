// Fused losses: each kernel computes the loss and its gradient in one sweep over the data.
// All pointers are byte addresses, counts in elements. Reductions run in f32 SIMD along
// contiguous runs; the per-row (or per-block) results are combined in f64 and the kernels
// return the loss SUM as an f64 (the TypeScript op divides for 'mean').

import { expNeg, hmax, hsum, hsum64, laneMask, storeLanes } from "./vmath";

/**
 * Softmax cross-entropy with label smoothing ε (PyTorch's cross_entropy with label_smoothing),
 * fused with its gradient. For each row r of x [rows, c] with label y = labels[r] ∈ [0, c):
 *   m = max x,  d = x − m,  s = Σ exp(d),  L = log s,  q = (1 − ε)·onehot(y) + ε/c
 *   loss_r = −Σ q·(d − L) = L − (1 − ε)·d_y − (ε/c)·Σ d            (the last term only if ε > 0)
 *   g[r, :] = (exp(d)/s − q)·gradScale
 * m, s and Σ d are f32 SIMD reductions; loss_r is formed in f64 (L = log(s) in f64) and the
 * rows are summed in f64: returns Σ_r loss_r. Also stores at correctPtr (i32) the number of rows
 * whose argmax (first index of the maximum, so ties go to the lowest) equals the label.
 * xPtr, gPtr: rows·c f32 (g never aliases x); labelsPtr: rows i32, each in [0, c) (checked by
 * the op). Tail (c mod 4): one partial vector read into the padding, its dead lanes masked out
 * of the reductions and never stored. A NaN or +Infinity logit gives a NaN loss for its row.
 */
export function softmax_cross_entropy_f32_simd(
  xPtr: usize, labelsPtr: usize, gPtr: usize, rows: i32, c: i32, smoothing: f32, gradScale: f32, correctPtr: usize,
): f64 {
  const ninf = f32x4.splat(-Infinity);
  const zero = f32x4.splat(0.0);
  const eps = <f64>smoothing;
  const off = <f32>(eps / <f64>c); // ε/c: the smoothed target of every class
  const gOff = f32x4.splat(off * gradScale);
  let total: f64 = 0;
  let correct = 0;
  const rowBytes = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const x = xPtr + <usize>r * rowBytes;
    const g = gPtr + <usize>r * rowBytes;
    const label = load<i32>(labelsPtr + (<usize>r << 2));

    // pass 1: the maximum
    let m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
    let i = 0;
    for (; i + 16 <= c; i += 16) {
      const p = x + (<usize>i << 2);
      m0 = f32x4.pmax(m0, v128.load(p));
      m1 = f32x4.pmax(m1, v128.load(p, 16));
      m2 = f32x4.pmax(m2, v128.load(p, 32));
      m3 = f32x4.pmax(m3, v128.load(p, 48));
    }
    for (; i + 4 <= c; i += 4) m0 = f32x4.pmax(m0, v128.load(x + (<usize>i << 2)));
    const rem = c - i;
    const tail = laneMask(rem);
    if (rem > 0) m1 = f32x4.pmax(m1, v128.bitselect(v128.load(x + (<usize>i << 2)), ninf, tail));
    const m = hmax(f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3)));
    const mf = f32x4.extract_lane(m, 0);

    // the argmax: the first vector holding m (usually early, so this pass is short)
    let arg = -1;
    for (let j = 0; j < c; j += 4) {
      let eq = f32x4.eq(v128.load(x + (<usize>j << 2)), m);
      if (j + 4 > c) eq = v128.and(eq, tail);
      const bits = i32x4.bitmask(eq);
      if (bits != 0) { arg = j + ctz(bits); break; }
    }
    if (arg == label) correct++;

    // pass 2: exp(x − m) into g, its sum, and the sum of x − m (for smoothing)
    let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
    let d0 = zero, d1 = zero;
    i = 0;
    for (; i + 16 <= c; i += 16) {
      const o = <usize>i << 2;
      const a0 = f32x4.sub(v128.load(x + o), m), a1 = f32x4.sub(v128.load(x + o, 16), m);
      const a2 = f32x4.sub(v128.load(x + o, 32), m), a3 = f32x4.sub(v128.load(x + o, 48), m);
      const e0 = expNeg(a0), e1 = expNeg(a1), e2 = expNeg(a2), e3 = expNeg(a3);
      s0 = f32x4.add(s0, e0); s1 = f32x4.add(s1, e1); s2 = f32x4.add(s2, e2); s3 = f32x4.add(s3, e3);
      d0 = f32x4.add(d0, f32x4.add(a0, a1));
      d1 = f32x4.add(d1, f32x4.add(a2, a3));
      v128.store(g + o, e0); v128.store(g + o, e1, 16); v128.store(g + o, e2, 32); v128.store(g + o, e3, 48);
    }
    for (; i + 4 <= c; i += 4) {
      const o = <usize>i << 2;
      const a = f32x4.sub(v128.load(x + o), m);
      const e = expNeg(a);
      s0 = f32x4.add(s0, e);
      d0 = f32x4.add(d0, a);
      v128.store(g + o, e);
    }
    if (rem > 0) {
      const o = <usize>i << 2;
      const a = v128.and(f32x4.sub(v128.load(x + o), m), tail);
      const e = v128.and(expNeg(a), tail);
      s1 = f32x4.add(s1, e);
      d1 = f32x4.add(d1, a);
      storeLanes(g + o, e, rem);
    }
    const s = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
    const sf = f32x4.extract_lane(s, 0);

    // the row's loss, in f64
    const xl = load<f32>(x + (<usize>label << 2));
    // each term only when its weight is non-zero, so that 0·(−Infinity) never makes a NaN
    let loss = Math.log(<f64>sf);
    if (eps < 1) loss -= (1.0 - eps) * (<f64>xl - <f64>mf);
    if (eps > 0) loss -= (eps / <f64>c) * hsum64(f32x4.add(d0, d1));
    total += loss;

    // pass 3: g = (exp(x − m)/s − ε/c)·gradScale, then the label's entry
    const inv = <f32>1.0 / sf;
    const ey = load<f32>(g + (<usize>label << 2));
    const k = f32x4.splat(inv * gradScale);
    i = 0;
    for (; i + 16 <= c; i += 16) {
      const o = <usize>i << 2;
      v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o), k), gOff));
      v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o, 16), k), gOff), 16);
      v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o, 32), k), gOff), 32);
      v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o, 48), k), gOff), 48);
    }
    for (; i + 4 <= c; i += 4) {
      const o = <usize>i << 2;
      v128.store(g + o, f32x4.sub(f32x4.mul(v128.load(g + o), k), gOff));
    }
    if (rem > 0) {
      const o = <usize>i << 2;
      storeLanes(g + o, f32x4.sub(f32x4.mul(v128.load(g + o), k), gOff), rem);
    }
    // q_y = 1 − ε + ε/c, subtracted from the probability before scaling (one rounding less)
    store<f32>(g + (<usize>label << 2), (ey * inv - <f32>(1.0 - eps + <f64>off)) * gradScale);
  }
  store<i32>(correctPtr, correct);
  return total;
}

/** One position's loss from its sums (f64, as each row's in softmax_cross_entropy_f32_simd). */
@inline function positionLoss(s: f32, xl: f32, m: f32, dsum: f32, eps: f64, c: i32): f64 {
  // each term only when its weight is non-zero, so that 0·(−Infinity) never makes a NaN
  let loss = Math.log(<f64>s);
  if (eps < 1) loss -= (1.0 - eps) * (<f64>xl - <f64>m);
  if (eps > 0) loss -= (eps / <f64>c) * <f64>dsum;
  return loss;
}

/**
 * Softmax cross-entropy along the middle axis of x viewed as [outer, c, inner], fused with its
 * gradient: PyTorch's cross_entropy on logits [N, C, d1, …] with targets [N, d1, …] (outer = N,
 * inner = d1·…; a segmentation map: inner = H·W). Each position (o, j) is one row of
 * softmax_cross_entropy_f32_simd over x[o, :, j] with label labels[o·inner + j]: the same loss
 * (m, Σ exp(x − m) and Σ (x − m) in f32, the position's loss in f64, summed in f64; returns the
 * sum), g[o, :, j] = (exp(x − m)/s − q)·gradScale, and the count of positions whose argmax (ties
 * → the lowest class) is the label stored at correctPtr (i32).
 * xPtr, gPtr: outer·c·inner f32 (g never aliases x); labelsPtr: outer·inner i32 in [0, c).
 * Four positions per vector, the classes walked with stride inner. Tail (inner mod 4): one
 * partial vector whose loads run into the next slice or the padding (x, g and the labels);
 * dead lanes are never stored, summed or counted.
 */
export function softmax_cross_entropy_f32_strided_simd(
  xPtr: usize, labelsPtr: usize, gPtr: usize, outer: i32, c: i32, inner: i32, smoothing: f32, gradScale: f32, correctPtr: usize,
): f64 {
  const ninf = f32x4.splat(-Infinity);
  const zero = f32x4.splat(0.0);
  const eps = <f64>smoothing;
  const off = <f32>(eps / <f64>c);
  const qOff = f32x4.splat(off); // the smoothed target of every class
  const qOn = f32x4.splat(<f32>(1.0 - eps + <f64>off)); // the label's
  const k = f32x4.splat(gradScale);
  const stride = <usize>inner << 2;
  let total: f64 = 0;
  let correct = 0;
  for (let o = 0; o < outer; o++) {
    const base = <usize>o * <usize>c * stride;
    for (let j = 0; j < inner; j += 4) {
      const lanes = min(4, inner - j);
      const x = xPtr + base + (<usize>j << 2);
      const g = gPtr + base + (<usize>j << 2);
      const lab = v128.load(labelsPtr + ((<usize>o * <usize>inner + <usize>j) << 2));

      // pass 1: the maximum, the first class holding it, and the label's logit
      let m = ninf, xl = zero;
      let arg = i32x4.splat(0);
      let p = x;
      for (let q = 0; q < c; q++, p += stride) {
        const v = v128.load(p);
        const kq = i32x4.splat(q);
        arg = v128.bitselect(kq, arg, f32x4.gt(v, m)); // strictly greater: ties keep the lower class
        m = f32x4.pmax(m, v);
        xl = v128.bitselect(v, xl, i32x4.eq(lab, kq));
      }
      correct += <i32>popcnt(i32x4.bitmask(v128.and(i32x4.eq(arg, lab), laneMask(lanes))));

      // pass 2: exp(x − m) into g, its sum, and the sum of x − m (for smoothing)
      let s = zero, d = zero;
      p = x;
      let r = g;
      for (let q = 0; q < c; q++, p += stride, r += stride) {
        const a = f32x4.sub(v128.load(p), m);
        const e = expNeg(a);
        s = f32x4.add(s, e);
        d = f32x4.add(d, a);
        storeLanes(r, e, lanes);
      }
      total += positionLoss(f32x4.extract_lane(s, 0), f32x4.extract_lane(xl, 0), f32x4.extract_lane(m, 0), f32x4.extract_lane(d, 0), eps, c);
      if (lanes > 1) total += positionLoss(f32x4.extract_lane(s, 1), f32x4.extract_lane(xl, 1), f32x4.extract_lane(m, 1), f32x4.extract_lane(d, 1), eps, c);
      if (lanes > 2) total += positionLoss(f32x4.extract_lane(s, 2), f32x4.extract_lane(xl, 2), f32x4.extract_lane(m, 2), f32x4.extract_lane(d, 2), eps, c);
      if (lanes > 3) total += positionLoss(f32x4.extract_lane(s, 3), f32x4.extract_lane(xl, 3), f32x4.extract_lane(m, 3), f32x4.extract_lane(d, 3), eps, c);

      // pass 3: g = (exp(x − m)/s − q)·gradScale
      const inv = f32x4.div(f32x4.splat(1.0), s);
      r = g;
      for (let q = 0; q < c; q++, r += stride) {
        const target = v128.bitselect(qOn, qOff, i32x4.eq(lab, i32x4.splat(q)));
        storeLanes(r, f32x4.mul(f32x4.sub(f32x4.mul(v128.load(r), inv), target), k), lanes);
      }
    }
  }
  store<i32>(correctPtr, correct);
  return total;
}

/** Elements per f32 partial sum before it is folded into the f64 total. */
const MSE_BLOCK = 4096;

/**
 * Mean-squared-error sum with its gradient: returns Σ (p − t)² (f64), and writes
 * g = (p − t)·gradScale (gradScale = 2/n for 'mean', 2 for 'sum'). pPtr, tPtr, gPtr: n f32
 * (g may alias p or t). The squares are summed in f32 SIMD over blocks of 4096 elements (four
 * f32x4 accumulators), the blocks combined in f64. Tail (n mod 4): scalar.
 */
export function mse_loss_f32_simd(pPtr: usize, tPtr: usize, gPtr: usize, n: i32, gradScale: f32): f64 {
  const k = f32x4.splat(gradScale);
  const zero = f32x4.splat(0.0);
  let total: f64 = 0;
  let i = 0;
  while (i + 16 <= n) {
    const end = min(n, i + MSE_BLOCK);
    let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
    for (; i + 16 <= end; i += 16) {
      const o = <usize>i << 2;
      const a0 = f32x4.sub(v128.load(pPtr + o), v128.load(tPtr + o));
      const a1 = f32x4.sub(v128.load(pPtr + o, 16), v128.load(tPtr + o, 16));
      const a2 = f32x4.sub(v128.load(pPtr + o, 32), v128.load(tPtr + o, 32));
      const a3 = f32x4.sub(v128.load(pPtr + o, 48), v128.load(tPtr + o, 48));
      s0 = f32x4.add(s0, f32x4.mul(a0, a0)); s1 = f32x4.add(s1, f32x4.mul(a1, a1));
      s2 = f32x4.add(s2, f32x4.mul(a2, a2)); s3 = f32x4.add(s3, f32x4.mul(a3, a3));
      v128.store(gPtr + o, f32x4.mul(a0, k));
      v128.store(gPtr + o, f32x4.mul(a1, k), 16);
      v128.store(gPtr + o, f32x4.mul(a2, k), 32);
      v128.store(gPtr + o, f32x4.mul(a3, k), 48);
    }
    total += hsum64(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  }
  let s = zero;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const a = f32x4.sub(v128.load(pPtr + o), v128.load(tPtr + o));
    s = f32x4.add(s, f32x4.mul(a, a));
    v128.store(gPtr + o, f32x4.mul(a, k));
  }
  total += hsum64(s);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const a = load<f32>(pPtr + o) - load<f32>(tPtr + o);
    total += <f64>(a * a);
    store<f32>(gPtr + o, a * gradScale);
  }
  return total;
}
