import { ElementwiseLayer } from './activation-base.js';
import type { Tensor, Shape } from '../tensor.js';
import { cfg, type LayerConfig, layerName } from './layer.js';
import { attr, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { prepareLocalResponseNorm, localResponseNorm, localResponseNormBackward } from '../ops/lrn.js';
import { describe, intArg, numberArg } from '../ops/validate.js';

export interface LocalResponseNormOptions {
  alpha?: number;
  beta?: number;
  k?: number;
  /**
   * The window's extents [before, after] around channel c (before + after + 1 = size). Default
   * PyTorch's [⌊size/2⌋, ⌊(size−1)/2⌋]; ONNX's LRN uses [⌊(size−1)/2⌋, ⌈(size−1)/2⌉] (they differ for even sizes).
   */
  lrnWindow?: readonly [number, number];
  name?: string;
}

/**
 * Local response normalisation across channels, as torch.nn.LocalResponseNorm:
 * b_c = a_c · (k + alpha/size · Σ a²)^−beta over `size` neighbouring channels (AlexNet: 5, 1e-4, 0.75, 2).
 */
export class LocalResponseNorm extends ElementwiseLayer {
  static readonly type = 'LocalResponseNorm';
  readonly type = LocalResponseNorm.type;
  static fromConfig(c: LayerConfig, name: string): LocalResponseNorm {
    return new LocalResponseNorm(cfg(c.size), { alpha: cfg(c.alpha), beta: cfg(c.beta), k: cfg(c.k), lrnWindow: cfg(c.lrnWindow), name });
  }
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
  readonly lrnWindow: readonly [number, number];
  constructor(size: number, options: LocalResponseNormOptions = {}) {
    const op = 'nn.LocalResponseNorm';
    super(layerName(op, options, ['alpha', 'beta', 'k', 'lrnWindow', 'name']));
    this.size = intArg(op, 'size', size, 1);
    this.alpha = numberArg(op, 'alpha', options.alpha ?? 1e-4);
    this.beta = numberArg(op, 'beta', options.beta ?? 0.75);
    this.k = numberArg(op, 'k', options.k ?? 1);
    const w = options.lrnWindow ?? [Math.floor(this.size / 2), Math.floor((this.size - 1) / 2)];
    if (!Array.isArray(w) || w.length !== 2) throw new TypeError(`${op}: lrnWindow must be [before, after], got ${describe(w)}`);
    const before = intArg(op, 'lrnWindow[0] (before)', w[0], 0);
    const after = intArg(op, 'lrnWindow[1] (after)', w[1], 0);
    if (before + after + 1 !== this.size) {
      throw new RangeError(`${op}: lrnWindow [${before}, ${after}] spans ${before + after + 1} channels but size is ${this.size}`);
    }
    this.lrnWindow = Object.freeze([before, after]) as readonly [number, number];
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length < 1) throw this.shapeError(inputs, 'it needs a channel axis');
    return s.slice();
  }
  private saved: Tensor | null = null;
  private get opts() {
    return { size: this.size, alpha: this.alpha, beta: this.beta, k: this.k, window: this.lrnWindow };
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.saved = training ? x : null;
    return localResponseNorm(x, this.opts);
  }
  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.saved === null) throw this.notTrained();
    return [localResponseNormBackward(dy, this.saved, this.opts)];
  }
  release(): void {
    this.saved = null;
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareLocalResponseNorm(inputs[0], this.opts);
  }
  toOnnx(e: OnnxEmitter): void {
    const [before, after] = this.lrnWindow;
    const want = [Math.floor((this.size - 1) / 2), Math.ceil((this.size - 1) / 2)];
    if (before !== want[0] || after !== want[1]) {
      throw e.refuse(`its window [${before}, ${after}] differs from ONNX LRN's [${want[0]}, ${want[1]}] for size ${this.size}`);
    }
    e.op('LRN', [e.inputs[0]], [attr.i('size', this.size), attr.f('alpha', this.alpha), attr.f('beta', this.beta), attr.f('bias', this.k)]);
  }
  config() {
    return { size: this.size, alpha: this.alpha, beta: this.beta, k: this.k, lrnWindow: [...this.lrnWindow] };
  }
}
