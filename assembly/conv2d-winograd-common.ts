// Helpers of the Winograd convolution family (assembly/conv2d-winograd.ts): the parameter block,
// the one-dimensional transforms of F(m, 3) for m = 2, 4, 6 (α = m + 2 points, one of them ∞),
// and the 4-lane gather / scatter of a group of four tiles.
//
// NOT part of the ABI: assembly/index.ts never names this file; these `@inline export` helpers
// are inlined into the kernels that import them and never become exports of simdnet.wasm.
//
// The matrices (Toom–Cook with the point ∞; checked numerically against a float64 correlation in
// test/conv2d-winograd.test.ts through the kernels):
//   F(2, 3): points 0, ±1. Bᵀ rows [1 0 −1 0] [0 1 1 0] [0 −1 1 0] [0 1 0 −1]; Aᵀ [1 1 1 0] [0 1 −1 −1];
//            G g = [g0, (g0+g1+g2)/2, (g0−g1+g2)/2, g2]
//   F(4, 3): points 0, ±2/3, ±3/2 (not the usual 0, ±1, ±2: the float32 error of the whole
//            convolution is 2.2× smaller, bench/README.md "Winograd accuracy"). Rows of Bᵀ and
//            columns of Aᵀ are scaled by powers of two (exact) to entries in [½, 2), G takes the rest:
//            Bᵀ rows [9/16 0 −97/64 0 9/16 0] [0 −9/8 −27/16 1/2 3/4 0] [0 9/8 −27/16 −1/2 3/4 0]
//                    [0 −3/4 −1/2 27/16 9/8 0] [0 3/4 −1/2 −27/16 9/8 0] [0 9/16 0 −97/64 0 9/16]
//            Aᵀ rows [1 27/16 27/16 1/2 1/2 0] [0 9/8 −9/8 3/4 −3/4 0] [0 3/4 3/4 9/8 9/8 0]
//                    [0 1/2 −1/2 27/16 −27/16 1]
//            G rows  [16/9 0 0] [−32/65 −64/195 −128/585] [−32/65 64/195 −128/585]
//                    [128/585 64/195 32/65] [128/585 −64/195 32/65] [0 0 16/9]
//   F(6, 3): points 0, ±1, ±2, ±½ (the constants 21/4, 17/4, 5/2, 5/4 in Bᵀ; powers of 2 and ½ in
//            Aᵀ; no other symmetric set of small fractions does better in float32)

/**
 * The Winograd parameter block, i32[10] written by src/ops/conv2d-winograd.ts: input channels,
 * input height and width, padding top and left (may be negative: a backward-data pass with
 * padding > 2), output height and width, tiles per row and per column, output channels.
 */
@unmanaged export class WinoBlock {
  C: i32; H: i32; W: i32;
  pt: i32; pl: i32;
  oh: i32; ow: i32;
  tx: i32; ty: i32;
  O: i32;
}

@inline function sp(x: f32): v128 {
  return f32x4.splat(x);
}

// ── Bᵀ d: α inputs → α outputs, stored at dst + k·step ──────────────────────────────────────

@inline export function bt4(d0: v128, d1: v128, d2: v128, d3: v128, dst: usize, step: usize): void {
  v128.store(dst, f32x4.sub(d0, d2));
  v128.store(dst + step, f32x4.add(d1, d2));
  v128.store(dst + 2 * step, f32x4.sub(d2, d1));
  v128.store(dst + 3 * step, f32x4.sub(d1, d3));
}

@inline export function bt6(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, dst: usize, step: usize): void {
  // rows ±2/3 and ±3/2 as even ± odd parts
  const e1 = f32x4.sub(f32x4.mul(sp(0.75), d4), f32x4.mul(sp(1.6875), d2));
  const o1 = f32x4.sub(f32x4.mul(sp(0.5), d3), f32x4.mul(sp(1.125), d1));
  const e3 = f32x4.sub(f32x4.mul(sp(1.125), d4), f32x4.mul(sp(0.5), d2));
  const o3 = f32x4.sub(f32x4.mul(sp(1.6875), d3), f32x4.mul(sp(0.75), d1));
  v128.store(dst, f32x4.sub(f32x4.mul(sp(0.5625), f32x4.add(d0, d4)), f32x4.mul(sp(1.515625), d2)));
  v128.store(dst + step, f32x4.add(e1, o1));
  v128.store(dst + 2 * step, f32x4.sub(e1, o1));
  v128.store(dst + 3 * step, f32x4.add(e3, o3));
  v128.store(dst + 4 * step, f32x4.sub(e3, o3));
  v128.store(dst + 5 * step, f32x4.sub(f32x4.mul(sp(0.5625), f32x4.add(d1, d5)), f32x4.mul(sp(1.515625), d3)));
}

