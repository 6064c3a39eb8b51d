// Self-gated activations y = x·gate(x) (PyTorch semantics): silu (gate sigmoid), gelu (gate Φ,
// the normal CDF, exact or with PyTorch's tanh approximation), mish (gate tanh(softplus(x))),
// and their backward. Forward kernels read x[0..n) and write y[0..n); backward kernels read dy
// and the forward INPUT x and write dx. Byte addresses, n in elements, in place allowed (y = x,
// dx = dy). NaN in gives NaN out. Tails: map-common.ts.

import { map, map2 } from "./map-common";
import { expNeg, normalCdfv, sigmoidv } from "./vmath";

const BETA: f32 = 0.7978845608028654; // √(2/π)
const KAPPA: f32 = 0.044715;

/** 2·√(2/π)·(x + κx³): gelu-tanh's argument doubled, since (1 + tanh z)/2 = sigmoid(2z). */
@inline function geluTanhArg(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  return f32x4.mul(f32x4.splat(2.0 * BETA), f32x4.add(x, f32x4.mul(f32x4.splat(KAPPA), x3)));
}

/** tanh(softplus(x)) from e = exp(−|x|): (1 + 2e)/(1 + 2e + 2e²) for x ≥ 0, e(e + 2)/(e(e + 2) + 2) below. */
@inline function mishGate(x: v128, e: v128): v128 {
  const one = f32x4.splat(1.0), two = f32x4.splat(2.0);
  const pos = f32x4.add(one, f32x4.add(e, e));
  const posT = f32x4.div(pos, f32x4.add(pos, f32x4.mul(two, f32x4.mul(e, e))));
  const m = f32x4.mul(e, f32x4.add(e, two));
  return v128.bitselect(posT, f32x4.div(m, f32x4.add(m, two)), f32x4.ge(x, f32x4.splat(0.0)));
}

@inline function negAbs(x: v128): v128 {
  return v128.or(x, i32x4.splat(<i32>0x80000000));
}

class Silu { @inline f(x: v128, p: v128, q: v128): v128 { return f32x4.mul(x, sigmoidv(x)); } }
class Gelu { @inline f(x: v128, p: v128, q: v128): v128 { return f32x4.mul(x, normalCdfv(x)); } }
class GeluTanh { @inline f(x: v128, p: v128, q: v128): v128 { return f32x4.mul(x, sigmoidv(geluTanhArg(x))); } }
class Mish { @inline f(x: v128, p: v128, q: v128): v128 { return f32x4.mul(x, mishGate(x, expNeg(negAbs(x)))); } }

/**
 * y[i] = x[i]·sigmoid(x[i]) (SiLU, swish).
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.5
 */
export function silu_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  map<Silu>(xPtr, yPtr, n, 0, 0);
}

/**
 * y[i] = x[i]·Φ(x[i]) = x·(1 + erf(x/√2))/2 (exact GELU). Φ far left comes from erfc directly,
 * so y stays accurate relative to itself down to where it underflows (x ≈ −14).
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=1
 */
export function gelu_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  map<Gelu>(xPtr, yPtr, n, 0, 0);
}

/**
 * y[i] = x·(1 + tanh(√(2/π)(x + 0.044715x³)))/2, computed as x·sigmoid(2·…) (GELU, approximate = 'tanh').
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=1
 */
export function gelu_f32_tanh_simd(xPtr: usize, yPtr: usize, n: i32): void {
  map<GeluTanh>(xPtr, yPtr, n, 0, 0);
}

/**
 * y[i] = x[i]·tanh(softplus(x[i])) (Mish); softplus never formed, so no overflow for large x.
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=1
 */
export function mish_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  map<Mish>(xPtr, yPtr, n, 0, 0);
}

// ── Backward (formulas as PyTorch's) ─────────────────────────────────────────────────────────

class SiluBwd {
  @inline g(d: v128, x: v128, p: v128, q: v128): v128 {
    // s·(1 + x·(1 − s))
    const s = sigmoidv(x);
    const one = f32x4.splat(1.0);
    return f32x4.mul(d, f32x4.mul(s, f32x4.add(one, f32x4.mul(x, f32x4.sub(one, s)))));
  }
}
class GeluBwd {
  @inline g(d: v128, x: v128, p: v128, q: v128): v128 {
    // Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π)
    const phi = f32x4.mul(f32x4.splat(0.3989422804014327), expNeg(f32x4.mul(f32x4.mul(x, x), f32x4.splat(-0.5))));
    return f32x4.mul(d, f32x4.add(normalCdfv(x), f32x4.mul(x, phi)));
  }
}
class GeluTanhBwd {
  @inline g(d: v128, x: v128, p: v128, q: v128): v128 {
    // with s = sigmoid(2z) = (1 + tanh z)/2: s + 2x·s(1 − s)·β(1 + 3κx²)
    const s = sigmoidv(geluTanhArg(x));
    const one = f32x4.splat(1.0);
    const dz = f32x4.mul(f32x4.splat(BETA), f32x4.add(one, f32x4.mul(f32x4.splat(3.0 * KAPPA), f32x4.mul(x, x))));
    const r = f32x4.mul(f32x4.mul(f32x4.add(x, x), f32x4.mul(s, f32x4.sub(one, s))), dz);
    return f32x4.mul(d, f32x4.add(s, r));
  }
}
class MishBwd {
  @inline g(d: v128, x: v128, p: v128, q: v128): v128 {
    // t + x·sigmoid(x)·(1 − t²), t = tanh(softplus(x))
    const e = expNeg(negAbs(x));
    const t = mishGate(x, e);
    const one = f32x4.splat(1.0);
    const inv = f32x4.div(one, f32x4.add(one, e));
    const s = v128.bitselect(inv, f32x4.mul(e, inv), f32x4.ge(x, f32x4.splat(0.0)));
    return f32x4.mul(d, f32x4.add(t, f32x4.mul(f32x4.mul(x, s), f32x4.sub(one, f32x4.mul(t, t)))));
  }
}

/**
 * silu's gradient: dx = dy·s·(1 + x·(1 − s)), s = sigmoid(x).
 * @split rows count=n move=dyPtr,xPtr,dxPtr align=16 grain=64 cost=0.2
 */
export function silu_bwd_f32_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, n: i32): void {
  map2<SiluBwd>(dyPtr, xPtr, dxPtr, n, 0, 0);
}

/**
 * gelu's gradient: dx = dy·(Φ(x) + x·φ(x)).
 * @split rows count=n move=dyPtr,xPtr,dxPtr align=16 grain=64 cost=0.2
 */
export function gelu_bwd_f32_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, n: i32): void {
  map2<GeluBwd>(dyPtr, xPtr, dxPtr, n, 0, 0);
}

/**
 * gelu (tanh)'s gradient: dx = dy·(s + 2x·s(1 − s)·√(2/π)(1 + 3·0.044715x²)), s = (1 + tanh z)/2.
 * @split rows count=n move=dyPtr,xPtr,dxPtr align=16 grain=64 cost=0.2
 */
export function gelu_bwd_f32_tanh_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, n: i32): void {
  map2<GeluTanhBwd>(dyPtr, xPtr, dxPtr, n, 0, 0);
}

/**
 * mish's gradient: dx = dy·(t + x·sigmoid(x)·(1 − t²)), t = tanh(softplus(x)).
 * @split rows count=n move=dyPtr,xPtr,dxPtr align=16 grain=64 cost=0.2
 */
export function mish_bwd_f32_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, n: i32): void {
  map2<MishBwd>(dyPtr, xPtr, dxPtr, n, 0, 0);
}
