import { ElementwiseLayer } from './activation-base.js';
import type { Tensor, Shape } from '../tensor.js';
import { cfg, type LayerConfig, layerName } from './layer.js';
import { attr, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { prepareSoftmax, prepareLogSoftmax, softmax, logSoftmax, softmaxBackward, logSoftmaxBackward } from '../ops/softmax.js';
import { boolArg, intArg } from '../ops/validate.js';

/**
 * Softmax over `dim` of the batched tensor (as torch.nn.Softmax; dim 1 = the class axis of
 * [N, classes] or the channel axis of NCHW). `log: true` gives LogSoftmax.
 */
export class Softmax extends ElementwiseLayer {
  static readonly type: string = 'Softmax';
  static fromConfig(c: LayerConfig, name: string): Softmax {
    return new Softmax(cfg(c.dim), { name });
  }
  readonly type: string;
  readonly dim: number;
  readonly log: boolean;
  constructor(dim = 1, options: { name?: string; log?: boolean } = {}) {
    const op = options?.log === true ? 'nn.LogSoftmax' : 'nn.Softmax';
    super(layerName(op, options, ['name', 'log']));
    this.dim = intArg(op, 'dim', dim, -8, 8);
    this.log = boolArg(op, 'log', options.log, false);
    this.type = this.log ? 'LogSoftmax' : 'Softmax';
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    const rank = s.length + 1;
    if (this.dim >= rank || this.dim < -rank || this.dim === 0 || this.dim === -rank) {
      throw this.shapeError(inputs, `dim ${this.dim} must name a non-batch axis of the batched rank-${rank} tensor (1 … ${rank - 1})`);
    }
    return s.slice();
  }
  private saved: Tensor | null = null;
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    const y = this.log ? logSoftmax(x, this.dim) : softmax(x, this.dim);
    this.saved = training ? y : null;
    return y;
  }
  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.saved === null) throw this.notTrained();
    return [this.log ? logSoftmaxBackward(dy, this.saved, this.dim) : softmaxBackward(dy, this.saved, this.dim)];
  }
  release(): void {
    this.saved = null;
  }
  lower(inputs: readonly Shape[]): Prepared {
    return this.log ? prepareLogSoftmax(inputs[0], this.dim) : prepareSoftmax(inputs[0], this.dim);
  }
  toOnnx(e: OnnxEmitter): void {
    e.op(this.log ? 'LogSoftmax' : 'Softmax', [e.inputs[0]], [attr.i('axis', this.dim)]);
  }
  config() {
    return { dim: this.dim, log: this.log };
  }
}

/** LogSoftmax over `dim`, as torch.nn.LogSoftmax. */
export class LogSoftmax extends Softmax {
  static readonly type: string = 'LogSoftmax';
  static fromConfig(c: LayerConfig, name: string): LogSoftmax {
    return new LogSoftmax(cfg(c.dim), { name });
  }
  constructor(dim = 1, options: { name?: string } = {}) {
    super(dim, { ...options, log: true });
  }
}
