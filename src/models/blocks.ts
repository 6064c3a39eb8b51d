// Pieces shared by the mobile builders, each named as torchvision names the module it mirrors:
// Conv2dNormActivation (conv '.0', batch norm '.1', activation '.2'), SqueezeExcitation (avgpool,
// fc1, activation, fc2, scale_activation), _make_divisible, and the options every builder takes.
import type { GraphBuilder } from '../graph/builder.js';
import type { Layer } from '../nn/layer.js';
import { Conv2d } from '../nn/conv2d.js';
import { BatchNorm2d } from '../nn/batchnorm2d.js';
import { AdaptiveAvgPool2d } from '../nn/adaptiveavgpool2d.js';
import { Mul } from '../nn/mul.js';

export interface ZooOptions {
  numClasses?: number;
  /** Square input size (default 224). */
  inputSize?: number;
  seed?: number;
  /** Dropout before the last Linear (torchvision's default for the architecture when omitted). */
  dropout?: number;
}

/** The input size of `options`, checked: an integer ≥ 32 (five stride-2 stages). */
export function inputSize(arch: string, options: ZooOptions): number {
  const size = options.inputSize ?? 224;
  if (!Number.isInteger(size) || size < 32) throw new RangeError(`${arch}: inputSize must be an integer ≥ 32 (the network halves it five times), got ${size}`);
  return size;
}

/** torchvision's _make_divisible: v rounded to the nearest multiple of divisor, never below minValue nor 10% below v. */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  const n = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  return n < 0.9 * v ? n + divisor : n;
}

export interface ConvNormAct {
  stride?: number;
  groups?: number;
  /** The batch norm's eps (torchvision's default 1e-5; MobileNetV3 1e-3). */
  eps?: number;
  /** The activation after the norm, or none. */
  act?: () => Layer;
}

/** Conv2dNormActivation: a k×k convolution (padding (k-1)/2, no bias), batch norm, activation. */
export function convNormAct(b: GraphBuilder, name: string, x: string, cin: number, cout: number, k: number, o: ConvNormAct = {}): string {
  x = b.add(`${name}.0`, new Conv2d(cin, cout, k, { stride: o.stride ?? 1, padding: (k - 1) >> 1, groups: o.groups ?? 1, bias: false }), x);
  x = b.add(`${name}.1`, new BatchNorm2d(cout, { eps: o.eps ?? 1e-5 }), x);
  return o.act ? b.add(`${name}.2`, o.act(), x) : x;
}

/** SqueezeExcitation: x · gate(fc2(act(fc1(avgpool(x))))), the 1×1 convolutions with bias. */
export function squeezeExcitation(b: GraphBuilder, name: string, x: string, c: number, squeeze: number, act: () => Layer, gate: () => Layer): string {
  let s = b.add(`${name}.avgpool`, new AdaptiveAvgPool2d(1), x);
  s = b.add(`${name}.fc1`, new Conv2d(c, squeeze, 1), s);
  s = b.add(`${name}.activation`, act(), s);
  s = b.add(`${name}.fc2`, new Conv2d(squeeze, c, 1), s);
  s = b.add(`${name}.scale_activation`, gate(), s);
  return b.add(`${name}.scale`, new Mul(), [x, s]);
}
