import { Layer } from './layer.js';
import type { Tensor, Shape } from '../tensor.js';
import { adaptiveAvgPool2d, adaptiveAvgPool2dBackward } from '../ops/pool2d.js';
import { pairArg } from '../ops/validate.js';

/**
 * Average pooling to a fixed output size, as torch.nn.AdaptiveAvgPool2d: output cell i covers input
 * rows ⌊i·H/oh⌋ … ⌈(i+1)·H/oh⌉ − 1 (and likewise for columns).
 */
export class AdaptiveAvgPool2d extends Layer {
  readonly type = 'AdaptiveAvgPool2d';
  readonly outputSize: [number, number];
  private xShape: Shape | null = null;
  constructor(outputSize: number | [number, number], options: { name?: string } = {}) {
    super(options.name);
    this.outputSize = pairArg('nn.AdaptiveAvgPool2d', 'outputSize', outputSize, 1);
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length !== 3) throw this.shapeError(inputs, 'it needs a [C, H, W] image (rank 3 per sample)');
    return [s[0], this.outputSize[0], this.outputSize[1]];
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    this.xShape = training ? inputs[0].shape : null;
    return adaptiveAvgPool2d(inputs[0], this.outputSize);
  }
  backward(dy: Tensor): Tensor[] {
    if (this.xShape === null) throw this.notTrained();
    return [adaptiveAvgPool2dBackward(dy, this.xShape)];
  }
  release(): void {
    this.xShape = null;
  }
  config() {
    return { outputSize: this.outputSize };
  }
}
