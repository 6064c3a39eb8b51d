// Dense (fully connected) layer, PyTorch's F.linear: y = x·Wᵀ + b with W [out, in], and its
// backward op.
//
// Batch 1 is a GEMV of contiguous dot products over W's rows. Larger batches pack the rows of x
// into the GEMM's 8-column panels and run the SIMD GEMM with A = W (read in place, never
// repacked) and C stored transposed, straight into y [N, out].
// Backward: dx = dy·W (A = dy, B = W's rows as panels; batch 1 a transposed GEMV streaming W),
// dW += dyᵀ·x (the GEMM reads dy transposed, B = x's rows, C accumulated), db += column sums of
// dy. Operands whose rows are long or cache-aliased are packed into panels first.
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { boolArg, clampArg, fmtShape, intoArg, knownOptions, rankArg, tensorArg, xShapeArg, type ClampBounds, clampBounds } from './validate.js';
import { runOnce, withScratch, type Prepared } from './prepared.js';
/** Scratch for packed rows of x, per GEMM call. */
const PACK_BYTES = 4 * 1024 * 1024;

/**
 * y = x·weightᵀ + bias. x [N, in] (or [in], giving [out]); weight [out, in]; bias [out] or
 * null/undefined. Returns [N, out] (or [out]).
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const t = tensorArg('linear', 'x', x);
  return runOnce(checkedLinear('linear', t.shape, weight, bias), [t.ptr], (s) => Tensor.empty(s));
}

/**
 * linear followed by clamp(·, min, max) fused into the kernels' store (min = 0, max = ∞ is ReLU).
 * For graph fusion; NaN propagates as in PyTorch's relu/clamp.
 */
export function linearClamped(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, min: number, max: number): Tensor {
  const op = 'linearClamped';
  const t = tensorArg(op, 'x', x);
  const [lo, hi] = clampBounds(op, min, max);
  return runOnce(checkedLinear(op, t.shape, weight, bias, { min: lo, max: hi }), [t.ptr], (s) => Tensor.empty(s));
}

/**
 * Prepares linear (with an optional fused clamp) for inputs of shape xShape, binding weight and
 * bias (which must stay alive while the Prepared is used): outShape [N, out] (or [out]); scratch
 * for x's rows packed into panels when N > 1. run([x], y, scratch) only calls kernels.
 */
export function prepareLinear(xShape: Shape, weight: Tensor, bias?: Tensor | null, clamp?: ClampBounds): Prepared {
  return checkedLinear(clamp === undefined ? 'linear' : 'linearClamped', xShape, weight, bias, clamp);
}

function checkedLinear(op: string, xShape: Shape, weight: Tensor, bias?: Tensor | null, clamp?: ClampBounds): Prepared {
  const xs = xShapeArg(op, xShape, [1, 2], '[N, in] or [in]');
  const w = rankArg(op, 'weight', weight, 2, 'out, in');
  const b = bias === undefined || bias === null ? null : rankArg(op, 'bias', bias, 1, 'out');
  const [out, inF] = w.shape;
  const n = xs.length === 2 ? xs[0] : 1;
  const xin = xs[xs.length - 1];
  if (out < 1 || inF < 1) throw new RangeError(`${op}: weight ${fmtShape(w.shape)} must have at least one row and one column`);
  if (xin !== inF) {
    throw new RangeError(`${op}: x ${fmtShape(xs)} has ${xin} features but weight ${fmtShape(w.shape)} expects ${inF} (weight is [out, in])`);
  }
  if (b !== null && b.shape[0] !== out) {
    throw new RangeError(`${op}: bias has shape ${fmtShape(b.shape)} but weight ${fmtShape(w.shape)} has ${out} outputs; bias must be [${out}]`);
  }
  const [min, max] = clampArg(op, clamp);
  const outShape = xs.length === 2 ? [n, out] : [out];
  const d = denseRun(n, inF, out, w.ptr, b ? b.ptr : 0, min, max);
  return { outShape, scratchBytes: d.scratchBytes, run: (inputs, yp, scratch) => d.run(inputs[0], yp, scratch), dispose() {} };
}

/** The kernel schedule of a dense layer: run(x, y, scratch) with x [n, inF], y [n, out] (byte addresses). */
export interface DenseRun {
  scratchBytes: number;
  run(xp: number, yp: number, scratch: number): void;
}

/**
 * y [n, out] = clamp(x [n, inF]·Wᵀ + b) with W [out, inF] at wp and b at bp (or 0), checked by the
 * caller. Also the schedule of a convolution whose single output pixel's window is its whole input
 * (conv2d.ts). Batch 1: one GEMV; larger batches: rows of x packed into panels, then the GEMM with
 * C stored transposed.
 */
