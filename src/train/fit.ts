// fit(), evaluate() and predict(): mini-batch training with seeded shuffling, validation,
// metrics, callbacks, early stopping and a progress bar; batched inference.
import { Tensor, type Shape } from '../tensor.js';
import { Graph as GraphClass, type Graph } from '../graph/graph.js';
import { mixSeed } from '../random.js';
import { permutation } from '../data/dataset.js';
import { augmentImages } from '../data/augment.js';
import { indexSelect } from '../ops/gather.js';
import { softmaxCrossEntropy } from '../ops/loss.js';
import { tensorArg, intArg, numberArg, knownOptions, describe } from '../ops/validate.js';
import { Optimizer, SGD, Adam, AdamW } from './optim.js';
import type { Schedule } from './schedule.js';
import type { FitContext } from './callbacks.js';
import { topKCorrect } from './metrics.js';
import { defaultSink, bar, duration, type LogSink } from './progress.js';

export interface LabelledData {
  /** Images [N, C, H, W] (or [N, features]). */
  x: Tensor;
  /**
   * Integer class labels: length N for a classifier (output [classes]); for a dense classifier
   * (output [classes, d1, …], e.g. segmentation [classes, H, W]) one label per position, length
   * N·d1·…, in the row-major order of [N, d1, …].
   */
  y: Int32Array | readonly number[];
}

export interface BatchLogs { epoch: number; batch: number; batches: number; step: number; loss: number; accuracy: number; lr: number }
export interface EpochLogs {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  valTopK?: number;
  lr: number;
  seconds: number;
  imagesPerSecond: number;
}
export interface History { epochs: EpochLogs[]; stoppedEarly: boolean; seconds: number; imagesPerSecond: number }

export interface FitCallbacks {
  onBatchEnd?(logs: BatchLogs, ctx: FitContext): void;
  /** Return (or resolve to) false to stop training after this epoch; fit awaits a promise. */
  onEpochEnd?(logs: EpochLogs, ctx: FitContext): void | boolean | Promise<void | boolean>;
}

export interface EarlyStopping {
  monitor?: 'valLoss' | 'valAccuracy' | 'loss' | 'accuracy';
  patience?: number;
  minDelta?: number;
  /** Put back the best epoch's weights when stopping (default true). */
  restoreBest?: boolean;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  optimizer?: 'sgd' | 'adam' | 'adamw' | Optimizer;
  learningRate?: number;
  /** SGD momentum (default 0.9 when the optimizer is 'sgd'). */
  momentum?: number;
  weightDecay?: number;
  schedule?: Schedule;
  labelSmoothing?: number;
  seed?: number;
  shuffle?: boolean;
  validationData?: LabelledData;
  /** Hold out this fraction of the training data (the last part after a seeded shuffle). */
  validationSplit?: number;
  /** Report top-k accuracy on validation data (default 5, or the class count if smaller). */
  topK?: number;
  augment?: { cropPadding?: number; flip?: boolean };
  earlyStopping?: EarlyStopping;
  /** One callback object or several (callbacks.modelCheckpoint, callbacks.reduceLROnPlateau, your own). */
  callbacks?: FitCallbacks | readonly FitCallbacks[];
  /** Progress bar and per-epoch lines (a Node terminal gets a live bar). */
  verbose?: boolean;
  log?: LogSink;
}

const FIT_KEYS = ['epochs', 'batchSize', 'optimizer', 'learningRate', 'momentum', 'weightDecay', 'schedule', 'labelSmoothing', 'seed',
  'shuffle', 'validationData', 'validationSplit', 'topK', 'augment', 'earlyStopping', 'callbacks', 'verbose', 'log'];

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Checks data against the model; returns N, the class count and the labels per sample (1 for a
 * classifier; d1·… for a dense output [classes, d1, …]).
 */
