import { Layer } from './layer.js';
import type { Param } from './param.js';
import type { Tensor, Shape } from '../tensor.js';
import { linear } from '../ops/linear.js';
import { intArg, knownOptions } from '../ops/validate.js';
import type { WeightInit } from './init.js';

export interface LinearOptions {
  bias?: boolean;
  weightInit?: WeightInit;
  name?: string;
}

/** Fully connected layer, as torch.nn.Linear: y = x·Wᵀ + b with W [out, in]. */
export class Linear extends Layer {
  readonly type = 'Linear';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Param;
  readonly bias: Param | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super(options.name);
    knownOptions('nn.Linear', options, ['bias', 'weightInit', 'name']);
    this.inFeatures = intArg('nn.Linear', 'inFeatures', inFeatures, 1);
    this.outFeatures = intArg('nn.Linear', 'outFeatures', outFeatures, 1);
    this.weight = this.addParam({ name: 'weight', shape: [outFeatures, inFeatures], init: options.weightInit ?? 'kaimingUniform' });
    this.bias = options.bias === false ? null : this.addParam({ name: 'bias', shape: [outFeatures], init: 'zeros' });
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length !== 1) {
      const n = s.reduce((a, b) => a * b, 1);
      throw this.shapeError(inputs, `it needs a flat vector of ${this.inFeatures} features: put a Flatten before it` +
        (n === this.inFeatures ? ` (the input has ${n} values, the right number)` : ` (the input has ${n} values)`));
    }
    if (s[0] !== this.inFeatures) throw this.shapeError(inputs, `it was built for ${this.inFeatures} input features`);
    return [this.outFeatures];
  }

  forward(inputs: readonly Tensor[]): Tensor {
    return linear(inputs[0], this.weight.value, this.bias ? this.bias.value : null);
  }

  macs(): number {
    return this.inFeatures * this.outFeatures;
  }

  config() {
    return { inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null };
  }
}
