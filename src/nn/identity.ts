import { ElementwiseLayer } from './activation-base.js';
import type { Tensor } from '../tensor.js';

/**
 * Passes its input through unchanged, as torch.nn.Identity (and ONNX Identity): at inference it
 * hands back the input tensor itself (the graph counts owners), as Dropout does.
 */
export class Identity extends ElementwiseLayer {
  readonly type = 'Identity';
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  private trained = false;
  forward(inputs: readonly Tensor[], training = false): Tensor {
    this.trained = training;
    return inputs[0];
  }
  backward(dy: Tensor): Tensor[] {
    if (!this.trained) throw this.notTrained();
    return [dy.clone()];
  }
  release(): void {
    this.trained = false;
  }
  config() {
    return {};
  }
}
