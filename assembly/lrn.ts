// Local response normalization across channels (AlexNet's "NORM" layers), NCHW.

const LN2: f32 = 0.6931471805599453;
const LN2_HI: f32 = 0.693145751953125; // few mantissa bits: n·LN2_HI is exact for |n| < 2^15
const LN2_LO: f32 = 1.4286067653301870e-6;
const LOG2E: f32 = 1.4426950408889634;
const SQRT2: f32 = 1.4142135623730951;

/**
 * ln(b) for b > 0 normal: b = m·2^e with m in (√½, √2], ln m = 2·atanh(t) with t = (m − 1)/(m + 1),
 * |t| ≤ 0.172, summed to t⁹ (truncation < 1e-9).
 */
@inline function logPos(b: v128): v128 {
  let e = i32x4.sub(i32x4.shr_u(b, 23), i32x4.splat(127));
  let m = v128.or(v128.and(b, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000));
  const big = f32x4.gt(m, f32x4.splat(SQRT2));
  m = v128.bitselect(f32x4.mul(m, f32x4.splat(0.5)), m, big);
  e = i32x4.sub(e, big); // big lanes are −1: e + 1
  const t = f32x4.div(f32x4.sub(m, f32x4.splat(1)), f32x4.add(m, f32x4.splat(1)));
  const t2 = f32x4.mul(t, t);
  let q = f32x4.splat(<f32>(2.0 / 9.0));
  q = f32x4.add(f32x4.mul(q, t2), f32x4.splat(<f32>(2.0 / 7.0)));
  q = f32x4.add(f32x4.mul(q, t2), f32x4.splat(<f32>(2.0 / 5.0)));
  q = f32x4.add(f32x4.mul(q, t2), f32x4.splat(<f32>(2.0 / 3.0)));
  q = f32x4.add(f32x4.mul(q, t2), f32x4.splat(2));
  return f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(e), f32x4.splat(LN2)), f32x4.mul(q, t));
}

/** e^y with y clamped to [−87, 88] (no overflow, no denormals): 2^n · Taylor₇(r), |r| ≤ ln2/2. */
@inline function expClamped(y: v128): v128 {
  y = f32x4.min(f32x4.max(y, f32x4.splat(-87)), f32x4.splat(88));
  const n = f32x4.nearest(f32x4.mul(y, f32x4.splat(LOG2E)));
  const r = f32x4.sub(f32x4.sub(y, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(<f32>(1.0 / 5040.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>(1.0 / 720.0)));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>(1.0 / 120.0)));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>(1.0 / 24.0)));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>(1.0 / 6.0)));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** b^(−beta) for b > 0; beta = 0.75 (AlexNet) takes two square roots instead of exp/log. */
@inline function powNeg(b: v128, beta: f32, threeQuarters: bool): v128 {
  if (threeQuarters) {
    const r = f32x4.sqrt(b);
    return f32x4.div(f32x4.splat(1), f32x4.mul(r, f32x4.sqrt(r)));
  }
  return expClamped(f32x4.mul(f32x4.splat(-beta), logPos(b)));
}

/**
 * y[n, c, s] = x[n, c, s] · (k + alphaOverSize · Σ_{c' = c − before}^{c + after} x[n, c', s]²)^(−beta),
 * c' clipped to [0, C). PyTorch: before = ⌊size/2⌋, after = ⌊(size−1)/2⌋, alphaOverSize = alpha/size;
 * ONNX passes its own extents. xPtr, yPtr: f32 [N, C, HW] (distinct); columns q = n·HW + s in
 * [colStart, colEnd) are processed (threads split them). The channel sum slides (add the entering
 * square, drop the leaving one) over 4 spatial positions per v128, accumulated in f64 and clamped
 * at 0 so rounding never makes it negative. Needs k > 0. Leftover positions (HW mod 4) go through the same code in
 * lane 0.
 * @split range start=colStart end=colEnd align=4 cost=C*2
 */
export function lrn_f32_simd(xPtr: usize, yPtr: usize, colStart: i32, colEnd: i32, C: i32, HW: i32, before: i32, after: i32, alphaOverSize: f32, beta: f32, k: f32): void {
  if (beta == 0.75) lrnColumns(xPtr, yPtr, colStart, colEnd, C, HW, before, after, alphaOverSize, beta, k, true);
  else lrnColumns(xPtr, yPtr, colStart, colEnd, C, HW, before, after, alphaOverSize, beta, k, false);
}

