// Layer normalization, two-pass statistics (mean, then Σ (x − mean)²: no cancellation):
//   y = (x − mean) · rstd · w + b,   rstd = 1/√(Σ (x − mean)²/n + eps)
// rows:           x [rows, n], normalised over each contiguous row (PyTorch nn.LayerNorm over the
//                 last dims, ONNX LayerNormalization); w, b [n].
// channels-first: x [outer, c, inner], normalised over c for each (o, j) (ConvNeXt's LayerNorm2d
//                 on NCHW: outer = N, inner = H·W), vectorized across 4 inner positions; w, b [c].
// wPtr / bPtr = 0 mean 1 / 0. meanPtr / rstdPtr (one value per normalised slice, or 0 for none)
// receive the statistics for the backward pass.

import { hsum, laneMask, storeLanes } from "./vmath";

/** Σ of a contiguous run of n, tail lanes masked (the partial vector reads into the padding). */
@inline function sumRow(x: usize, n: i32): v128 {
  const z = f32x4.splat(0);
  let s0 = z, s1 = z;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 = f32x4.add(s0, v128.load(x + (<usize>i << 2)));
    s1 = f32x4.add(s1, v128.load(x + (<usize>i << 2), 16));
  }
  for (; i + 4 <= n; i += 4) s0 = f32x4.add(s0, v128.load(x + (<usize>i << 2)));
  if (i < n) s1 = f32x4.add(s1, v128.and(v128.load(x + (<usize>i << 2)), laneMask(n - i)));
  return hsum(f32x4.add(s0, s1));
}

/** Σ (x − m)² of a contiguous run of n, tail lanes masked. */
@inline function sqDevRow(x: usize, n: i32, m: v128): v128 {
  const z = f32x4.splat(0);
  let s0 = z, s1 = z;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const d0 = f32x4.sub(v128.load(x + (<usize>i << 2)), m);
    const d1 = f32x4.sub(v128.load(x + (<usize>i << 2), 16), m);
    s0 = f32x4.add(s0, f32x4.mul(d0, d0));
    s1 = f32x4.add(s1, f32x4.mul(d1, d1));
  }
  for (; i + 4 <= n; i += 4) {
    const d = f32x4.sub(v128.load(x + (<usize>i << 2)), m);
    s0 = f32x4.add(s0, f32x4.mul(d, d));
  }
  if (i < n) {
    const d = v128.and(f32x4.sub(v128.load(x + (<usize>i << 2)), m), laneMask(n - i));
    s1 = f32x4.add(s1, f32x4.mul(d, d));
  }
  return hsum(f32x4.add(s0, s1));
}

@inline function wAt(w: usize, o: usize): v128 {
  return w != 0 ? v128.load(w + o) : f32x4.splat(1);
}

@inline function bAt(b: usize, o: usize): v128 {
  return b != 0 ? v128.load(b + o) : f32x4.splat(0);
}

/**
 * Row layer norm: each of `rows` contiguous rows of n (x, y: rows·n f32; y may be x) normalised
 * with its own mean and rstd; w, b: n f32 or 0. meanPtr, rstdPtr: rows f32 or 0. Tail (n mod 4):
 * one partial vector read into the padding, dead lanes masked out of the sums, never stored.
 */
export function layernorm_f32_simd(xPtr: usize, yPtr: usize, wPtr: usize, bPtr: usize, meanPtr: usize, rstdPtr: usize, rows: i32, n: i32, eps: f32): void {
  const inv = f32x4.splat(<f32>1 / <f32>n);
  for (let r = 0; r < rows; r++) {
    const x = xPtr + (<usize>r * <usize>n << 2), y = yPtr + (<usize>r * <usize>n << 2);
    const m = f32x4.mul(sumRow(x, n), inv);
    const rs = f32x4.div(f32x4.splat(1), f32x4.sqrt(f32x4.add(f32x4.mul(sqDevRow(x, n, m), inv), f32x4.splat(eps))));
    if (meanPtr != 0) store<f32>(meanPtr + (<usize>r << 2), f32x4.extract_lane(m, 0));
    if (rstdPtr != 0) store<f32>(rstdPtr + (<usize>r << 2), f32x4.extract_lane(rs, 0));
    let i = 0;
    for (; i < n; i += 4) {
      const o = <usize>i << 2;
      const v = f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(x + o), m), rs), wAt(wPtr, o)), bAt(bPtr, o));
      storeLanes(y + o, v, n - i);
    }
  }
}

