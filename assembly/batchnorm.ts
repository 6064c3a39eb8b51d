// Batch normalization, NC[spatial] layouts, inference: the running statistics and the affine
// parameters fold into one per-channel scale and shift, then a single pass y = x·scale + shift.
// Training (batch statistics, running-average update, normalization) and the backward are in
// assembly/batchnorm-train.ts; the fold below serves both.

/**
 * scale[c] = weight[c] / √(var[c] + eps), shift[c] = bias[c] − mean[c]·scale[c] for c in [0, C).
 * meanPtr, varPtr, weightPtr, biasPtr: f32 [C] (weightPtr 0 means 1, biasPtr 0 means 0);
 * scalePtr, shiftPtr: f32 [C] outputs. Tail (C mod 4) one channel at a time.
 */
export function batchnorm_fold_f32_simd(meanPtr: usize, varPtr: usize, weightPtr: usize, biasPtr: usize, scalePtr: usize, shiftPtr: usize, C: i32, eps: f32): void {
  const e = f32x4.splat(eps), one = f32x4.splat(1), zero = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const o = <usize>c << 2;
    const w = weightPtr != 0 ? v128.load(weightPtr + o) : one;
    const b = biasPtr != 0 ? v128.load(biasPtr + o) : zero;
    const sc = f32x4.div(w, f32x4.sqrt(f32x4.add(v128.load(varPtr + o), e)));
    v128.store(scalePtr + o, sc);
    v128.store(shiftPtr + o, f32x4.sub(b, f32x4.mul(v128.load(meanPtr + o), sc)));
  }
  for (; c < C; c++) {
    const o = <usize>c << 2;
    const w: f32 = weightPtr != 0 ? load<f32>(weightPtr + o) : 1;
    const b: f32 = biasPtr != 0 ? load<f32>(biasPtr + o) : 0;
    const sc = w / Mathf.sqrt(load<f32>(varPtr + o) + eps);
    store<f32>(scalePtr + o, sc);
    store<f32>(shiftPtr + o, b - load<f32>(meanPtr + o) * sc);
  }
}

/**
 * y[p, i] = x[p, i]·scale[p mod C] + shift[p mod C] for planes p = n·C + c in [planeStart, planeEnd)
 * and i in [0, hw). xPtr, yPtr: f32 [N, C, hw] (may be the same address: in place is fine);
 * scalePtr, shiftPtr: f32 [C]. hw ≥ 2 runs along the plane (16 then 4 per step, scalar tail);
 * hw = 1 ([N, C] input) runs across channels 4 at a time, scalar tail.
 * @split range start=planeStart end=planeEnd cost=hw*0.1
 */
export function batchnorm_f32_simd(xPtr: usize, yPtr: usize, scalePtr: usize, shiftPtr: usize, C: i32, hw: i32, planeStart: i32, planeEnd: i32): void {
  if (hw == 1) {
    let p = planeStart;
    while (p < planeEnd) {
      const c0 = p % C;
      const len = min(C - c0, planeEnd - p);
      const xp = xPtr + (<usize>p << 2), yp = yPtr + (<usize>p << 2);
      const sp = scalePtr + (<usize>c0 << 2), hp = shiftPtr + (<usize>c0 << 2);
      let c = 0;
      for (; c + 4 <= len; c += 4) {
        const o = <usize>c << 2;
        v128.store(yp + o, f32x4.add(f32x4.mul(v128.load(xp + o), v128.load(sp + o)), v128.load(hp + o)));
      }
      for (; c < len; c++) {
        const o = <usize>c << 2;
        store<f32>(yp + o, load<f32>(xp + o) * load<f32>(sp + o) + load<f32>(hp + o));
      }
      p += len;
    }
    return;
  }
  for (let p = planeStart; p < planeEnd; p++) {
    const c = p % C;
    const sc = load<f32>(scalePtr + (<usize>c << 2)), sh = load<f32>(shiftPtr + (<usize>c << 2));
    const scv = f32x4.splat(sc), shv = f32x4.splat(sh);
    const xp = xPtr + ((<usize>p * <usize>hw) << 2), yp = yPtr + ((<usize>p * <usize>hw) << 2);
    let i = 0;
    for (; i + 16 <= hw; i += 16) {
      const o = <usize>i << 2;
      const v0 = v128.load(xp + o), v1 = v128.load(xp + o, 16), v2 = v128.load(xp + o, 32), v3 = v128.load(xp + o, 48);
      v128.store(yp + o, f32x4.add(f32x4.mul(v0, scv), shv));
      v128.store(yp + o, f32x4.add(f32x4.mul(v1, scv), shv), 16);
      v128.store(yp + o, f32x4.add(f32x4.mul(v2, scv), shv), 32);
      v128.store(yp + o, f32x4.add(f32x4.mul(v3, scv), shv), 48);
    }
    for (; i + 4 <= hw; i += 4) {
      const o = <usize>i << 2;
      v128.store(yp + o, f32x4.add(f32x4.mul(v128.load(xp + o), scv), shv));
    }
    for (; i < hw; i++) {
      const o = <usize>i << 2;
      store<f32>(yp + o, load<f32>(xp + o) * sc + sh);
    }
  }
}