@inline function lrnColumns(xPtr: usize, yPtr: usize, colStart: i32, colEnd: i32, C: i32, HW: i32, before: i32, after: i32, aos: f32, beta: f32, k: f32, threeQuarters: bool): void {
  if (HW <= 0) return;
  const cBytes = <usize>HW << 2;
  let q = colStart;
  while (q < colEnd) {
    const n = q / HW;
    const s0 = q - n * HW;
    const s1 = min(HW, colEnd - n * HW);
    const base = (<usize>n * <usize>C * <usize>HW) << 2;
    let s = s0;
    for (; s + 4 <= s1; s += 4) {
      const o = base + (<usize>s << 2);
      lrnBlock(xPtr + o, yPtr + o, C, cBytes, before, after, aos, beta, k, threeQuarters, true);
    }
    for (; s < s1; s++) {
      const o = base + (<usize>s << 2);
      lrnTail(xPtr + o, yPtr + o, C, cBytes, before, after, aos, beta, k, threeQuarters);
    }
    q = n * HW + s1;
  }
}

// The leftover positions (HW mod 4, one at a time) through one function for both beta forms: a
// tail does not need its own specialised copies.
function lrnTail(xp: usize, yp: usize, C: i32, cBytes: usize, before: i32, after: i32, aos: f32, beta: f32, k: f32, threeQuarters: bool): void {
  lrnBlock(xp, yp, C, cBytes, before, after, aos, beta, k, threeQuarters, false);
}

/** One column block (4 positions, or 1 in lane 0) through all C channels. */
@inline function lrnBlock(xp: usize, yp: usize, C: i32, cBytes: usize, before: i32, after: i32, aos: f32, beta: f32, k: f32, threeQuarters: bool, wide: bool): void {
  const zero = f32x4.splat(0);
  const kv = f32x4.splat(k), av = f32x4.splat(aos);
  // The running sum is kept in f64 (lanes 0–1 and 2–3): squares of f32 are exact there, so a
  // large square leaving the window leaves no residue that would swamp the small ones after it.
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  const first = min(after, C - 1);
  for (let c = 0; c <= first; c++) {
    const v = ld(xp + <usize>c * cBytes, wide);
    lo = f64x2.add(lo, sqLo(v));
    hi = f64x2.add(hi, sqHi(v));
  }
  for (let c = 0; c < C; c++) {
    const v = ld(xp + <usize>c * cBytes, wide);
    const sum = v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
    const scale = powNeg(f32x4.add(kv, f32x4.mul(av, f32x4.max(sum, zero))), beta, threeQuarters);
    const y = f32x4.mul(v, scale);
    if (wide) v128.store(yp + <usize>c * cBytes, y);
    else store<f32>(yp + <usize>c * cBytes, f32x4.extract_lane(y, 0));
    // slide the window from c to c + 1
    const enter = c + 1 + after, leave = c - before;
    if (enter < C) {
      const e = ld(xp + <usize>enter * cBytes, wide);
      lo = f64x2.add(lo, sqLo(e));
      hi = f64x2.add(hi, sqHi(e));
    }
    if (leave >= 0) {
      const l = ld(xp + <usize>leave * cBytes, wide);
      lo = f64x2.sub(lo, sqLo(l));
      hi = f64x2.sub(hi, sqHi(l));
    }
  }
}

@inline function sqLo(v: v128): v128 {
  const d = f64x2.promote_low_f32x4(v);
  return f64x2.mul(d, d);
}

@inline function sqHi(v: v128): v128 {
  const d = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
  return f64x2.mul(d, d);
}

@inline function ld(p: usize, wide: bool): v128 {
  return wide ? v128.load(p) : f32x4.splat(load<f32>(p));
}

// ---- backward ------------------------------------------------------------------------------

/**
 * dx[n, j, s] = dy_j·s_j^(−beta) − 2·beta·alphaOverSize·a_j·Σ_{c = j − after}^{j + before} dy_c·a_c·s_c^(−beta−1),
 * c clipped to [0, C), with s_c = k + alphaOverSize·Σ_{c' = c − before}^{c + after} a_{c'}² as in
 * lrn_f32_simd (the channels whose window holds j are those within the window mirrored: before
 * and after swap). dyPtr, xPtr, dxPtr: f32 [N, C, HW] (dx distinct from the others, overwritten);
 * scratchPtr: f32 [C, 4], written here. Columns [colStart, colEnd) as in the forward, 4 spatial
 * positions per v128, leftovers in lane 0. Pass 1 slides the forward's f64 sum of squares,
 * writes dy·s^(−beta) into dx and u_c = dy_c·a_c·s_c^(−beta−1) into the scratch; pass 2 slides an
 * f64 sum of u over the mirrored window and subtracts. Needs k > 0.
 */
export function lrn_bwd_f32_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, scratchPtr: usize, colStart: i32, colEnd: i32, C: i32, HW: i32, before: i32, after: i32, alphaOverSize: f32, beta: f32, k: f32): void {
  if (beta == 0.75) lrnBwdColumns(dyPtr, xPtr, dxPtr, scratchPtr, colStart, colEnd, C, HW, before, after, alphaOverSize, beta, k, true);
  else lrnBwdColumns(dyPtr, xPtr, dxPtr, scratchPtr, colStart, colEnd, C, HW, before, after, alphaOverSize, beta, k, false);
}