export function denseRun(n: number, inF: number, out: number, wp: number, bp: number, min: number, max: number): DenseRun {
  const k = kernels();
  if (n <= 1) return { scratchBytes: 0, run: (xp, yp) => { if (n === 1) k.gemv_f32_minmax_simd(wp, inF, xp, yp, bp, out, inF, min, max); } };
  // rows of x per GEMM call: the packed panels stay within PACK_BYTES (W is streamed once per call)
  const rows = Math.min(Math.ceil(n / 8) * 8, Math.max(8, Math.floor(PACK_BYTES / (inF * 4 * 8)) * 8));
  return {
    scratchBytes: rows * inF * 4,
    run(xp, yp, packed) {
      for (let r0 = 0; r0 < n; r0 += rows) {
        const cnt = Math.min(rows, n - r0);
        k.gemm_pack_f32_t_p8_simd(xp + r0 * inF * 4, inF, packed, cnt, inF);
        k.gemm_f32_ct_4x8_minmax_simd(wp, inF, packed, 8, 8 * inF, yp + r0 * out * 4, out, bp, out, cnt, inF, min, max);
      }
    },
  };
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────

export interface LinearBackwardOptions {
  /** Add dW into this [out, in] tensor and return it as dw (default: a new zero-filled one). */
  weightGradInto?: Tensor;
  /** Add db into this [out] tensor and return it as db (default: a new zero-filled one). */
  biasGradInto?: Tensor;
  /** Compute dx (default true). */
  inputGrad?: boolean;
  /** Compute dW (default true). */
  weightGrad?: boolean;
  /** Compute db (default true). */
  biasGrad?: boolean;
}

export interface LinearGrads {
  dx: Tensor | null;
  dw: Tensor | null;
  db: Tensor | null;
}

const BWD_KEYS = ['weightGradInto', 'biasGradInto', 'inputGrad', 'weightGrad', 'biasGrad'] as const;

/**
 * True when the GEMM may read a row-major [rows, n] matrix as 8-column panels in place: it
 * over-reads ≤ 3 floats past the last row (n mod 8 = 0 or ≥ 5), and walking down a panel does
 * not thrash the cache (rows ≤ 1024 floats, and not a multiple of 512 bytes, which would map
 * the panel's rows onto a few cache sets).
 */
const inPlace = (n: number) => (n % 8 === 0 || n % 8 >= 5) && n <= 1024 && n % 128 !== 0;

/** dy is read transposed, one 16-byte piece per row: packed when its rows are long or cache-aliased. */
const packDy = (out: number) => out > 1024 || out % 128 === 0;

/** Floats of W packed per strip for the input gradient (1 MB). */
const STRIP_FLOATS = 256 * 1024;

/**
 * dx [n, inF] = dy [n, out]·W [out, inF] (overwrites dx); byte addresses, shapes checked by the
 * caller; `alloc(floats)` hands out scratch the caller frees. Also the data gradient of a
 * convolution whose window is its whole input (conv2d-backward.ts).
 */
export function denseBackwardData(n: number, inF: number, out: number, dyp: number, wp: number, dxp: number, alloc: (floats: number) => number): void {
  const k = kernels();
  if (n === 1) {
    // dx = Wᵀ·dy: W streamed row by row
    k.gemv_t_f32_simd(wp, inF, dyp, dxp, inF, out);
  } else if (n > 1) {
    // W's rows are read as panels in place when short, else packed strip by strip (a long row
    // stride makes every panel row a new cache line)
    if (inPlace(inF)) {
      k.gemm_f32_4x8_minmax_simd(dyp, out, wp, inF, 8, dxp, inF, 0, n, inF, out, -Infinity, Infinity);
    } else {
      const strip = Math.max(8, Math.floor(STRIP_FLOATS / out / 8) * 8);
      const packed = alloc(Math.min(strip, Math.ceil(inF / 8) * 8) * out);
      for (let j = 0; j < inF; j += strip) {
        const nc = Math.min(strip, inF - j);
        k.gemm_pack_f32_p8_simd(wp + j * 4, inF, packed, out, nc);
        k.gemm_f32_4x8_minmax_simd(dyp, out, packed, 8, 8 * out, dxp + j * 4, inF, 0, n, nc, out, -Infinity, Infinity);
      }
    }
  }
}

/**
 * dW [out, inF] += dyᵀ [out, n]·x [n, inF] (accumulates), n ≥ 1; as denseBackwardData. Also a
 * whole-input convolution's filter gradient.
 */
export function denseBackwardWeight(n: number, inF: number, out: number, dyp: number, xp: number, dwp: number, alloc: (floats: number) => number): void {
  const k = kernels();
  // dy is read transposed, packed when its rows are long
  let ap = dyp, lda = out, aps = 8;
  if (packDy(out)) {
    ap = alloc(Math.ceil(out / 8) * 8 * n);
    k.gemm_pack_f32_p8_simd(dyp, out, ap, n, out);
    lda = 8;
    aps = 8 * n;
  }
  let bp = xp, rs = inF, ps = 8;
  if (!inPlace(inF)) {
    bp = alloc(Math.ceil(inF / 8) * 8 * n);
    k.gemm_pack_f32_p8_simd(xp, inF, bp, n, inF);
    rs = 8;
    ps = 8 * n;
  }
  k.gemm_f32_ta_4x8_inc_simd(ap, lda, aps, bp, rs, ps, dwp, inF, out, inF, n);
}

/**
 * Gradients of y = x·wᵀ + b: dx = dy·w, dw += dyᵀ·x, db += Σ_n dy[n, ·].
 * dy [N, out] (or [out] when x is [in]); x [N, in] (or [in]); w [out, in]. dw and db are added
 * into weightGradInto / biasGradInto when given (and those tensors returned), else returned as new
 * tensors; a gradient switched off (inputGrad / weightGrad / biasGrad false) is null.
 */
export function linearBackward(dy: Tensor, x: Tensor, w: Tensor, options?: LinearBackwardOptions): LinearGrads {
  const op = 'linearBackward';
  const d = rankArg(op, 'dy', dy, [1, 2], '[N, out] or [out]');
  const xt = rankArg(op, 'x', x, [1, 2], '[N, in] or [in]');
  const wt = rankArg(op, 'w', w, 2, 'out, in');
  const o = knownOptions(op, options, BWD_KEYS);
  const wantDx = boolArg(op, 'inputGrad', o.inputGrad, true);
  const wantDw = boolArg(op, 'weightGrad', o.weightGrad, true);
  const wantDb = boolArg(op, 'biasGrad', o.biasGrad, true);
  const [out, inF] = wt.shape;
  if (out < 1 || inF < 1) throw new RangeError(`${op}: w ${fmtShape(wt.shape)} must have at least one row and one column`);
  const n = xt.rank === 2 ? xt.shape[0] : 1;
  if (xt.shape[xt.rank - 1] !== inF) {
    throw new RangeError(`${op}: x ${fmtShape(xt.shape)} has ${xt.shape[xt.rank - 1]} features but w ${fmtShape(wt.shape)} expects ${inF} (w is [out, in])`);
  }
  const yShape = xt.rank === 2 ? [n, out] : [out];
  if (d.rank !== yShape.length || d.shape.some((v, i) => v !== yShape[i])) {
    throw new RangeError(
      `${op}: dy has shape ${fmtShape(d.shape)} but the forward output of x ${fmtShape(xt.shape)} with w ${fmtShape(wt.shape)} is ${fmtShape(yShape)}; dy must have that shape`,
    );
  }
  const wInto = intoArg(op, 'weightGradInto', o.weightGradInto, [out, inF], 'the weight gradient (w)');
  const bInto = intoArg(op, 'biasGradInto', o.biasGradInto, [out], 'the bias gradient ([out])');
  if (wInto && !wantDw) throw new RangeError(`${op}: weightGradInto is given but weightGrad is false`);
  if (bInto && !wantDb) throw new RangeError(`${op}: biasGradInto is given but biasGrad is false`);

  const made: Tensor[] = [];
  try {
    const dx = wantDx ? Tensor.empty(xt.shape) : null;
    if (dx) made.push(dx);
    const dw = wantDw ? wInto ?? Tensor.zeros([out, inF]) : null;
    if (dw && !wInto) made.push(dw);
    const db = wantDb ? bInto ?? Tensor.zeros([out]) : null;
    if (db && !bInto) made.push(db);
    withScratch((alloc) => {
      if (dx) denseBackwardData(n, inF, out, d.ptr, wt.ptr, dx.ptr, alloc);
      if (dw && n > 0) denseBackwardWeight(n, inF, out, d.ptr, xt.ptr, dw.ptr, alloc);
    });
    if (db && n > 0) kernels().bias_bwd_f32_simd(d.ptr, db.ptr, n, out, 1);
    return { dx, dw, db };
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
}
