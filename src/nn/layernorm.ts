import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import type { Param } from './param.js';
import { attr, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import type { Tensor, Shape } from '../tensor.js';
import { layerNorm, layerNormTrain, layerNormBackward, prepareLayerNorm, type LayerNormBackwardResult } from '../ops/layernorm.js';
import { describe, intArg, numberArg } from '../ops/validate.js';

export interface LayerNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learnable weight (ones) and bias (zeros) of normalizedShape (default true). */
  elementwiseAffine?: boolean;
  name?: string;
}

/** What a layer-norm layer saved in a training forward; the statistics are its own. */
export interface NormSaved { x: Tensor; mean: Tensor; invStd: Tensor }

/** Gradient bookkeeping shared with LayerNorm2d: frozen parameters' gradients are dropped. */
export function normGrads(weight: Param | null, bias: Param | null, run: (o: { weightGradInto?: Tensor; biasGradInto?: Tensor }) => LayerNormBackwardResult): Tensor {
  const tw = weight?.trainable === true, tb = bias?.trainable === true;
  const r = run({ weightGradInto: tw ? weight!.gradBuffer() : undefined, biasGradInto: tb ? bias!.gradBuffer() : undefined });
  if (!tw) r.dWeight?.dispose();
  if (!tb) r.dBias?.dispose();
  return r.dx;
}

/**
 * Writes y = (x − mean)/√(var + eps)·weight + bias over `axes` (ONNX ReduceMean … Div, Mul, Add),
 * the form PyTorch exports before opset 17; `w` and `b` are initializer names or null.
 */
export function emitDecomposedNorm(e: OnnxEmitter, axes: number[], eps: number, w: string | null, b: string | null): void {
  const n = e.name;
  const x = e.inputs[0];
  const mean = e.op('ReduceMean', [x], [attr.ints('axes', axes)], `${n}/mean`);
  const d = e.op('Sub', [x, mean], [], `${n}/centred`);
  const sq = e.op('Pow', [d, e.weight('two', Float32Array.of(2), [])], [], `${n}/squared`);
  const v = e.op('ReduceMean', [sq], [attr.ints('axes', axes)], `${n}/var`);
  const ve = e.op('Add', [v, e.weight('eps', Float32Array.of(eps), [])], [], `${n}/var_eps`);
  const s = e.op('Sqrt', [ve], [], `${n}/std`);
  let y = e.op('Div', [d, s], [], w || b ? `${n}/normed` : n);
  if (w) y = e.op('Mul', [y, w], [], b ? `${n}/scaled` : n);
  if (b) e.op('Add', [y, b], [], n);
}

/** What LayerNorm and LayerNorm2d share: the statistics a training forward keeps, and the cost. */
export abstract class NormBase extends Layer {
  protected saved: NormSaved | null = null;
  release(): void {
    this.saved?.mean.dispose();
    this.saved?.invStd.dispose();
    this.saved = null;
  }
  /** About four multiply-adds per element (moments, normalise, affine). */
  macs(inputs: readonly Shape[]): number {
    return 4 * inputs[0].reduce((a, b) => a * b, 1);
  }
}

/**
 * Layer normalisation over the last dims, as torch.nn.LayerNorm(normalizedShape): each sample's
 * slice over the trailing normalizedShape.length dims is normalised (biased variance), then
 * scaled and shifted elementwise.
 */
export class LayerNorm extends NormBase {
  static readonly type = 'LayerNorm';
  readonly type = LayerNorm.type;
  static fromConfig(c: LayerConfig, name: string): LayerNorm {
    return new LayerNorm(cfg(c.normalizedShape), { eps: cfg(c.eps), elementwiseAffine: cfg(c.elementwiseAffine), name });
  }
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly weight: Param | null;
  readonly bias: Param | null;
  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    const op = 'nn.LayerNorm';
    super(layerName(op, options, ['eps', 'elementwiseAffine']));
    const ns = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    if (!Array.isArray(ns) || ns.length === 0) throw new TypeError(`${op}: normalizedShape must be a size or a non-empty array of sizes, got ${describe(normalizedShape)}`);
    this.normalizedShape = Object.freeze(ns.map((d, i) => intArg(op, `normalizedShape[${i}]`, d, 1)));
    this.eps = numberArg(op, 'eps', options?.eps ?? 1e-5, 0);
    const affine = options?.elementwiseAffine ?? true;
    if (typeof affine !== 'boolean') throw new TypeError(`${op}: elementwiseAffine must be true or false, got ${describe(affine)}`);
    const shape = this.normalizedShape.slice();
    this.weight = affine ? this.addParam({ name: 'weight', shape, init: 'ones' }) : null;
    this.bias = affine ? this.addParam({ name: 'bias', shape, init: 'zeros' }) : null;
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    const k = this.normalizedShape.length;
    if (s.length < k || s.slice(s.length - k).some((d, i) => d !== this.normalizedShape[i])) {
      throw this.shapeError(inputs, `its last dims must be normalizedShape [${this.normalizedShape.join(', ')}]`);
    }
    return s.slice();
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.release();
    const w = this.weight?.value ?? null, b = this.bias?.value ?? null;
    if (!training) return layerNorm(x, this.normalizedShape, w, b, this.eps);
    const r = layerNormTrain(x, this.normalizedShape, w, b, this.eps);
    this.saved = { x, mean: r.mean, invStd: r.invStd };
    return r.output;
  }
  backward(dy: Tensor, needs?: readonly boolean[]): Tensor[] {
    this.gradOf(dy, needs);
    const s = this.saved;
    if (s === null) throw this.notTrained();
    return [normGrads(this.weight, this.bias, (o) => layerNormBackward(dy, s.x, this.normalizedShape, this.weight?.value ?? null, s.mean, s.invStd, o))];
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareLayerNorm(inputs[0], this.normalizedShape, this.weight?.value ?? null, this.bias?.value ?? null, this.eps);
  }
  toOnnx(e: OnnxEmitter): void {
    const k = this.normalizedShape.length;
    const w = this.weight ? e.weight('weight', this.weight.value.toFloat32Array(), this.normalizedShape) : null;
    const b = this.bias ? e.weight('bias', this.bias.value.toFloat32Array(), this.normalizedShape) : null;
    if (e.opset >= 17) {
      const scale = w ?? e.weight('weight', new Float32Array(this.normalizedShape.reduce((p, q) => p * q, 1)).fill(1), this.normalizedShape);
      e.op('LayerNormalization', b ? [e.inputs[0], scale, b] : [e.inputs[0], scale], [attr.i('axis', -k), attr.f('epsilon', this.eps)]);
      return;
    }
    emitDecomposedNorm(e, Array.from({ length: k }, (_, i) => i - k), this.eps, w, b);
  }
  config() {
    return { normalizedShape: this.normalizedShape.slice(), eps: this.eps, elementwiseAffine: this.weight !== null };
  }
}
