import { ElementwiseLayer } from './activation-base.js';
import type { Tensor } from '../tensor.js';
import { layerName, type LayerConfig } from './layer.js';
import type { OnnxEmitter } from './lowering.js';

/**
 * Passes its input through unchanged, as torch.nn.Identity (and ONNX Identity): at inference it
 * hands back the input tensor itself (the graph counts owners), as Dropout does.
 */
export class Identity extends ElementwiseLayer {
  static readonly type = 'Identity';
  readonly type = Identity.type;
  static fromConfig(_c: LayerConfig, name: string): Identity {
    return new Identity({ name });
  }
  constructor(options: { name?: string } = {}) {
    super(layerName('nn.Identity', options, ['name']));
  }
  private trained = false;
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.passInputOf(inputs, training);
    this.trained = training;
    return x;
  }
  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (!this.trained) throw this.notTrained();
    return [dy.clone()];
  }
  release(): void {
    this.trained = false;
  }
  get isAlias(): boolean {
    return true;
  }
  toOnnx(e: OnnxEmitter): void {
    e.op('Identity', [e.inputs[0]]);
  }
  config() {
    return {};
  }
}
