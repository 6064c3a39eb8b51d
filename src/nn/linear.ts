import { Layer, cfg, type LayerConfig } from './layer.js';
import type { Param } from './param.js';
import type { Tensor, Shape } from '../tensor.js';
import { linear, linearBackward, prepareLinear } from '../ops/linear.js';
import type { Prepared } from '../ops/prepared.js';
import { attr, type LowerOptions, type OnnxEmitter } from './lowering.js';
import { intArg, knownOptions } from '../ops/validate.js';
import type { WeightInit } from './init.js';

export interface LinearOptions {
  bias?: boolean;
  weightInit?: WeightInit;
  name?: string;
}

/** Fully connected layer, as torch.nn.Linear: y = x·Wᵀ + b with W [out, in]. */
export class Linear extends Layer {
  static readonly type = 'Linear';
  readonly type = Linear.type;

  static fromConfig(c: LayerConfig, name: string): Linear {
    return new Linear(cfg(c.inFeatures), cfg(c.outFeatures), { bias: cfg(c.bias), name });
  }

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

  private saved: Tensor | null = null;

  forward(inputs: readonly Tensor[], training = false): Tensor {
    this.saved = training ? inputs[0] : null;
    return linear(inputs[0], this.weight.value, this.bias ? this.bias.value : null);
  }

  backward(dy: Tensor, needs?: readonly boolean[]): (Tensor | null)[] {
    const x = this.saved;
    if (x === null) throw new Error(`layer '${this.name}' (Linear): backward needs a forward pass with training true first`);
    // frozen parameters get no gradient: their kernels are skipped
    const tw = this.weight.trainable, tb = this.bias?.trainable === true;
    const { dx } = linearBackward(dy, x, this.weight.value, {
      weightGradInto: tw ? this.weight.gradBuffer() : undefined,
      weightGrad: tw,
      biasGradInto: tb ? this.bias!.gradBuffer() : undefined,
      biasGrad: tb,
      inputGrad: needs?.[0] !== false,
    });
    return [dx];
  }

  release(): void {
    this.saved = null;
  }

  macs(): number {
    return this.inFeatures * this.outFeatures;
  }

  get takesClamp(): boolean {
    return true;
  }

  lower(inputs: readonly Shape[], options: LowerOptions = {}): Prepared {
    if (options.folded) throw new Error(`compile: layer '${this.name}' (Linear) takes no folded weights`);
    return prepareLinear(inputs[0], this.weight.value, this.bias ? this.bias.value : null, options.clamp);
  }

  toOnnx(e: OnnxEmitter): void {
    const ins = [e.inputs[0], e.weight('weight', this.weight.value.toFloat32Array(), this.weight.shape)];
    if (this.bias) ins.push(e.weight('bias', this.bias.value.toFloat32Array(), this.bias.shape));
    e.op('Gemm', ins, [attr.i('transB', 1)]);
  }

  config() {
    return { inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null };
  }
}
