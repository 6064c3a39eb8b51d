// Fused in-place optimizer steps over one parameter span (one call per parameter tensor, or a
// sub-range of one: every array is indexed from its own start). PyTorch's update formulas
// (torch.optim.SGD, Adam, AdamW; single-tensor, no amsgrad, no maximize). Hyper-parameters
// arrive as f64, as Python floats do, and are rounded to f32 once, as PyTorch's f32 kernels do.
// Pointers are byte addresses of n f32, all distinct; counts in elements. Main loop 8 per step
// (two vectors), then 4; the n mod 4 tail is scalar because every array is written in place.

/** Bits of sgd_f32_simd's `flags`. */
const SGD_MOMENTUM = 1; // momentum ≠ 0: bufPtr holds the momentum buffer
const SGD_FIRST = 2; // first step: buf = g
const SGD_NESTEROV = 4;
const SGD_DECAY = 8; // weightDecay ≠ 0 (skipped otherwise, so an infinite p gives no 0·∞)

// One SGD vector. The bool parameters are constants at every call site (the branches fold away).
@inline function sgdv(
  p: v128, g: v128, buf: usize, lr: v128, mom: v128, damp1: v128, wd: v128,
  decay: bool, useBuf: bool, first: bool, nesterov: bool,
): v128 {
  if (decay) g = f32x4.add(g, f32x4.mul(wd, p));
  if (useBuf) {
    const b = first ? g : f32x4.add(f32x4.mul(mom, v128.load(buf)), f32x4.mul(damp1, g));
    v128.store(buf, b);
    g = nesterov ? f32x4.add(g, f32x4.mul(mom, b)) : b;
  }
  return f32x4.sub(p, f32x4.mul(lr, g));
}

@inline function sgds(
  p: f32, g: f32, buf: usize, lr: f32, mom: f32, damp1: f32, wd: f32,
  decay: bool, useBuf: bool, first: bool, nesterov: bool,
): f32 {
  if (decay) g += wd * p;
  if (useBuf) {
    const b = first ? g : mom * load<f32>(buf) + damp1 * g;
    store<f32>(buf, b);
    g = nesterov ? g + mom * b : b;
  }
  return p - lr * g;
}

@inline function sgdLoop(
  pPtr: usize, gPtr: usize, bufPtr: usize, n: i32, lrf: f32, momf: f32, damp1f: f32, wdf: f32,
  decay: bool, useBuf: bool, first: bool, nesterov: bool,
): void {
  const lr = f32x4.splat(lrf), mom = f32x4.splat(momf), damp1 = f32x4.splat(damp1f), wd = f32x4.splat(wdf);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const p0 = v128.load(pPtr + o), p1 = v128.load(pPtr + o, 16);
    const g0 = v128.load(gPtr + o), g1 = v128.load(gPtr + o, 16);
    v128.store(pPtr + o, sgdv(p0, g0, bufPtr + o, lr, mom, damp1, wd, decay, useBuf, first, nesterov));
    v128.store(pPtr + o, sgdv(p1, g1, bufPtr + o + 16, lr, mom, damp1, wd, decay, useBuf, first, nesterov), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(pPtr + o, sgdv(v128.load(pPtr + o), v128.load(gPtr + o), bufPtr + o, lr, mom, damp1, wd, decay, useBuf, first, nesterov));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(pPtr + o, sgds(load<f32>(pPtr + o), load<f32>(gPtr + o), bufPtr + o, lrf, momf, damp1f, wdf, decay, useBuf, first, nesterov));
  }
}

@inline function sgdMomentum(
  pPtr: usize, gPtr: usize, bufPtr: usize, n: i32, lr: f32, mom: f32, damp1: f32, wd: f32, decay: bool, flags: i32,
): void {
  if ((flags & SGD_MOMENTUM) == 0) sgdLoop(pPtr, gPtr, 0, n, lr, mom, damp1, wd, decay, false, false, false);
  else if ((flags & SGD_FIRST) != 0) {
    if ((flags & SGD_NESTEROV) != 0) sgdLoop(pPtr, gPtr, bufPtr, n, lr, mom, damp1, wd, decay, true, true, true);
    else sgdLoop(pPtr, gPtr, bufPtr, n, lr, mom, damp1, wd, decay, true, true, false);
  } else if ((flags & SGD_NESTEROV) != 0) sgdLoop(pPtr, gPtr, bufPtr, n, lr, mom, damp1, wd, decay, true, false, true);
  else sgdLoop(pPtr, gPtr, bufPtr, n, lr, mom, damp1, wd, decay, true, false, false);
}

/**
 * One SGD step (torch.optim.SGD) over p[0..n), in place:
 *   g = grad + weightDecay·p                              (if weightDecay ≠ 0)
 *   buf = first ? g : momentum·buf + (1 − dampening)·g    (if momentum ≠ 0)
 *   g = nesterov ? g + momentum·buf : buf                 (if momentum ≠ 0)
 *   p = p − lr·g
 * flags: 1 momentum buffer in use (bufPtr ignored without it), 2 first step, 4 nesterov,
 * 8 weight decay. gPtr is only read. Tail: scalar.
 * @split rows count=n move=pPtr,gPtr,bufPtr align=16 grain=64 cost=0.3
 */
