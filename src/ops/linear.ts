// Dense (fully connected) layer, PyTorch's F.linear: y = x·Wᵀ + b with W [out, in].
//
// Batch 1 is a GEMV of contiguous dot products over W's rows. Larger batches pack the rows of x
// into the GEMM's 8-column panels and run the SIMD GEMM with A = W (read in place, never
// repacked) and C stored transposed, straight into y [N, out].
import { Tensor } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { fmtShape, rankArg } from './validate.js';

/** Scratch for packed rows of x, per GEMM call. */
const PACK_BYTES = 4 * 1024 * 1024;

/**
 * y = x·weightᵀ + bias. x [N, in] (or [in], giving [out]); weight [out, in]; bias [out] or
 * null/undefined. Returns [N, out] (or [out]).
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return linearClamped(x, weight, bias, -Infinity, Infinity);
}

/**
 * linear followed by clamp(·, min, max) fused into the kernels' store (min = 0, max = ∞ is ReLU).
 * For graph fusion; NaN propagates as in PyTorch's relu/clamp.
 */
export function linearClamped(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, min: number, max: number): Tensor {
  const op = 'linear';
  const xt = rankArg(op, 'x', x, [1, 2], '[N, in] or [in]');
  const w = rankArg(op, 'weight', weight, 2, 'out, in');
  const b = bias === undefined || bias === null ? null : rankArg(op, 'bias', bias, 1, 'out');
  const [out, inF] = w.shape;
  const n = xt.rank === 2 ? xt.shape[0] : 1;
  const xin = xt.shape[xt.rank - 1];
  if (out < 1 || inF < 1) throw new RangeError(`${op}: weight ${fmtShape(w.shape)} must have at least one row and one column`);
  if (xin !== inF) {
    throw new RangeError(`${op}: x ${fmtShape(xt.shape)} has ${xin} features but weight ${fmtShape(w.shape)} expects ${inF} (weight is [out, in])`);
  }
  if (b !== null && b.shape[0] !== out) {
    throw new RangeError(`${op}: bias has shape ${fmtShape(b.shape)} but weight ${fmtShape(w.shape)} has ${out} outputs; bias must be [${out}]`);
  }
  if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max) || min > max) {
    throw new RangeError(`${op}: clamp bounds must be numbers with min ≤ max, got [${min}, ${max}]`);
  }
  const y = Tensor.empty(xt.rank === 2 ? [n, out] : [out]);
  const k = kernels();
  const xp = xt.ptr, wp = w.ptr, bp = b ? b.ptr : 0, yp = y.ptr;
  let packed = 0;
  try {
    if (n === 1) {
      k.gemv_f32_minmax_simd(wp, inF, xp, yp, bp, out, inF, min, max);
    } else if (n > 1) {
      // rows of x per GEMM call: the packed panels stay within PACK_BYTES (W is streamed once per call)
      const rows = Math.min(Math.ceil(n / 8) * 8, Math.max(8, Math.floor(PACK_BYTES / (inF * 4 * 8)) * 8));
      packed = heap().alloc(rows * inF * 4);
      for (let r0 = 0; r0 < n; r0 += rows) {
        const cnt = Math.min(rows, n - r0);
        k.gemm_pack_f32_t_p8_simd(xp + r0 * inF * 4, inF, packed, cnt, inF);
        k.gemm_f32_ct_4x8_minmax_simd(wp, inF, packed, 8, 8 * inF, yp + r0 * out * 4, out, bp, out, cnt, inF, min, max);
      }
    }
  } catch (e) {
    y.dispose();
    throw e;
  } finally {
    if (packed !== 0) heap().release(packed);
  }
  return y;
}
