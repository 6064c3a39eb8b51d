// Helpers shared by the training batch-norm kernels (assembly/batchnorm-train.ts): blocked
// f32x4 sums with f64 totals, and the f32x4 ↔ f64x2 conversions of the [N, C] path.
//
// NOT part of the ABI: assembly/index.ts never names this file, and `export *` from a kernel file
// does not re-export what that file imports, so these `@inline export` helpers are inlined into
// the kernels that import them and never become exports of simdnet.wasm.
import { hsum64 } from "./vmath";

// Sums run in f32x4 over blocks of at most BLOCK floats (4 accumulators, so each lane adds at
// most BLOCK/16 terms) and each block's total is added in f64: the error stays near f32
// rounding of one block whatever N·hw is. Deviations from a first mean are summed too: their
// total corrects the mean to far below one f32 ulp, and that residual δ (mean − its f32 value)
// is kept, because 1/σ amplifies it when the variance is small next to |mean| and eps.

export const BLOCK = 256;

/** Σ p[0, len) as f64. */
@inline export function sum64(p: usize, len: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  while (i < len) {
    const end = min(len, i + BLOCK);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (; i + 16 <= end; i += 16) {
      const q = p + (<usize>i << 2);
      a0 = f32x4.add(a0, v128.load(q));
      a1 = f32x4.add(a1, v128.load(q, 16));
      a2 = f32x4.add(a2, v128.load(q, 32));
      a3 = f32x4.add(a3, v128.load(q, 48));
    }
    for (; i + 4 <= end; i += 4) a0 = f32x4.add(a0, v128.load(p + (<usize>i << 2)));
    let s = hsum64(a0) + hsum64(a1) + hsum64(a2) + hsum64(a3);
    for (; i < end; i++) s += <f64>load<f32>(p + (<usize>i << 2));
    total += s;
  }
  return total;
}

/** [Σ (p[i] − m), Σ (p[i] − m)²] over [0, len) as an f64x2 (m splatted). */
@inline export function devsums64(p: usize, len: i32, m: v128): v128 {
  let total = f64x2.splat(0);
  const ms = f32x4.extract_lane(m, 0);
  let i = 0;
  while (i < len) {
    const end = min(len, i + BLOCK);
    let d0 = f32x4.splat(0), d1 = f32x4.splat(0), q0 = f32x4.splat(0), q1 = f32x4.splat(0);
    for (; i + 8 <= end; i += 8) {
      const o = p + (<usize>i << 2);
      const e0 = f32x4.sub(v128.load(o), m), e1 = f32x4.sub(v128.load(o, 16), m);
      d0 = f32x4.add(d0, e0);
      d1 = f32x4.add(d1, e1);
      q0 = f32x4.add(q0, f32x4.mul(e0, e0));
      q1 = f32x4.add(q1, f32x4.mul(e1, e1));
    }
    for (; i + 4 <= end; i += 4) {
      const e = f32x4.sub(v128.load(p + (<usize>i << 2)), m);
      d0 = f32x4.add(d0, e);
      q0 = f32x4.add(q0, f32x4.mul(e, e));
    }
    let sd = hsum64(d0) + hsum64(d1), sq = hsum64(q0) + hsum64(q1);
    for (; i < end; i++) {
      const e = <f64>(load<f32>(p + (<usize>i << 2)) - ms);
      sd += e;
      sq += e * e;
    }
    total = f64x2.add(total, f64x2.replace_lane(f64x2.splat(sd), 1, sq));
  }
  return total;
}

/** Lanes 0–1 and 2–3 of v widened to f64x2. */
@inline export function wideLo(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

@inline export function wideHi(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** The f32x4 of two f64x2 halves. */
@inline export function narrow(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** Stores lanes [0, k) of v at p (k ≥ 4: all). */
@inline export function storeFirst(p: usize, v: v128, k: i32): void {
  if (k >= 4) { v128.store(p, v); return; }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (k > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (k > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}
