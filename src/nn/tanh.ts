import { ElementwiseLayer } from './activation-base.js';
import type { Tensor } from '../tensor.js';
import { tanh } from '../ops/activation.js';

/** Hyperbolic tangent, as torch.nn.Tanh. */
export class Tanh extends ElementwiseLayer {
  readonly type = 'Tanh';
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  forward(inputs: readonly Tensor[]): Tensor {
    return tanh(inputs[0]);
  }
  config() {
    return {};
  }
}