/** 16 inner positions (four vectors) of one channels-first slice: four independent add chains per pass. */
@inline function cf16(x: usize, y: usize, w: usize, b: usize, mean: usize, rstd: usize, c: i32, stride: usize, inv: v128, eps: v128): void {
  const z = f32x4.splat(0);
  let s0 = z, s1 = z, s2 = z, s3 = z;
  let p = x;
  for (let k = 0; k < c; k++, p += stride) {
    s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
    s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
  }
  const m0 = f32x4.mul(s0, inv), m1 = f32x4.mul(s1, inv), m2 = f32x4.mul(s2, inv), m3 = f32x4.mul(s3, inv);
  let q0 = z, q1 = z, q2 = z, q3 = z;
  p = x;
  for (let k = 0; k < c; k++, p += stride) {
    const d0 = f32x4.sub(v128.load(p), m0), d1 = f32x4.sub(v128.load(p, 16), m1);
    const d2 = f32x4.sub(v128.load(p, 32), m2), d3 = f32x4.sub(v128.load(p, 48), m3);
    q0 = f32x4.add(q0, f32x4.mul(d0, d0)); q1 = f32x4.add(q1, f32x4.mul(d1, d1));
    q2 = f32x4.add(q2, f32x4.mul(d2, d2)); q3 = f32x4.add(q3, f32x4.mul(d3, d3));
  }
  const one = f32x4.splat(1);
  const r0 = f32x4.div(one, f32x4.sqrt(f32x4.add(f32x4.mul(q0, inv), eps)));
  const r1 = f32x4.div(one, f32x4.sqrt(f32x4.add(f32x4.mul(q1, inv), eps)));
  const r2 = f32x4.div(one, f32x4.sqrt(f32x4.add(f32x4.mul(q2, inv), eps)));
  const r3 = f32x4.div(one, f32x4.sqrt(f32x4.add(f32x4.mul(q3, inv), eps)));
  if (mean != 0) { v128.store(mean, m0); v128.store(mean, m1, 16); v128.store(mean, m2, 32); v128.store(mean, m3, 48); }
  if (rstd != 0) { v128.store(rstd, r0); v128.store(rstd, r1, 16); v128.store(rstd, r2, 32); v128.store(rstd, r3, 48); }
  p = x;
  let d = y;
  for (let k = 0; k < c; k++, p += stride, d += stride) {
    const wv = w != 0 ? v128.load32_splat(w + (<usize>k << 2)) : one;
    const bv = b != 0 ? v128.load32_splat(b + (<usize>k << 2)) : z;
    v128.store(d, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(p), m0), r0), wv), bv));
    v128.store(d, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(p, 16), m1), r1), wv), bv), 16);
    v128.store(d, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(p, 32), m2), r2), wv), bv), 32);
    v128.store(d, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(p, 48), m3), r3), wv), bv), 48);
  }
}

/**
 * Channels-first layer norm of x [outer, c, inner] over c (y may be x); w, b: c f32 or 0;
 * meanPtr, rstdPtr: outer·inner f32 or 0. Sixteen, then four inner positions per step; the inner mod 4 tail
 * reads past the slice (into the next row or the padding) and stores only its valid lanes.
 */