export function sgd_f32_simd(
  pPtr: usize, gPtr: usize, bufPtr: usize, n: i32, lr: f64, momentum: f64, dampening: f64, weightDecay: f64, flags: i32,
): void {
  const lrf = <f32>lr, mom = <f32>momentum, damp1 = <f32>(1.0 - dampening), wd = <f32>weightDecay;
  if ((flags & SGD_DECAY) != 0) sgdMomentum(pPtr, gPtr, bufPtr, n, lrf, mom, damp1, wd, true, flags);
  else sgdMomentum(pPtr, gPtr, bufPtr, n, lrf, mom, damp1, wd, false, flags);
}

// One Adam vector: updates m and v in memory, returns the new p.
@inline function adamv(
  p: v128, g: v128, mp: usize, vp: usize, b1: v128, c1: v128, b2: v128, c2: v128, eps: v128,
  step: v128, bc2: v128, wd: v128, keep: v128, l2: bool,
): v128 {
  if (l2) g = f32x4.add(g, f32x4.mul(wd, p));
  p = f32x4.mul(p, keep);
  const m = f32x4.add(f32x4.mul(b1, v128.load(mp)), f32x4.mul(c1, g));
  const v = f32x4.add(f32x4.mul(b2, v128.load(vp)), f32x4.mul(c2, f32x4.mul(g, g)));
  v128.store(mp, m);
  v128.store(vp, v);
  const denom = f32x4.add(f32x4.div(f32x4.sqrt(v), bc2), eps);
  return f32x4.sub(p, f32x4.mul(step, f32x4.div(m, denom)));
}

@inline function adamLoop(
  pPtr: usize, gPtr: usize, mPtr: usize, vPtr: usize, n: i32,
  b1f: f32, c1f: f32, b2f: f32, c2f: f32, epsf: f32, stepf: f32, bc2f: f32, wdf: f32, keepf: f32, l2: bool,
): void {
  const b1 = f32x4.splat(b1f), c1 = f32x4.splat(c1f), b2 = f32x4.splat(b2f), c2 = f32x4.splat(c2f);
  const eps = f32x4.splat(epsf), step = f32x4.splat(stepf), bc2 = f32x4.splat(bc2f), wd = f32x4.splat(wdf), keep = f32x4.splat(keepf);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const p0 = v128.load(pPtr + o), p1 = v128.load(pPtr + o, 16);
    const g0 = v128.load(gPtr + o), g1 = v128.load(gPtr + o, 16);
    v128.store(pPtr + o, adamv(p0, g0, mPtr + o, vPtr + o, b1, c1, b2, c2, eps, step, bc2, wd, keep, l2));
    v128.store(pPtr + o, adamv(p1, g1, mPtr + o + 16, vPtr + o + 16, b1, c1, b2, c2, eps, step, bc2, wd, keep, l2), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(pPtr + o, adamv(v128.load(pPtr + o), v128.load(gPtr + o), mPtr + o, vPtr + o, b1, c1, b2, c2, eps, step, bc2, wd, keep, l2));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let p = load<f32>(pPtr + o), g = load<f32>(gPtr + o);
    if (l2) g += wdf * p;
    p *= keepf;
    const m = b1f * load<f32>(mPtr + o) + c1f * g;
    const v = b2f * load<f32>(vPtr + o) + c2f * (g * g);
    store<f32>(mPtr + o, m);
    store<f32>(vPtr + o, v);
    store<f32>(pPtr + o, p - stepf * (m / (Mathf.sqrt(v) / bc2f + epsf)));
  }
}

/**
 * One Adam / AdamW step (torch.optim.Adam, AdamW) over p[0..n), in place:
 *   g = grad + weightDecay·p                    (Adam's L2 form; pass weightDecay 0 for AdamW)
 *   p = p·decay                                 (AdamW: decay = 1 − lr·wd; Adam: 1)
 *   m = beta1·m + (1 − beta1)·g;   v = beta2·v + (1 − beta2)·g²
 *   p = p − stepSize·m / (√v / bc2Sqrt + eps)
 * with stepSize = lr/(1 − beta1^step) and bc2Sqrt = √(1 − beta2^step) from the op (f64).
 * gPtr is only read; m and v are updated in place. Square root by f32x4.sqrt. Tail: scalar.
 * @split rows count=n move=pPtr,gPtr,mPtr,vPtr align=16 grain=64 cost=0.5
 */
export function adam_f32_simd(
  pPtr: usize, gPtr: usize, mPtr: usize, vPtr: usize, n: i32,
  beta1: f64, beta2: f64, eps: f64, stepSize: f64, bc2Sqrt: f64, weightDecay: f64, decay: f64,
): void {
  const b1 = <f32>beta1, c1 = <f32>(1.0 - beta1), b2 = <f32>beta2, c2 = <f32>(1.0 - beta2);
  const e = <f32>eps, st = <f32>stepSize, bc = <f32>bc2Sqrt, wd = <f32>weightDecay, keep = <f32>decay;
  if (weightDecay != 0) adamLoop(pPtr, gPtr, mPtr, vPtr, n, b1, c1, b2, c2, e, st, bc, wd, keep, true);
  else adamLoop(pPtr, gPtr, mPtr, vPtr, n, b1, c1, b2, c2, e, st, bc, wd, keep, false);
}
