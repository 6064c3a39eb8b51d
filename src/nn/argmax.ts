import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import { Tensor, type Shape } from '../tensor.js';
import { attr, type OnnxEmitter } from './lowering.js';
import { runOnce, type Prepared } from '../ops/prepared.js';
import { prepareArgMax } from '../ops/argmax.js';
import { boolArg, intArg } from '../ops/validate.js';
import { batchedAxes } from './axes-arg.js';

export interface ArgMaxLayerOptions {
  /** Keep the reduced axis as a 1 (default false, as torch.argmax; ONNX's keepdims defaults to 1). */
  keepDim?: boolean;
  /** Ties go to the last index (ONNX select_last_index; default false: the first, as PyTorch). */
  selectLastIndex?: boolean;
  name?: string;
}

/**
 * The index of the greatest element along `dim` of the batched tensor (never the batch axis), as
 * torch.argmax(x, dim, keepdim) and ONNX ArgMax: dim 1 of NCHW scores gives a segmentation map.
 * Ties go to the first index (selectLastIndex: the last); NaN counts as the greatest. Graphs carry
 * float32, so the indices come out as float32 values, exact integers (up to 2^24, checked);
 * toInt32Array() reads them as integers. Not differentiable: backward throws.
 */
export class ArgMax extends Layer {
  static readonly type: string = 'ArgMax';
  static fromConfig(c: LayerConfig, name: string): ArgMax {
    return new ArgMax(cfg(c.dim), { keepDim: cfg(c.keepDim), selectLastIndex: cfg(c.selectLastIndex), name });
  }
  readonly type: string = ArgMax.type;
  readonly dim: number;
  readonly keepDim: boolean;
  readonly selectLastIndex: boolean;
  /** ArgMin instead (the least element); set by the subclass. */
  protected readonly min: boolean = false;

  constructor(dim = 1, options: ArgMaxLayerOptions = {}) {
    const op = `nn.${new.target.type}`;
    super(layerName(op, options, ['keepDim', 'selectLastIndex']));
    this.dim = intArg(op, 'dim', dim, -8, 8);
    this.keepDim = boolArg(op, 'keepDim', options.keepDim, false);
    this.selectLastIndex = boolArg(op, 'selectLastIndex', options.selectLastIndex, false);
  }

  /** The reduced axis of the batched tensor whose per-sample shape is s. */
  private axis(s: Shape, inputs: readonly Shape[]): number {
    const a = batchedAxes([this.dim], s);
    if (typeof a === 'string') throw this.shapeError(inputs, a);
    return a[0];
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    const a = this.axis(s, inputs);
    if (s[a - 1] === 0) throw this.shapeError(inputs, `axis ${a} is empty: there is no index to return`);
    if (s[a - 1] > 2 ** 24) throw this.shapeError(inputs, `axis ${a} has ${s[a - 1]} entries; float32 holds indices exactly only up to 2^24`);
    // [N, classes] → [N] (a classifier's labels) leaves an empty per-sample shape, which graphs carry
    return this.keepDim ? s.map((d, i) => (i === a - 1 ? 1 : d)) : s.filter((_, i) => i !== a - 1);
  }

  lower(inputs: readonly Shape[]): Prepared {
    const a = this.axis(inputs[0].slice(1), inputs.map((s) => s.slice(1)));
    return prepareArgMax(inputs[0], a, { keepDim: this.keepDim, selectLastIndex: this.selectLastIndex, dtype: 'float32' }, this.min);
  }

  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.outputShape([x.shape.slice(1)]);
    return runOnce(this.lower([x.shape]), [x.ptr], (s) => Tensor.empty(s));
  }

  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    throw new Error(`layer '${this.name || this.type}' (${this.type}) is not differentiable: its output is an index, with no gradient to pass back; ` +
      'freeze or remove it (or train on the scores before it) to train this model');
  }

  /** One comparison per input element. */
  macs(inputs: readonly Shape[]): number {
    return inputs[0].reduce((a, b) => a * b, 1);
  }

  /** ONNX ArgMax / ArgMin (int64 indices), then a Cast to FLOAT: the graph stays float32, as ours. */
  toOnnx(e: OnnxEmitter): void {
    const a = this.axis(e.inputShapes[0], e.inputShapes);
    const attrs = [attr.i('axis', a), attr.i('keepdims', this.keepDim ? 1 : 0)];
    if (this.selectLastIndex) attrs.push(attr.i('select_last_index', 1)); // opset 12+ (we write 13)
    const idx = e.op(this.min ? 'ArgMin' : 'ArgMax', [e.inputs[0]], attrs, `${e.name}/indices`);
    e.op('Cast', [idx], [attr.i('to', 1)]);
  }

  config() {
    return { dim: this.dim, keepDim: this.keepDim, selectLastIndex: this.selectLastIndex };
  }
}

/** The index of the least element along `dim`, as ArgMax (torch.argmin, ONNX ArgMin; NaN is chosen, as PyTorch). */
export class ArgMin extends ArgMax {
  static readonly type: string = 'ArgMin';
  static fromConfig(c: LayerConfig, name: string): ArgMin {
    return new ArgMin(cfg(c.dim), { keepDim: cfg(c.keepDim), selectLastIndex: cfg(c.selectLastIndex), name });
  }
  readonly type: string = ArgMin.type;
  protected readonly min: boolean = true;
}
