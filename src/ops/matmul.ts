// matmul: NumPy / ONNX MatMul / torch.matmul over N-D operands: the last two dims multiply
// ([…, M, K]·[…, K, N] → […, M, N]), the leading (batch) dims broadcast, a 1-D a is a row [1, K]
// and a 1-D b a column [K, 1] (that dim then dropped from the result).
// Every product goes through the GEMM family of assembly/gemm.ts: B packed into 8-column panels,
// then the 4×8 register-tiled GEMM (a vector operand: the GEMVs). When b has no batch (e.g. a
// weight applied to channels-last data [N, H, W, C]·[C, O]), a's batch dims fold into M: one GEMM
// of (N·H·W) × C, B packed once.
// Backward: dA = dC·Bᵀ (linear.ts's dense forward schedule with B as the weight) and
// dB += Aᵀ·dC (its weight-gradient schedule), each summed over the batch dims its operand was
// broadcast along.
import { Tensor, type Shape } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { type Prepared, runOnce } from './prepared.js';
import { sizeOf, stridesOf } from './axes.js';
import { denseBackwardWeight, denseRun } from './linear.js';
import { fmtShape, shapeArg, tensorArg } from './validate.js';

interface Geometry {
  outShape: number[];
  aShape: number[];
  bShape: number[];
  M: number; K: number; N: number;
  /** Output batch count, and each output batch's element offsets into a and b. */
  batch: number;
  aOff: number[];
  bOff: number[];
  /** a and b each hit by exactly one output batch. */
  aWhole: boolean;
  bOne: boolean;
}

function geometry(op: string, aShape: unknown, bShape: unknown): Geometry {
  const as = shapeArg(op, 'aShape', aShape), bs = shapeArg(op, 'bShape', bShape);
  if (as.length === 0 || bs.length === 0) {
    throw new RangeError(`${op}: both operands need rank ≥ 1, got a ${fmtShape(as)} and b ${fmtShape(bs)}`);
  }
  const a2 = as.length === 1 ? [1, as[0]] : as, b2 = bs.length === 1 ? [bs[0], 1] : bs;
  const M = a2[a2.length - 2], K = a2[a2.length - 1], N = b2[b2.length - 1];
  if (b2[b2.length - 2] !== K) {
    throw new RangeError(`${op}: a ${fmtShape(as)} has ${K} columns but b ${fmtShape(bs)} has ${b2[b2.length - 2]} rows; they must match (a […, M, K], b […, K, N])`);
  }
  const ab = a2.slice(0, -2), bb = b2.slice(0, -2);
  const r = Math.max(ab.length, bb.length);
  const pa = [...new Array<number>(r - ab.length).fill(1), ...ab], pb = [...new Array<number>(r - bb.length).fill(1), ...bb];
  const batchShape = pa.map((x, i) => {
    const y = pb[i];
    if (x !== y && x !== 1 && y !== 1) {
      throw new RangeError(`${op}: batch dims of a ${fmtShape(as)} and b ${fmtShape(bs)} do not broadcast (dim ${i} of the batch: ${x} vs ${y})`);
    }
    return x === 1 ? y : x;
  });
  const outShape = [...batchShape, ...(as.length === 1 ? [] : [M]), ...(bs.length === 1 ? [] : [N])];
  const batch = sizeOf(batchShape);
  const sa = stridesOf(pa), sb = stridesOf(pb), so = stridesOf(batchShape);
  const aOff: number[] = [], bOff: number[] = [];
  for (let t = 0; t < batch; t++) {
    let oa = 0, ob = 0;
    for (let d = 0; d < r; d++) {
      const i = Math.floor(t / so[d]) % batchShape[d];
      if (pa[d] !== 1) oa += i * sa[d];
      if (pb[d] !== 1) ob += i * sb[d];
    }
    aOff.push(oa * M * K);
    bOff.push(ob * K * N);
  }
  return { outShape, aShape: as, bShape: bs, M, K, N, batch, aOff, bOff, aWhole: sizeOf(pa) === batch, bOne: sizeOf(pb) === 1 };
}

/**
 * matmul prepared for a of aShape and b of bShape: inputs [a, b]; output of the broadcast product
 * shape; scratch for B's packed panels. Not in place.
 */