@inline export function bt8(
  d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, d6: v128, d7: v128, dst: usize, step: usize,
): void {
  const p = f32x4.sub(f32x4.add(d2, d6), f32x4.mul(sp(4.25), d4));
  const q = f32x4.sub(f32x4.add(d1, d5), f32x4.mul(sp(4.25), d3));
  const r = f32x4.add(f32x4.sub(f32x4.mul(sp(0.25), d2), f32x4.mul(sp(1.25), d4)), d6);
  const s = f32x4.add(f32x4.sub(f32x4.mul(sp(0.5), d1), f32x4.mul(sp(2.5), d3)), f32x4.mul(sp(2), d5));
  const t = f32x4.add(f32x4.sub(f32x4.mul(sp(4), d2), f32x4.mul(sp(5), d4)), d6);
  const u = f32x4.add(f32x4.sub(f32x4.mul(sp(2), d1), f32x4.mul(sp(2.5), d3)), f32x4.mul(sp(0.5), d5));
  v128.store(dst, f32x4.add(f32x4.sub(d0, d6), f32x4.mul(sp(5.25), f32x4.sub(d4, d2))));
  v128.store(dst + step, f32x4.add(p, q));
  v128.store(dst + 2 * step, f32x4.sub(p, q));
  v128.store(dst + 3 * step, f32x4.add(r, s));
  v128.store(dst + 4 * step, f32x4.sub(r, s));
  v128.store(dst + 5 * step, f32x4.add(t, u));
  v128.store(dst + 6 * step, f32x4.sub(t, u));
  v128.store(dst + 7 * step, f32x4.add(f32x4.sub(d7, d1), f32x4.mul(sp(5.25), f32x4.sub(d3, d5))));
}

/** Bᵀ applied to the α vectors at src + i·srcStep, written to dst + k·dstStep (may be src: all read first). */
@inline export function btAt(MT: i32, src: usize, srcStep: usize, dst: usize, dstStep: usize): void {
  const s = srcStep;
  if (MT == 2) {
    bt4(v128.load(src), v128.load(src + s), v128.load(src + 2 * s), v128.load(src + 3 * s), dst, dstStep);
  } else if (MT == 4) {
    bt6(v128.load(src), v128.load(src + s), v128.load(src + 2 * s), v128.load(src + 3 * s), v128.load(src + 4 * s),
      v128.load(src + 5 * s), dst, dstStep);
  } else {
    bt8(v128.load(src), v128.load(src + s), v128.load(src + 2 * s), v128.load(src + 3 * s), v128.load(src + 4 * s),
      v128.load(src + 5 * s), v128.load(src + 6 * s), v128.load(src + 7 * s), dst, dstStep);
  }
}

// ── Aᵀ m: α inputs → m outputs ──────────────────────────────────────────────────────────────

/**
 * Aᵀ applied to the α vectors at src + i·step; the m results go to out + j·outStep (out may be
 * src: every input is loaded before the first store).
 */
@inline export function atAt(MT: i32, src: usize, step: usize, out: usize, os: usize): void {
  const m0 = v128.load(src), m1 = v128.load(src + step), m2 = v128.load(src + 2 * step), m3 = v128.load(src + 3 * step);
  if (MT == 2) {
    v128.store(out, f32x4.add(f32x4.add(m0, m1), m2));
    v128.store(out + 1 * os, f32x4.sub(f32x4.sub(m1, m2), m3));
    return;
  }
  const a = f32x4.add(m1, m2), b = f32x4.sub(m1, m2);
  const m4 = v128.load(src + 4 * step), m5 = v128.load(src + 5 * step);
  const c = f32x4.add(m3, m4), d = f32x4.sub(m3, m4);
  if (MT == 4) {
    v128.store(out, f32x4.add(m0, f32x4.add(f32x4.mul(sp(1.6875), a), f32x4.mul(sp(0.5), c))));
    v128.store(out + 1 * os, f32x4.add(f32x4.mul(sp(1.125), b), f32x4.mul(sp(0.75), d)));
    v128.store(out + 2 * os, f32x4.add(f32x4.mul(sp(0.75), a), f32x4.mul(sp(1.125), c)));
    v128.store(out + 3 * os, f32x4.add(f32x4.add(f32x4.mul(sp(0.5), b), f32x4.mul(sp(1.6875), d)), m5));
    return;
  }
  const m6 = v128.load(src + 6 * step), m7 = v128.load(src + 7 * step);
  const e = f32x4.add(m5, m6), f = f32x4.sub(m5, m6);
  v128.store(out, f32x4.add(f32x4.add(m0, a), f32x4.add(c, e)));
  v128.store(out + 1 * os, f32x4.add(f32x4.add(b, f32x4.mul(sp(2), d)), f32x4.mul(sp(0.5), f)));
  v128.store(out + 2 * os, f32x4.add(f32x4.add(a, f32x4.mul(sp(4), c)), f32x4.mul(sp(0.25), e)));
  v128.store(out + 3 * os, f32x4.add(f32x4.add(b, f32x4.mul(sp(8), d)), f32x4.mul(sp(0.125), f)));
  v128.store(out + 4 * os, f32x4.add(f32x4.add(a, f32x4.mul(sp(16), c)), f32x4.mul(sp(0.0625), e)));
  v128.store(out + 5 * os, f32x4.add(f32x4.add(f32x4.add(b, f32x4.mul(sp(32), d)), f32x4.mul(sp(0.03125), f)), m7));
}

