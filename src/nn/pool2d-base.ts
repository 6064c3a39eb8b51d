// What max and average pooling layers share: options, output shape, notes.
import { Layer, layerName } from './layer.js';
import type { Shape } from '../tensor.js';
import { boolArg, pairArg } from '../ops/validate.js';
import { layerWindow, floorDrops } from './window.js';
import { window2d } from '../ops/shape.js';
import { attr, type OnnxEmitter } from './lowering.js';

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
    super(layerName(op, options, keys));
    this.kernelSize = pairArg(op, 'kernelSize', kernelSize, 1);
    this.stride = options.stride === undefined || options.stride === null ? this.kernelSize : pairArg(op, 'stride', options.stride, 1);
    this.padding = pairArg(op, 'padding', options.padding ?? 0, 0);
    this.dilation = pairArg(op, 'dilation', options.dilation ?? 1, 1);
    this.ceilMode = boolArg(op, 'ceilMode', options.ceilMode, false);
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

  /**
   * Pooling written so that any runtime computes PyTorch's numbers: ceil rounding becomes explicit
   * extra end padding that never counts (MaxPool's −∞, AveragePool without count_include_pad), and
   * counted zero padding (average pooling) becomes an explicit Pad, as PyTorch's exporter does.
   */
  protected poolToOnnx(e: OnnxEmitter, max: boolean, countIncludePad: boolean): void {
    const s = e.inputShapes[0];
    const g = window2d('toONNX', s[1], s[2], {
      kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation, rounding: this.ceilMode ? 'ceil' : 'floor',
    });
    const countedPad = !max && countIncludePad && (this.padding[0] > 0 || this.padding[1] > 0);
    const [ph, pw] = countedPad ? [0, 0] : this.padding;
    const h = s[1] + (countedPad ? 2 * this.padding[0] : 0), w = s[2] + (countedPad ? 2 * this.padding[1] : 0);
    // extra end padding so that floor rounding gives our (PyTorch's) window count
    const extra = (o: number, st: number, k: number, d: number, n: number, p: number) => Math.max(0, (o - 1) * st + d * (k - 1) + 1 - n - 2 * p);
    const eh = extra(g.oh, g.sh, g.kh, g.dh, h, ph), ew = extra(g.ow, g.sw, g.kw, g.dw, w, pw);
    let src = e.inputs[0];
    if (countedPad) {
      const p = e.int64s('pads', [0, 0, this.padding[0], this.padding[1], 0, 0, this.padding[0], this.padding[1]]);
      src = e.op('Pad', [src, p], [attr.s('mode', 'constant')], `${e.name}/pad`);
    }
    const attrs = [attr.ints('kernel_shape', this.kernelSize), attr.ints('strides', this.stride), attr.ints('pads', [ph, pw, ph + eh, pw + ew])];
    attrs.push(max ? attr.ints('dilations', this.dilation) : attr.i('count_include_pad', 0));
    e.op(max ? 'MaxPool' : 'AveragePool', [src], attrs);
  }

  notes(inputs: readonly Shape[]): string[] {
    return floorDrops(inputs[0], this.window(inputs[0]), this.ceilMode ? 'ceil' : 'floor');
  }
}
