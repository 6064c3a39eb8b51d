// Elementwise math over a flat f32 array (PyTorch semantics): sqrt, exp, neg, reciprocal, abs,
// erf and their backward. Forward kernels read x[0..n) and write y[0..n); backward kernels read
// dy and the saved u (the forward output y, or the input x where said) and write dx. Byte
// addresses, n in elements, in place allowed (y = x, dx = dy). Tails: map-common.ts.

import { map, map2 } from "./map-common";
import { erfv, expNeg, expv } from "./vmath";

class Sqrt { @inline f(x: v128, p: v128, q: v128): v128 { return f32x4.sqrt(x); } }
class Exp { @inline f(x: v128, p: v128, q: v128): v128 { return expv(x); } }
class Neg { @inline f(x: v128, p: v128, q: v128): v128 { return f32x4.neg(x); } }
class Reciprocal { @inline f(x: v128, p: v128, q: v128): v128 { return f32x4.div(f32x4.splat(1.0), x); } }
class Abs { @inline f(x: v128, p: v128, q: v128): v128 { return f32x4.abs(x); } }
class Erf { @inline f(x: v128, p: v128, q: v128): v128 { return erfv(x); } }

/**
 * y[i] = √x[i], correctly rounded; √(−0) = −0, negative x → NaN.
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.1
 */
export function sqrt_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  map<Sqrt>(xPtr, yPtr, n, 0, 0);
}

/**
 * y[i] = e^x[i], ~1 ulp, subnormal results included; +∞ past x ≈ 88.72, 0 below ≈ −103.97.
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.5
 */
export function exp_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  map<Exp>(xPtr, yPtr, n, 0, 0);
}

/**
 * y[i] = −x[i] (the sign bit flipped: −0 ↔ +0, NaN stays NaN). Also neg's backward on dy.
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.1
 */
export function neg_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  map<Neg>(xPtr, yPtr, n, 0, 0);
}

/**
 * y[i] = 1/x[i], correctly rounded (1/±0 = ±∞).
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.1
 */
export function reciprocal_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  map<Reciprocal>(xPtr, yPtr, n, 0, 0);
}

/**
 * y[i] = |x[i]| (the sign bit cleared).
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.1
 */
export function abs_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  map<Abs>(xPtr, yPtr, n, 0, 0);
}

/**
 * y[i] = erf(x[i]): x·P(x²) below |x| = 0.875, 1 − erfc(|x|) with sign beyond (vmath.ts);
 * measured within 2 ulp of the float64 erf (test/unary.test.ts); ±1 at ±∞, NaN stays NaN.
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=1
 */
export function erf_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  map<Erf>(xPtr, yPtr, n, 0, 0);
}

// ── Backward (formulas as PyTorch's autograd) ────────────────────────────────────────────────

class SqrtBwd { @inline g(d: v128, y: v128, p: v128, q: v128): v128 { return f32x4.div(d, f32x4.add(y, y)); } }
class ExpBwd { @inline g(d: v128, y: v128, p: v128, q: v128): v128 { return f32x4.mul(d, y); } }
class ReciprocalBwd { @inline g(d: v128, y: v128, p: v128, q: v128): v128 { return f32x4.mul(f32x4.neg(d), f32x4.mul(y, y)); } }
class AbsBwd {
  @inline g(d: v128, x: v128, p: v128, q: v128): v128 {
    // sgn(x) = (0 < x) − (x < 0) as PyTorch's sign: 0 at ±0 and at NaN
    const one = f32x4.splat(1.0), zero = f32x4.splat(0.0);
    const s = f32x4.sub(v128.and(f32x4.gt(x, zero), one), v128.and(f32x4.lt(x, zero), one));
    return f32x4.mul(d, s);
  }
}
class ErfBwd {
  @inline g(d: v128, x: v128, p: v128, q: v128): v128 {
    return f32x4.mul(d, f32x4.mul(f32x4.splat(1.1283791670955126), expNeg(f32x4.neg(f32x4.mul(x, x)))));
  }
}

/**
 * dx[i] = dy[i]/(2·y[i]) with y = √x (the forward output).
 * @split rows count=n move=dyPtr,yPtr,dxPtr align=16 grain=64 cost=0.2
 */
export function sqrt_bwd_f32_simd(dyPtr: usize, yPtr: usize, dxPtr: usize, n: i32): void {
  map2<SqrtBwd>(dyPtr, yPtr, dxPtr, n, 0, 0);
}

/**
 * dx[i] = dy[i]·y[i] with y = e^x (the forward output).
 * @split rows count=n move=dyPtr,yPtr,dxPtr align=16 grain=64 cost=0.2
 */
export function exp_bwd_f32_simd(dyPtr: usize, yPtr: usize, dxPtr: usize, n: i32): void {
  map2<ExpBwd>(dyPtr, yPtr, dxPtr, n, 0, 0);
}

/**
 * dx[i] = −dy[i]·y[i]² with y = 1/x (the forward output).
 * @split rows count=n move=dyPtr,yPtr,dxPtr align=16 grain=64 cost=0.2
 */
export function reciprocal_bwd_f32_simd(dyPtr: usize, yPtr: usize, dxPtr: usize, n: i32): void {
  map2<ReciprocalBwd>(dyPtr, yPtr, dxPtr, n, 0, 0);
}

/**
 * dx[i] = dy[i]·sgn(x[i]) with x the forward INPUT (0 at x = ±0 and at NaN, as PyTorch).
 * @split rows count=n move=dyPtr,xPtr,dxPtr align=16 grain=64 cost=0.2
 */
export function abs_bwd_f32_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, n: i32): void {
  map2<AbsBwd>(dyPtr, xPtr, dxPtr, n, 0, 0);
}

/**
 * dx[i] = dy[i]·(2/√π)·e^(−x[i]²) with x the forward INPUT.
 * @split rows count=n move=dyPtr,xPtr,dxPtr align=16 grain=64 cost=0.2
 */
export function erf_bwd_f32_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, n: i32): void {
  map2<ErfBwd>(dyPtr, xPtr, dxPtr, n, 0, 0);
}
