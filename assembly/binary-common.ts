// Shared by the broadcasting binary kernels (add.ts, binary.ts): the op codes, one vector of
// y = a ∘ b, and the four layout loops (same shape, b one splatted value, b a repeated row,
// general strides) that the TypeScript planner reduces every pair of shapes to. Not in
// index.ts: everything here is inlined into the kernels.
//
// `op` is a constant at every inlined call site, so each loop folds to one operation.

import { storeLanes } from "./vmath";

export const ADD: i32 = 0;
export const MUL: i32 = 1;
export const SUB: i32 = 2;
export const DIV: i32 = 3;
export const POW: i32 = 4;
// the same with the operands exchanged (y = b ∘ a): the planner swaps a and b so that a is
// the full operand, and a non-commutative op then runs reversed
export const RSUB: i32 = 5;
export const RDIV: i32 = 6;
export const RPOW: i32 = 7;
// pow by a splatted exponent of exactly 2 or 0.5 (chosen inside splat(), never passed in)
const SQUARE: i32 = 8;
const SQRT: i32 = 9;

// ── pow ──────────────────────────────────────────────────────────────────────────────────────
// |a|^b = exp(b·ln|a|) evaluated in f64x2 (each f32x4 as two halves): ln to ~1e-16, exp to ~1e-13
// relative, so the f32 result is rounded once from a value far more accurate than an f32 ulp.
// Special cases then follow C's pow (which PyTorch's pow uses): see powv.

const LN2_64: f64 = 0.6931471805599453;

/** ln(x) for positive normal finite f64 lanes: x = 2^e·m, m ∈ [√½, √2), 2·atanh((m − 1)/(m + 1)) to z¹⁷. */
@inline function ln64(x: v128): v128 {
  let e = i64x2.sub(i64x2.shr_u(x, 52), i64x2.splat(1023));
  let m = v128.or(v128.and(x, i64x2.splat(0x000fffffffffffff)), i64x2.splat(0x3ff0000000000000));
  const big = f64x2.gt(m, f64x2.splat(1.4142135623730951));
  m = v128.bitselect(f64x2.mul(m, f64x2.splat(0.5)), m, big);
  e = i64x2.sub(e, big);
  const f = f64x2.sub(m, f64x2.splat(1.0));
  const z = f64x2.div(f, f64x2.add(f64x2.splat(2.0), f));
  const w = f64x2.mul(z, z);
  let p = f64x2.splat(1.0 / 17.0);
  p = f64x2.add(f64x2.mul(p, w), f64x2.splat(1.0 / 15.0));
  p = f64x2.add(f64x2.mul(p, w), f64x2.splat(1.0 / 13.0));
  p = f64x2.add(f64x2.mul(p, w), f64x2.splat(1.0 / 11.0));
  p = f64x2.add(f64x2.mul(p, w), f64x2.splat(1.0 / 9.0));
  p = f64x2.add(f64x2.mul(p, w), f64x2.splat(1.0 / 7.0));
  p = f64x2.add(f64x2.mul(p, w), f64x2.splat(1.0 / 5.0));
  p = f64x2.add(f64x2.mul(p, w), f64x2.splat(1.0 / 3.0));
  const t = f64x2.add(z, z);
  // e fits in i32: gather the low halves of both i64 lanes for the conversion
  const ef = f64x2.convert_low_i32x4_s(v128.shuffle<i32>(e, e, 0, 2, 0, 2));
  return f64x2.add(f64x2.mul(ef, f64x2.splat(LN2_64)), f64x2.add(t, f64x2.mul(t, f64x2.mul(w, p))));
}

/** exp(t) for f64 lanes t ∈ [−110, 100] (or NaN): 2^k·e^r, |r| ≤ ln2/2, Taylor to r¹⁰. */
@inline function exp64(t: v128): v128 {
  const k = f64x2.nearest(f64x2.mul(t, f64x2.splat(1.4426950408889634)));
  const r = f64x2.sub(t, f64x2.mul(k, f64x2.splat(LN2_64)));
  let p = f64x2.splat(1.0 / 3628800.0);
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 362880.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 40320.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 5040.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 720.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 120.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 24.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 6.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(0.5));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0));
  const ki = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(k));
  return f64x2.mul(p, i64x2.shl(i64x2.add(ki, i64x2.splat(1023)), 52));
}

/** exp(b·ln x) for two f64 lanes (x positive normal finite), the exponent clamped to [−110, 100]. */
@inline function powCore64(x: v128, b: v128): v128 {
  const t = f64x2.mul(b, ln64(x));
  return exp64(f64x2.pmin(f64x2.pmax(t, f64x2.splat(-110.0)), f64x2.splat(100.0)));
}

