import { Layer, cfg, type LayerConfig, layerName } from './layer.js';
import type { Param } from './param.js';
import type { Tensor, Shape } from '../tensor.js';
import { linear, linearBackward, prepareLinear } from '../ops/linear.js';
import type { Prepared } from '../ops/prepared.js';
import { attr, type LowerOptions, type OnnxEmitter } from './lowering.js';
import { boolArg, enumArg, intArg } from '../ops/validate.js';
import { WEIGHT_INITS, type WeightInit } from './init.js';

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
    super(layerName('nn.Linear', options, ['bias', 'weightInit', 'name']));
    this.inFeatures = intArg('nn.Linear', 'inFeatures', inFeatures, 1);
    this.outFeatures = intArg('nn.Linear', 'outFeatures', outFeatures, 1);
    const init = enumArg('nn.Linear', 'weightInit', options.weightInit, WEIGHT_INITS, 'kaimingUniform');
    const bias = boolArg('nn.Linear', 'bias', options.bias, true);
    this.weight = this.addParam({ name: 'weight', shape: [outFeatures, inFeatures], init });
    this.bias = !bias ? null : this.addParam({ name: 'bias', shape: [outFeatures], init: 'zeros' });
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
    const x = this.inputOf(inputs, training);
    this.saved = training ? x : null;
    return linear(x, this.weight.value, this.bias ? this.bias.value : null);
  }

  backward(dy: Tensor, needs?: readonly boolean[]): (Tensor | null)[] {
    this.gradOf(dy, needs);
    const x = this.saved;
    if (x === null) throw new Error(`layer '${this.name}' (Linear): backward needs a forward pass with training true first`);
    const { dx } = linearBackward(dy, x, this.weight.value, {
      weightGradInto: this.weight.gradBuffer(),
      biasGradInto: this.bias ? this.bias.gradBuffer() : undefined,
      biasGrad: this.bias !== null,
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
