import { ElementwiseLayer } from './activation-base.js';
import type { Param } from './param.js';
import { Tensor, type Shape } from '../tensor.js';
import { mul } from '../ops/add.js';
import { cfg, type LayerConfig, layerName } from './layer.js';
import { attr, type ChannelAffine, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { prepareBatchNorm, batchNorm, batchNormTrain, batchNormBackward } from '../ops/batchnorm.js';
import { boolArg, intArg, numberArg } from '../ops/validate.js';

export interface BatchNorm2dOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  name?: string;
}

/**
 * Batch normalisation over the channels of NCHW (or [N, C]) input, as torch.nn.BatchNorm2d:
 * weight and bias are trained; runningMean and runningVar are buffers (not counted as parameters).
 */
export class BatchNorm2d extends ElementwiseLayer {
  static readonly type = 'BatchNorm2d';
  readonly type = BatchNorm2d.type;
  static fromConfig(c: LayerConfig, name: string): BatchNorm2d {
    return new BatchNorm2d(cfg(c.numFeatures), { eps: cfg(c.eps), momentum: cfg(c.momentum), affine: cfg(c.affine), name });
  }
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly weight: Param | null;
  readonly bias: Param | null;
  readonly runningMean: Param;
  readonly runningVar: Param;

  constructor(numFeatures: number, options: BatchNorm2dOptions = {}) {
    const op = 'nn.BatchNorm2d';
    super(layerName(op, options, ['eps', 'momentum', 'affine', 'name']));
    this.numFeatures = intArg(op, 'numFeatures', numFeatures, 1);
    this.eps = numberArg(op, 'eps', options.eps ?? 1e-5, 0);
    this.momentum = numberArg(op, 'momentum', options.momentum ?? 0.1, 0, 1);
    const affine = boolArg(op, 'affine', options.affine, true);
    this.weight = affine ? this.addParam({ name: 'weight', shape: [numFeatures], init: 'ones' }) : null;
    this.bias = affine ? this.addParam({ name: 'bias', shape: [numFeatures], init: 'zeros' }) : null;
    this.runningMean = this.addParam({ name: 'runningMean', shape: [numFeatures], init: 'zeros', trainable: false });
    this.runningVar = this.addParam({ name: 'runningVar', shape: [numFeatures], init: 'ones', trainable: false });
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if ((s.length !== 3 && s.length !== 1) || s[0] !== this.numFeatures) {
      throw this.shapeError(inputs, `it was built for ${this.numFeatures} channels: [${this.numFeatures}, H, W] or [${this.numFeatures}]`);
    }
    return s.slice();
  }

  private saved: { x: Tensor; mean: Tensor; invStd: Tensor } | null = null;
  /** A frozen layer's training pass: the per-channel factor γ/√(var + eps) its backward multiplies by. */
  private frozenScale: Tensor | null = null;

  /**
   * Training: normalises with the batch's statistics (biased variance) and moves the running
   * statistics by `momentum` (unbiased variance), as PyTorch. Inference: the running statistics.
   */
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.release();
    const w = this.weight?.value ?? null, b = this.bias?.value ?? null;
    if (!training || !this.trainable) {
      // frozen: as at inference (running statistics used and kept); backward is then dy·γ/√(var + eps)
      if (training) {
        const per = [this.numFeatures, ...x.shape.slice(2).map(() => 1)];
        this.frozenScale = Tensor.from(this.channelAffine().scale, per);
      }
      return batchNorm(x, this.runningMean.value, this.runningVar.value, w, b, { eps: this.eps });
    }
    const r = batchNormTrain(x, w, b, this.runningMean.value, this.runningVar.value, { momentum: this.momentum, eps: this.eps });
    this.saved = { x, mean: r.mean, invStd: r.invStd };
    return r.output;
  }

  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.frozenScale !== null) return [mul(dy, this.frozenScale)];
    const s = this.saved;
    if (s === null) throw this.notTrained();
    const tw = this.weight?.trainable === true, tb = this.bias?.trainable === true;
    const r = batchNormBackward(dy, s.x, this.weight?.value ?? null, s.mean, s.invStd, {
      weightGradInto: tw ? this.weight!.gradBuffer() : undefined,
      biasGradInto: tb ? this.bias!.gradBuffer() : undefined,
    });
    // a parameter frozen by hand: its gradient was computed into a temporary, dropped here
    if (!tw) r.dWeight?.dispose();
    if (!tb) r.dBias?.dispose();
    return [r.dx];
  }

  release(): void {
    this.saved?.mean.dispose();
    this.saved?.invStd.dispose();
    this.saved = null;
    this.frozenScale?.dispose();
    this.frozenScale = null;
  }

  macs(_i: readonly Shape[], out: Shape): number {
    return out.reduce((a, b) => a * b, 1);
  }

  /** At inference: y = x·s + t per channel, s = γ/√(var + eps), t = β − mean·s (what a convolution before it folds in). */
  channelAffine(): ChannelAffine {
    const c = this.numFeatures;
    const mean = this.runningMean.value.toFloat32Array();
    const v = this.runningVar.value.toFloat32Array();
    const gamma = this.weight ? this.weight.value.toFloat32Array() : new Float32Array(c).fill(1);
    const beta = this.bias ? this.bias.value.toFloat32Array() : new Float32Array(c);
    const scale = new Float32Array(c), shift = new Float32Array(c);
    for (let o = 0; o < c; o++) {
      const s = gamma[o] / Math.sqrt(v[o] + this.eps);
      scale[o] = s;
      shift[o] = beta[o] - mean[o] * s;
    }
    return { scale, shift };
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareBatchNorm(inputs[0], this.runningMean.value, this.runningVar.value, this.weight?.value ?? null, this.bias?.value ?? null, { eps: this.eps });
  }
  toOnnx(e: OnnxEmitter): void {
    const c = this.numFeatures;
    const vals = (p: Param | null, d: number) => (p ? p.value.toFloat32Array() : new Float32Array(c).fill(d));
    e.op('BatchNormalization', [
      e.inputs[0], e.weight('weight', vals(this.weight, 1), [c]), e.weight('bias', vals(this.bias, 0), [c]),
      e.weight('runningMean', this.runningMean.value.toFloat32Array(), [c]), e.weight('runningVar', this.runningVar.value.toFloat32Array(), [c]),
    ], [attr.f('epsilon', this.eps)]);
  }
  config() {
    return { numFeatures: this.numFeatures, eps: this.eps, momentum: this.momentum, affine: this.weight !== null };
  }
}
