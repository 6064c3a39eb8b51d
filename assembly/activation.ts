// Elementwise activations over a flat f32 array: relu, leaky relu, sigmoid, tanh.
// Each kernel reads x[0..n) and writes y[0..n) (byte addresses, n in elements; x and y may be
// the same array). The main loop takes 16 elements per step; the n mod 4 tail is one partial
// vector: it reads one v128 past the end (the allocator's padding allows it) and stores only
// the valid lanes.

import { sigmoidv, storeLanes, tanhv } from "./vmath";

@inline function relu_v(x: v128): v128 {
  // x < 0 ? 0 : x — NaN passes through, −0 stays −0
  return f32x4.pmax(x, f32x4.splat(0.0));
}

@inline function leaky_v(x: v128, s: v128): v128 {
  return v128.bitselect(x, f32x4.mul(x, s), f32x4.gt(x, f32x4.splat(0.0)));
}

/**
 * y[i] = max(x[i], 0) (NaN stays NaN).
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.1
 */
export function relu_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a = v128.load(xPtr + o), b = v128.load(xPtr + o + 16);
    const c = v128.load(xPtr + o + 32), d = v128.load(xPtr + o + 48);
    v128.store(yPtr + o, relu_v(a));
    v128.store(yPtr + o + 16, relu_v(b));
    v128.store(yPtr + o + 32, relu_v(c));
    v128.store(yPtr + o + 48, relu_v(d));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yPtr + o, relu_v(v128.load(xPtr + o)));
  }
  if (i < n) storeLanes(yPtr + (<usize>i << 2), relu_v(v128.load(xPtr + (<usize>i << 2))), n - i);
}

/**
 * y[i] = x[i] > 0 ? x[i] : negativeSlope·x[i] (NaN stays NaN).
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.1
 */
export function leaky_relu_f32_simd(xPtr: usize, yPtr: usize, n: i32, negativeSlope: f32): void {
  const s = f32x4.splat(negativeSlope);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a = v128.load(xPtr + o), b = v128.load(xPtr + o + 16);
    const c = v128.load(xPtr + o + 32), d = v128.load(xPtr + o + 48);
    v128.store(yPtr + o, leaky_v(a, s));
    v128.store(yPtr + o + 16, leaky_v(b, s));
    v128.store(yPtr + o + 32, leaky_v(c, s));
    v128.store(yPtr + o + 48, leaky_v(d, s));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yPtr + o, leaky_v(v128.load(xPtr + o), s));
  }
  if (i < n) storeLanes(yPtr + (<usize>i << 2), leaky_v(v128.load(xPtr + (<usize>i << 2)), s), n - i);
}

/**
 * y[i] = 1/(1 + exp(−x[i])). Max relative error ≈ 3e-7; exactly 0 below x ≈ −87.7 and exactly 1
 * above x ≈ 17; NaN stays NaN.
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.5
 */
export function sigmoid_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a = v128.load(xPtr + o), b = v128.load(xPtr + o + 16);
    const c = v128.load(xPtr + o + 32), d = v128.load(xPtr + o + 48);
    v128.store(yPtr + o, sigmoidv(a));
    v128.store(yPtr + o + 16, sigmoidv(b));
    v128.store(yPtr + o + 32, sigmoidv(c));
    v128.store(yPtr + o + 48, sigmoidv(d));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yPtr + o, sigmoidv(v128.load(xPtr + o)));
  }
  if (i < n) storeLanes(yPtr + (<usize>i << 2), sigmoidv(v128.load(xPtr + (<usize>i << 2))), n - i);
}

/**
 * y[i] = tanh(x[i]). Max relative error ≈ 3e-7 (also for tiny |x|: tanh(x) ≈ x); exactly ±1
 * beyond |x| ≈ 9; tanh(−0) = −0; NaN stays NaN.
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.5
 */
export function tanh_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a = v128.load(xPtr + o), b = v128.load(xPtr + o + 16);
    const c = v128.load(xPtr + o + 32), d = v128.load(xPtr + o + 48);
    v128.store(yPtr + o, tanhv(a));
    v128.store(yPtr + o + 16, tanhv(b));
    v128.store(yPtr + o + 32, tanhv(c));
    v128.store(yPtr + o + 48, tanhv(d));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yPtr + o, tanhv(v128.load(xPtr + o)));
  }
  if (i < n) storeLanes(yPtr + (<usize>i << 2), tanhv(v128.load(xPtr + (<usize>i << 2))), n - i);
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────
// dx[i] = f(dy[i], u[i]) where u is the forward input x (relu, leaky relu) or the forward output
// y (sigmoid, tanh). dyPtr, uPtr, dxPtr: byte addresses of n f32 (dx may be dy). Same loop shape
// as the forward kernels: 16 per step, then 4, then one partial vector (reads past the end into
// the padding, stores only the live lanes).

