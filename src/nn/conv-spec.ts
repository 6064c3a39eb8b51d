// What Conv2d, QConv2d and ConvTranspose2d share: their geometry arguments, checked once, their
// options and parameters (Conv2d, ConvTranspose2d), and (for the forward convolutions) the output shape.
import type { Shape } from '../tensor.js';
import { padding2dArg, type Padding2d } from '../ops/shape.js';
import { boolArg, enumArg, intArg, pairArg } from '../ops/validate.js';
import { layerWindow } from './window.js';
import { window2d } from '../ops/shape.js';
import { attr, type OnnxAttr } from './lowering.js';
import { WEIGHT_INITS, type WeightInit } from './init.js';
import type { ParamSpec } from './param.js';

/** Channels, window and groups of a convolution (forward or transposed). */
export interface ConvGeometry {
  inChannels: number;
  outChannels: number;
  kernelSize: [number, number];
  stride: [number, number];
  dilation: [number, number];
  groups: number;
}

/** A forward convolution's geometry with its padding. */
export interface ConvSpec extends ConvGeometry {
  padding: Padding2d;
}

interface GeometryOptions {
  stride?: number | readonly [number, number];
  dilation?: number | readonly [number, number];
  groups?: number;
}

/** The options every convolution layer (Conv2d, ConvTranspose2d) takes; each adds its padding and extras. */
export interface ConvLayerOptions extends GeometryOptions {
  bias?: boolean;
  weightInit?: WeightInit;
  name?: string;
}

/** ConvLayerOptions' keys and 'padding', for knownOptions; a layer appends its own extras. */
export const CONV_LAYER_KEYS: readonly string[] = ['stride', 'padding', 'dilation', 'groups', 'bias', 'weightInit', 'name'];

/** The weight (initialised as options.weightInit says) and, unless options.bias is false, the zero bias [outChannels]. */
export function convParams(op: string, options: ConvLayerOptions, wShape: Shape, outChannels: number): { weight: ParamSpec; bias: ParamSpec | null } {
  const init = enumArg(op, 'weightInit', options.weightInit, WEIGHT_INITS, 'kaimingUniform');
  const bias = boolArg(op, 'bias', options.bias, true);
  return { weight: { name: 'weight', shape: wShape, init }, bias: bias ? { name: 'bias', shape: [outChannels], init: 'zeros' } : null };
}

/** Checks a convolution's channel counts, kernel, stride, dilation and groups (messages name `op`). */
export function convGeometry(op: string, inChannels: unknown, outChannels: unknown, kernelSize: unknown, o: GeometryOptions): ConvGeometry {
  const s: ConvGeometry = {
    inChannels: intArg(op, 'inChannels', inChannels, 1),
    outChannels: intArg(op, 'outChannels', outChannels, 1),
    kernelSize: pairArg(op, 'kernelSize', kernelSize, 1),
    stride: pairArg(op, 'stride', o.stride ?? 1, 1),
    dilation: pairArg(op, 'dilation', o.dilation ?? 1, 1),
    groups: intArg(op, 'groups', o.groups ?? 1, 1),
  };
  if (s.inChannels % s.groups !== 0 || s.outChannels % s.groups !== 0) {
    throw new RangeError(`${op}: inChannels (${s.inChannels}) and outChannels (${s.outChannels}) must both be divisible by groups (${s.groups})`);
  }
  return s;
}

/** convGeometry and the padding of a forward convolution (a number, [h, w], four sides, 'same' or 'valid'). */
export function convSpec(
  op: string, inChannels: unknown, outChannels: unknown, kernelSize: unknown, o: GeometryOptions & { padding?: Padding2d },
): ConvSpec {
  const g = convGeometry(op, inChannels, outChannels, kernelSize, o);
  return { ...g, padding: padding2dArg(op, o.padding ?? 0) };
}

/** The convolution's window over a per-sample [C, H, W] input; fail(need) makes the layer's ShapeError. */
export function convWindow(c: ConvSpec, s: Shape, fail: (need: string) => Error) {
  if (s.length !== 3) throw fail(`it needs a [C, H, W] image (rank 3 per sample); add no Flatten before it`);
  if (s[0] !== c.inChannels) throw fail(`it was built for ${c.inChannels} input channels, i.e. [${c.inChannels}, H, W]`);
  return layerWindow(fail, s, { kernelSize: c.kernelSize, stride: c.stride, padding: c.padding, dilation: c.dilation, rounding: 'floor' });
}

/** The ONNX Conv attributes of a forward convolution over a per-sample [C, H, W] input (io.toONNX). */
export function convOnnxAttrs(c: ConvSpec, s: Shape): OnnxAttr[] {
  const g = window2d('toONNX', s[1], s[2], { kernelSize: c.kernelSize, stride: c.stride, padding: c.padding, dilation: c.dilation });
  return [
    attr.ints('kernel_shape', c.kernelSize), attr.ints('strides', c.stride), attr.ints('dilations', c.dilation),
    attr.ints('pads', [g.padTop, g.padLeft, g.padBottom, g.padRight]), attr.i('group', c.groups),
  ];
}
