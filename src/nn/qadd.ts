import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import type { DType, Shape, Tensor } from '../tensor.js';
import type { Prepared } from '../ops/prepared.js';
import { addQs8, prepareAddQs8, qclampArg, qparamsArg, type QClamp, type QParams } from '../ops/qs8.js';
import type { OnnxEmitter } from './lowering.js';
import { dequantizeInput, quantizeOutput } from './qdq-onnx.js';

export interface QAddOptions {
  /** The quantization of the first input, of the second, and of the output (all required). */
  a: QParams;
  b: QParams;
  y: QParams;
  /** Real-valued bounds fused into the store (ReLU: { min: 0 }). */
  clamp?: QClamp;
  name?: string;
}

/** The int8 sum of two same-shape int8 inputs (a residual connection), requantized to y, clamp fused. */
export class QAdd extends Layer {
  static readonly type = 'QAdd';
  readonly type = QAdd.type;
  readonly inputs = 2;
  static fromConfig(c: LayerConfig, name: string): QAdd {
    return new QAdd({ a: cfg(c.a), b: cfg(c.b), y: cfg(c.y), clamp: cfg(c.clamp) ?? undefined, name });
  }
  readonly qa: QParams;
  readonly qb: QParams;
  readonly qy: QParams;
  readonly clamp: QClamp | undefined;
  constructor(options: QAddOptions) {
    const op = 'nn.QAdd';
    super(layerName(op, options, ['a', 'b', 'y', 'clamp', 'name']));
    const o: Partial<QAddOptions> = options ?? {};
    this.qa = qparamsArg(op, 'a', o.a);
    this.qb = qparamsArg(op, 'b', o.b);
    this.qy = qparamsArg(op, 'y', o.y);
    this.clamp = qclampArg(op, 'clamp', o.clamp);
  }
  outputShape(shapes: readonly Shape[]): Shape {
    const inputs = this.shapesOf(shapes);
    const [a, b] = inputs;
    if (a.length !== b.length || a.some((d, k) => d !== b[k])) throw this.shapeError(inputs, 'both inputs must have the same shape (no broadcasting in int8)');
    return a.slice();
  }
  outputDtype(): DType {
    return 'int8';
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const [a, b] = this.tensorsOf(inputs, training, 'int8');
    return addQs8(a, b, this.qa, this.qb, this.qy, this.clamp);
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareAddQs8(inputs[0], this.qa, this.qb, this.qy, this.clamp);
  }
  /** DequantizeLinear of both → Add → clamp → QuantizeLinear. */
  toOnnx(e: OnnxEmitter): void {
    const v = e.op('Add', [dequantizeInput(e, 0, this.qa, 'a'), dequantizeInput(e, 1, this.qb, 'b')], [], `${e.name}/add`);
    quantizeOutput(e, v, this.qy, this.clamp);
  }

  config() {
    return { a: this.qa, b: this.qb, y: this.qy, clamp: this.clamp ?? null };
  }
}
