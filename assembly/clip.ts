// The clip family (PyTorch semantics): clip (torch.clamp; relu6 is clip to [0, 6]), hardsigmoid,
// hardswish, and their backward. Forward kernels read x[0..n) and write y[0..n); backward kernels
// read dy and the forward INPUT x and write dx. Byte addresses, n in elements, in place allowed
// (y = x, dx = dy). NaN in gives NaN out. Tails: map-common.ts.

import { map, map2 } from "./map-common";

class Clip { @inline f(x: v128, lo: v128, hi: v128): v128 { return f32x4.min(f32x4.max(x, lo), hi); } }
class HardSigmoid {
  @inline f(x: v128, alpha: v128, beta: v128): v128 {
    return f32x4.min(f32x4.max(f32x4.add(f32x4.mul(x, alpha), beta), f32x4.splat(0.0)), f32x4.splat(1.0));
  }
}
class HardSwish {
  @inline f(x: v128, p: v128, q: v128): v128 {
    // PyTorch's order: x·min(max(x + 3, 0), 6)/6
    const r = f32x4.min(f32x4.max(f32x4.add(x, f32x4.splat(3.0)), f32x4.splat(0.0)), f32x4.splat(6.0));
    return f32x4.div(f32x4.mul(x, r), f32x4.splat(6.0));
  }
}

/**
 * y[i] = min(max(x[i], lo), hi) (lo > hi gives hi everywhere, as torch.clamp; ±∞ for an absent bound).
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.1
 */
export function clip_f32_simd(xPtr: usize, yPtr: usize, n: i32, lo: f32, hi: f32): void {
  map<Clip>(xPtr, yPtr, n, lo, hi);
}

/**
 * y[i] = min(max(alpha·x[i] + beta, 0), 1) (torch's Hardsigmoid: alpha = 1/6, beta = 0.5; ONNX's default alpha = 0.2).
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.1
 */
export function hardsigmoid_f32_simd(xPtr: usize, yPtr: usize, n: i32, alpha: f32, beta: f32): void {
  map<HardSigmoid>(xPtr, yPtr, n, alpha, beta);
}

/**
 * y[i] = x[i]·min(max(x[i] + 3, 0), 6)/6.
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.1
 */
export function hardswish_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  map<HardSwish>(xPtr, yPtr, n, 0, 0);
}

// ── Backward: where the gradient passes at the kinks follows PyTorch op by op ─────────────────

// torch.clamp's backward: dy where lo ≤ x ≤ hi (inclusive), else 0 (also 0 for NaN x)
class ClipBwd {
  @inline g(d: v128, x: v128, lo: v128, hi: v128): v128 {
    return v128.and(d, v128.and(f32x4.ge(x, lo), f32x4.le(x, hi)));
  }
}
// hardtanh_backward (relu6's): 0 where x ≤ lo or x ≥ hi (strict inside), so a NaN x passes dy
class HardtanhBwd {
  @inline g(d: v128, x: v128, lo: v128, hi: v128): v128 {
    return v128.andnot(d, v128.or(f32x4.le(x, lo), f32x4.ge(x, hi)));
  }
}
// hardsigmoid_backward: alpha·dy where 0 < alpha·x + beta < 1 (strict), else 0 (NaN x: 0)
class HardSigmoidBwd {
  @inline g(d: v128, x: v128, alpha: v128, beta: v128): v128 {
    const t = f32x4.add(f32x4.mul(x, alpha), beta);
    const inside = v128.and(f32x4.gt(t, f32x4.splat(0.0)), f32x4.lt(t, f32x4.splat(1.0)));
    return v128.and(f32x4.mul(d, alpha), inside);
  }
}
// hardswish_backward: 0 for x < −3, dy·(x/3 + 0.5) for −3 ≤ x ≤ 3, dy above (and for NaN x)
class HardSwishBwd {
  @inline g(d: v128, x: v128, p: v128, q: v128): v128 {
    const mid = f32x4.mul(d, f32x4.add(f32x4.div(x, f32x4.splat(3.0)), f32x4.splat(0.5)));
    const g = v128.bitselect(mid, d, f32x4.le(x, f32x4.splat(3.0)));
    return v128.andnot(g, f32x4.lt(x, f32x4.splat(-3.0)));
  }
}

/**
 * clip's gradient (torch.clamp): dx[i] = lo ≤ x[i] ≤ hi ? dy[i] : 0.
 * @split rows count=n move=dyPtr,xPtr,dxPtr align=16 grain=64 cost=0.2
 */
export function clip_bwd_f32_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, n: i32, lo: f32, hi: f32): void {
  map2<ClipBwd>(dyPtr, xPtr, dxPtr, n, lo, hi);
}

/**
 * hardtanh's gradient (relu6 = hardtanh(0, 6)): dx[i] = (x[i] ≤ lo or x[i] ≥ hi) ? 0 : dy[i].
 * @split rows count=n move=dyPtr,xPtr,dxPtr align=16 grain=64 cost=0.2
 */
export function hardtanh_bwd_f32_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, n: i32, lo: f32, hi: f32): void {
  map2<HardtanhBwd>(dyPtr, xPtr, dxPtr, n, lo, hi);
}

/**
 * hardsigmoid's gradient: dx[i] = 0 < alpha·x[i] + beta < 1 ? alpha·dy[i] : 0.
 * @split rows count=n move=dyPtr,xPtr,dxPtr align=16 grain=64 cost=0.2
 */
export function hardsigmoid_bwd_f32_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, n: i32, alpha: f32, beta: f32): void {
  map2<HardSigmoidBwd>(dyPtr, xPtr, dxPtr, n, alpha, beta);
}

/**
 * hardswish's gradient: dx[i] = x < −3 ? 0 : x ≤ 3 ? dy·(x/3 + 1/2) : dy.
 * @split rows count=n move=dyPtr,xPtr,dxPtr align=16 grain=64 cost=0.2
 */
export function hardswish_bwd_f32_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, n: i32): void {
  map2<HardSwishBwd>(dyPtr, xPtr, dxPtr, n, 0, 0);
}
