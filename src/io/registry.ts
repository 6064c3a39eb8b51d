// Layer types by name, for model files: each entry rebuilds a layer from its config(), with the
// constructors' own validation guarding against hostile values.
import * as nn from '../nn/index.js';
import type { Layer } from '../nn/layer.js';

type Cfg = Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const a = (v: unknown) => v as any;

export const LAYERS: Record<string, (c: Cfg, name: string) => Layer> = {
  Conv2d: (c, name) => new nn.Conv2d(a(c.inChannels), a(c.outChannels), a(c.kernelSize), {
    stride: a(c.stride), padding: a(c.padding), dilation: a(c.dilation), groups: a(c.groups), bias: a(c.bias), name,
  }),
  Linear: (c, name) => new nn.Linear(a(c.inFeatures), a(c.outFeatures), { bias: a(c.bias), name }),
  MaxPool2d: (c, name) => new nn.MaxPool2d(a(c.kernelSize), { stride: a(c.stride), padding: a(c.padding), dilation: a(c.dilation), ceilMode: a(c.ceilMode), name }),
  AvgPool2d: (c, name) => new nn.AvgPool2d(a(c.kernelSize), { stride: a(c.stride), padding: a(c.padding), ceilMode: a(c.ceilMode), countIncludePad: a(c.countIncludePad), name }),
  GlobalAvgPool2d: (_c, name) => new nn.GlobalAvgPool2d({ name }),
  AdaptiveAvgPool2d: (c, name) => new nn.AdaptiveAvgPool2d(a(c.outputSize), { name }),
  ReLU: (_c, name) => new nn.ReLU({ name }),
  LeakyReLU: (c, name) => new nn.LeakyReLU(a(c.negativeSlope), { name }),
  Sigmoid: (_c, name) => new nn.Sigmoid({ name }),
  Tanh: (_c, name) => new nn.Tanh({ name }),
  Softmax: (c, name) => new nn.Softmax(a(c.dim), { name, log: false }),
  LogSoftmax: (c, name) => new nn.LogSoftmax(a(c.dim), { name }),
  Dropout: (c, name) => new nn.Dropout(a(c.p), { name }),
  LocalResponseNorm: (c, name) => new nn.LocalResponseNorm(a(c.size), { alpha: a(c.alpha), beta: a(c.beta), k: a(c.k), lrnWindow: a(c.lrnWindow), name }),
  BatchNorm2d: (c, name) => new nn.BatchNorm2d(a(c.numFeatures), { eps: a(c.eps), momentum: a(c.momentum), affine: a(c.affine), name }),
  Flatten: (c, name) => new nn.Flatten(a(c.startDim), a(c.endDim), { name }),
  Add: (_c, name) => new nn.Add({ name }),
  Concat: (c, name) => new nn.Concat(a(c.dim), { name }),
  Reshape: (c, name) => new nn.Reshape(a(c.shape), { name }),
  Identity: (_c, name) => new nn.Identity({ name }),
};