@inline function hi64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

/** Lanes where x is positive, finite and not NaN (the lanes powCore/ln64 take). */
@inline function positiveFinite(x: v128): v128 {
  return v128.and(f32x4.gt(x, f32x4.splat(0.0)), f32x4.lt(x, f32x4.splat(Infinity)));
}

/**
 * pow(a, b) with C's special cases: b = 0 or a = 1 → 1 (even with NaN); otherwise NaN in → NaN;
 * finite a < 0 with finite non-integer b → NaN; an odd integer b keeps a's sign (−0 and −∞
 * included); 0^b = +∞ for b < 0, 0 for b > 0; ∞^b the reverse; (±1)^±∞ = 1. Exponents exactly
 * 2, 1, −1 and 0.5 give a·a, a, 1/a and √a (+0 for −0, +∞ for −∞) per lane, exactly rounded.
 * Not inlined: called from every layout loop.
 */
function powv(a: v128, b: v128): v128 {
  const ax = f32x4.abs(a);
  const one = f32x4.splat(1.0), inf = f32x4.splat(Infinity), zero = f32x4.splat(0.0);
  const x = v128.bitselect(ax, one, positiveFinite(ax));
  const lo = f32x4.demote_f64x2_zero(powCore64(f64x2.promote_low_f32x4(x), f64x2.promote_low_f32x4(b)));
  const hi = f32x4.demote_f64x2_zero(powCore64(hi64(x), hi64(b)));
  let r = v128.shuffle<f32>(lo, hi, 0, 1, 4, 5);
  const bneg = f32x4.lt(b, zero);
  r = v128.bitselect(v128.bitselect(inf, zero, bneg), r, f32x4.eq(ax, zero));
  r = v128.bitselect(v128.bitselect(zero, inf, bneg), r, f32x4.eq(ax, inf));
  r = v128.bitselect(one, r, v128.and(f32x4.eq(ax, one), f32x4.eq(f32x4.abs(b), inf)));
  const bInt = f32x4.eq(f32x4.trunc(b), b);
  // beyond 2^24 every f32 is even (and trunc_sat of ±∞ is not a parity)
  const odd = v128.and(
    v128.and(bInt, f32x4.lt(f32x4.abs(b), f32x4.splat(16777216.0))),
    i32x4.ne(v128.and(i32x4.trunc_sat_f32x4_s(b), i32x4.splat(1)), i32x4.splat(0)),
  );
  r = v128.xor(r, v128.and(v128.and(odd, a), i32x4.splat(<i32>0x80000000)));
  const negFinite = v128.and(f32x4.lt(a, zero), f32x4.gt(a, f32x4.splat(-Infinity)));
  r = v128.bitselect(f32x4.splat(NaN), r, v128.andnot(negFinite, bInt));
  r = v128.bitselect(f32x4.mul(a, a), r, f32x4.eq(b, f32x4.splat(2.0)));
  r = v128.bitselect(sqrtPow(a), r, v128.and(f32x4.eq(b, f32x4.splat(0.5)), f32x4.ne(a, f32x4.splat(-Infinity))));
  r = v128.bitselect(a, r, f32x4.eq(b, one));
  r = v128.bitselect(f32x4.div(one, a), r, f32x4.eq(b, f32x4.splat(-1.0)));
  r = v128.bitselect(f32x4.add(a, b), r, v128.or(f32x4.ne(a, a), f32x4.ne(b, b)));
  return v128.bitselect(one, r, v128.or(f32x4.eq(b, zero), f32x4.eq(a, one)));
}

/** √a as pow(a, 0.5) wants it: +0 for −0 (−∞ is the caller's). */
@inline function sqrtPow(a: v128): v128 {
  return f32x4.add(f32x4.sqrt(a), f32x4.splat(0.0));
}

/** ln(a) for any f32: −∞ at ±0, NaN below 0, +∞ at +∞, NaN stays NaN. */
function lnv(a: v128): v128 {
  const ok = positiveFinite(a);
  const x = v128.bitselect(a, f32x4.splat(1.0), ok);
  const lo = f32x4.demote_f64x2_zero(ln64(f64x2.promote_low_f32x4(x)));
  const hi = f32x4.demote_f64x2_zero(ln64(hi64(x)));
  let r = v128.shuffle<f32>(lo, hi, 0, 1, 4, 5);
  r = v128.bitselect(f32x4.splat(-Infinity), r, f32x4.eq(a, f32x4.splat(0.0)));
  r = v128.bitselect(f32x4.splat(NaN), r, v128.or(f32x4.lt(a, f32x4.splat(0.0)), f32x4.ne(a, a)));
  return v128.bitselect(a, r, f32x4.eq(a, f32x4.splat(Infinity)));
}

