import { Pool2dLayer, type Pool2dOptions } from './pool2d-base.js';
import type { Tensor } from '../tensor.js';
import { cfg, type LayerConfig } from './layer.js';
import type { OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { avgPool2d, avgPool2dBackward, prepareAvgPool2d } from '../ops/pool2d.js';
import type { Shape } from '../tensor.js';
import { boolArg } from '../ops/validate.js';

export interface AvgPool2dOptions extends Pool2dOptions {
  countIncludePad?: boolean;
}

/** Average pooling, as torch.nn.AvgPool2d (countIncludePad defaults to true). */
export class AvgPool2d extends Pool2dLayer {
  static readonly type = 'AvgPool2d';
  readonly type = AvgPool2d.type;
  static fromConfig(c: LayerConfig, name: string): AvgPool2d {
    return new AvgPool2d(cfg(c.kernelSize), { stride: cfg(c.stride), padding: cfg(c.padding), ceilMode: cfg(c.ceilMode), countIncludePad: cfg(c.countIncludePad), name });
  }
  readonly countIncludePad: boolean;
  constructor(kernelSize: number | [number, number], options: AvgPool2dOptions = {}) {
    super('nn.AvgPool2d', kernelSize, options, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'name']);
    this.countIncludePad = boolArg('nn.AvgPool2d', 'countIncludePad', options.countIncludePad, true);
  }
  private xShape: Shape | null = null;

  private get opts() {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad };
  }

  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.xShape = training ? x.shape : null;
    return avgPool2d(x, this.opts);
  }

  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.xShape === null) throw new Error(`layer '${this.name}' (AvgPool2d): backward needs a forward pass with training true first`);
    return [avgPool2dBackward(dy, this.xShape, this.opts)];
  }

  release(): void {
    this.xShape = null;
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareAvgPool2d(inputs[0], this.opts);
  }

  toOnnx(e: OnnxEmitter): void {
    this.poolToOnnx(e, false, this.countIncludePad);
  }

  config() {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad };
  }
}
