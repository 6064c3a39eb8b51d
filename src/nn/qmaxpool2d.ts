import { cfg, type LayerConfig } from './layer.js';
import { Pool2dLayer } from './pool2d-base.js';
import type { DType, Shape, Tensor } from '../tensor.js';
import type { Prepared } from '../ops/prepared.js';
import { maxPool2dQs8, prepareMaxPool2dQs8 } from '../ops/qs8.js';
import type { OnnxEmitter } from './lowering.js';

export interface QMaxPool2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  /** Output size rounded up, as nn.MaxPool2d's ceilMode (SqueezeNet's pools). Default false. */
  ceilMode?: boolean;
  name?: string;
}

/** Max pooling on int8 (floor rounding, or ceil with ceilMode): the output keeps the input's scale and zero point. */
export class QMaxPool2d extends Pool2dLayer {
  static readonly type = 'QMaxPool2d';
  readonly type = QMaxPool2d.type;
  static fromConfig(c: LayerConfig, name: string): QMaxPool2d {
    return new QMaxPool2d(cfg(c.kernelSize), { stride: cfg(c.stride), padding: cfg(c.padding), dilation: cfg(c.dilation), ceilMode: cfg(c.ceilMode) ?? undefined, name });
  }
  constructor(kernelSize: number | [number, number], options: QMaxPool2dOptions = {}) {
    super('nn.QMaxPool2d', kernelSize, options, ['stride', 'padding', 'dilation', 'ceilMode', 'name']);
  }
  outputDtype(): DType {
    return 'int8';
  }
  private get opts() {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    return maxPool2dQs8(this.inputOf(inputs, training, 'int8'), this.opts);
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareMaxPool2dQs8(inputs[0], this.opts);
  }
  /** MaxPool on the INT8 tensor itself (ONNX MaxPool takes int8 from opset 12): the scale is kept. */
  toOnnx(e: OnnxEmitter): void {
    this.poolToOnnx(e, true, false);
  }

  config() {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }
}
