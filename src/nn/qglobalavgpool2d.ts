import { Layer, cfg, type LayerConfig } from './layer.js';
import type { DType, Shape, Tensor } from '../tensor.js';
import type { Prepared } from '../ops/prepared.js';
import { globalAvgPool2dQs8, prepareGlobalAvgPool2dQs8, type QParams } from '../ops/qs8.js';
import { qArg } from './qparams.js';

/** The int8 mean of each channel: [C, H, W] int8 (x) → [C, 1, 1] int8 (y). */
export class QGlobalAvgPool2d extends Layer {
  static readonly type = 'QGlobalAvgPool2d';
  readonly type = QGlobalAvgPool2d.type;
  static fromConfig(c: LayerConfig, name: string): QGlobalAvgPool2d {
    return new QGlobalAvgPool2d({ x: cfg(c.x), y: cfg(c.y), name });
  }
  readonly qx: QParams;
  readonly qy: QParams;
  constructor(options: { x: QParams; y: QParams; name?: string }) {
    super(options?.name);
    this.qx = qArg('nn.QGlobalAvgPool2d', 'x', options.x);
    this.qy = qArg('nn.QGlobalAvgPool2d', 'y', options.y);
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length !== 3) throw this.shapeError(inputs, 'it needs a [C, H, W] image (rank 3 per sample)');
    return [s[0], 1, 1];
  }
  outputDtype(): DType {
    return 'int8';
  }
  forward(inputs: readonly Tensor[]): Tensor {
    return globalAvgPool2dQs8(inputs[0], this.qx, this.qy);
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareGlobalAvgPool2dQs8(inputs[0], this.qx, this.qy);
  }
  config() {
    return { x: this.qx, y: this.qy };
  }
}
