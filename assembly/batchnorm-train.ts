// Batch normalization, NC[spatial] layouts, training: per-channel batch statistics over N·hw
// values (f64 totals), the running-average update, the inference fold (batchnorm_fold_f32_simd in
// assembly/batchnorm.ts), then a pass that centres before scaling; backward: per-channel sums, a
// fold into coefficients, one pass for dx. Shared sums and conversions: assembly/batchnorm-common.ts.
import { hsum64 } from "./vmath";
import { BLOCK, sum64, devsums64, wideLo, wideHi, narrow, storeFirst } from "./batchnorm-common";

// ---- training ----------------------------------------------------------------------------

/**
 * Batch statistics of channels c in [cStart, cEnd) over the M = N·hw values x[n, c, i]:
 * mean[c] = Σx/M rounded to f32, invStd[c] = 1/√(var + eps) with var = Σ(x − mean)²/M (biased),
 * stats[0, c] = var, stats[1, c] = δ = the mean's f32 rounding residual (f64 mean − mean[c]).
 * xPtr: f32 [N, C, hw]; meanPtr, invStdPtr: f32 [C]; statsPtr: f32 [2, C]. Needs M ≥ 1.
 * hw ≥ 2: per channel a blocked sum (16 floats per step), then deviations and their squares
 * (8 per step) correct the mean and give the variance. hw = 1 ([N, C]): 4 channels per v128 down
 * the rows in f64 lanes; the last group reads up to 3 floats past the row (the next row or the
 * padding) and stores only its own channels.
 * @split range start=cStart end=cEnd align=4 cost=N*hw*0.3
 */
export function batchnorm_stats_f32_simd(xPtr: usize, meanPtr: usize, invStdPtr: usize, statsPtr: usize, N: i32, C: i32, hw: i32, eps: f64, cStart: i32, cEnd: i32): void {
  const M = <f64>N * <f64>hw;
  const row = <usize>C << 2;
  if (hw == 1) {
    const invM = f64x2.splat(1 / M), e = f64x2.splat(eps), one = f64x2.splat(1);
    for (let c = cStart; c < cEnd; c += 4) {
      const xc = xPtr + (<usize>c << 2);
      let slo = f64x2.splat(0), shi = f64x2.splat(0);
      for (let n = 0; n < N; n++) {
        const v = v128.load(xc + <usize>n * row);
        slo = f64x2.add(slo, wideLo(v));
        shi = f64x2.add(shi, wideHi(v));
      }
      // f64 sums of f32 values: exact enough that the mean needs no correction pass
      const mlo = f64x2.mul(slo, invM), mhi = f64x2.mul(shi, invM);
      const m32 = narrow(mlo, mhi);
      let qlo = f64x2.splat(0), qhi = f64x2.splat(0);
      for (let n = 0; n < N; n++) {
        const d = f32x4.sub(v128.load(xc + <usize>n * row), m32);
        const dl = wideLo(d), dh = wideHi(d);
        qlo = f64x2.add(qlo, f64x2.mul(dl, dl));
        qhi = f64x2.add(qhi, f64x2.mul(dh, dh));
      }
      // Σ(x − m)²/M = var + δ² for the rounded m
      const elo = f64x2.sub(mlo, wideLo(m32)), ehi = f64x2.sub(mhi, wideHi(m32));
      const vlo = f64x2.max(f64x2.sub(f64x2.mul(qlo, invM), f64x2.mul(elo, elo)), f64x2.splat(0));
      const vhi = f64x2.max(f64x2.sub(f64x2.mul(qhi, invM), f64x2.mul(ehi, ehi)), f64x2.splat(0));
      const k = cEnd - c, o = <usize>c << 2;
      storeFirst(meanPtr + o, m32, k);
      storeFirst(statsPtr + o, narrow(vlo, vhi), k);
      storeFirst(statsPtr + row + o, narrow(elo, ehi), k);
      storeFirst(invStdPtr + o, narrow(f64x2.div(one, f64x2.sqrt(f64x2.add(vlo, e))), f64x2.div(one, f64x2.sqrt(f64x2.add(vhi, e)))), k);
    }
    return;
  }
  const planeBytes = (<usize>hw) << 2;
  for (let c = cStart; c < cEnd; c++) {
    let s: f64 = 0;
    for (let n = 0; n < N; n++) s += sum64(xPtr + (<usize>n * <usize>C + <usize>c) * planeBytes, hw);
    const m0 = <f32>(s / M);
    let d = f64x2.splat(0);
    for (let n = 0; n < N; n++) d = f64x2.add(d, devsums64(xPtr + (<usize>n * <usize>C + <usize>c) * planeBytes, hw, f32x4.splat(m0)));
    const shift = f64x2.extract_lane(d, 0) / M;
    const mean = <f64>m0 + shift;
    const v = max(f64x2.extract_lane(d, 1) / M - shift * shift, 0);
    const m32 = <f32>mean;
    const o = <usize>c << 2;
    store<f32>(meanPtr + o, m32);
    store<f32>(invStdPtr + o, <f32>(1 / Math.sqrt(v + eps)));
    store<f32>(statsPtr + o, <f32>v);
    store<f32>(statsPtr + row + o, <f32>(mean - <f64>m32));
  }
}

