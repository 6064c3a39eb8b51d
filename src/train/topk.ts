// predictTopK: the k most probable classes of each image, with their names when the model carries
// classNames in its metadata.
import { Tensor } from '../tensor.js';
import type { PixelSource } from '../tensor-pixels.js';
import { Graph } from '../graph/graph.js';
import { softmax } from '../ops/softmax.js';
import { intArg, knownOptions, tensorArg, describe } from '../ops/validate.js';
import { checkClassNames } from '../graph/metadata.js';
import { predict } from './fit.js';

export interface TopKEntry {
  /** The class index (the output's position). */
  index: number;
  /** model.metadata.classNames[index] (or options.classNames), or the index as a string. */
  label: string;
  /** Softmax probability (the model's own when it ends in Softmax or LogSoftmax). */
  probability: number;
}

export interface TopKOptions {
  /** Names of the classes, overriding model.metadata.classNames. */
  classNames?: readonly string[];
  /** Images per forward pass (default 128). */
  batchSize?: number;
}

/**
 * For each image of x ([N, …inputShape]), the k most probable classes, most probable first (ties:
 * lower index first). Probabilities are the softmax of the logits, or the model's own output when
 * its last layer is Softmax (exp of it for LogSoftmax). x may also be images (what
 * Tensor.fromPixels takes): they are prepared with the model's metadata.preprocess.
 */
export function predictTopK(model: Graph, x: Tensor | PixelSource | readonly PixelSource[], k = 5, options: TopKOptions = {}): TopKEntry[][] {
  const op = 'predictTopK';
  if (!(model instanceof Graph)) throw new TypeError(`${op}: model must be a Graph or Sequential, got ${describe(model)}`);
  if (!(x instanceof Tensor)) {
    const pre = model.metadata.preprocess;
    if (pre === undefined) throw new TypeError(`${op}: x must be a Tensor, or images when the model has metadata.preprocess (this one has none); got ${describe(x)}`);
    const t = Tensor.fromPixels(x as PixelSource, pre as Record<string, unknown>);
    try {
      return predictTopK(model, t, k, options);
    } finally {
      t.dispose();
    }
  }
  const t = tensorArg(op, 'x', x);
  knownOptions(op, options, ['classNames', 'batchSize']);
  const out = model.outputShape;
  if (out.length !== 1) throw new RangeError(`${op}: the model's output must be a vector of class scores per image, it is [${out.join(', ')}]`);
  const classes = out[0];
  const kk = Math.min(intArg(op, 'k', k, 1), classes);
  const given = options.classNames ?? (model.metadata.classNames as readonly string[] | undefined);
  const names = given === undefined ? null : checkClassNames(op, given, classes);
  const last = model.node(model.outputNames[0]).layer.type;
  const y = predict(model, t, { batchSize: options.batchSize });
  let p: Float32Array;
  try {
    if (last === 'Softmax') p = y.toFloat32Array();
    else if (last === 'LogSoftmax') p = y.toFloat32Array().map(Math.exp);
    else {
      const s = softmax(y, -1);
      p = s.toFloat32Array();
      s.dispose();
    }
  } finally {
    y.dispose();
  }
  const n = t.shape[0];
  const res: TopKEntry[][] = [];
  for (let i = 0; i < n; i++) {
    const row = p.subarray(i * classes, (i + 1) * classes);
    const order = Array.from({ length: classes }, (_, c) => c).sort((a, b) => row[b] - row[a] || a - b);
    res.push(order.slice(0, kk).map((c) => ({ index: c, label: names ? names[c] : String(c), probability: row[c] })));
  }
  return res;
}
