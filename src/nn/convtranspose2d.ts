import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import type { Param } from './param.js';
import { Tensor, type Shape } from '../tensor.js';
import {
  convTranspose2dBackwardBias, convTranspose2dBackwardData, convTranspose2dBackwardFilter, prepareConvTranspose2d,
  transposeGeometry, type ConvTranspose2dOptions,
} from '../ops/conv-transpose2d.js';
import { runOnce, type Prepared } from '../ops/prepared.js';
import { intArg, pairArg } from '../ops/validate.js';
import { CONV_LAYER_KEYS, convGeometry, convParams, type ConvLayerOptions } from './conv-spec.js';
import { attr, type OnnxEmitter } from './lowering.js';

export interface ConvTranspose2dLayerOptions extends ConvTranspose2dOptions, ConvLayerOptions {}

const KEYS = [...CONV_LAYER_KEYS, 'outputPadding'];

/**
 * Transposed 2-D convolution, as torch.nn.ConvTranspose2d: weight [in, out/groups, kh, kw],
 * bias [out]; padding may also be [top, left, bottom, right] (ONNX's asymmetric pads).
 */
export class ConvTranspose2d extends Layer {
  static readonly type = 'ConvTranspose2d';
  readonly type = ConvTranspose2d.type;

  static fromConfig(c: LayerConfig, name: string): ConvTranspose2d {
    return new ConvTranspose2d(cfg(c.inChannels), cfg(c.outChannels), cfg(c.kernelSize), {
      stride: cfg(c.stride), padding: cfg(c.padding), outputPadding: cfg(c.outputPadding), dilation: cfg(c.dilation),
      groups: cfg(c.groups), bias: cfg(c.bias), name,
    });
  }

  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: NonNullable<ConvTranspose2dOptions['padding']>;
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly weight: Param;
  readonly bias: Param | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options: ConvTranspose2dLayerOptions = {}) {
    const op = 'nn.ConvTranspose2d';
    super(layerName(op, options, KEYS));
    const c = convGeometry(op, inChannels, outChannels, kernelSize, options);
    this.inChannels = c.inChannels; this.outChannels = c.outChannels; this.kernelSize = c.kernelSize;
    this.stride = c.stride; this.dilation = c.dilation; this.groups = c.groups;
    this.outputPadding = pairArg(op, 'outputPadding', options.outputPadding ?? 0, 0);
    this.padding = options.padding ?? 0;
    const pads = typeof this.padding === 'number' ? [this.padding] : this.padding;
    if (!Array.isArray(pads) || ![1, 2, 4].includes(pads.length)) throw new TypeError(`${op}: padding must be a number, [h, w] or [top, left, bottom, right]`);
    pads.forEach((v, i) => intArg(op, `padding[${i}]`, v, 0));
    // checks outputPadding against the stride (on a 1×1 input, unpadded)
    transposeGeometry(op, [1, inChannels, 1, 1], this.wShape, { ...this.opts, padding: 0 });
    const p = convParams(op, options, this.wShape, outChannels);
    this.weight = this.addParam(p.weight);
    this.bias = p.bias && this.addParam(p.bias);
  }

  private get wShape() {
    return [this.inChannels, this.outChannels / this.groups, this.kernelSize[0], this.kernelSize[1]];
  }

  private get opts(): ConvTranspose2dOptions {
    return { stride: this.stride, padding: this.padding, outputPadding: this.outputPadding, dilation: this.dilation, groups: this.groups };
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length !== 3) throw this.shapeError(inputs, 'it needs a [C, H, W] image (rank 3 per sample)');
    if (s[0] !== this.inChannels) throw this.shapeError(inputs, `it was built for ${this.inChannels} input channels, i.e. [${this.inChannels}, H, W]`);
    try {
      return transposeGeometry(`layer '${this.name || this.type}'`, [1, ...s], this.wShape, this.opts).outShape.slice(1);
    } catch (e) {
      throw this.shapeError(inputs, (e as Error).message);
    }
  }

  private saved: Tensor | null = null;

  lower(inputs: readonly Shape[]): Prepared {
    return prepareConvTranspose2d(inputs[0], this.weight.value, this.bias ? this.bias.value : null, this.opts);
  }

  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.saved = training ? x : null;
    return runOnce(this.lower([x.shape]), [x.ptr], (s) => Tensor.empty(s));
  }

  backward(dy: Tensor, needs?: readonly boolean[]): (Tensor | null)[] {
    this.gradOf(dy, needs);
    const x = this.saved;
    if (x === null) throw this.notTrained();
    if (this.weight.trainable) convTranspose2dBackwardFilter(x, dy, this.wShape, { ...this.opts, accumulateInto: this.weight.gradBuffer() });
    if (this.bias?.trainable) convTranspose2dBackwardBias(dy, { accumulateInto: this.bias.gradBuffer() });
    return [needs?.[0] === false ? null : convTranspose2dBackwardData(dy, this.weight.value, x.shape, this.opts)];
  }

  release(): void {
    this.saved = null;
  }

  macs(inputs: readonly Shape[]): number {
    const s = inputs[0];
    return s[0] * s[1] * s[2] * (this.outChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1];
  }

  toOnnx(e: OnnxEmitter): void {
    const p = this.padding;
    const pads = typeof p === 'number' ? [p, p, p, p] : p.length === 2 ? [p[0], p[1], p[0], p[1]] : [...p];
    const ins = [e.inputs[0], e.weight('weight', this.weight.value.toFloat32Array(), this.weight.shape)];
    if (this.bias) ins.push(e.weight('bias', this.bias.value.toFloat32Array(), this.bias.shape));
    e.op('ConvTranspose', ins, [
      attr.ints('kernel_shape', this.kernelSize), attr.ints('strides', this.stride), attr.ints('dilations', this.dilation),
      attr.ints('pads', pads), attr.ints('output_padding', this.outputPadding), attr.i('group', this.groups),
    ]);
  }

  config() {
    return {
      inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: this.kernelSize, stride: this.stride,
      padding: this.padding, outputPadding: this.outputPadding, dilation: this.dilation, groups: this.groups, bias: this.bias !== null,
    };
  }
}
