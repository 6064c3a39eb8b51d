import { cfg, layerName, type LayerConfig } from './layer.js';
import type { Shape, Tensor } from '../tensor.js';
import type { Prepared } from '../ops/prepared.js';
import { linearQs8, prepareLinearQs8 } from '../ops/gemm-qs8.js';
import { intArg } from '../ops/validate.js';
import { QWeightedLayer, type QWeightedOptions } from './qweighted.js';

export type QLinearOptions = QWeightedOptions;

/**
 * An int8 dense layer (what quantize() makes of a Linear, ReLU / ReLU6 fused): int8 [in] → int8
 * [out], weights int8 [out, in] symmetric per output feature (weightScale [out]), a real-valued bias.
 * Inference only.
 */
export class QLinear extends QWeightedLayer {
  static readonly type = 'QLinear';
  readonly type = QLinear.type;
  static fromConfig(c: LayerConfig, name: string): QLinear {
    return new QLinear(cfg(c.inFeatures), cfg(c.outFeatures), { bias: cfg(c.bias), x: cfg(c.x), y: cfg(c.y), clamp: cfg(c.clamp) ?? undefined, name });
  }
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, options: QLinearOptions) {
    const op = 'nn.QLinear';
    super(layerName(op, options, ['bias', 'x', 'y', 'clamp', 'name']));
    this.inFeatures = intArg(op, 'inFeatures', inFeatures, 1);
    this.outFeatures = intArg(op, 'outFeatures', outFeatures, 1);
    this.setup(op, [this.outFeatures, this.inFeatures], options ?? {});
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length !== 1 || s[0] !== this.inFeatures) throw this.shapeError(inputs, `it takes [${this.inFeatures}] (put a Flatten before it)`);
    return [this.outFeatures];
  }

  forward(inputs: readonly Tensor[], training = false): Tensor {
    return linearQs8(this.inputOf(inputs, training, 'int8'), this.qweights(), this.q);
  }

  lower(inputs: readonly Shape[]): Prepared {
    return prepareLinearQs8(inputs[0], this.qweights(), this.q);
  }

  macs(): number {
    return this.inFeatures * this.outFeatures;
  }

  config() {
    return { inFeatures: this.inFeatures, outFeatures: this.outFeatures, ...this.qconfig() };
  }
}
