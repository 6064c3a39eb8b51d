import { Layer, cfg, type LayerConfig, layerName } from './layer.js';
import type { OnnxEmitter } from './lowering.js';
import type { Tensor, Shape } from '../tensor.js';
import { describe } from '../ops/validate.js';

/**
 * Gives each sample a new shape with the same number of elements (the batch dimension is kept),
 * as x.reshape(N, …shape) in PyTorch; one entry may be −1 (inferred). The data is copied.
 */
export class Reshape extends Layer {
  static readonly type = 'Reshape';
  readonly type = Reshape.type;
  static fromConfig(c: LayerConfig, name: string): Reshape {
    return new Reshape(cfg(c.shape), { name });
  }
  /** The per-sample target shape as given (may hold one −1). */
  readonly shape: readonly number[];
  constructor(shape: readonly number[], options: { name?: string } = {}) {
    super(layerName('nn.Reshape', options, ['name']));
    const op = 'nn.Reshape';
    if (!Array.isArray(shape) || shape.length === 0) throw new TypeError(`${op}: shape must be a non-empty array of sizes (per sample), got ${describe(shape)}`);
    for (const d of shape) {
      if (typeof d !== 'number' || !Number.isInteger(d) || (d < 1 && d !== -1) || d > 2 ** 30) {
        throw new RangeError(`${op}: every size in shape must be a positive integer or −1 (at most 2^30), got ${describe(shape)}`);
      }
    }
    if (shape.filter((d) => d === -1).length > 1) throw new RangeError(`${op}: at most one size may be −1, got [${shape.join(', ')}]`);
    this.shape = Object.freeze(shape.slice());
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    const n = s.reduce((a, b) => a * b, 1);
    const known = this.shape.reduce((a, b) => (b === -1 ? a : a * b), 1);
    const out = this.shape.slice();
    const k = out.indexOf(-1);
    if (k >= 0) {
      if (n % known !== 0) throw this.shapeError(inputs, `${n} values cannot be reshaped to [${this.shape.join(', ')}]`);
      out[k] = n / known;
    } else if (known !== n) {
      throw this.shapeError(inputs, `the target shape [${this.shape.join(', ')}] holds ${known} values, the input ${n}`);
    }
    return out;
  }

  private xShape: Shape | null = null;
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.passInputOf(inputs, training);
    this.xShape = training ? x.shape : null;
    return x.reshape([x.shape[0], ...this.outputShape([x.shape.slice(1)])]);
  }
  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.xShape === null) throw this.notTrained();
    return [dy.reshape(this.xShape)];
  }
  release(): void {
    this.xShape = null;
  }
  /** Contiguous data under a new shape: compile() gives it no step. */
  get isAlias(): boolean {
    return true;
  }
  toOnnx(e: OnnxEmitter): void {
    e.op('Reshape', [e.inputs[0], e.int64s('shape', [0, ...e.outputShape])]);
  }
  config() {
    return { shape: this.shape.slice() };
  }
}