export function layernorm_f32_cf_simd(xPtr: usize, yPtr: usize, wPtr: usize, bPtr: usize, meanPtr: usize, rstdPtr: usize, outer: i32, c: i32, inner: i32, eps: f32): void {
  const stride = <usize>inner << 2;
  const inv = f32x4.splat(<f32>1 / <f32>c), epsv = f32x4.splat(eps);
  for (let o = 0; o < outer; o++) {
    const base = <usize>o * <usize>c * stride;
    let j = 0;
    for (; j + 16 <= inner; j += 16) {
      const jb = <usize>j << 2, st = <usize>o * stride + jb;
      cf16(xPtr + base + jb, yPtr + base + jb, wPtr, bPtr, meanPtr != 0 ? meanPtr + st : 0, rstdPtr != 0 ? rstdPtr + st : 0, c, stride, inv, epsv);
    }
    for (; j < inner; j += 4) {
      const lanes = min(4, inner - j);
      const jb = <usize>j << 2;
      const x = xPtr + base + jb, y = yPtr + base + jb;
      let s = f32x4.splat(0);
      let p = x;
      for (let k = 0; k < c; k++, p += stride) s = f32x4.add(s, v128.load(p));
      const m = f32x4.mul(s, inv);
      let q = f32x4.splat(0);
      p = x;
      for (let k = 0; k < c; k++, p += stride) {
        const d = f32x4.sub(v128.load(p), m);
        q = f32x4.add(q, f32x4.mul(d, d));
      }
      const rs = f32x4.div(f32x4.splat(1), f32x4.sqrt(f32x4.add(f32x4.mul(q, inv), f32x4.splat(eps))));
      const st = <usize>o * stride + jb;
      if (meanPtr != 0) storeLanes(meanPtr + st, m, lanes);
      if (rstdPtr != 0) storeLanes(rstdPtr + st, rs, lanes);
      p = x;
      let d = y;
      for (let k = 0; k < c; k++, p += stride, d += stride) {
        const w = wPtr != 0 ? f32x4.splat(load<f32>(wPtr + (<usize>k << 2))) : f32x4.splat(1);
        const b = bPtr != 0 ? f32x4.splat(load<f32>(bPtr + (<usize>k << 2))) : f32x4.splat(0);
        storeLanes(d, f32x4.add(f32x4.mul(f32x4.mul(f32x4.sub(v128.load(p), m), rs), w), b), lanes);
      }
    }
  }
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────
// With x̂ = (x − mean)·rstd and g = dy·w over one normalised slice of n:
//   dx = rstd · (g − Σg/n − x̂ · Σ(g·x̂)/n),   dw += Σ_slices dy·x̂,   db += Σ_slices dy.
// dx overwrites; dw and db accumulate (DESIGN rule 5), skipped when their pointer is 0.

/**
 * Row layer norm backward. dy, x, dx: rows·n f32; w: n f32 or 0; mean, rstd: rows f32 (from the
 * forward); dw, db: n f32 (accumulated) or 0. Tails as layernorm_f32_simd.
 */
export function layernorm_bwd_f32_simd(dyPtr: usize, xPtr: usize, wPtr: usize, meanPtr: usize, rstdPtr: usize, dxPtr: usize, dwPtr: usize, dbPtr: usize, rows: i32, n: i32): void {
  const inv = f32x4.splat(<f32>1 / <f32>n);
  for (let r = 0; r < rows; r++) {
    const ro = <usize>r * <usize>n << 2;
    const dy = dyPtr + ro, x = xPtr + ro, dx = dxPtr + ro;
    const m = v128.load32_splat(meanPtr + (<usize>r << 2));
    const rs = v128.load32_splat(rstdPtr + (<usize>r << 2));
    let sg = f32x4.splat(0), sgx = f32x4.splat(0);
    for (let i = 0; i < n; i += 4) {
      const o = <usize>i << 2;
      const mask = laneMask(n - i);
      // dead tail lanes hold whatever the padding holds: mask the products, not the factors
      const g = f32x4.mul(v128.load(dy + o), wAt(wPtr, o));
      const xh = f32x4.mul(f32x4.sub(v128.load(x + o), m), rs);
      sg = f32x4.add(sg, v128.and(g, mask));
      sgx = f32x4.add(sgx, v128.and(f32x4.mul(g, xh), mask));
      if (dwPtr != 0) storeLanes(dwPtr + o, f32x4.add(v128.load(dwPtr + o), f32x4.mul(v128.load(dy + o), xh)), n - i);
      if (dbPtr != 0) storeLanes(dbPtr + o, f32x4.add(v128.load(dbPtr + o), v128.load(dy + o)), n - i);
    }
    const a = f32x4.mul(hsum(sg), inv), b = f32x4.mul(hsum(sgx), inv);
    for (let i = 0; i < n; i += 4) {
      const o = <usize>i << 2;
      const g = f32x4.mul(v128.load(dy + o), wAt(wPtr, o));
      const xh = f32x4.mul(f32x4.sub(v128.load(x + o), m), rs);
      storeLanes(dx + o, f32x4.mul(rs, f32x4.sub(f32x4.sub(g, a), f32x4.mul(xh, b))), n - i);
    }
  }
}

/**
 * Channels-first layer norm backward. dy, x, dx: outer·c·inner f32; w: c f32 or 0; mean, rstd:
 * outer·inner f32 (from the forward); dw, db: c f32 (accumulated) or 0. Tails as
 * layernorm_f32_cf_simd; the weight sums walk each contiguous [inner] row with masked tails.
 */
export function layernorm_bwd_f32_cf_simd(dyPtr: usize, xPtr: usize, wPtr: usize, meanPtr: usize, rstdPtr: usize, dxPtr: usize, dwPtr: usize, dbPtr: usize, outer: i32, c: i32, inner: i32): void {
  const stride = <usize>inner << 2;
  const inv = f32x4.splat(<f32>1 / <f32>c);
  for (let o = 0; o < outer; o++) {
    const base = <usize>o * <usize>c * stride;
    const mo = meanPtr + <usize>o * stride, ro = rstdPtr + <usize>o * stride;
    for (let j = 0; j < inner; j += 4) {
      const lanes = min(4, inner - j);
      const jb = <usize>j << 2;
      const m = v128.load(mo + jb), rs = v128.load(ro + jb);
      let sg = f32x4.splat(0), sgx = f32x4.splat(0);
      let p = dyPtr + base + jb, q = xPtr + base + jb;
      for (let k = 0; k < c; k++, p += stride, q += stride) {
        const w = wPtr != 0 ? v128.load32_splat(wPtr + (<usize>k << 2)) : f32x4.splat(1);
        const g = f32x4.mul(v128.load(p), w);
        sg = f32x4.add(sg, g);
        sgx = f32x4.add(sgx, f32x4.mul(g, f32x4.mul(f32x4.sub(v128.load(q), m), rs)));
      }
      const a = f32x4.mul(sg, inv), b = f32x4.mul(sgx, inv);
      p = dyPtr + base + jb;
      q = xPtr + base + jb;
      let d = dxPtr + base + jb;
      for (let k = 0; k < c; k++, p += stride, q += stride, d += stride) {
        const w = wPtr != 0 ? v128.load32_splat(wPtr + (<usize>k << 2)) : f32x4.splat(1);
        const g = f32x4.mul(v128.load(p), w);
        const xh = f32x4.mul(f32x4.sub(v128.load(q), m), rs);
        storeLanes(d, f32x4.mul(rs, f32x4.sub(f32x4.sub(g, a), f32x4.mul(xh, b))), lanes);
      }
    }
    if (dwPtr == 0 && dbPtr == 0) continue;
    for (let k = 0; k < c; k++) {
      const dy = dyPtr + base + <usize>k * stride, x = xPtr + base + <usize>k * stride;
      let sw = f32x4.splat(0), sb = f32x4.splat(0);
      for (let j = 0; j < inner; j += 4) {
        const jb = <usize>j << 2;
        const mask = laneMask(inner - j);
        const g = v128.load(dy + jb);
        sb = f32x4.add(sb, v128.and(g, mask));
        const xh = f32x4.mul(f32x4.sub(v128.load(x + jb), v128.load(mo + jb)), v128.load(ro + jb));
        sw = f32x4.add(sw, v128.and(f32x4.mul(g, xh), mask));
      }
      const ka = <usize>k << 2;
      if (dwPtr != 0) store<f32>(dwPtr + ka, load<f32>(dwPtr + ka) + f32x4.extract_lane(hsum(sw), 0));
      if (dbPtr != 0) store<f32>(dbPtr + ka, load<f32>(dbPtr + ka) + f32x4.extract_lane(hsum(sb), 0));
    }
  }
}
