import { ElementwiseLayer } from './activation-base.js';
import type { Tensor } from '../tensor.js';
import { sigmoid, sigmoidBackward } from '../ops/activation.js';

/** Logistic sigmoid 1 / (1 + e^−x), as torch.nn.Sigmoid. */
export class Sigmoid extends ElementwiseLayer {
  readonly type = 'Sigmoid';
  private saved: Tensor | null = null;
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const y = sigmoid(inputs[0]);
    this.saved = training ? y : null;
    return y;
  }
  backward(dy: Tensor): Tensor[] {
    if (this.saved === null) throw this.notTrained();
    return [sigmoidBackward(dy, this.saved)];
  }
  release(): void {
    this.saved = null;
  }
  config() {
    return {};
  }
}
