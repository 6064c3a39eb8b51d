import { cfg, layerName, type LayerConfig } from './layer.js';
import type { Param } from './param.js';
import type { OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import type { Tensor, Shape } from '../tensor.js';
import { layerNorm2d, layerNorm2dTrain, layerNorm2dBackward, prepareLayerNorm2d } from '../ops/layernorm.js';
import { describe, intArg, numberArg } from '../ops/validate.js';
import { NormBase, emitDecomposedNorm, normGrads, type LayerNormOptions } from './layernorm.js';

/**
 * Channels-first layer normalisation (torchvision's ConvNeXt LayerNorm2d): at every position of
 * [C, H, W] (or [C, …]) the C values are normalised, then scaled and shifted per channel. The
 * same as permuting C last, nn.LayerNorm(C), and permuting back, without the two copies.
 */
export class LayerNorm2d extends NormBase {
  static readonly type = 'LayerNorm2d';
  readonly type = LayerNorm2d.type;
  static fromConfig(c: LayerConfig, name: string): LayerNorm2d {
    return new LayerNorm2d(cfg(c.numChannels), { eps: cfg(c.eps), elementwiseAffine: cfg(c.elementwiseAffine), name });
  }
  readonly numChannels: number;
  readonly eps: number;
  readonly weight: Param | null;
  readonly bias: Param | null;
  constructor(numChannels: number, options: LayerNormOptions = {}) {
    const op = 'nn.LayerNorm2d';
    super(layerName(op, options, ['eps', 'elementwiseAffine']));
    this.numChannels = intArg(op, 'numChannels', numChannels, 1);
    this.eps = numberArg(op, 'eps', options?.eps ?? 1e-5, 0);
    const affine = options?.elementwiseAffine ?? true;
    if (typeof affine !== 'boolean') throw new TypeError(`${op}: elementwiseAffine must be true or false, got ${describe(affine)}`);
    this.weight = affine ? this.addParam({ name: 'weight', shape: [this.numChannels], init: 'ones' }) : null;
    this.bias = affine ? this.addParam({ name: 'bias', shape: [this.numChannels], init: 'zeros' }) : null;
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length < 1 || s[0] !== this.numChannels) throw this.shapeError(inputs, `it needs [${this.numChannels}, …] (channels first)`);
    return s.slice();
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.release();
    const w = this.weight?.value ?? null, b = this.bias?.value ?? null;
    if (!training) return layerNorm2d(x, w, b, this.eps);
    const r = layerNorm2dTrain(x, w, b, this.eps);
    this.saved = { x, mean: r.mean, invStd: r.invStd };
    return r.output;
  }
  backward(dy: Tensor, needs?: readonly boolean[]): Tensor[] {
    this.gradOf(dy, needs);
    const s = this.saved;
    if (s === null) throw this.notTrained();
    return [normGrads(this.weight, this.bias, (o) => layerNorm2dBackward(dy, s.x, this.weight?.value ?? null, s.mean, s.invStd, o))];
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareLayerNorm2d(inputs[0], this.weight?.value ?? null, this.bias?.value ?? null, this.eps);
  }
  /** The functional form PyTorch exports (ReduceMean over axis 1 … Div, then a [C, 1, …] affine). */
  toOnnx(e: OnnxEmitter): void {
    const dims = [this.numChannels, ...e.inputShapes[0].slice(1).map(() => 1)];
    const w = this.weight ? e.weight('weight', this.weight.value.toFloat32Array(), dims) : null;
    const b = this.bias ? e.weight('bias', this.bias.value.toFloat32Array(), dims) : null;
    emitDecomposedNorm(e, [1], this.eps, w, b);
  }
  config() {
    return { numChannels: this.numChannels, eps: this.eps, elementwiseAffine: this.weight !== null };
  }
}
