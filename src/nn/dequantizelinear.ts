import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import type { Shape, Tensor } from '../tensor.js';
import type { Prepared } from '../ops/prepared.js';
import { dequantizeLinear, prepareDequantizeLinear, qparamsArg, type QParams } from '../ops/qs8.js';
import type { OnnxEmitter } from './lowering.js';
import { qInits } from './qdq-onnx.js';

/** int8 → float32: y = (x − zeroPoint)·scale, as ONNX DequantizeLinear. */
export class DequantizeLinear extends Layer {
  static readonly type = 'DequantizeLinear';
  readonly type = DequantizeLinear.type;
  static fromConfig(c: LayerConfig, name: string): DequantizeLinear {
    return new DequantizeLinear({ scale: cfg(c.scale), zeroPoint: cfg(c.zeroPoint) }, { name });
  }
  readonly q: QParams;
  constructor(q: QParams, options: { name?: string } = {}) {
    const op = 'nn.DequantizeLinear';
    super(layerName(op, options, ['name']));
    this.q = qparamsArg(op, 'q', q);
  }
  outputShape(inputs: readonly Shape[]): Shape {
    return this.one(inputs).slice();
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    return dequantizeLinear(this.inputOf(inputs, training, 'int8'), this.q);
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareDequantizeLinear(inputs[0], this.q);
  }
  toOnnx(e: OnnxEmitter): void {
    e.op('DequantizeLinear', [e.inputs[0], ...qInits(e, 'x', this.q)]);
  }

  config() {
    return { scale: this.q.scale, zeroPoint: this.q.zeroPoint };
  }
}