export function prepareMatmul(aShape: Shape, bShape: Shape): Prepared {
  const g = geometry('matmul', aShape, bShape);
  const { M, K, N } = g;
  const k = kernels();
  const fold = g.bOne; // b shared by every batch: a's batch folds into M
  const m = fold ? g.batch * M : M, batches = fold ? 1 : g.batch;
  const gemm = m > 1 && N > 1;
  const panels = Math.ceil(N / 8) * 8 * K;
  const empty = sizeOf(g.outShape) === 0;
  return {
    outShape: g.outShape,
    scratchBytes: gemm && !empty && K > 0 ? panels * 4 : 0,
    run(inputs, out, scratch) {
      if (empty) return;
      if (K === 0) {
        k.fill_f32_simd(out, sizeOf(g.outShape), 0);
        return;
      }
      for (let t = 0; t < batches; t++) {
        const a = inputs[0] + g.aOff[t] * 4, b = inputs[1] + g.bOff[t] * 4, c = out + t * M * N * 4;
        if (m === 1) {
          k.gemv_t_f32_simd(b, N, a, c, N, K);
        } else if (N === 1) {
          k.gemv_f32_minmax_simd(a, K, b, c, 0, m, K, -Infinity, Infinity);
        } else {
          if (t === 0 || g.bOff[t] !== g.bOff[t - 1]) k.gemm_pack_f32_p8_simd(b, N, scratch, K, N);
          k.gemm_f32_4x8_minmax_simd(a, K, scratch, 8, 8 * K, c, N, 0, m, N, K, -Infinity, Infinity);
        }
      }
    },
    dispose() {},
  };
}

/**
 * torch.matmul / ONNX MatMul: a […, M, K]·b […, K, N] → […, M, N] with the batch dims broadcast
 * (NumPy rules); a 1-D a is [1, K] and a 1-D b is [K, 1], that dim dropped from the result.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const ta = tensorArg('matmul', 'a', a), tb = tensorArg('matmul', 'b', b);
  return runOnce(prepareMatmul(ta.shape, tb.shape), [ta.ptr, tb.ptr], (s) => Tensor.empty(s));
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────

export interface MatmulGrads {
  /** dC·Bᵀ summed over the batch dims a was broadcast along (a's shape). */
  da: Tensor;
  /** Aᵀ·dC summed over the batch dims b was broadcast along (b's shape). */
  db: Tensor;
}

/** Gradients of C = matmul(a, b) given dC (C's shape): da = dC·Bᵀ, db = Aᵀ·dC, reduced over broadcast batch dims. */
export function matmulBackward(dc: Tensor, a: Tensor, b: Tensor): MatmulGrads {
  const op = 'matmulBackward';
  const d = tensorArg(op, 'dc', dc), ta = tensorArg(op, 'a', a), tb = tensorArg(op, 'b', b);
  const g = geometry(op, ta.shape, tb.shape);
  if (d.rank !== g.outShape.length || d.shape.some((v, i) => v !== g.outShape[i])) {
    throw new RangeError(`${op}: dc has shape ${fmtShape(d.shape)} but matmul of a ${fmtShape(ta.shape)} and b ${fmtShape(tb.shape)} gives ${fmtShape(g.outShape)}; they must match`);
  }
  const { M, K, N } = g;
  const h = heap(), k = kernels();
  const made: Tensor[] = [];
  const scratch: number[] = [];
  const alloc = (floats: number) => {
    const p = h.alloc(floats * 4);
    scratch.push(p);
    return p;
  };
  // the weight-gradient schedule asks for the same scratch in the same order for every batch:
  // hand the same blocks out again instead of allocating per batch
  const slots: { p: number; floats: number }[] = [];
  let slot = 0;
  const reuse = (floats: number) => {
    const s = slots[slot];
    if (s === undefined || s.floats < floats) slots[slot] = { p: alloc(floats), floats };
    return slots[slot++].p;
  };
  try {
    const da = Tensor.zeros(ta.shape);
    made.push(da);
    const dbT = Tensor.zeros(tb.shape);
    made.push(dbT);
    if (M === 0 || N === 0 || K === 0 || g.batch === 0) return { da, db: dbT };
    const fold = g.bOne;
    const m = fold ? g.batch * M : M, batches = fold ? 1 : g.batch;
    // dA = dC·Bᵀ: B [K, N] is a dense layer's weight [out = K, in = N] applied to the rows of dC
    const dense = denseRun(m, N, K, tb.ptr, 0, -Infinity, Infinity);
    const packs = dense.scratchBytes > 0 ? alloc(dense.scratchBytes / 4) : 0;
    const tmp = fold || g.aWhole ? 0 : alloc(M * K);
    for (let t = 0; t < batches; t++) {
      const ap = ta.ptr + g.aOff[t] * 4, bp = tb.ptr + g.bOff[t] * 4, dcp = d.ptr + t * M * N * 4;
      const dap = da.ptr + g.aOff[t] * 4;
      const run = t === 0 || fold ? dense : denseRun(m, N, K, bp, 0, -Infinity, Infinity);
      if (tmp === 0) {
        run.run(dcp, dap, packs);
      } else {
        run.run(dcp, tmp, packs);
        k.add_inc_f32_simd(tmp, dap, M * K);
      }
      // dB += Aᵀ·dC: dense weight gradient with dy = A [m, K] and x = dC [m, N]
      slot = 0;
      denseBackwardWeight(m, N, K, ap, dcp, dbT.ptr + g.bOff[t] * 4, reuse);
    }
    return { da, db: dbT };
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  } finally {
    for (const p of scratch) h.release(p);
  }
}
