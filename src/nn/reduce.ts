import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import { attr, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import type { Tensor, Shape } from '../tensor.js';
import {
  reduceSum, reduceMean, reduceMax, prepareReduceSum, prepareReduceMean, prepareReduceMax,
  reduceSumBackward, reduceMeanBackward, reduceMaxBackward,
} from '../ops/reduce.js';
import { describe } from '../ops/validate.js';
import { axisList, batchedAxes } from './axes-arg.js';

export type ReduceOp = 'sum' | 'mean' | 'max';
const OPS: readonly ReduceOp[] = ['sum', 'mean', 'max'];
const ONNX: Record<ReduceOp, string> = { sum: 'ReduceSum', mean: 'ReduceMean', max: 'ReduceMax' };

export interface ReduceOptions {
  /** Keep the reduced axes as 1s (default true, as ONNX; PyTorch's keepdim defaults to false). */
  keepdim?: boolean;
  name?: string;
}

/**
 * Sum, mean or maximum over `dims` of the batched tensor (never the batch axis), as x.sum / x.mean /
 * x.amax(dims, keepdim) in PyTorch and ONNX ReduceSum / ReduceMean / ReduceMax. One class for the
 * three: they share the op family, the shape rule, the config and the ONNX form (only the operator
 * name differs), so a model file or an exporter picks the reduction by a field, not a type.
 */
export class Reduce extends Layer {
  static readonly type = 'Reduce';
  readonly type = Reduce.type;
  static fromConfig(c: LayerConfig, name: string): Reduce {
    return new Reduce(cfg(c.op), cfg(c.dims), { keepdim: cfg(c.keepdim), name });
  }
  readonly op: ReduceOp;
  readonly dims: readonly number[];
  readonly keepdim: boolean;
  constructor(op: ReduceOp, dims: number | readonly number[], options: ReduceOptions = {}) {
    super(layerName('nn.Reduce', options, ['keepdim']));
    if (!OPS.includes(op)) throw new TypeError(`nn.Reduce: op must be 'sum', 'mean' or 'max', got ${describe(op)}`);
    this.op = op;
    this.dims = Object.freeze(axisList('nn.Reduce', 'dims', dims));
    if (this.dims.length === 0) throw new RangeError('nn.Reduce: dims must name at least one axis');
    const k = options?.keepdim ?? true;
    if (typeof k !== 'boolean') throw new TypeError(`nn.Reduce: keepdim must be true or false, got ${describe(k)}`);
    this.keepdim = k;
  }
  /** The reduced axes of the batched tensor, 1 … rank − 1, sorted. */
  axes(shape: Shape, inputs: readonly Shape[] = [shape]): number[] {
    const a = batchedAxes(this.dims, shape);
    if (typeof a === 'string') throw this.shapeError(inputs, a);
    return a;
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    const ax = this.axes(s, inputs);
    const out: number[] = [];
    s.forEach((n, i) => {
      if (!ax.includes(i + 1)) out.push(n);
      else if (this.keepdim) out.push(1);
    });
    if (out.length === 0) throw this.shapeError(inputs, 'reducing every non-batch axis without keepdim leaves only the batch; keep the dims or keep one axis');
    return out;
  }
  private saved: Tensor | null = null;
  private xShape: Shape | null = null;
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    const ax = this.axes(x.shape.slice(1));
    this.saved = training ? x : null;
    this.xShape = training ? x.shape : null;
    const f = this.op === 'sum' ? reduceSum : this.op === 'mean' ? reduceMean : reduceMax;
    return f(x, ax, this.keepdim);
  }
  backward(dy: Tensor, needs?: readonly boolean[]): Tensor[] {
    this.gradOf(dy, needs);
    if (this.saved === null || this.xShape === null) throw this.notTrained();
    const ax = this.axes(this.xShape.slice(1));
    if (this.op === 'max') return [reduceMaxBackward(dy, this.saved, ax, this.keepdim)];
    return [(this.op === 'sum' ? reduceSumBackward : reduceMeanBackward)(dy, this.xShape, ax, this.keepdim)];
  }
  release(): void {
    this.saved = null;
    this.xShape = null;
  }
  /** One add (or comparison) per input element. */
  macs(inputs: readonly Shape[]): number {
    return inputs[0].reduce((a, b) => a * b, 1);
  }
  lower(inputs: readonly Shape[]): Prepared {
    const ax = this.axes(inputs[0].slice(1));
    const p = this.op === 'sum' ? prepareReduceSum : this.op === 'mean' ? prepareReduceMean : prepareReduceMax;
    return p(inputs[0], ax, this.keepdim);
  }
  toOnnx(e: OnnxEmitter): void {
    const ax = this.axes(e.inputShapes[0]);
    const keep = attr.i('keepdims', this.keepdim ? 1 : 0);
    // ReduceSum takes its axes as an input from opset 13, the others from opset 18
    const asInput = this.op === 'sum' ? e.opset >= 13 : e.opset >= 18;
    if (asInput) e.op(ONNX[this.op], [e.inputs[0], e.int64s('axes', ax)], [keep]);
    else e.op(ONNX[this.op], [e.inputs[0]], [attr.ints('axes', ax), keep]);
  }
  config() {
    return { op: this.op, dims: this.dims.slice(), keepdim: this.keepdim };
  }
}
