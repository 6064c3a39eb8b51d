import { ElementwiseLayer } from './activation-base.js';
import type { Param } from './param.js';
import type { Tensor, Shape } from '../tensor.js';
import { batchNorm } from '../ops/batchnorm.js';
import { intArg, numberArg, knownOptions } from '../ops/validate.js';

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
  readonly type = 'BatchNorm2d';
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly weight: Param | null;
  readonly bias: Param | null;
  readonly runningMean: Param;
  readonly runningVar: Param;

  constructor(numFeatures: number, options: BatchNorm2dOptions = {}) {
    super(options.name);
    const op = 'nn.BatchNorm2d';
    knownOptions(op, options, ['eps', 'momentum', 'affine', 'name']);
    this.numFeatures = intArg(op, 'numFeatures', numFeatures, 1);
    this.eps = numberArg(op, 'eps', options.eps ?? 1e-5, 0);
    this.momentum = numberArg(op, 'momentum', options.momentum ?? 0.1, 0, 1);
    const affine = options.affine ?? true;
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

  forward(inputs: readonly Tensor[], training: boolean): Tensor {
    if (training) {
      throw new Error(`layer '${this.name}' (BatchNorm2d): training-mode batch statistics need the training kernels; run with training false`);
    }
    return batchNorm(inputs[0], this.runningMean.value, this.runningVar.value, this.weight?.value ?? null, this.bias?.value ?? null, { eps: this.eps });
  }

  macs(_i: readonly Shape[], out: Shape): number {
    return out.reduce((a, b) => a * b, 1);
  }

  config() {
    return { numFeatures: this.numFeatures, eps: this.eps, momentum: this.momentum, affine: this.weight !== null };
  }
}
