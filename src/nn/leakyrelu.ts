import { ElementwiseLayer } from './activation-base.js';
import type { Tensor } from '../tensor.js';
import { leakyRelu } from '../ops/activation.js';
import { numberArg } from '../ops/validate.js';

/** max(x, 0) + negativeSlope·min(x, 0), as torch.nn.LeakyReLU (slope 0.01 by default). */
export class LeakyReLU extends ElementwiseLayer {
  readonly type = 'LeakyReLU';
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.01, options: { name?: string } = {}) {
    super(options.name);
    this.negativeSlope = numberArg('nn.LeakyReLU', 'negativeSlope', negativeSlope);
  }
  forward(inputs: readonly Tensor[]): Tensor {
    return leakyRelu(inputs[0], this.negativeSlope);
  }
  config() {
    return { negativeSlope: this.negativeSlope };
  }
}
