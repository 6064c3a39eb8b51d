import { ElementwiseLayer } from './activation-base.js';
import type { Tensor } from '../tensor.js';
import { cfg, type LayerConfig, layerName } from './layer.js';
import type { OnnxEmitter } from './lowering.js';
import { dropout, dropoutBackward } from '../ops/dropout.js';
import { numberArg } from '../ops/validate.js';
import { mixSeed } from '../random.js';

/**
 * Inverted dropout, as torch.nn.Dropout: while training, zeroes each element with probability p
 * and scales the rest by 1/(1 − p); at inference it passes the input through unchanged.
 * Each training call draws a fresh mask from the layer's seed and a call counter.
 */
export class Dropout extends ElementwiseLayer {
  static readonly type = 'Dropout';
  readonly type = Dropout.type;
  static fromConfig(c: LayerConfig, name: string): Dropout {
    return new Dropout(cfg(c.p), { name });
  }
  readonly p: number;
  private seedBase = 0;
  private calls = 0;
  constructor(p = 0.5, options: { name?: string } = {}) {
    super(layerName('nn.Dropout', options, ['name']));
    this.p = numberArg('nn.Dropout', 'p', p, 0, 1);
  }
  seed(seed: number): void {
    numberArg(this.where('seed'), 'seed', seed);
    this.seedBase = seed >>> 0;
    this.calls = 0;
  }
  private lastSeed: number | null = null;
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.passInputOf(inputs, training);
    this.lastSeed = null;
    if (!training || this.p === 0 || !this.trainable) return x; // frozen: as at inference
    this.lastSeed = mixSeed(this.seedBase, this.calls++);
    return dropout(x, this.p, { training: true, seed: this.lastSeed });
  }
  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.lastSeed === null) return [dy.clone()]; // p = 0: the identity
    return [dropoutBackward(dy, this.p, { seed: this.lastSeed })];
  }
  release(): void {
    this.lastSeed = null;
  }
  /** At inference the input passes through: compile() gives it no step. */
  get isAlias(): boolean {
    return true;
  }
  toOnnx(e: OnnxEmitter): void {
    // ONNX Dropout takes float types only: an int8 value (a quantized model) passes as Identity
    if (e.inputDtypes[0] === 'int8') e.op('Identity', [e.inputs[0]]);
    else e.op('Dropout', [e.inputs[0], e.weight('ratio', Float32Array.of(this.p), [])]);
  }
  config() {
    return { p: this.p };
  }
}
