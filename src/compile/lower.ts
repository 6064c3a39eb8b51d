// Lowering one graph node to a Prepared kernel call, and the inference-time rewrites: batch norm
// folded into the convolution before it, ReLU fused into the store of the conv/linear before it,
// and nodes that move no data (Flatten of contiguous memory, Dropout at inference) as aliases.
import { Tensor, keep, type Shape } from '../tensor.js';
import type { Layer } from '../nn/layer.js';
import { Conv2d } from '../nn/conv2d.js';
import { Linear } from '../nn/linear.js';
import { MaxPool2d } from '../nn/maxpool2d.js';
import { AvgPool2d } from '../nn/avgpool2d.js';
import { GlobalAvgPool2d } from '../nn/globalavgpool2d.js';
import { AdaptiveAvgPool2d } from '../nn/adaptiveavgpool2d.js';
import { ReLU } from '../nn/relu.js';
import { LeakyReLU } from '../nn/leakyrelu.js';
import { Sigmoid } from '../nn/sigmoid.js';
import { Tanh } from '../nn/tanh.js';
import { Softmax } from '../nn/softmax.js';
import { Dropout } from '../nn/dropout.js';
import { LocalResponseNorm } from '../nn/localresponsenorm.js';
import { BatchNorm2d } from '../nn/batchnorm2d.js';
import { Flatten } from '../nn/flatten.js';
import { Add } from '../nn/add.js';
import { Concat } from '../nn/concat.js';
import { Reshape } from '../nn/reshape.js';
import { Identity } from '../nn/identity.js';
import type { Prepared } from '../ops/prepared.js';
import { prepareConv2d } from '../ops/conv2d.js';
import { prepareLinear } from '../ops/linear.js';
import { prepareMaxPool2d, prepareAvgPool2d, prepareGlobalAvgPool2d, prepareAdaptiveAvgPool2d } from '../ops/pool2d.js';
import { prepareRelu, prepareLeakyRelu, prepareSigmoid, prepareTanh } from '../ops/activation.js';
import { prepareSoftmax, prepareLogSoftmax } from '../ops/softmax.js';
import { prepareAdd } from '../ops/add.js';
import { prepareConcat } from '../ops/concat.js';
import { prepareLocalResponseNorm } from '../ops/lrn.js';
import { prepareBatchNorm } from '../ops/batchnorm.js';

export type Clamp = { min: number; max: number };

/** True for layers whose output is their input's bytes unchanged (at inference). */
export function isAlias(layer: Layer): boolean {
  return layer instanceof Flatten || layer instanceof Dropout || layer instanceof Reshape || layer instanceof Identity;
}

/** A layer that can take a fused clamp (ReLU) in its store. */
export function takesClamp(layer: Layer): boolean {
  return layer instanceof Conv2d || layer instanceof Linear;
}

/** Folded convolution parameters: w'[o] = w[o]·s[o], b'[o] = (b[o] − mean[o])·s[o] + beta[o], s = γ/√(var + eps). */
export function foldBatchNorm(conv: Conv2d, bn: BatchNorm2d): { weight: Tensor; bias: Tensor } {
  const w = conv.weight.value.toFloat32Array();
  const b = conv.bias ? conv.bias.value.toFloat32Array() : new Float32Array(conv.outChannels);
  const mean = bn.runningMean.value.toFloat32Array();
  const v = bn.runningVar.value.toFloat32Array();
  const gamma = bn.weight ? bn.weight.value.toFloat32Array() : new Float32Array(conv.outChannels).fill(1);
  const beta = bn.bias ? bn.bias.value.toFloat32Array() : new Float32Array(conv.outChannels);
  const per = w.length / conv.outChannels;
  const w2 = new Float32Array(w.length);
  const b2 = new Float32Array(conv.outChannels);
  for (let o = 0; o < conv.outChannels; o++) {
    const s = gamma[o] / Math.sqrt(v[o] + bn.eps);
    for (let k = 0; k < per; k++) w2[o * per + k] = w[o * per + k] * s;
    b2[o] = (b[o] - mean[o]) * s + beta[o];
  }
  return { weight: keep(Tensor.from(w2, conv.weight.shape)), bias: keep(Tensor.from(b2, [conv.outChannels])) };
}

/**
 * The Prepared call for a node at inference, with batched input shapes. `params` overrides the
 * conv's weight and bias (batch-norm folding); `clamp` fuses an activation into the store.
 */
export function lower(layer: Layer, inputs: readonly Shape[], clamp?: Clamp, params?: { weight: Tensor; bias: Tensor }): Prepared {
  const x = inputs[0];
  if (layer instanceof Conv2d) {
    const opts = { stride: layer.stride, padding: layer.padding, dilation: layer.dilation, groups: layer.groups };
    const w = params?.weight ?? layer.weight.value;
    const b = params ? params.bias : layer.bias ? layer.bias.value : null;
    return prepareConv2d(x, w, b, opts, clamp);
  }
  if (layer instanceof Linear) return prepareLinear(x, layer.weight.value, layer.bias ? layer.bias.value : null, clamp);
  if (layer instanceof MaxPool2d) {
    return prepareMaxPool2d(x, { kernelSize: layer.kernelSize, stride: layer.stride, padding: layer.padding, dilation: layer.dilation, ceilMode: layer.ceilMode });
  }
  if (layer instanceof AvgPool2d) {
    return prepareAvgPool2d(x, { kernelSize: layer.kernelSize, stride: layer.stride, padding: layer.padding, ceilMode: layer.ceilMode, countIncludePad: layer.countIncludePad });
  }
  if (layer instanceof GlobalAvgPool2d) return prepareGlobalAvgPool2d(x);
  if (layer instanceof AdaptiveAvgPool2d) return prepareAdaptiveAvgPool2d(x, layer.outputSize);
  if (layer instanceof ReLU) return prepareRelu(x);
  if (layer instanceof LeakyReLU) return prepareLeakyRelu(x, layer.negativeSlope);
  if (layer instanceof Sigmoid) return prepareSigmoid(x);
  if (layer instanceof Tanh) return prepareTanh(x);
  if (layer instanceof Softmax) return layer.log ? prepareLogSoftmax(x, layer.dim) : prepareSoftmax(x, layer.dim);
  if (layer instanceof LocalResponseNorm) {
    return prepareLocalResponseNorm(x, { size: layer.size, alpha: layer.alpha, beta: layer.beta, k: layer.k, window: layer.lrnWindow });
  }
  if (layer instanceof BatchNorm2d) {
    return prepareBatchNorm(x, layer.runningMean.value, layer.runningVar.value, layer.weight?.value ?? null, layer.bias?.value ?? null, { eps: layer.eps });
  }
  if (layer instanceof Add) return chainAdd(inputs);
  if (layer instanceof Concat) return prepareConcat(inputs, layer.dim);
  throw new Error(`compile: layer '${layer.name}' (${layer.type}) has no compiled form`);
}

/** n-ary Add as a chain of binary adds into the output buffer (out = a + b, out += c, …). */
function chainAdd(inputs: readonly Shape[]): Prepared {
  const first = prepareAdd(inputs[0], inputs[1]);
  const rest = inputs.slice(2).map((s) => prepareAdd(first.outShape, s));
  return {
    outShape: first.outShape,
    scratchBytes: Math.max(first.scratchBytes, ...rest.map((r) => r.scratchBytes)),
    run(ins, out, scratch) {
      first.run([ins[0], ins[1]], out, scratch);
      rest.forEach((r, i) => r.run([out, ins[i + 2]], out, scratch));
    },
    dispose() {
      first.dispose();
      for (const r of rest) r.dispose();
    },
  };
}
