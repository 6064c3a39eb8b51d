import { ElementwiseLayer } from './activation-base.js';
import type { Tensor } from '../tensor.js';
import { leakyRelu, leakyReluBackward } from '../ops/activation.js';
import { numberArg } from '../ops/validate.js';

/** max(x, 0) + negativeSlope·min(x, 0), as torch.nn.LeakyReLU (slope 0.01 by default). */
export class LeakyReLU extends ElementwiseLayer {
  readonly type = 'LeakyReLU';
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.01, options: { name?: string } = {}) {
    super(options.name);
    this.negativeSlope = numberArg('nn.LeakyReLU', 'negativeSlope', negativeSlope);
  }
  private saved: Tensor | null = null;
  forward(inputs: readonly Tensor[], training = false): Tensor {
    this.saved = training ? inputs[0] : null;
    return leakyRelu(inputs[0], this.negativeSlope);
  }
  backward(dy: Tensor): Tensor[] {
    if (this.saved === null) throw this.notTrained();
    return [leakyReluBackward(dy, this.saved, this.negativeSlope)];
  }
  release(): void {
    this.saved = null;
  }
  config() {
    return { negativeSlope: this.negativeSlope };
  }
}