// ── y = a ∘ b ────────────────────────────────────────────────────────────────────────────────

@inline export function op4(a: v128, b: v128, op: i32): v128 {
  if (op == ADD) return f32x4.add(a, b);
  if (op == MUL) return f32x4.mul(a, b);
  if (op == SUB) return f32x4.sub(a, b);
  if (op == DIV) return f32x4.div(a, b);
  if (op == POW) return powv(a, b);
  if (op == RSUB) return f32x4.sub(b, a);
  if (op == RDIV) return f32x4.div(b, a);
  if (op == RPOW) return powv(b, a);
  if (op == SQUARE) return f32x4.mul(a, a);
  return v128.bitselect(sqrtPow(a), f32x4.splat(Infinity), f32x4.ne(a, f32x4.splat(-Infinity)));
}

/** One scalar through the vector op (the same rounding and special cases as the vector lanes). */
@inline function op1(a: f32, b: f32, op: i32): f32 {
  return f32x4.extract_lane(op4(f32x4.splat(a), f32x4.splat(b), op), 0);
}

/** y[i] = a[i] ∘ b[i] for i in [0, n). Tail (n mod 4): scalar. */
@inline export function same(aPtr: usize, bPtr: usize, yPtr: usize, n: i32, op: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a0 = v128.load(aPtr + o), a1 = v128.load(aPtr + o, 16), a2 = v128.load(aPtr + o, 32), a3 = v128.load(aPtr + o, 48);
    const b0 = v128.load(bPtr + o), b1 = v128.load(bPtr + o, 16), b2 = v128.load(bPtr + o, 32), b3 = v128.load(bPtr + o, 48);
    v128.store(yPtr + o, op4(a0, b0, op));
    v128.store(yPtr + o, op4(a1, b1, op), 16);
    v128.store(yPtr + o, op4(a2, b2, op), 32);
    v128.store(yPtr + o, op4(a3, b3, op), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yPtr + o, op4(v128.load(aPtr + o), v128.load(bPtr + o), op));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(yPtr + o, op1(load<f32>(aPtr + o), load<f32>(bPtr + o), op));
  }
}

@inline function splatLoop(aPtr: usize, s: v128, yPtr: usize, n: i32, op: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a0 = v128.load(aPtr + o), a1 = v128.load(aPtr + o, 16), a2 = v128.load(aPtr + o, 32), a3 = v128.load(aPtr + o, 48);
    v128.store(yPtr + o, op4(a0, s, op));
    v128.store(yPtr + o, op4(a1, s, op), 16);
    v128.store(yPtr + o, op4(a2, s, op), 32);
    v128.store(yPtr + o, op4(a3, s, op), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yPtr + o, op4(v128.load(aPtr + o), s, op));
  }
  const sf = f32x4.extract_lane(s, 0);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(yPtr + o, op1(load<f32>(aPtr + o), sf, op));
  }
}

/** y[i] = a[i] ∘ s for i in [0, n), s a splatted scalar; pow by 2 or 0.5 takes its exact short loop. */
@inline export function splat(aPtr: usize, s: v128, yPtr: usize, n: i32, op: i32): void {
  if (op == POW) {
    const e = f32x4.extract_lane(s, 0);
    if (e == 2.0) { splatLoop(aPtr, s, yPtr, n, SQUARE); return; }
    if (e == 0.5) { splatLoop(aPtr, s, yPtr, n, SQRT); return; }
  }
  splatLoop(aPtr, s, yPtr, n, op);
}

/** y[o, i] = a[o, i] ∘ b[i] for a, y of [outer, inner], b of [inner]. */
@inline export function row(aPtr: usize, bPtr: usize, yPtr: usize, outer: i32, inner: i32, op: i32): void {
  const rowBytes = <usize>inner << 2;
  for (let r = 0; r < outer; r++) {
    const off = <usize>r * rowBytes;
    same(aPtr + off, bPtr, yPtr + off, inner, op);
  }
}

/** y[o, k, i] = a[o, k, i] ∘ b[k] for a, y of [outer, c, inner], b of [c]. */
@inline export function channel(aPtr: usize, bPtr: usize, yPtr: usize, outer: i32, c: i32, inner: i32, op: i32): void {
  const rowBytes = <usize>inner << 2;
  let off: usize = 0;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < c; k++, off += rowBytes) {
      splat(aPtr + off, v128.load32_splat(bPtr + (<usize>k << 2)), yPtr + off, inner, op);
    }
  }
}