/**
 * runningMean[c] = (1 − momentum)·runningMean[c] + momentum·mean[c] and runningVar[c] likewise
 * with var[c]·unbias (unbias = M/(M − 1): PyTorch keeps the unbiased variance), in place, for c
 * in [0, C). All pointers f32 [C]; runMeanPtr or runVarPtr 0 skips that update. Tail scalar.
 */
export function batchnorm_update_running_f32_simd(meanPtr: usize, varPtr: usize, runMeanPtr: usize, runVarPtr: usize, C: i32, momentum: f32, unbias: f32): void {
  const keep: f32 = 1 - momentum;
  const kv = f32x4.splat(keep), mv = f32x4.splat(momentum), uv = f32x4.splat(momentum * unbias);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const o = <usize>c << 2;
    if (runMeanPtr != 0) v128.store(runMeanPtr + o, f32x4.add(f32x4.mul(kv, v128.load(runMeanPtr + o)), f32x4.mul(mv, v128.load(meanPtr + o))));
    if (runVarPtr != 0) v128.store(runVarPtr + o, f32x4.add(f32x4.mul(kv, v128.load(runVarPtr + o)), f32x4.mul(uv, v128.load(varPtr + o))));
  }
  for (; c < C; c++) {
    const o = <usize>c << 2;
    if (runMeanPtr != 0) store<f32>(runMeanPtr + o, keep * load<f32>(runMeanPtr + o) + momentum * load<f32>(meanPtr + o));
    if (runVarPtr != 0) store<f32>(runVarPtr + o, keep * load<f32>(runVarPtr + o) + momentum * unbias * load<f32>(varPtr + o));
  }
}

/**
 * y[p, i] = (x[p, i] − mean[c])·scale[c] + shift[c], c = p mod C, for planes p = n·C + c in
 * [planeStart, planeEnd): training's normalization, centred before scaling so a large 1/σ
 * multiplies only the small deviation (x·scale + (shift − mean·scale) would cancel). xPtr, yPtr:
 * f32 [N, C, hw] (in place is fine); meanPtr, scalePtr, shiftPtr: f32 [C]. hw ≥ 2 along the
 * plane (8 then 4 per step, scalar tail); hw = 1 across channels 4 at a time, scalar tail.
 * @split range start=planeStart end=planeEnd cost=hw*0.1
 */
export function batchnorm_train_f32_simd(xPtr: usize, yPtr: usize, meanPtr: usize, scalePtr: usize, shiftPtr: usize, C: i32, hw: i32, planeStart: i32, planeEnd: i32): void {
  if (hw == 1) {
    let p = planeStart;
    while (p < planeEnd) {
      const c0 = p % C;
      const len = min(C - c0, planeEnd - p);
      const xp = xPtr + (<usize>p << 2), yp = yPtr + (<usize>p << 2), k = <usize>c0 << 2;
      let c = 0;
      for (; c + 4 <= len; c += 4) {
        const o = <usize>c << 2;
        const d = f32x4.sub(v128.load(xp + o), v128.load(meanPtr + k + o));
        v128.store(yp + o, f32x4.add(f32x4.mul(d, v128.load(scalePtr + k + o)), v128.load(shiftPtr + k + o)));
      }
      for (; c < len; c++) {
        const o = <usize>c << 2;
        store<f32>(yp + o, (load<f32>(xp + o) - load<f32>(meanPtr + k + o)) * load<f32>(scalePtr + k + o) + load<f32>(shiftPtr + k + o));
      }
      p += len;
    }
    return;
  }
  for (let p = planeStart; p < planeEnd; p++) {
    const k = <usize>(p % C) << 2;
    const m = load<f32>(meanPtr + k), sc = load<f32>(scalePtr + k), sh = load<f32>(shiftPtr + k);
    const mv = f32x4.splat(m), scv = f32x4.splat(sc), shv = f32x4.splat(sh);
    const xp = xPtr + ((<usize>p * <usize>hw) << 2), yp = yPtr + ((<usize>p * <usize>hw) << 2);
    let i = 0;
    for (; i + 8 <= hw; i += 8) {
      const o = <usize>i << 2;
      const v0 = v128.load(xp + o), v1 = v128.load(xp + o, 16);
      v128.store(yp + o, f32x4.add(f32x4.mul(f32x4.sub(v0, mv), scv), shv));
      v128.store(yp + o, f32x4.add(f32x4.mul(f32x4.sub(v1, mv), scv), shv), 16);
    }
    for (; i + 4 <= hw; i += 4) {
      const o = <usize>i << 2;
      v128.store(yp + o, f32x4.add(f32x4.mul(f32x4.sub(v128.load(xp + o), mv), scv), shv));
    }
    for (; i < hw; i++) {
      const o = <usize>i << 2;
      store<f32>(yp + o, (load<f32>(xp + o) - m) * sc + sh);
    }
  }
}