function checkData(op: string, model: Graph, d: LabelledData, what: string): { n: number; classes: number; labels: Int32Array; per: number } {
  if (d === null || typeof d !== 'object') throw new TypeError(`${op}: ${what} must be { x: Tensor, y: Int32Array }, got ${describe(d)}`);
  const x = tensorArg(op, `${what}.x`, d.x);
  if (model.inputNames.length !== 1) throw new TypeError(`${op}: the model has ${model.inputNames.length} inputs; fit() trains single-input models`);
  const want = model.inputShapes[model.inputNames[0]];
  if (x.rank !== want.length + 1 || want.some((v, k) => x.shape[k + 1] !== v)) {
    throw new RangeError(`${op}: ${what}.x has shape [${x.shape.join(', ')}], the model takes [N, ${want.join(', ')}]`);
  }
  const n = x.shape[0];
  if (n === 0) throw new RangeError(`${op}: ${what} is empty (N = 0)`);
  const out = model.outputShape;
  if (out.length < 1 || out.length > 5) {
    throw new RangeError(`${op}: the model's output is [${out.join(', ')}] per sample; a classifier must output [classes] (or [classes, d1, …] with a label per position)`);
  }
  const classes = out[0];
  const per = out.slice(1).reduce((a, b) => a * b, 1);
  if (d.y === null || typeof d.y !== 'object' || typeof d.y.length !== 'number') throw new TypeError(`${op}: ${what}.y must be an Int32Array of labels, got ${describe(d.y)}`);
  if (d.y.length !== n * per) {
    throw new RangeError(out.length === 1
      ? `${op}: ${what}.x has ${n} images but ${what}.y has ${d.y.length} labels`
      : `${op}: ${what}.y has ${d.y.length} labels but the model outputs [${out.join(', ')}] per image: ${n} images need ${n}·${out.slice(1).join('·')} = ${n * per} (one per position)`);
  }
  const labels = d.y instanceof Int32Array ? d.y : Int32Array.from(d.y);
  for (let i = 0; i < labels.length; i++) {
    const l = d.y[i];
    if (!Number.isInteger(l) || l < 0 || l >= classes) {
      throw new RangeError(`${op}: label ${describe(l)} at index ${i} of ${what}.y is outside 0 … ${classes - 1} (the model has ${classes} outputs)`);
    }
  }
  return { n, classes, labels, per };
}

/** The labels of the samples idx (per labels each, consecutive in `labels`). */
function labelsOf(labels: Int32Array, idx: ArrayLike<number>, per: number): Int32Array {
  if (per === 1) return Int32Array.from(idx as ArrayLike<number>, (i) => labels[i]);
  const out = new Int32Array(idx.length * per);
  for (let k = 0; k < idx.length; k++) out.set(labels.subarray(idx[k] * per, (idx[k] + 1) * per), k * per);
  return out;
}

function makeOptimizer(model: Graph, o: FitOptions): Optimizer {
  const opt = o.optimizer ?? 'adam';
  if (opt instanceof Optimizer) return opt;
  const params = model.parameters();
  if (opt === 'sgd') return new SGD(params, { lr: o.learningRate ?? 0.01, momentum: o.momentum ?? 0.9, weightDecay: o.weightDecay ?? 0 });
  if (opt === 'adam') return new Adam(params, { lr: o.learningRate ?? 1e-3, weightDecay: o.weightDecay ?? 0 });
  if (opt === 'adamw') return new AdamW(params, { lr: o.learningRate ?? 1e-3, weightDecay: o.weightDecay ?? 0.01 });
  throw new TypeError(`fit: optimizer must be 'sgd', 'adam', 'adamw' or an optim object, got ${describe(opt)}`);
}

/**
 * Trains a classifier with softmax cross-entropy: one label per sample, or one per position of a
 * dense output [classes, d1, …] (segmentation: the loss averaged over every pixel, accuracy the
 * fraction of pixels right). Returns the per-epoch history.
 */
