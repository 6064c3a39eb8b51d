import { Pool2dLayer, type Pool2dOptions } from './pool2d-base.js';
import type { Tensor } from '../tensor.js';
import { maxPool2d } from '../ops/pool2d.js';

export interface MaxPool2dOptions extends Pool2dOptions {
  dilation?: number | [number, number];
}

/** Max pooling, as torch.nn.MaxPool2d (stride defaults to the kernel size). */
export class MaxPool2d extends Pool2dLayer {
  readonly type = 'MaxPool2d';
  constructor(kernelSize: number | [number, number], options: MaxPool2dOptions = {}) {
    super('nn.MaxPool2d', kernelSize, options, ['stride', 'padding', 'dilation', 'ceilMode', 'name']);
  }
  forward(inputs: readonly Tensor[]): Tensor {
    return maxPool2d(inputs[0], {
      kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode,
    });
  }
  config() {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }
}
