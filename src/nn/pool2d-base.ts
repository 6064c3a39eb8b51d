// What max and average pooling layers share: options, output shape, notes.
import { Layer } from './layer.js';
import type { Shape } from '../tensor.js';
import { pairArg, knownOptions } from '../ops/validate.js';
import { layerWindow, floorDrops } from './window.js';

export interface Pool2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  ceilMode?: boolean;
  name?: string;
}

export abstract class Pool2dLayer extends Layer {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly ceilMode: boolean;

  constructor(op: string, kernelSize: number | [number, number], options: Pool2dOptions & { dilation?: number | [number, number] }, keys: string[]) {
    super(options.name);
    knownOptions(op, options, keys);
    this.kernelSize = pairArg(op, 'kernelSize', kernelSize, 1);
    this.stride = options.stride === undefined || options.stride === null ? this.kernelSize : pairArg(op, 'stride', options.stride, 1);
    this.padding = pairArg(op, 'padding', options.padding ?? 0, 0);
    this.dilation = pairArg(op, 'dilation', options.dilation ?? 1, 1);
    this.ceilMode = options.ceilMode ?? false;
    if (this.padding[0] * 2 > this.kernelSize[0] || this.padding[1] * 2 > this.kernelSize[1]) {
      throw new RangeError(`${op}: padding [${this.padding.join(', ')}] must be at most half the kernel size [${this.kernelSize.join(', ')}]`);
    }
  }

  protected window(s: Shape) {
    return layerWindow((need) => this.shapeError([s], need), s, {
      kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation,
      rounding: this.ceilMode ? 'ceil' : 'floor',
    });
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length !== 3) throw this.shapeError(inputs, 'it needs a [C, H, W] image (rank 3 per sample)');
    const w = this.window(s);
    return [s[0], w.oh, w.ow];
  }

  notes(inputs: readonly Shape[]): string[] {
    return floorDrops(inputs[0], this.window(inputs[0]), this.ceilMode ? 'ceil' : 'floor');
  }
}
