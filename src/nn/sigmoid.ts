import { ElementwiseLayer } from './activation-base.js';
import type { Tensor } from '../tensor.js';
import { sigmoid } from '../ops/activation.js';

/** Logistic sigmoid 1 / (1 + e^−x), as torch.nn.Sigmoid. */
export class Sigmoid extends ElementwiseLayer {
  readonly type = 'Sigmoid';
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  forward(inputs: readonly Tensor[]): Tensor {
    return sigmoid(inputs[0]);
  }
  config() {
    return {};
  }
}