@inline function lrnBwdColumns(dyPtr: usize, xPtr: usize, dxPtr: usize, u: usize, colStart: i32, colEnd: i32, C: i32, HW: i32, before: i32, after: i32, aos: f32, beta: f32, k: f32, threeQuarters: bool): void {
  if (HW <= 0) return;
  const cBytes = <usize>HW << 2;
  let q = colStart;
  while (q < colEnd) {
    const n = q / HW;
    const s0 = q - n * HW;
    const s1 = min(HW, colEnd - n * HW);
    const base = (<usize>n * <usize>C * <usize>HW) << 2;
    let s = s0;
    for (; s + 4 <= s1; s += 4) {
      const o = base + (<usize>s << 2);
      lrnBwdBlock(dyPtr + o, xPtr + o, dxPtr + o, u, C, cBytes, before, after, aos, beta, k, threeQuarters, true);
    }
    for (; s < s1; s++) {
      const o = base + (<usize>s << 2);
      lrnBwdTail(dyPtr + o, xPtr + o, dxPtr + o, u, C, cBytes, before, after, aos, beta, k, threeQuarters);
    }
    q = n * HW + s1;
  }
}

/** lrnTail's backward. */
function lrnBwdTail(dyp: usize, xp: usize, dxp: usize, u: usize, C: i32, cBytes: usize, before: i32, after: i32, aos: f32, beta: f32, k: f32, threeQuarters: bool): void {
  lrnBwdBlock(dyp, xp, dxp, u, C, cBytes, before, after, aos, beta, k, threeQuarters, false);
}

/** One column block (4 positions, or 1 in lane 0) through all C channels, both passes. */
@inline function lrnBwdBlock(dyp: usize, xp: usize, dxp: usize, u: usize, C: i32, cBytes: usize, before: i32, after: i32, aos: f32, beta: f32, k: f32, threeQuarters: bool, wide: bool): void {
  const zero = f32x4.splat(0);
  const kv = f32x4.splat(k), av = f32x4.splat(aos);
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  for (let c = 0; c <= min(after, C - 1); c++) {
    const v = ld(xp + <usize>c * cBytes, wide);
    lo = f64x2.add(lo, sqLo(v));
    hi = f64x2.add(hi, sqHi(v));
  }
  for (let c = 0; c < C; c++) {
    const o = <usize>c * cBytes;
    const a = ld(xp + o, wide), d = ld(dyp + o, wide);
    const sum = v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
    const sc = f32x4.add(kv, f32x4.mul(av, f32x4.max(sum, zero)));
    const pw = powNeg(sc, beta, threeQuarters);
    st(dxp + o, f32x4.mul(d, pw), wide);
    // s^(−β−1) = s^(−β)/s
    v128.store(u + (<usize>c << 4), f32x4.div(f32x4.mul(f32x4.mul(d, a), pw), sc));
    const enter = c + 1 + after, leave = c - before;
    if (enter < C) {
      const e = ld(xp + <usize>enter * cBytes, wide);
      lo = f64x2.add(lo, sqLo(e));
      hi = f64x2.add(hi, sqHi(e));
    }
    if (leave >= 0) {
      const l = ld(xp + <usize>leave * cBytes, wide);
      lo = f64x2.sub(lo, sqLo(l));
      hi = f64x2.sub(hi, sqHi(l));
    }
  }
  // pass 2: U_j = Σ u_c over c in [j − after, j + before], slid in f64 (u has both signs: an f32
  // running sum would keep residues of large terms that left the window)
  const coef = f32x4.splat(<f32>2 * beta * aos);
  lo = f64x2.splat(0);
  hi = f64x2.splat(0);
  for (let c = 0; c <= min(before, C - 1); c++) {
    const v = v128.load(u + (<usize>c << 4));
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
    hi = f64x2.add(hi, promoteHi(v));
  }
  for (let j = 0; j < C; j++) {
    const o = <usize>j * cBytes;
    const U = v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
    st(dxp + o, f32x4.sub(ld(dxp + o, wide), f32x4.mul(coef, f32x4.mul(ld(xp + o, wide), U))), wide);
    const enter = j + 1 + before, leave = j - after;
    if (enter < C) {
      const e = v128.load(u + (<usize>enter << 4));
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(e));
      hi = f64x2.add(hi, promoteHi(e));
    }
    if (leave >= 0) {
      const l = v128.load(u + (<usize>leave << 4));
      lo = f64x2.sub(lo, f64x2.promote_low_f32x4(l));
      hi = f64x2.sub(hi, promoteHi(l));
    }
  }
}

@inline function promoteHi(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

@inline function st(p: usize, v: v128, wide: bool): void {
  if (wide) v128.store(p, v);
  else store<f32>(p, f32x4.extract_lane(v, 0));
}
