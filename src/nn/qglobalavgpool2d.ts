import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import type { DType, Shape, Tensor } from '../tensor.js';
import type { Prepared } from '../ops/prepared.js';
import { globalAvgPool2dQs8, prepareGlobalAvgPool2dQs8, qparamsArg, type QParams } from '../ops/qs8.js';
import type { OnnxEmitter } from './lowering.js';
import { dequantizeInput, quantizeOutput } from './qdq-onnx.js';

export interface QGlobalAvgPool2dOptions {
  /** The input's and the output's quantization (required). */
  x: QParams;
  y: QParams;
  name?: string;
}

/** The int8 mean of each channel: [C, H, W] int8 (x) → [C, 1, 1] int8 (y). */
export class QGlobalAvgPool2d extends Layer {
  static readonly type = 'QGlobalAvgPool2d';
  readonly type = QGlobalAvgPool2d.type;
  static fromConfig(c: LayerConfig, name: string): QGlobalAvgPool2d {
    return new QGlobalAvgPool2d({ x: cfg(c.x), y: cfg(c.y), name });
  }
  readonly qx: QParams;
  readonly qy: QParams;
  constructor(options: QGlobalAvgPool2dOptions) {
    const op = 'nn.QGlobalAvgPool2d';
    super(layerName(op, options, ['x', 'y', 'name']));
    const o: Partial<QGlobalAvgPool2dOptions> = options ?? {};
    this.qx = qparamsArg(op, 'x', o.x);
    this.qy = qparamsArg(op, 'y', o.y);
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length !== 3) throw this.shapeError(inputs, 'it needs a [C, H, W] image (rank 3 per sample)');
    if (s[1] * s[2] === 0) throw this.shapeError(inputs, 'an empty plane has no mean');
    return [s[0], 1, 1];
  }
  outputDtype(): DType {
    return 'int8';
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    return globalAvgPool2dQs8(this.inputOf(inputs, training, 'int8'), this.qx, this.qy);
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareGlobalAvgPool2dQs8(inputs[0], this.qx, this.qy);
  }
  /** DequantizeLinear → GlobalAveragePool → QuantizeLinear. */
  toOnnx(e: OnnxEmitter): void {
    quantizeOutput(e, e.op('GlobalAveragePool', [dequantizeInput(e, 0, this.qx)], [], `${e.name}/pool`), this.qy);
  }

  config() {
    return { x: this.qx, y: this.qy };
  }
}
