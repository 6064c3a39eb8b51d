import { cfg, layerName, type LayerConfig } from './layer.js';
import type { Shape, Tensor } from '../tensor.js';
import type { Prepared } from '../ops/prepared.js';
import { conv2dQs8, prepareConv2dQs8 } from '../ops/gemm-qs8.js';
import type { Padding2d } from '../ops/shape.js';
import { convOnnxAttrs, convSpec, convWindow, type ConvSpec } from './conv-spec.js';
import { QWeightedLayer, type QWeightedOptions } from './qweighted.js';
import type { OnnxEmitter } from './lowering.js';
import { dequantizeInput, dequantizeWeights, quantizeOutput } from './qdq-onnx.js';

export interface QConv2dOptions extends QWeightedOptions {
  stride?: number | [number, number];
  padding?: Padding2d;
  dilation?: number | [number, number];
  groups?: number;
}

const KEYS = ['stride', 'padding', 'dilation', 'groups', 'bias', 'x', 'y', 'clamp', 'name'];

// the geometry fields (inChannels … groups), set from convSpec in the constructor
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface QConv2d extends ConvSpec {}

/**
 * An int8 convolution (what quantize() makes of a Conv2d, batch norm folded and ReLU / ReLU6 fused):
 * int8 input (options.x) and output (options.y), int8 weights [out, in/groups, kh, kw] symmetric
 * per output channel (weightScale [out]), a real-valued bias [out] that the op turns into int32
 * sums at prepare time. Inference only: its parameters are never trained.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class QConv2d extends QWeightedLayer {
  static readonly type = 'QConv2d';
  readonly type = QConv2d.type;

  static fromConfig(c: LayerConfig, name: string): QConv2d {
    return new QConv2d(cfg(c.inChannels), cfg(c.outChannels), cfg(c.kernelSize), {
      stride: cfg(c.stride), padding: cfg(c.padding), dilation: cfg(c.dilation), groups: cfg(c.groups), bias: cfg(c.bias),
      x: cfg(c.x), y: cfg(c.y), clamp: cfg(c.clamp) ?? undefined, name,
    });
  }

  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options: QConv2dOptions) {
    const op = 'nn.QConv2d';
    super(layerName(op, options, KEYS));
    const o: Partial<QConv2dOptions> = options ?? {};
    Object.assign(this, convSpec(op, inChannels, outChannels, kernelSize, o));
    this.setup(op, [this.outChannels, this.inChannels / this.groups, this.kernelSize[0], this.kernelSize[1]], o);
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    const w = convWindow(this, s, (need) => this.shapeError([s], need));
    return [this.outChannels, w.oh, w.ow];
  }

  private get opts() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }

  forward(inputs: readonly Tensor[], training = false): Tensor {
    return conv2dQs8(this.inputOf(inputs, training, 'int8'), this.qweights(), this.opts, this.q);
  }

  lower(inputs: readonly Shape[]): Prepared {
    return prepareConv2dQs8(inputs[0], this.qweights(), this.opts, this.q);
  }

  macs(_inputs: readonly Shape[], out: Shape): number {
    return out[0] * out[1] * out[2] * (this.inChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1];
  }

  /** DequantizeLinear → Conv (INT8 weights per channel, INT32 bias) → clamp → QuantizeLinear. */
  toOnnx(e: OnnxEmitter): void {
    const x = dequantizeInput(e, 0, this.qx);
    const v = e.op('Conv', [x, ...dequantizeWeights(e, this.qweights(), this.qx)], convOnnxAttrs(this, e.inputShapes[0]), `${e.name}/conv`);
    quantizeOutput(e, v, this.qy, this.clamp);
  }

  config() {
    return {
      inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: this.kernelSize, stride: this.stride,
      padding: this.padding, dilation: this.dilation, groups: this.groups, ...this.qconfig(),
    };
  }
}
