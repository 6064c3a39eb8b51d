import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import type { DType, Shape, Tensor } from '../tensor.js';
import type { Prepared } from '../ops/prepared.js';
import { qparamsArg, type QParams } from '../ops/qs8.js';
import { concatQs8, prepareConcatQs8 } from '../ops/qs8-concat.js';
import { describe, intArg } from '../ops/validate.js';
import { attr, type OnnxEmitter } from './lowering.js';
import { concatShape } from './concat.js';
import { dequantizeInput, quantizeOutput } from './qdq-onnx.js';

export interface QConcatOptions {
  /** The axis of the batched tensor to join along (a non-batch one; default 1, the channels). */
  dim?: number;
  /** The quantization of each input, in order (one per input: 1 … 64). */
  inputs: QParams[];
  /** The quantization of the output. */
  y: QParams;
  name?: string;
}

/**
 * The int8 join of int8 inputs along `dim` (a quantized Inception / ShuffleNet concat): an input
 * quantized as the output is copied, another one requantized to y as DequantizeLinear →
 * QuantizeLinear would (a 256-byte table).
 */
export class QConcat extends Layer {
  static readonly type = 'QConcat';
  readonly type = QConcat.type;
  static fromConfig(c: LayerConfig, name: string): QConcat {
    return new QConcat({ dim: cfg(c.dim), inputs: cfg(c.inputs), y: cfg(c.y), name });
  }
  /** How many inputs it takes: one per quantization given. */
  declare readonly inputs: number;
  readonly dim: number;
  readonly qx: readonly QParams[];
  readonly qy: QParams;
  constructor(options: QConcatOptions) {
    const op = 'nn.QConcat';
    super(layerName(op, options, ['dim', 'inputs', 'y', 'name']));
    const o: Partial<QConcatOptions> = options ?? {};
    this.dim = intArg(op, 'dim', o.dim ?? 1, -8);
    const xs: unknown = o.inputs;
    if (!Array.isArray(xs) || xs.length < 1 || xs.length > 64) {
      throw new RangeError(`${op}: inputs must be an array of 1 … 64 quantizations { scale, zeroPoint } (one per input), got ${describe(xs)}`);
    }
    this.qx = xs.map((q, i) => qparamsArg(op, `inputs[${i}]`, q));
    this.qy = qparamsArg(op, 'y', o.y);
    this.inputs = this.qx.length;
  }
  outputShape(shapes: readonly Shape[]): Shape {
    const inputs = this.shapesOf(shapes);
    return concatShape(inputs, this.dim, (need) => this.shapeError(inputs, need));
  }
  outputDtype(): DType {
    return 'int8';
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    return concatQs8(this.tensorsOf(inputs, training, 'int8'), this.dim, this.qx, this.qy);
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareConcatQs8(inputs, this.dim, this.qx, this.qy);
  }
  /** DequantizeLinear of each input with its own quantization → Concat → QuantizeLinear. */
  toOnnx(e: OnnxEmitter): void {
    const xs = this.qx.map((q, i) => dequantizeInput(e, i, q, `x${i}`));
    quantizeOutput(e, e.op('Concat', xs, [attr.i('axis', this.dim)], `${e.name}/concat`), this.qy);
  }

  config() {
    return { dim: this.dim, inputs: this.qx.map((q) => ({ ...q })), y: this.qy };
  }
}
