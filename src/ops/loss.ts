// Losses fused with their gradients (one kernel sweep each): softmax cross-entropy with label
// smoothing (PyTorch's F.cross_entropy on logits, per row or per position of a dense map) and
// mean-squared error. The loss comes back as a JS number; a NaN or infinite loss is returned as
// is (the fit loop reports it), never thrown.
import { Tensor } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { describe, fmtShape, knownOptions, numberArg, rankArg, sameShape, tensorArg } from './validate.js';

export type LossReduction = 'mean' | 'sum';

export interface SoftmaxCrossEntropyOptions {
  /** ε in [0, 1]: the target is (1 − ε)·onehot + ε/C (PyTorch's label_smoothing). Default 0. */
  labelSmoothing?: number;
  /** 'mean' (default) averages over the batch; 'sum' adds the rows. */
  reduction?: LossReduction;
}

export interface MseLossOptions {
  /** 'mean' (default) averages over every element; 'sum' adds them. */
  reduction?: LossReduction;
}

export interface LossResult {
  /** The loss (NaN or ±Infinity are returned as they come). */
  loss: number;
  /** d loss / d input, the input's shape. */
  grad: Tensor;
}

export interface SoftmaxCrossEntropyResult extends LossResult {
  /** Rows whose argmax (ties → lowest index) equals the label. */
  correct: number;
}

function reductionArg(op: string, v: unknown): LossReduction {
  if (v === undefined) return 'mean';
  if (v !== 'mean' && v !== 'sum') throw new TypeError(`${op}: reduction must be 'mean' or 'sum', got ${describe(v)}`);
  return v;
}

/** Labels as an Int32Array of length n, every one an integer in [0, c); `what` names n ("rows"). */
function labelsArg(op: string, labels: unknown, n: number, c: number, what: string): Int32Array | readonly number[] {
  if (!(labels instanceof Int32Array) && !Array.isArray(labels)) {
    throw new TypeError(`${op}: labels must be an Int32Array or an array of integers, got ${describe(labels)}`);
  }
  const l = labels as Int32Array | readonly unknown[];
  if (l.length !== n) throw new RangeError(`${op}: labels has length ${l.length} but logits has ${what}; they must match`);
  for (let i = 0; i < n; i++) {
    const v = l[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= c) {
      throw new RangeError(`${op}: labels[${i}] is ${describe(v)}; each label must be an integer class index in [0, ${c})`);
    }
  }
  return l as Int32Array | readonly number[];
}

/**
 * Softmax cross-entropy on logits [N, C] with integer labels (length N, each in [0, C)), or, as
 * PyTorch's F.cross_entropy with a [N, d1, …] target, on logits [N, C, d1, …] with one label per
 * position (length N·d1·…, in the row-major order of [N, d1, …]; a segmentation map: logits
 * [N, C, H, W] and N·H·W labels). Per row or position, with q = (1 − ε)·onehot + ε/C:
 * loss = −Σ_c q_c·log softmax(x)_c over the classes, averaged over the N·d1·… rows/positions
 * ('mean') or summed; grad = (softmax(x) − q)/(N·d1·…) ('mean') or softmax(x) − q ('sum').
 * Numerically stable for any finite logits (±1e4 included). The class reductions run in f32 SIMD;
 * each row's loss is formed in f64 and the rows are summed in f64. Also counts the rows (positions)
 * whose argmax (ties → lowest index) equals the label.
 */
export function softmaxCrossEntropy(
  logits: Tensor, labels: Int32Array | readonly number[], options: SoftmaxCrossEntropyOptions = {},
): SoftmaxCrossEntropyResult {
  const op = 'softmaxCrossEntropy';
  const x = rankArg(op, 'logits', logits, [2, 3, 4, 5, 6], '[N, C] or [N, C, d1, …]');
  const o = knownOptions(op, options, ['labelSmoothing', 'reduction']);
  const eps = numberArg(op, 'labelSmoothing', o.labelSmoothing ?? 0, 0, 1);
  const reduction = reductionArg(op, o.reduction);
  const [n, c] = x.shape;
  const inner = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const count = n * inner; // rows, or positions
  if (c === 0 && count > 0) throw new RangeError(`${op}: logits has shape ${fmtShape(x.shape)}: no classes to choose from`);
  const l = labelsArg(op, labels, count, c, x.rank === 2 ? `${n} rows` : `${n}·${x.shape.slice(2).join('·')} = ${count} positions`);
  const grad = Tensor.empty(x.shape);
  if (count === 0) return { loss: reduction === 'mean' ? NaN : 0, grad, correct: 0 };
  const h = heap();
  let scratch = -1;
  try {
    // labels (count i32) then the correct count (one i32)
    scratch = h.alloc(4 * (count + 1));
    const i32 = h.i32view();
    const at = scratch >>> 2;
    for (let i = 0; i < count; i++) i32[at + i] = l[i];
    const scale = reduction === 'mean' ? 1 / count : 1;
    const sum = x.rank === 2
      ? kernels().softmax_cross_entropy_f32_simd(x.ptr, scratch, grad.ptr, n, c, eps, scale, scratch + 4 * count)
      : kernels().softmax_cross_entropy_f32_strided_simd(x.ptr, scratch, grad.ptr, n, c, inner, eps, scale, scratch + 4 * count);
    const correct = h.i32view()[at + count];
    return { loss: reduction === 'mean' ? sum / count : sum, grad, correct };
  } catch (e) {
    grad.dispose();
    throw e;
  } finally {
    if (scratch >= 0) h.release(scratch);
  }
}

/**
 * Mean-squared error: loss = mean (or sum) of (pred − target)² over every element, and
 * grad = 2(pred − target)/n ('mean', n = element count) or 2(pred − target) ('sum').
 * pred and target have one shape. The squares are summed in f32 SIMD blocks combined in f64.
 */
export function mseLoss(pred: Tensor, target: Tensor, options: MseLossOptions = {}): LossResult {
  const op = 'mseLoss';
  const p = tensorArg(op, 'pred', pred);
  const t = tensorArg(op, 'target', target);
  sameShape(op, p, 'pred', t, 'target');
  const o = knownOptions(op, options, ['reduction']);
  const reduction = reductionArg(op, o.reduction);
  const n = p.size;
  const grad = Tensor.empty(p.shape);
  if (n === 0) return { loss: reduction === 'mean' ? NaN : 0, grad };
  const sum = kernels().mse_loss_f32_simd(p.ptr, t.ptr, grad.ptr, n, reduction === 'mean' ? 2 / n : 2);
  return { loss: reduction === 'mean' ? sum / n : sum, grad };
}
