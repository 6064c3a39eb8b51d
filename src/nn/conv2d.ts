import { Layer, cfg, type LayerConfig, layerName } from './layer.js';
import type { Param } from './param.js';
import type { Shape } from '../tensor.js';
import { Tensor, keep } from '../tensor.js';
import { conv2d, conv2dBackwardData, conv2dBackwardFilter, conv2dBackwardBias, prepareConv2d } from '../ops/conv2d.js';
import type { Prepared } from '../ops/prepared.js';
import type { Folded, LowerOptions, OnnxEmitter } from './lowering.js';
import type { Padding2d } from '../ops/shape.js';
import { algorithmArg, type Conv2dAlgorithm } from '../ops/conv2d-algorithm.js';
import { floorDrops } from './window.js';
import { CONV_LAYER_KEYS, convOnnxAttrs, convParams, convSpec, convWindow, type ConvLayerOptions } from './conv-spec.js';

export interface Conv2dOptions extends ConvLayerOptions {
  padding?: Padding2d;
  /** The convolution algorithm (ops.conv2d's option; default 'auto'). Not saved with the model. */
  algorithm?: Conv2dAlgorithm;
}

const KEYS = [...CONV_LAYER_KEYS, 'algorithm'];

/** 2-D convolution, as torch.nn.Conv2d: weight [out, in/groups, kh, kw], bias [out]. */
export class Conv2d extends Layer {
  static readonly type = 'Conv2d';
  readonly type = Conv2d.type;

  static fromConfig(c: LayerConfig, name: string): Conv2d {
    return new Conv2d(cfg(c.inChannels), cfg(c.outChannels), cfg(c.kernelSize), {
      stride: cfg(c.stride), padding: cfg(c.padding), dilation: cfg(c.dilation), groups: cfg(c.groups), bias: cfg(c.bias), name,
    });
  }

  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: Padding2d;
  readonly dilation: [number, number];
  readonly groups: number;
  readonly algorithm: Conv2dAlgorithm;
  readonly weight: Param;
  readonly bias: Param | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options: Conv2dOptions = {}) {
    const op = 'nn.Conv2d';
    super(layerName(op, options, KEYS));
    const c = convSpec(op, inChannels, outChannels, kernelSize, options);
    this.inChannels = c.inChannels; this.outChannels = c.outChannels; this.kernelSize = c.kernelSize;
    this.stride = c.stride; this.padding = c.padding; this.dilation = c.dilation; this.groups = c.groups;
    this.algorithm = algorithmArg(op, options.algorithm);
    const p = convParams(op, options, [outChannels, inChannels / this.groups, this.kernelSize[0], this.kernelSize[1]], outChannels);
    this.weight = this.addParam(p.weight);
    this.bias = p.bias && this.addParam(p.bias);
  }

  private window(s: Shape) {
    return convWindow(this, s, (need) => this.shapeError([s], need));
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const w = this.window(this.one(inputs));
    return [this.outChannels, w.oh, w.ow];
  }

  private saved: Tensor | null = null;

  private get opts() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups, algorithm: this.algorithm };
  }

  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.saved = training ? x : null;
    return conv2d(x, this.weight.value, this.bias ? this.bias.value : null, this.opts);
  }

  backward(dy: Tensor, needs?: readonly boolean[]): (Tensor | null)[] {
    this.gradOf(dy, needs);
    const x = this.saved;
    if (x === null) throw new Error(`layer '${this.name}' (Conv2d): backward needs a forward pass with training true first`);
    // frozen parameters get no gradient: their kernels are skipped
    if (this.weight.trainable) conv2dBackwardFilter(x, dy, this.weight.shape, { ...this.opts, accumulateInto: this.weight.gradBuffer() });
    if (this.bias?.trainable) conv2dBackwardBias(dy, { accumulateInto: this.bias.gradBuffer() });
    return [needs?.[0] === false ? null : conv2dBackwardData(dy, this.weight.value, x.shape, this.opts)];
  }

  release(): void {
    this.saved = null;
  }

  macs(_inputs: readonly Shape[], out: Shape): number {
    return out[0] * out[1] * out[2] * (this.inChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1];
  }

  notes(inputs: readonly Shape[]): string[] {
    return floorDrops(inputs[0], this.window(inputs[0]), 'floor');
  }

  get takesClamp(): boolean {
    return true;
  }

  get takesActivation(): boolean {
    return true;
  }

  /** Folds a following per-channel affine map (batch norm at inference): w'[o] = w[o]·s[o], b'[o] = b[o]·s[o] + t[o]. */
  fold(next: Layer): Folded | null {
    const aff = next.channelAffine();
    if (aff === null || aff.scale.length !== this.outChannels) return null;
    const w = this.weight.value.toFloat32Array();
    const b = this.bias ? this.bias.value.toFloat32Array() : new Float32Array(this.outChannels);
    const per = w.length / this.outChannels;
    const w2 = new Float32Array(w.length);
    const b2 = new Float32Array(this.outChannels);
    for (let o = 0; o < this.outChannels; o++) {
      const s = aff.scale[o];
      for (let k = 0; k < per; k++) w2[o * per + k] = w[o * per + k] * s;
      b2[o] = b[o] * s + aff.shift[o];
    }
    return { weight: keep(Tensor.from(w2, this.weight.shape)), bias: keep(Tensor.from(b2, [this.outChannels])) };
  }

  /** For compile's plans, whose weights are constant: work on them is done once, here. */
  lower(inputs: readonly Shape[], options: LowerOptions = {}): Prepared {
    const f = options.folded;
    const b = f ? f.bias : this.bias ? this.bias.value : null;
    return prepareConv2d(inputs[0], f ? f.weight : this.weight.value, b, this.opts, options.clamp, options.activation, 'constant');
  }

  toOnnx(e: OnnxEmitter): void {
    const ins = [e.inputs[0], e.weight('weight', this.weight.value.toFloat32Array(), this.weight.shape)];
    if (this.bias) ins.push(e.weight('bias', this.bias.value.toFloat32Array(), this.bias.shape));
    e.op('Conv', ins, convOnnxAttrs(this, e.inputShapes[0]));
  }

  config() {
    return {
      inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: this.kernelSize, stride: this.stride,
      padding: this.padding, dilation: this.dilation, groups: this.groups, bias: this.bias !== null,
    };
  }

}