// ---- backward ----------------------------------------------------------------------------

/**
 * Per channel c in [cStart, cEnd), over its N·hw values, with m = mean[c]:
 * sums[0, c] = Σ dy·(x − m), sums[1, c] = Σ dy, sums[2, c] = Σ (x − m) (overwritten; blocked sums
 * with f64 totals; the last lets the fold recover the mean's f32 rounding). dyPtr, xPtr: f32
 * [N, C, hw]; meanPtr: f32 [C]; sumsPtr: f32 [3, C]. Layouts and tails as batchnorm_stats_f32_simd
 * (hw = 1 also reads up to 3 floats past mean).
 * @split range start=cStart end=cEnd align=4 cost=N*hw*0.3
 */
export function batchnorm_bwd_reduce_f32_simd(dyPtr: usize, xPtr: usize, meanPtr: usize, sumsPtr: usize, N: i32, C: i32, hw: i32, cStart: i32, cEnd: i32): void {
  const row = <usize>C << 2;
  if (hw == 1) {
    for (let c = cStart; c < cEnd; c += 4) {
      const o = <usize>c << 2;
      const m = v128.load(meanPtr + o);
      let alo = f64x2.splat(0), ahi = f64x2.splat(0), blo = f64x2.splat(0), bhi = f64x2.splat(0), elo = f64x2.splat(0), ehi = f64x2.splat(0);
      for (let n = 0; n < N; n++) {
        const q = <usize>n * row + o;
        const g = v128.load(dyPtr + q);
        const d = f32x4.sub(v128.load(xPtr + q), m);
        const gd = f32x4.mul(g, d);
        alo = f64x2.add(alo, wideLo(gd));
        ahi = f64x2.add(ahi, wideHi(gd));
        blo = f64x2.add(blo, wideLo(g));
        bhi = f64x2.add(bhi, wideHi(g));
        elo = f64x2.add(elo, wideLo(d));
        ehi = f64x2.add(ehi, wideHi(d));
      }
      const k = cEnd - c;
      storeFirst(sumsPtr + o, narrow(alo, ahi), k);
      storeFirst(sumsPtr + row + o, narrow(blo, bhi), k);
      storeFirst(sumsPtr + 2 * row + o, narrow(elo, ehi), k);
    }
    return;
  }
  for (let c = cStart; c < cEnd; c++) {
    const o = <usize>c << 2;
    const ms = load<f32>(meanPtr + o);
    const m = f32x4.splat(ms);
    let ta: f64 = 0, tb: f64 = 0, te: f64 = 0;
    for (let n = 0; n < N; n++) {
      const base = (<usize>n * <usize>C + <usize>c) * (<usize>hw << 2);
      const gp = dyPtr + base, xp = xPtr + base;
      let i = 0;
      while (i < hw) {
        const end = min(hw, i + BLOCK);
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0), e0 = f32x4.splat(0), e1 = f32x4.splat(0);
        for (; i + 8 <= end; i += 8) {
          const q = <usize>i << 2;
          const g0 = v128.load(gp + q), g1 = v128.load(gp + q, 16);
          const d0 = f32x4.sub(v128.load(xp + q), m), d1 = f32x4.sub(v128.load(xp + q, 16), m);
          a0 = f32x4.add(a0, f32x4.mul(g0, d0));
          a1 = f32x4.add(a1, f32x4.mul(g1, d1));
          b0 = f32x4.add(b0, g0);
          b1 = f32x4.add(b1, g1);
          e0 = f32x4.add(e0, d0);
          e1 = f32x4.add(e1, d1);
        }
        for (; i + 4 <= end; i += 4) {
          const q = <usize>i << 2;
          const g = v128.load(gp + q), d = f32x4.sub(v128.load(xp + q), m);
          a0 = f32x4.add(a0, f32x4.mul(g, d));
          b0 = f32x4.add(b0, g);
          e0 = f32x4.add(e0, d);
        }
        ta += hsum64(f32x4.add(a0, a1));
        tb += hsum64(f32x4.add(b0, b1));
        te += hsum64(f32x4.add(e0, e1));
        for (; i < end; i++) {
          const q = <usize>i << 2;
          const g = load<f32>(gp + q), d = load<f32>(xp + q) - ms;
          ta += <f64>(g * d);
          tb += <f64>g;
          te += <f64>d;
        }
      }
    }
    store<f32>(sumsPtr + o, <f32>ta);
    store<f32>(sumsPtr + row + o, <f32>tb);
    store<f32>(sumsPtr + 2 * row + o, <f32>te);
  }
}

