import { Layer, cfg, type LayerConfig } from './layer.js';
import type { DType, Shape, Tensor } from '../tensor.js';
import type { Prepared } from '../ops/prepared.js';
import { addQs8, prepareAddQs8, type QClamp, type QParams } from '../ops/qs8.js';
import { clampArg, qArg } from './qparams.js';

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
  constructor(options: { a: QParams; b: QParams; y: QParams; clamp?: QClamp; name?: string }) {
    super(options?.name);
    const op = 'nn.QAdd';
    this.qa = qArg(op, 'a', options.a);
    this.qb = qArg(op, 'b', options.b);
    this.qy = qArg(op, 'y', options.y);
    this.clamp = clampArg(op, options.clamp);
  }
  outputShape(inputs: readonly Shape[]): Shape {
    if (inputs.length !== 2) throw this.shapeError(inputs, 'it takes exactly two inputs');
    const [a, b] = inputs;
    if (a.length !== b.length || a.some((d, k) => d !== b[k])) throw this.shapeError(inputs, 'both inputs must have the same shape (no broadcasting in int8)');
    return a.slice();
  }
  outputDtype(): DType {
    return 'int8';
  }
  forward(inputs: readonly Tensor[]): Tensor {
    return addQs8(inputs[0], inputs[1], this.qa, this.qb, this.qy, this.clamp);
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareAddQs8(inputs[0], this.qa, this.qb, this.qy, this.clamp);
  }
  config() {
    return { a: this.qa, b: this.qb, y: this.qy, clamp: this.clamp ?? null };
  }
}
