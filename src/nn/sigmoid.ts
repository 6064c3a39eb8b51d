import { ElementwiseLayer } from './activation-base.js';
import type { Tensor, Shape } from '../tensor.js';
import { layerName, type LayerConfig } from './layer.js';
import type { OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { prepareSigmoid, sigmoid, sigmoidBackward } from '../ops/activation.js';

/** Logistic sigmoid 1 / (1 + e^−x), as torch.nn.Sigmoid. */
export class Sigmoid extends ElementwiseLayer {
  static readonly type = 'Sigmoid';
  readonly type = Sigmoid.type;
  static fromConfig(_c: LayerConfig, name: string): Sigmoid {
    return new Sigmoid({ name });
  }
  private saved: Tensor | null = null;
  constructor(options: { name?: string } = {}) {
    super(layerName('nn.Sigmoid', options, ['name']));
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    const y = sigmoid(x);
    this.saved = training ? y : null;
    return y;
  }
  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.saved === null) throw this.notTrained();
    return [sigmoidBackward(dy, this.saved)];
  }
  release(): void {
    this.saved = null;
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareSigmoid(inputs[0]);
  }
  toOnnx(e: OnnxEmitter): void {
    e.op('Sigmoid', [e.inputs[0]]);
  }
  config() {
    return {};
  }
}
