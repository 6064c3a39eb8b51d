import { Pool2dLayer, type Pool2dOptions } from './pool2d-base.js';
import type { Tensor, Shape } from '../tensor.js';
import { cfg, type LayerConfig } from './layer.js';
import type { OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { maxPool2d, maxPool2dWithIndices, maxPool2dBackward, prepareMaxPool2d } from '../ops/pool2d.js';

export interface MaxPool2dOptions extends Pool2dOptions {
  dilation?: number | [number, number];
}

/** Max pooling, as torch.nn.MaxPool2d (stride defaults to the kernel size). */
export class MaxPool2d extends Pool2dLayer {
  static readonly type = 'MaxPool2d';
  readonly type = MaxPool2d.type;
  static fromConfig(c: LayerConfig, name: string): MaxPool2d {
    return new MaxPool2d(cfg(c.kernelSize), { stride: cfg(c.stride), padding: cfg(c.padding), dilation: cfg(c.dilation), ceilMode: cfg(c.ceilMode), name });
  }
  constructor(kernelSize: number | [number, number], options: MaxPool2dOptions = {}) {
    super('nn.MaxPool2d', kernelSize, options, ['stride', 'padding', 'dilation', 'ceilMode', 'name']);
  }
  private saved: { x: Tensor; indices: Tensor } | null = null;

  private get opts() {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }

  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.release();
    if (!training) return maxPool2d(x, this.opts);
    const { output, indices } = maxPool2dWithIndices(x, this.opts);
    this.saved = { x: x, indices };
    return output;
  }

  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    const s = this.saved;
    if (s === null) throw new Error(`layer '${this.name}' (MaxPool2d): backward needs a forward pass with training true first`);
    return [maxPool2dBackward(dy, s.x, { ...this.opts, indices: s.indices })];
  }

  release(): void {
    this.saved?.indices.dispose();
    this.saved = null;
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareMaxPool2d(inputs[0], this.opts);
  }

  toOnnx(e: OnnxEmitter): void {
    this.poolToOnnx(e, true, false);
  }

  config() {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }
}
