// What Conv2d and QConv2d share: their geometry arguments, checked once, and the output shape.
import type { Shape } from '../tensor.js';
import type { Padding2d } from '../ops/shape.js';
import { intArg, pairArg } from '../ops/validate.js';
import { layerWindow } from './window.js';

export interface ConvSpec {
  inChannels: number;
  outChannels: number;
  kernelSize: [number, number];
  stride: [number, number];
  padding: Padding2d;
  dilation: [number, number];
  groups: number;
}

/** Checks a convolution's channel counts, window and groups (messages name `op`). */
export function convSpec(
  op: string, inChannels: number, outChannels: number, kernelSize: number | [number, number],
  o: { stride?: number | [number, number]; padding?: Padding2d; dilation?: number | [number, number]; groups?: number },
): ConvSpec {
  const s: ConvSpec = {
    inChannels: intArg(op, 'inChannels', inChannels, 1),
    outChannels: intArg(op, 'outChannels', outChannels, 1),
    kernelSize: pairArg(op, 'kernelSize', kernelSize, 1),
    stride: pairArg(op, 'stride', o.stride ?? 1, 1),
    padding: o.padding ?? 0,
    dilation: pairArg(op, 'dilation', o.dilation ?? 1, 1),
    groups: intArg(op, 'groups', o.groups ?? 1, 1),
  };
  if (inChannels % s.groups !== 0 || outChannels % s.groups !== 0) {
    throw new RangeError(`${op}: inChannels (${inChannels}) and outChannels (${outChannels}) must both be divisible by groups (${s.groups})`);
  }
  return s;
}

/** The convolution's window over a per-sample [C, H, W] input; fail(need) makes the layer's ShapeError. */
export function convWindow(c: ConvSpec, s: Shape, fail: (need: string) => Error) {
  if (s.length !== 3) throw fail(`it needs a [C, H, W] image (rank 3 per sample); add no Flatten before it`);
  if (s[0] !== c.inChannels) throw fail(`it was built for ${c.inChannels} input channels, i.e. [${c.inChannels}, H, W]`);
  return layerWindow(fail, s, { kernelSize: c.kernelSize, stride: c.stride, padding: c.padding, dilation: c.dilation, rounding: 'floor' });
}
