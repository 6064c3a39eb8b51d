// Folds of constant arithmetic into the Conv / Gemm / MatMul layer that produced an activation:
// a per-channel bias added (or subtracted) goes into the bias, a per-channel scale into the weights
// and bias. Used by the elementwise handlers (onnx-elementwise-ops.ts) and batch norm (onnx-ops.ts).
import { Conv2d } from '../nn/conv2d.js';
import { Linear } from '../nn/linear.js';
import type { Layer } from '../nn/layer.js';
import type { Act, Const, Ctx } from './onnx-context.js';

/** Per-output-channel values of a constant added to (or scaling) an activation of per-sample shape `shape`, or null. */
export function perChannel(k: Const, shape: number[]): Float32Array | null {
  const batched = [1, ...shape];
  const ch = shape[0];
  if (k.dims.length > batched.length) return null;
  const off = batched.length - k.dims.length;
  for (let i = 0; i < k.dims.length; i++) {
    const axis = off + i;
    if (k.dims[i] !== 1 && !(axis === 1 && k.dims[i] === ch)) return null;
  }
  if (k.data.length === 1) return new Float32Array(ch).fill(k.data[0]);
  return k.data.length === ch ? k.data.slice() : null;
}

/** The same Conv2d / Linear with a bias (a layer that has one is returned as is). */
export function withBias(layer: Layer): Layer {
  if (layer instanceof Conv2d && !layer.bias) {
    return new Conv2d(layer.inChannels, layer.outChannels, layer.kernelSize, {
      stride: layer.stride, padding: layer.padding, dilation: layer.dilation, groups: layer.groups, bias: true,
    });
  }
  if (layer instanceof Linear && !layer.bias) return new Linear(layer.inFeatures, layer.outFeatures, { bias: true });
  return layer;
}

/** Adds sign·k (a per-channel bias) into the Conv/Linear that produced input `i`, if that is possible. */
export function foldBias(c: Ctx, x: Act, i: number, k: Const, sign = 1): boolean {
  const spec = c.foldable(x, i);
  if (!spec || !(spec.layer instanceof Conv2d || spec.layer instanceof Linear)) return false;
  const vec = perChannel(k, spec.shape);
  if (vec === null) return false;
  const old = spec.params.bias ?? new Float32Array(vec.length);
  spec.params.bias = old.map((b, j) => b + sign * vec[j]);
  c.absorb(spec, withBias(spec.layer));
  return true;
}

/** Multiplies the Conv/Linear that produced input `i` by k (a per-channel scale: weights and bias), if that is possible. */
export function foldScale(c: Ctx, x: Act, i: number, k: Const): boolean {
  const spec = c.foldable(x, i);
  if (!spec || !(spec.layer instanceof Conv2d || spec.layer instanceof Linear)) return false;
  const vec = perChannel(k, spec.shape);
  if (vec === null) return false;
  const w = spec.params.weight, per = w.length / vec.length;
  spec.params.weight = w.map((v, j) => v * vec[Math.floor(j / per)]);
  if (spec.params.bias) spec.params.bias = spec.params.bias.map((b, j) => b * vec[j]);
  c.absorb(spec);
  return true;
}