/**
 * Per channel c in [0, C), from sums[0..2, c] = (Σ dy·(x − m), Σ dy, Σ (x − m)) with m = mean[c]:
 * δ = sums[2, c]/M (the batch mean is m + δ), s = invStd[c], w = weight[c] (1 when weightPtr is 0),
 * S = s·(sums[0, c] − δ·sums[1, c]) (= Σ dy·x̂), B = sums[1, c] (= Σ dy), and
 * coef[0..4, c] = (w·s, B/M, −w·s²·S/M, m, w·s²·S/M·δ), so that
 * dx = coef0·(dy − coef1) + coef2·(x − coef3) + coef4; dWeight[c] += S, dBias[c] += B (pointers
 * 0: skipped). sumsPtr: f32 [3, C]; coefPtr: f32 [5, C] output; the rest f32 [C]; invM = 1/M.
 * Tail scalar.
 */
export function batchnorm_bwd_fold_f32_simd(sumsPtr: usize, meanPtr: usize, invStdPtr: usize, weightPtr: usize, coefPtr: usize, dWeightPtr: usize, dBiasPtr: usize, C: i32, invM: f32): void {
  const row = <usize>C << 2;
  const im = f32x4.splat(invM), one = f32x4.splat(1), zero = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const o = <usize>c << 2;
    const s = v128.load(invStdPtr + o);
    const B = v128.load(sumsPtr + row + o);
    const delta = f32x4.mul(v128.load(sumsPtr + 2 * row + o), im);
    const S = f32x4.mul(f32x4.sub(v128.load(sumsPtr + o), f32x4.mul(delta, B)), s);
    const a = f32x4.mul(weightPtr != 0 ? v128.load(weightPtr + o) : one, s);
    const b = f32x4.sub(zero, f32x4.mul(f32x4.mul(a, s), f32x4.mul(S, im)));
    v128.store(coefPtr + o, a);
    v128.store(coefPtr + row + o, f32x4.mul(B, im));
    v128.store(coefPtr + 2 * row + o, b);
    v128.store(coefPtr + 3 * row + o, v128.load(meanPtr + o));
    v128.store(coefPtr + 4 * row + o, f32x4.sub(zero, f32x4.mul(b, delta)));
    if (dWeightPtr != 0) v128.store(dWeightPtr + o, f32x4.add(v128.load(dWeightPtr + o), S));
    if (dBiasPtr != 0) v128.store(dBiasPtr + o, f32x4.add(v128.load(dBiasPtr + o), B));
  }
  for (; c < C; c++) {
    const o = <usize>c << 2;
    const s = load<f32>(invStdPtr + o);
    const B = load<f32>(sumsPtr + row + o);
    const delta = load<f32>(sumsPtr + 2 * row + o) * invM;
    const S = (load<f32>(sumsPtr + o) - delta * B) * s;
    const a = (weightPtr != 0 ? load<f32>(weightPtr + o) : 1) * s;
    const b = -(a * s) * (S * invM);
    store<f32>(coefPtr + o, a);
    store<f32>(coefPtr + row + o, B * invM);
    store<f32>(coefPtr + 2 * row + o, b);
    store<f32>(coefPtr + 3 * row + o, load<f32>(meanPtr + o));
    store<f32>(coefPtr + 4 * row + o, -b * delta);
    if (dWeightPtr != 0) store<f32>(dWeightPtr + o, load<f32>(dWeightPtr + o) + S);
    if (dBiasPtr != 0) store<f32>(dBiasPtr + o, load<f32>(dBiasPtr + o) + B);
  }
}

