import { ElementwiseLayer } from './activation-base.js';
import type { Tensor } from '../tensor.js';
import { relu } from '../ops/activation.js';

/** Rectified linear unit max(x, 0), as torch.nn.ReLU. */
export class ReLU extends ElementwiseLayer {
  readonly type = 'ReLU';
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  forward(inputs: readonly Tensor[]): Tensor {
    return relu(inputs[0]);
  }
  config() {
    return {};
  }
}
