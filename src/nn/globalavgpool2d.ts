import { Layer, type LayerConfig, layerName } from './layer.js';
import type { OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import type { Tensor, Shape } from '../tensor.js';
import { globalAvgPool2d, globalAvgPool2dBackward, prepareGlobalAvgPool2d } from '../ops/pool2d.js';

/** Mean over each channel's H × W: [C, H, W] → [C, 1, 1] (as nn.AdaptiveAvgPool2d(1) and ONNX GlobalAveragePool). */
export class GlobalAvgPool2d extends Layer {
  static readonly type = 'GlobalAvgPool2d';
  readonly type = GlobalAvgPool2d.type;
  static fromConfig(_c: LayerConfig, name: string): GlobalAvgPool2d {
    return new GlobalAvgPool2d({ name });
  }
  constructor(options: { name?: string } = {}) {
    super(layerName('nn.GlobalAvgPool2d', options, ['name']));
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length !== 3) throw this.shapeError(inputs, 'it needs a [C, H, W] image (rank 3 per sample)');
    return [s[0], 1, 1];
  }
  private xShape: Shape | null = null;

  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.xShape = training ? x.shape : null;
    return globalAvgPool2d(x);
  }

  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.xShape === null) throw new Error(`layer '${this.name}' (GlobalAvgPool2d): backward needs a forward pass with training true first`);
    return [globalAvgPool2dBackward(dy, this.xShape)];
  }

  release(): void {
    this.xShape = null;
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareGlobalAvgPool2d(inputs[0]);
  }
  toOnnx(e: OnnxEmitter): void {
    e.op('GlobalAveragePool', [e.inputs[0]]);
  }
  config() {
    return {};
  }
}