// ── G g ──────────────────────────────────────────────────────────────────────────────────────

@inline function lin(a: f32, g0: v128, b: f32, g1: v128, c: f32, g2: v128): v128 {
  return f32x4.add(f32x4.add(f32x4.mul(sp(a), g0), f32x4.mul(sp(b), g1)), f32x4.mul(sp(c), g2));
}

/** Row r of G·[g0, g1, g2] for F(MT, 3), four filters in the lanes. */
@inline export function gRowV(MT: i32, r: i32, g0: v128, g1: v128, g2: v128): v128 {
  if (MT == 4) {
    if (r == 0) return f32x4.mul(sp(16.0 / 9), g0);
    if (r == 1) return lin(-32.0 / 65, g0, -64.0 / 195, g1, -128.0 / 585, g2);
    if (r == 2) return lin(-32.0 / 65, g0, 64.0 / 195, g1, -128.0 / 585, g2);
    if (r == 3) return lin(128.0 / 585, g0, 64.0 / 195, g1, 32.0 / 65, g2);
    if (r == 4) return lin(128.0 / 585, g0, -64.0 / 195, g1, 32.0 / 65, g2);
    return f32x4.mul(sp(16.0 / 9), g2);
  }
  if (r == 0) return g0;
  if (r == MT + 1) return g2;
  if (MT == 2) return r == 1 ? lin(0.5, g0, 0.5, g1, 0.5, g2) : lin(0.5, g0, -0.5, g1, 0.5, g2);
  if (r == 1) return lin(-2.0 / 9, g0, -2.0 / 9, g1, -2.0 / 9, g2);
  if (r == 2) return lin(-2.0 / 9, g0, 2.0 / 9, g1, -2.0 / 9, g2);
  if (r == 3) return lin(1.0 / 90, g0, 1.0 / 45, g1, 2.0 / 45, g2);
  if (r == 4) return lin(1.0 / 90, g0, -1.0 / 45, g1, 2.0 / 45, g2);
  if (r == 5) return lin(32.0 / 45, g0, 16.0 / 45, g1, 8.0 / 45, g2);
  return lin(32.0 / 45, g0, -16.0 / 45, g1, 8.0 / 45, g2);
}

// ── tiles ────────────────────────────────────────────────────────────────────────────────────

/** Element offset of tile t's window origin in x (may be negative). */
@inline export function origin(MT: i32, g: WinoBlock, t: i32): i32 {
  const tpi = g.tx * g.ty, r = t % tpi;
  return (t / tpi) * g.C * g.H * g.W + ((r / g.tx) * MT - g.pt) * g.W + (r % g.tx) * MT - g.pl;
}

@inline export function gather(b0: usize, b1: usize, b2: usize, b3: usize, off: usize): v128 {
  let v = v128.load32_zero(b0 + off);
  v = v128.load32_lane(b1 + off, v, 1);
  v = v128.load32_lane(b2 + off, v, 2);
  return v128.load32_lane(b3 + off, v, 3);
}

/** v + bias, clamped to [lo, hi]. */
@inline export function clampV(v: v128, bias: v128, lo: v128, hi: v128): v128 {
  // pmax(r, lo) = r < lo ? lo : r, so a NaN survives (as PyTorch's relu/clamp)
  return f32x4.pmin(f32x4.pmax(f32x4.add(v, bias), lo), hi);
}

/** Window column and row of tile t's origin (may be outside the input). */
@inline export function winX(MT: i32, g: WinoBlock, t: i32): i32 {
  return ((t % (g.tx * g.ty)) % g.tx) * MT - g.pl;
}

@inline export function winY(MT: i32, g: WinoBlock, t: i32): i32 {
  return ((t % (g.tx * g.ty)) / g.tx) * MT - g.pt;
}

/** Lanes where v + k is inside [0, n) and live. */
@inline export function colMask(v: v128, k: i32, n: i32, live: v128): v128 {
  const x = i32x4.add(v, i32x4.splat(k));
  return v128.and(v128.and(i32x4.ge_s(x, i32x4.splat(0)), i32x4.lt_s(x, i32x4.splat(n))), live);
}

/** Whether the bytes from element lo (may be negative) of x to byte `end` past x are inside memory. */
@inline export function readable(xPtr: usize, lo: i32, end: usize): bool {
  return (lo >= 0 || xPtr >= (<usize>(-lo) << 2)) && xPtr + end <= (<usize>memory.size() << 16);
}
