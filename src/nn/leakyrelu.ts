import { ElementwiseLayer } from './activation-base.js';
import type { Tensor, Shape } from '../tensor.js';
import { cfg, type LayerConfig, layerName } from './layer.js';
import { attr, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { prepareLeakyRelu, leakyRelu, leakyReluBackward } from '../ops/activation.js';
import { numberArg } from '../ops/validate.js';

/** max(x, 0) + negativeSlope·min(x, 0), as torch.nn.LeakyReLU (slope 0.01 by default). */
export class LeakyReLU extends ElementwiseLayer {
  static readonly type = 'LeakyReLU';
  readonly type = LeakyReLU.type;
  static fromConfig(c: LayerConfig, name: string): LeakyReLU {
    return new LeakyReLU(cfg(c.negativeSlope), { name });
  }
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.01, options: { name?: string } = {}) {
    super(layerName('nn.LeakyReLU', options, ['name']));
    this.negativeSlope = numberArg('nn.LeakyReLU', 'negativeSlope', negativeSlope);
  }
  private saved: Tensor | null = null;
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.saved = training ? x : null;
    return leakyRelu(x, this.negativeSlope);
  }
  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.saved === null) throw this.notTrained();
    return [leakyReluBackward(dy, this.saved, this.negativeSlope)];
  }
  release(): void {
    this.saved = null;
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareLeakyRelu(inputs[0], this.negativeSlope);
  }
  toOnnx(e: OnnxEmitter): void {
    e.op('LeakyRelu', [e.inputs[0]], [attr.f('alpha', this.negativeSlope)]);
  }
  config() {
    return { negativeSlope: this.negativeSlope };
  }
}
