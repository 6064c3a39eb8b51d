import { Layer, cfg, type LayerConfig, layerName } from './layer.js';
import { attr, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import type { Tensor, Shape } from '../tensor.js';
import { adaptiveAvgPool2d, adaptiveAvgPool2dBackward, prepareAdaptiveAvgPool2d } from '../ops/pool2d.js';
import { pairArg } from '../ops/validate.js';

/**
 * Average pooling to a fixed output size, as torch.nn.AdaptiveAvgPool2d: output cell i covers input
 * rows ⌊i·H/oh⌋ … ⌈(i+1)·H/oh⌉ − 1 (and likewise for columns).
 */
export class AdaptiveAvgPool2d extends Layer {
  static readonly type = 'AdaptiveAvgPool2d';
  readonly type = AdaptiveAvgPool2d.type;
  static fromConfig(c: LayerConfig, name: string): AdaptiveAvgPool2d {
    return new AdaptiveAvgPool2d(cfg(c.outputSize), { name });
  }
  readonly outputSize: [number, number];
  private xShape: Shape | null = null;
  constructor(outputSize: number | [number, number], options: { name?: string } = {}) {
    super(layerName('nn.AdaptiveAvgPool2d', options, ['name']));
    this.outputSize = pairArg('nn.AdaptiveAvgPool2d', 'outputSize', outputSize, 1);
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length !== 3) throw this.shapeError(inputs, 'it needs a [C, H, W] image (rank 3 per sample)');
    return [s[0], this.outputSize[0], this.outputSize[1]];
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.xShape = training ? x.shape : null;
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.xShape === null) throw this.notTrained();
    return [adaptiveAvgPool2dBackward(dy, this.xShape)];
  }
  release(): void {
    this.xShape = null;
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareAdaptiveAvgPool2d(inputs[0], this.outputSize);
  }
  toOnnx(e: OnnxEmitter): void {
    const s = e.inputShapes[0];
    const [oh, ow] = this.outputSize;
    if (oh === 1 && ow === 1) e.op('GlobalAveragePool', [e.inputs[0]]);
    else if (s[1] % oh === 0 && s[2] % ow === 0) {
      const k = [s[1] / oh, s[2] / ow];
      e.op('AveragePool', [e.inputs[0]], [attr.ints('kernel_shape', k), attr.ints('strides', k)]);
    } else throw e.refuse(`adaptive pooling of ${s[1]}×${s[2]} to ${oh}×${ow} has uneven windows, which ONNX pooling cannot express`);
  }
  config() {
    return { outputSize: this.outputSize };
  }
}