// ── backward: ga = ∂y/∂a·dy and gb = ∂y/∂b·dy at every output element (reduced afterwards) ─────

export const MUL_BWD: i32 = 16;
export const DIV_BWD: i32 = 17;
export const POW_BWD: i32 = 18;

@inline function gradA(d: v128, a: v128, b: v128, op: i32): v128 {
  if (op == MUL_BWD) return f32x4.mul(d, b);
  if (op == DIV_BWD) return f32x4.div(d, b);
  // PyTorch: dy·b·a^(b−1), 0 where b = 0
  const g = f32x4.mul(f32x4.mul(d, b), powv(a, f32x4.sub(b, f32x4.splat(1.0))));
  return v128.andnot(g, f32x4.eq(b, f32x4.splat(0.0)));
}

@inline function gradB(d: v128, a: v128, b: v128, op: i32): v128 {
  if (op == MUL_BWD) return f32x4.mul(d, a);
  // PyTorch: −dy·a/(b·b)
  if (op == DIV_BWD) return f32x4.div(f32x4.mul(f32x4.neg(d), a), f32x4.mul(b, b));
  // PyTorch: dy·a^b·ln a, 0 where a = 0 and b ≥ 0
  const g = f32x4.mul(f32x4.mul(d, powv(a, b)), lnv(a));
  return v128.andnot(g, v128.and(f32x4.eq(a, f32x4.splat(0.0)), f32x4.ge(b, f32x4.splat(0.0))));
}

/** One output row of the backward: a and b contiguous (aC, bC) or one value splatted. Tail: partial vector. */
@inline function bwdLoop(a: usize, b: usize, dy: usize, ga: usize, gb: usize, n: i32, aC: bool, bC: bool, op: i32): void {
  const as = v128.load32_splat(a), bs = v128.load32_splat(b);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const av = aC ? v128.load(a + o) : as, bv = bC ? v128.load(b + o) : bs, d = v128.load(dy + o);
    storeLanes(ga + o, gradA(d, av, bv, op), n - i);
    storeLanes(gb + o, gradB(d, av, bv, op), n - i);
  }
}

/**
 * Walks the output (contiguous, dims d[0..r)) row by row with a and b read through element
 * strides. paramsPtr: i32 block [r, d[0..r), aStride[0..r), bStride[0..r), counter[0..r)];
 * counter is scratch the walk overwrites. Forward ops (op < MUL_BWD) write y = a ∘ b and need
 * aStride[r−1] = 1, bStride[r−1] ∈ {0, 1}; backward ops write ga at yPtr and gb at gbPtr from dy
 * and allow either inner stride to be 0 (not both).
 */
@inline export function walk(aPtr: usize, bPtr: usize, yPtr: usize, paramsPtr: usize, op: i32, dyPtr: usize, gbPtr: usize): void {
  const r = load<i32>(paramsPtr);
  const dims = paramsPtr + 4;
  const aStr = dims + (<usize>r << 2);
  const bStr = aStr + (<usize>r << 2);
  const ctr = bStr + (<usize>r << 2);
  const inner = load<i32>(dims + (<usize>(r - 1) << 2));
  const aContig = load<i32>(aStr + (<usize>(r - 1) << 2)) != 0;
  const bContig = load<i32>(bStr + (<usize>(r - 1) << 2)) != 0;
  let rows = 1;
  for (let d = 0; d < r - 1; d++) {
    rows *= load<i32>(dims + (<usize>d << 2));
    store<i32>(ctr + (<usize>d << 2), 0);
  }
  let aOff: isize = 0, bOff: isize = 0;
  const rowBytes = <usize>inner << 2;
  for (let row = 0, off: usize = 0; row < rows; row++, off += rowBytes) {
    const a = aPtr + (<usize>aOff << 2), b = bPtr + (<usize>bOff << 2);
    if (op < MUL_BWD) {
      if (bContig) same(a, b, yPtr + off, inner, op);
      else splat(a, v128.load32_splat(b), yPtr + off, inner, op);
    } else if (aContig && bContig) bwdLoop(a, b, dyPtr + off, yPtr + off, gbPtr + off, inner, true, true, op);
    else if (aContig) bwdLoop(a, b, dyPtr + off, yPtr + off, gbPtr + off, inner, true, false, op);
    else bwdLoop(a, b, dyPtr + off, yPtr + off, gbPtr + off, inner, false, true, op);
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