/**
 * dx[p, i] = a·(dy[p, i] − mb) + b·(x[p, i] − m) + d with (a, mb, b, m, d) = coef[0..4, p mod C]
 * (each product rounds relative to its own small factor: no large terms cancel), for planes
 * p = n·C + c in [planeStart, planeEnd). dyPtr, xPtr, dxPtr: f32 [N, C, hw] (dx may be dy);
 * coefPtr: f32 [5, C] from batchnorm_bwd_fold_f32_simd. hw ≥ 2 along the plane (8 then 4 per
 * step, scalar tail); hw = 1 across channels 4 at a time, scalar tail.
 * @split range start=planeStart end=planeEnd cost=hw*0.15
 */
export function batchnorm_bwd_data_f32_simd(dyPtr: usize, xPtr: usize, dxPtr: usize, coefPtr: usize, C: i32, hw: i32, planeStart: i32, planeEnd: i32): void {
  const row = <usize>C << 2;
  if (hw == 1) {
    let p = planeStart;
    while (p < planeEnd) {
      const c0 = p % C;
      const len = min(C - c0, planeEnd - p);
      const o0 = <usize>p << 2, k0 = coefPtr + (<usize>c0 << 2);
      let c = 0;
      for (; c + 4 <= len; c += 4) {
        const o = <usize>c << 2, k = k0 + o;
        const t = f32x4.mul(v128.load(k), f32x4.sub(v128.load(dyPtr + o0 + o), v128.load(k + row)));
        const u = f32x4.mul(v128.load(k + 2 * row), f32x4.sub(v128.load(xPtr + o0 + o), v128.load(k + 3 * row)));
        v128.store(dxPtr + o0 + o, f32x4.add(f32x4.add(t, u), v128.load(k + 4 * row)));
      }
      for (; c < len; c++) {
        const o = <usize>c << 2, k = k0 + o;
        const t = load<f32>(k) * (load<f32>(dyPtr + o0 + o) - load<f32>(k + row));
        const u = load<f32>(k + 2 * row) * (load<f32>(xPtr + o0 + o) - load<f32>(k + 3 * row));
        store<f32>(dxPtr + o0 + o, t + u + load<f32>(k + 4 * row));
      }
      p += len;
    }
    return;
  }
  for (let p = planeStart; p < planeEnd; p++) {
    const k = coefPtr + (<usize>(p % C) << 2);
    const a = load<f32>(k), mb = load<f32>(k + row), b = load<f32>(k + 2 * row), m = load<f32>(k + 3 * row), d = load<f32>(k + 4 * row);
    const av = f32x4.splat(a), mbv = f32x4.splat(mb), bv = f32x4.splat(b), mv = f32x4.splat(m), dv = f32x4.splat(d);
    const base = (<usize>p * <usize>hw) << 2;
    const gp = dyPtr + base, xp = xPtr + base, yp = dxPtr + base;
    let i = 0;
    for (; i + 8 <= hw; i += 8) {
      const o = <usize>i << 2;
      const t0 = f32x4.mul(av, f32x4.sub(v128.load(gp + o), mbv)), t1 = f32x4.mul(av, f32x4.sub(v128.load(gp + o, 16), mbv));
      const u0 = f32x4.mul(bv, f32x4.sub(v128.load(xp + o), mv)), u1 = f32x4.mul(bv, f32x4.sub(v128.load(xp + o, 16), mv));
      v128.store(yp + o, f32x4.add(f32x4.add(t0, u0), dv));
      v128.store(yp + o, f32x4.add(f32x4.add(t1, u1), dv), 16);
    }
    for (; i + 4 <= hw; i += 4) {
      const o = <usize>i << 2;
      const t = f32x4.mul(av, f32x4.sub(v128.load(gp + o), mbv)), u = f32x4.mul(bv, f32x4.sub(v128.load(xp + o), mv));
      v128.store(yp + o, f32x4.add(f32x4.add(t, u), dv));
    }
    for (; i < hw; i++) {
      const o = <usize>i << 2;
      store<f32>(yp + o, a * (load<f32>(gp + o) - mb) + b * (load<f32>(xp + o) - m) + d);
    }
  }
}
