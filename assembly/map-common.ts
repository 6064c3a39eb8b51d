// The loops of the elementwise maps (unary.ts, clip.ts, gated.ts): y = f(x) and dx = g(dy, u) over
// flat f32 arrays, with up to two f32 parameters splatted once. Not in index.ts: inlined.
//
// F is a class whose @inline method holds the per-vector formula. It is never instantiated:
// changetype<F>(0) only names the method, which reads nothing of `this`, so each kernel inlines
// its own formula into the loop (AssemblyScript has no static members on type parameters).
// Loop: 8 elements per step, then 4, then one partial vector that reads into the allocation's
// padding and stores only the live lanes. x and y (dy and dx) may be the same array: each
// vector is loaded before its lanes are stored.

import { storeLanes } from "./vmath";

/** y[i] = F.f(x[i], p, q) for i in [0, n). */
@inline export function map<F>(xPtr: usize, yPtr: usize, n: i32, p: f32, q: f32): void {
  const k = changetype<F>(0);
  const pv = f32x4.splat(p), qv = f32x4.splat(q);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a = v128.load(xPtr + o), b = v128.load(xPtr + o, 16);
    v128.store(yPtr + o, k.f(a, pv, qv));
    v128.store(yPtr + o, k.f(b, pv, qv), 16);
  }
  for (; i < n; i += 4) {
    const o = <usize>i << 2;
    storeLanes(yPtr + o, k.f(v128.load(xPtr + o), pv, qv), n - i);
  }
}

/** dx[i] = F.g(dy[i], u[i], p, q) for i in [0, n); u is the forward input or output. */
@inline export function map2<F>(dyPtr: usize, uPtr: usize, dxPtr: usize, n: i32, p: f32, q: f32): void {
  const k = changetype<F>(0);
  const pv = f32x4.splat(p), qv = f32x4.splat(q);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const d0 = v128.load(dyPtr + o), d1 = v128.load(dyPtr + o, 16);
    const u0 = v128.load(uPtr + o), u1 = v128.load(uPtr + o, 16);
    v128.store(dxPtr + o, k.g(d0, u0, pv, qv));
    v128.store(dxPtr + o, k.g(d1, u1, pv, qv), 16);
  }
  for (; i < n; i += 4) {
    const o = <usize>i << 2;
    storeLanes(dxPtr + o, k.g(v128.load(dyPtr + o), v128.load(uPtr + o), pv, qv), n - i);
  }
}
