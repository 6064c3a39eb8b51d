import { ElementwiseLayer } from './activation-base.js';
import type { Tensor } from '../tensor.js';
import { tanh, tanhBackward } from '../ops/activation.js';

/** Hyperbolic tangent, as torch.nn.Tanh. */
export class Tanh extends ElementwiseLayer {
  readonly type = 'Tanh';
  private saved: Tensor | null = null;
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const y = tanh(inputs[0]);
    this.saved = training ? y : null;
    return y;
  }
  backward(dy: Tensor): Tensor[] {
    if (this.saved === null) throw this.notTrained();
    return [tanhBackward(dy, this.saved)];
  }
  release(): void {
    this.saved = null;
  }
  config() {
    return {};
  }
}