export async function fit(model: Graph, train: LabelledData, options: FitOptions = {}): Promise<History> {
  const op = 'fit';
  knownOptions(op, options, FIT_KEYS);
  const epochs = intArg(op, 'epochs', options.epochs ?? 1, 1);
  const batchSize = intArg(op, 'batchSize', options.batchSize ?? 32, 1);
  const seed = intArg(op, 'seed', options.seed ?? 0, 0);
  const smoothing = numberArg(op, 'labelSmoothing', options.labelSmoothing ?? 0, 0, 1);
  const { n: nAll, classes, labels: labelsAll, per } = checkData(op, model, train, 'the training data');
  if (per > 1 && options.augment !== undefined) {
    throw new TypeError('fit: augment crops and flips the images but not per-position labels; it works for classifiers only (augment dense data before fit)');
  }
  let trainIdx = Uint32Array.from({ length: nAll }, (_, i) => i);
  let val: { x: Tensor; y: Int32Array; own: boolean } | null = null;
  if (options.validationData !== undefined && options.validationSplit !== undefined) {
    throw new TypeError('fit: give validationData or validationSplit, not both');
  }
  if (options.validationData !== undefined) {
    const v = checkData(op, model, options.validationData, 'validationData');
    val = { x: options.validationData.x, y: v.labels, own: false };
  } else if (options.validationSplit !== undefined) {
    const f = numberArg(op, 'validationSplit', options.validationSplit, 0, 1);
    const order = permutation(nAll, mixSeed(seed, 0x5eed));
    const k = Math.round(nAll * (1 - f));
    if (k <= 0 || k >= nAll) throw new RangeError(`fit: validationSplit ${f} of ${nAll} images leaves an empty part`);
    trainIdx = order.slice(0, k);
    const vi = order.slice(k);
    val = { x: indexSelect(train.x, vi), y: labelsOf(labelsAll, vi, per), own: true };
  }
  const n = trainIdx.length;
  const topK = Math.min(options.topK ?? 5, classes);
  const optimizer = makeOptimizer(model, options);
  const ownOptimizer = !(options.optimizer instanceof Optimizer);
  const baseLr = optimizer.lr;
  const sink = options.verbose ? (options.log ?? defaultSink()) : null;
  const es = options.earlyStopping;
  const monitor = es?.monitor ?? (val ? 'valLoss' : 'loss');
  const patience = es ? intArg(op, 'earlyStopping.patience', es.patience ?? 3, 0) : 0;
  const minDelta = es?.minDelta ?? 0;
  let best = Infinity, bestEpoch = -1, bestWeights: Float32Array[] | null = null;
  const history: History = { epochs: [], stoppedEarly: false, seconds: 0, imagesPerSecond: 0 };
  const batches = Math.ceil(n / batchSize);
  const imageShape: Shape = train.x.shape.slice(1);
  const t0 = now();
  let step = 0, seen = 0;
  const cbs: FitCallbacks[] = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? [...options.callbacks] : [options.callbacks as FitCallbacks];
  for (const [i, cb] of cbs.entries()) if (cb === null || typeof cb !== 'object') throw new TypeError(`fit: callbacks[${i}] must be an object with onEpochEnd / onBatchEnd, got ${describe(cb)}`);
  const ctx: FitContext = { model, optimizer };
  model.seed(seed);
  // gradients left by anything before (a backward outside fit, an optimizer over some of the
  // parameters) must not leak into the first step
  for (const p of model.namedParams()) if (!p.param.trainable && p.param.grad !== null) p.param.trainable = false;
  model.zeroGrad();

  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (options.schedule) optimizer.lr = options.schedule.lr(epoch, baseLr);
      const order = options.shuffle === false ? trainIdx : permuteIndices(trainIdx, mixSeed(seed, epoch + 1));
      const te = now();
      let lossSum = 0, correct = 0;
      for (let b = 0; b < batches; b++) {
        const idx = order.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
        const yb = labelsOf(labelsAll, idx, per);
        let xb = indexSelect(train.x, idx);
        if (options.augment) xb = augmentTensor(xb, imageShape, options.augment, mixSeed(seed, epoch + 1, b));
        let loss: number;
        try {
          const { output } = model.forward(xb, { training: true });
          const r = softmaxCrossEntropy(output, yb, { labelSmoothing: smoothing });
          loss = r.loss;
          if (!Number.isFinite(loss)) {
            r.grad.dispose();
            model.releaseActivations();
            throw new Error(
              `fit: the loss became ${loss} at epoch ${epoch + 1}, step ${step + 1} (batch ${b + 1} of ${batches}); ` +
                `the weights are left as after step ${step}. Lower the learning rate (now ${optimizer.lr}) or check the data for NaN.`,
            );
          }
          correct += r.correct;
          model.backward(r.grad);
          r.grad.dispose();
        } finally {
          xb.dispose();
        }
        optimizer.step();
        optimizer.zeroGrad();
        if (!ownOptimizer) model.zeroGrad(); // parameters the given optimizer does not hold keep no sums
        step++;
        seen += idx.length;
        lossSum += loss * idx.length;
        const bl: BatchLogs = { epoch, batch: b, batches, step, loss, accuracy: r2(correct, ((b * batchSize) + idx.length) * per), lr: optimizer.lr };
        for (const cb of cbs) cb.onBatchEnd?.(bl, ctx);
        if (sink && (b % 4 === 0 || b === batches - 1)) {
          const el = (now() - te) / 1000;
          const done = b * batchSize + idx.length;
          const ips = done / Math.max(el, 1e-9);
          sink(`epoch ${epoch + 1}/${epochs} ${bar(b + 1, batches)} ${b + 1}/${batches} loss ${(lossSum / done).toFixed(4)} ` +
            `acc ${(correct / (done * per)).toFixed(4)} ${ips.toFixed(0)} img/s ETA ${duration((n - done) / ips)}`, true);
        }
        // let the event loop breathe (progress output, callbacks awaiting I/O)
        if (b % 32 === 31) await new Promise((r) => setTimeout(r, 0));
      }
      const seconds = (now() - te) / 1000;
      const logs: EpochLogs = { epoch, loss: lossSum / n, accuracy: correct / (n * per), lr: optimizer.lr, seconds, imagesPerSecond: n / seconds };
      if (val) {
        const v = evaluate(model, { x: val.x, y: val.y }, { batchSize: Math.max(batchSize, 128), topK });
        logs.valLoss = v.loss;
        logs.valAccuracy = v.accuracy;
        logs.valTopK = v.topK;
      }
      history.epochs.push(logs);
      sink?.(
        `epoch ${epoch + 1}/${epochs} loss ${logs.loss.toFixed(4)} acc ${logs.accuracy.toFixed(4)}` +
          (val ? ` val_loss ${logs.valLoss!.toFixed(4)} val_acc ${logs.valAccuracy!.toFixed(4)} val_top${topK} ${logs.valTopK!.toFixed(4)}` : '') +
          ` ${logs.imagesPerSecond.toFixed(0)} img/s ${duration(seconds)}`,
        false,
      );
      let stop = false;
      for (const cb of cbs) if ((await cb.onEpochEnd?.(logs, ctx)) === false) stop = true;
      if (es) {
        const value = monitor === 'valLoss' ? logs.valLoss : monitor === 'valAccuracy' ? -(logs.valAccuracy ?? NaN) : monitor === 'loss' ? logs.loss : -logs.accuracy;
        if (value === undefined || Number.isNaN(value)) throw new Error(`fit: earlyStopping monitors '${monitor}', which needs validation data`);
        if (value < best - minDelta) {
          best = value;
          bestEpoch = epoch;
          if (es.restoreBest !== false) bestWeights = model.namedParams().map((p) => p.param.value.toFloat32Array());
        } else if (epoch - bestEpoch > patience) {
          history.stoppedEarly = true;
        }
      }
      if (stop || history.stoppedEarly) break;
    }
    if (history.stoppedEarly && bestWeights) model.namedParams().forEach((p, i) => p.param.assign(bestWeights![i]));
  } finally {
    if (val?.own) val.x.dispose();
    if (ownOptimizer) optimizer.dispose();
  }
  history.seconds = (now() - t0) / 1000;
  history.imagesPerSecond = seen / history.seconds;
  return history;
}

