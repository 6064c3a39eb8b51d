import { ElementwiseLayer } from './activation-base.js';
import type { Tensor, Shape } from '../tensor.js';
import { layerName, type LayerConfig } from './layer.js';
import type { Clamp, OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { prepareRelu, relu, reluBackward } from '../ops/activation.js';

/** Rectified linear unit max(x, 0), as torch.nn.ReLU. */
export class ReLU extends ElementwiseLayer {
  static readonly type = 'ReLU';
  readonly type = ReLU.type;
  static fromConfig(_c: LayerConfig, name: string): ReLU {
    return new ReLU({ name });
  }
  private saved: Tensor | null = null;
  constructor(options: { name?: string } = {}) {
    super(layerName('nn.ReLU', options, ['name']));
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.saved = training ? x : null;
    return relu(x);
  }
  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.saved === null) throw this.notTrained();
    return [reluBackward(dy, this.saved)];
  }
  release(): void {
    this.saved = null;
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareRelu(inputs[0]);
  }
  clampAtInference(): Clamp | null {
    return { min: 0, max: Infinity };
  }
  toOnnx(e: OnnxEmitter): void {
    e.op('Relu', [e.inputs[0]]);
  }
  config() {
    return {};
  }
}
