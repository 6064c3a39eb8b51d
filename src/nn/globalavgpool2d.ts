import { Layer } from './layer.js';
import type { Tensor, Shape } from '../tensor.js';
import { globalAvgPool2d } from '../ops/pool2d.js';

/** Mean over each channel's H × W: [C, H, W] → [C, 1, 1] (as nn.AdaptiveAvgPool2d(1) and ONNX GlobalAveragePool). */
export class GlobalAvgPool2d extends Layer {
  readonly type = 'GlobalAvgPool2d';
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length !== 3) throw this.shapeError(inputs, 'it needs a [C, H, W] image (rank 3 per sample)');
    return [s[0], 1, 1];
  }
  forward(inputs: readonly Tensor[]): Tensor {
    return globalAvgPool2d(inputs[0]);
  }
  config() {
    return {};
  }
}