const RELU = 0;
const LEAKY = 1;
const SIGMOID = 2;
const TANH = 3;

/** One vector of dx; `kind` is a constant at every call site, so the branches fold away. */
@inline function bwdv(kind: i32, dy: v128, u: v128, s: v128): v128 {
  const zero = f32x4.splat(0.0), one = f32x4.splat(1.0);
  // PyTorch's threshold_backward zeroes where u ≤ 0, so a NaN input lets dy through
  if (kind == RELU) return v128.andnot(dy, f32x4.le(u, zero));
  if (kind == LEAKY) return v128.bitselect(dy, f32x4.mul(dy, s), f32x4.gt(u, zero));
  if (kind == SIGMOID) return f32x4.mul(f32x4.mul(dy, f32x4.sub(one, u)), u);
  return f32x4.mul(dy, f32x4.sub(one, f32x4.mul(u, u)));
}

@inline function bwd(kind: i32, dyPtr: usize, uPtr: usize, dxPtr: usize, n: i32, slope: f32): void {
  const s = f32x4.splat(slope);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const d0 = v128.load(dyPtr + o), d1 = v128.load(dyPtr + o, 16), d2 = v128.load(dyPtr + o, 32), d3 = v128.load(dyPtr + o, 48);
    const u0 = v128.load(uPtr + o), u1 = v128.load(uPtr + o, 16), u2 = v128.load(uPtr + o, 32), u3 = v128.load(uPtr + o, 48);
    v128.store(dxPtr + o, bwdv(kind, d0, u0, s));
    v128.store(dxPtr + o, bwdv(kind, d1, u1, s), 16);
    v128.store(dxPtr + o, bwdv(kind, d2, u2, s), 32);
    v128.store(dxPtr + o, bwdv(kind, d3, u3, s), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dxPtr + o, bwdv(kind, v128.load(dyPtr + o), v128.load(uPtr + o), s));
  }
  if (i < n) {
    const o = <usize>i << 2;
    storeLanes(dxPtr + o, bwdv(kind, v128.load(dyPtr + o), v128.load(uPtr + o), s), n - i);
  }
}

/**
 * dx[i] = x[i] > 0 ? dy[i] : 0, or rather 0 where x[i] ≤ 0 (PyTorch: a NaN x passes dy). u = x.
 * @split rows count=n move=dyPtr,xPtr,dxPtr align=16 grain=64 cost=0.15
 */
export function relu_bwd_f32_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, n: i32): void {
  bwd(RELU, dyPtr, xPtr, dxPtr, n, 0);
}

/**
 * dx[i] = x[i] > 0 ? dy[i] : negativeSlope·dy[i]. u = x.
 * @split rows count=n move=dyPtr,xPtr,dxPtr align=16 grain=64 cost=0.15
 */
export function leaky_relu_bwd_f32_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, n: i32, negativeSlope: f32): void {
  bwd(LEAKY, dyPtr, xPtr, dxPtr, n, negativeSlope);
}

/**
 * dx[i] = dy[i]·(1 − y[i])·y[i] with y the forward output sigmoid(x).
 * @split rows count=n move=dyPtr,yPtr,dxPtr align=16 grain=64 cost=0.15
 */
export function sigmoid_bwd_f32_simd(dyPtr: usize, yPtr: usize, dxPtr: usize, n: i32): void {
  bwd(SIGMOID, dyPtr, yPtr, dxPtr, n, 0);
}

/**
 * dx[i] = dy[i]·(1 − y[i]²) with y the forward output tanh(x).
 * @split rows count=n move=dyPtr,yPtr,dxPtr align=16 grain=64 cost=0.15
 */
export function tanh_bwd_f32_simd(dyPtr: usize, yPtr: usize, dxPtr: usize, n: i32): void {
  bwd(TANH, dyPtr, yPtr, dxPtr, n, 0);
}
