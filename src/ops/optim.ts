// Optimizer steps as fused in-place kernels, one call per parameter tensor, with PyTorch's exact
// update formulas (torch.optim.SGD, Adam, AdamW). The state (momentum buffer, Adam's m and v)
// belongs to the caller: tensors of the parameter's shape, zero-filled before the first step.
import { Tensor } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { boolArg, describe, intArg, knownOptions, numberArg, sameShape, tensorArg } from './validate.js';

export interface SgdUpdateOptions {
  /** Learning rate ≥ 0 (required). */
  lr: number;
  /** Momentum factor ≥ 0 (default 0: plain SGD, no buffer needed). */
  momentum?: number;
  /** Dampening in [0, 1] for the momentum buffer (default 0). */
  dampening?: number;
  /** L2 penalty ≥ 0 added to the gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0, as PyTorch). */
  nesterov?: boolean;
  /** The first step for this buffer: buf = g (PyTorch's buffer creation), not momentum·buf + …. */
  firstStep?: boolean;
}

export interface AdamUpdateOptions {
  /** Learning rate ≥ 0 (required). */
  lr: number;
  /** In [0, 1); default 0.9. */
  beta1?: number;
  /** In [0, 1); default 0.999. */
  beta2?: number;
  /** ≥ 0; default 1e-8. */
  eps?: number;
  /** ≥ 0; default 0. Adam adds weightDecay·p to the gradient; AdamW (decoupled) scales p by 1 − lr·weightDecay. */
  weightDecay?: number;
  /** AdamW's decoupled weight decay (default false: Adam's L2 form). */
  decoupled?: boolean;
  /** The step number, an integer ≥ 1, for the bias corrections 1 − beta^step (required). */
  step: number;
}

const SGD_KEYS = ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'firstStep'] as const;
const ADAM_KEYS = ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'decoupled', 'step'] as const;

function requiredNumber(op: string, name: string, v: unknown, min: number, max = Infinity): number {
  if (v === undefined) throw new TypeError(`${op}: options.${name} is required`);
  return numberArg(op, name, v, min, max);
}

/** A number in [min, max) (betas must stay below 1). */
function betaArg(op: string, name: string, v: unknown, dflt: number): number {
  const b = numberArg(op, name, v ?? dflt, 0, 1);
  if (b >= 1) throw new RangeError(`${op}: ${name} must be in [0, 1), got ${b}`);
  return b;
}

/** Same shape as param and a different tensor from every other argument. */
function stateArg(op: string, name: string, v: unknown, param: Tensor, others: [string, Tensor][]): Tensor {
  const t = tensorArg(op, name, v);
  sameShape(op, param, 'param', t, name);
  for (const [on, o] of others) {
    if (o.ptr === t.ptr) throw new RangeError(`${op}: ${name} and ${on} are the same tensor; each must have its own memory`);
  }
  return t;
}

/**
 * One SGD step on `param` in place (torch.optim.SGD): g = grad + weightDecay·param;
 * with momentum, buf = firstStep ? g : momentum·buf + (1 − dampening)·g and
 * g = nesterov ? g + momentum·buf : buf; then param −= lr·g. `grad` is left unchanged;
 * momentumBuf (param's shape) is needed when momentum ≠ 0 and updated in place. Returns param.
 */
export function sgdUpdate(param: Tensor, grad: Tensor, momentumBuf: Tensor | null, options: SgdUpdateOptions): Tensor {
  const op = 'sgdUpdate';
  const p = tensorArg(op, 'param', param);
  const g = stateArg(op, 'grad', grad, p, [['param', p]]);
  const o = knownOptions(op, options, SGD_KEYS);
  const lr = requiredNumber(op, 'lr', o.lr, 0);
  const momentum = numberArg(op, 'momentum', o.momentum ?? 0, 0);
  const dampening = numberArg(op, 'dampening', o.dampening ?? 0, 0, 1);
  const weightDecay = numberArg(op, 'weightDecay', o.weightDecay ?? 0, 0);
  const nesterov = boolArg(op, 'nesterov', o.nesterov, false);
  const firstStep = boolArg(op, 'firstStep', o.firstStep, false);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new RangeError(`${op}: nesterov needs momentum > 0 and dampening 0, got momentum ${momentum} and dampening ${dampening}`);
  }
  let buf: Tensor | null = null;
  if (momentum !== 0) {
    if (momentumBuf === null || momentumBuf === undefined) {
      throw new TypeError(`${op}: momentum ${momentum} needs a momentumBuf tensor of shape [${p.shape.join(', ')}] (zeros before the first step), got ${describe(momentumBuf)}`);
    }
    buf = stateArg(op, 'momentumBuf', momentumBuf, p, [['param', p], ['grad', g]]);
  } else if (momentumBuf !== null && momentumBuf !== undefined) {
    tensorArg(op, 'momentumBuf', momentumBuf);
  }
  const flags = (buf !== null ? 1 : 0) | (firstStep ? 2 : 0) | (nesterov ? 4 : 0) | (weightDecay !== 0 ? 8 : 0);
  if (p.size > 0) kernels().sgd_f32_simd(p.ptr, g.ptr, buf === null ? 0 : buf.ptr, p.size, lr, momentum, dampening, weightDecay, flags);
  return p;
}

/**
 * One Adam (or, with decoupled, AdamW) step on `param` in place, as torch.optim.Adam/AdamW:
 * Adam: g = grad + weightDecay·param; AdamW: param ·= 1 − lr·weightDecay. Then
 * m = beta1·m + (1 − beta1)·g, v = beta2·v + (1 − beta2)·g², and
 * param −= lr·m̂/(√v̂ + eps) with m̂ = m/(1 − beta1^step), v̂ = v/(1 − beta2^step) (PyTorch's
 * arrangement: (lr/bc1)·m / (√v/√bc2 + eps)). m and v (param's shape) are updated in place;
 * grad is left unchanged. Returns param.
 */
export function adamUpdate(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, options: AdamUpdateOptions): Tensor {
  const op = 'adamUpdate';
  const p = tensorArg(op, 'param', param);
  const g = stateArg(op, 'grad', grad, p, [['param', p]]);
  const mt = stateArg(op, 'm', m, p, [['param', p], ['grad', g]]);
  const vt = stateArg(op, 'v', v, p, [['param', p], ['grad', g], ['m', mt]]);
  const o = knownOptions(op, options, ADAM_KEYS);
  const lr = requiredNumber(op, 'lr', o.lr, 0);
  const beta1 = betaArg(op, 'beta1', o.beta1, 0.9);
  const beta2 = betaArg(op, 'beta2', o.beta2, 0.999);
  const eps = numberArg(op, 'eps', o.eps ?? 1e-8, 0);
  const weightDecay = numberArg(op, 'weightDecay', o.weightDecay ?? 0, 0);
  const decoupled = boolArg(op, 'decoupled', o.decoupled, false);
  if (o.step === undefined) throw new TypeError(`${op}: options.step is required (the step number, from 1)`);
  const step = intArg(op, 'step', o.step, 1);
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  const decay = decoupled ? 1 - lr * weightDecay : 1;
  if (p.size > 0) {
    kernels().adam_f32_simd(p.ptr, g.ptr, mt.ptr, vt.ptr, p.size, beta1, beta2, eps, lr / bc1, Math.sqrt(bc2), decoupled ? 0 : weightDecay, decay);
  }
  return p;
}
