import { ElementwiseLayer } from './activation-base.js';
import type { Tensor } from '../tensor.js';
import { relu, reluBackward } from '../ops/activation.js';

/** Rectified linear unit max(x, 0), as torch.nn.ReLU. */
export class ReLU extends ElementwiseLayer {
  readonly type = 'ReLU';
  private saved: Tensor | null = null;
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    this.saved = training ? inputs[0] : null;
    return relu(inputs[0]);
  }
  backward(dy: Tensor): Tensor[] {
    if (this.saved === null) throw this.notTrained();
    return [reluBackward(dy, this.saved)];
  }
  release(): void {
    this.saved = null;
  }
  config() {
    return {};
  }
}