const r2 = (a: number, b: number) => a / Math.max(b, 1);

function permuteIndices(idx: Uint32Array, seed: number): Uint32Array {
  const p = permutation(idx.length, seed);
  return Uint32Array.from(p, (i) => idx[i]);
}

function augmentTensor(x: Tensor, imageShape: Shape, aug: { cropPadding?: number; flip?: boolean }, seed: number): Tensor {
  if (imageShape.length !== 3) throw new RangeError('fit: augment needs [N, C, H, W] images');
  // the batch stays in wasm memory: the crops and flips are a kernel over it
  const out = augmentImages(x, { ...aug, seed });
  x.dispose();
  return out;
}

export interface EvaluateResult {
  loss: number;
  /** The fraction of samples (of positions, for a dense output) whose argmax is the label. */
  accuracy: number;
  topK: number;
  k: number;
  /** Samples evaluated. */
  count: number;
}

/** Loss, accuracy and top-k accuracy of a classifier (or a dense one, per position) on labelled data (inference mode). */
export function evaluate(model: Graph, d: LabelledData, options: { batchSize?: number; topK?: number } = {}): EvaluateResult {
  const { n, classes, labels, per } = checkData('evaluate', model, d, 'the data');
  const bs = intArg('evaluate', 'batchSize', options.batchSize ?? 128, 1);
  const k = Math.min(intArg('evaluate', 'topK', options.topK ?? 5, 1), classes);
  let lossSum = 0, correct = 0, topk = 0;
  for (let s = 0; s < n; s += bs) {
    const idx = Uint32Array.from({ length: Math.min(bs, n - s) }, (_, i) => s + i);
    const yb = labels.subarray(s * per, (s + idx.length) * per);
    const xb = idx.length === n ? d.x : indexSelect(d.x, idx);
    const out = model.predict(xb);
    try {
      const r = softmaxCrossEntropy(out, yb);
      r.grad.dispose();
      lossSum += r.loss * idx.length;
      correct += r.correct;
      topk += topKCorrect(out.toFloat32Array(), classes, yb, k, per);
    } finally {
      out.dispose();
      if (xb !== d.x) xb.dispose();
    }
  }
  return { loss: lossSum / n, accuracy: correct / (n * per), topK: topk / (n * per), k, count: n };
}

/** The model's first output for every sample of x, computed in batches (inference mode). */
export function predict(model: Graph, x: Tensor, options: { batchSize?: number } = {}): Tensor {
  const t = tensorArg('predict', 'x', x);
  return model.predict(t, { batchSize: intArg('predict', 'batchSize', options.batchSize ?? 128, 1) });
}

// ── Keras habits: model.fit / model.evaluate as methods ─────────────────────────────────────
// Graph lives below train/ and cannot import it; the methods are declared on it here and
// installed when this module loads (it always does: the package's entry re-exports fit).
declare module '../graph/graph.js' {
  interface Graph {
    /** fit(this, data, options): trains the model (see fit). */
    fit(data: LabelledData, options?: FitOptions): Promise<History>;
    /** evaluate(this, data, options): loss and accuracies on labelled data (see evaluate). */
    evaluate(data: LabelledData, options?: { batchSize?: number; topK?: number }): EvaluateResult;
  }
}
GraphClass.prototype.fit = function (this: Graph, data: LabelledData, options?: FitOptions) {
  return fit(this, data, options);
};
GraphClass.prototype.evaluate = function (this: Graph, data: LabelledData, options?: { batchSize?: number; topK?: number }) {
  return evaluate(this, data, options);
};
