import { ElementwiseLayer } from './activation-base.js';
import type { Tensor, Shape } from '../tensor.js';
import { layerName, type LayerConfig } from './layer.js';
import type { OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { prepareTanh, tanh, tanhBackward } from '../ops/activation.js';

/** Hyperbolic tangent, as torch.nn.Tanh. */
export class Tanh extends ElementwiseLayer {
  static readonly type = 'Tanh';
  readonly type = Tanh.type;
  static fromConfig(_c: LayerConfig, name: string): Tanh {
    return new Tanh({ name });
  }
  private saved: Tensor | null = null;
  constructor(options: { name?: string } = {}) {
    super(layerName('nn.Tanh', options, ['name']));
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    const y = tanh(x);
    this.saved = training ? y : null;
    return y;
  }
  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.saved === null) throw this.notTrained();
    return [tanhBackward(dy, this.saved)];
  }
  release(): void {
    this.saved = null;
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareTanh(inputs[0]);
  }
  toOnnx(e: OnnxEmitter): void {
    e.op('Tanh', [e.inputs[0]]);
  }
  config() {
    return {};
  }
}
