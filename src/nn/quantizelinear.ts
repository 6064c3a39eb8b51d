import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import type { DType, Shape, Tensor } from '../tensor.js';
import type { Prepared } from '../ops/prepared.js';
import { prepareQuantizeLinear, qparamsArg, quantizeLinear, type QParams } from '../ops/qs8.js';
import type { OnnxEmitter } from './lowering.js';
import { qInits } from './qdq-onnx.js';

/** float32 → int8: y = clamp(round_even(x / scale) + zeroPoint, −128, 127), as ONNX QuantizeLinear. */
export class QuantizeLinear extends Layer {
  static readonly type = 'QuantizeLinear';
  readonly type = QuantizeLinear.type;
  static fromConfig(c: LayerConfig, name: string): QuantizeLinear {
    return new QuantizeLinear({ scale: cfg(c.scale), zeroPoint: cfg(c.zeroPoint) }, { name });
  }
  readonly q: QParams;
  constructor(q: QParams, options: { name?: string } = {}) {
    const op = 'nn.QuantizeLinear';
    super(layerName(op, options, ['name']));
    this.q = qparamsArg(op, 'q', q);
  }
  outputShape(inputs: readonly Shape[]): Shape {
    return this.one(inputs).slice();
  }
  outputDtype(): DType {
    return 'int8';
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    return quantizeLinear(this.inputOf(inputs, training), this.q);
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareQuantizeLinear(inputs[0], this.q);
  }
  toOnnx(e: OnnxEmitter): void {
    e.op('QuantizeLinear', [e.inputs[0], ...qInits(e, 'y', this.q)]);
  }

  config() {
    return { scale: this.q.scale, zeroPoint: this.q.zeroPoint };
  }
}
