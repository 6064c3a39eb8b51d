import { Pool2dLayer, type Pool2dOptions } from './pool2d-base.js';
import type { Tensor } from '../tensor.js';
import { avgPool2d } from '../ops/pool2d.js';

export interface AvgPool2dOptions extends Pool2dOptions {
  countIncludePad?: boolean;
}

/** Average pooling, as torch.nn.AvgPool2d (countIncludePad defaults to true). */
export class AvgPool2d extends Pool2dLayer {
  readonly type = 'AvgPool2d';
  readonly countIncludePad: boolean;
  constructor(kernelSize: number | [number, number], options: AvgPool2dOptions = {}) {
    super('nn.AvgPool2d', kernelSize, options, ['stride', 'padding', 'ceilMode', 'countIncludePad', 'name']);
    this.countIncludePad = options.countIncludePad ?? true;
  }
  forward(inputs: readonly Tensor[]): Tensor {
    return avgPool2d(inputs[0], {
      kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    });
  }
  config() {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad };
  }
}
