// Optimizers over a model's parameters: SGD (momentum, Nesterov, weight decay), Adam and AdamW,
// each a fused in-place kernel per parameter tensor. Their state lives in wasm memory.
import type { Param } from '../nn/param.js';
import { Tensor, keep } from '../tensor.js';
import { sgdUpdate, adamUpdate } from '../ops/optim.js';
import { numberArg, knownOptions } from '../ops/validate.js';

export abstract class Optimizer {
  readonly params: readonly Param[];
  /** The learning rate used by the next step (schedules set it). */
  lr: number;
  /** Steps taken. */
  stepCount = 0;

  constructor(params: readonly Param[], lr: number) {
    if (!Array.isArray(params)) throw new TypeError('optimizer: params must be an array of parameters (model.parameters())');
    this.params = params.filter((p) => p.trainable);
    this.lr = numberArg('optimizer', 'lr', lr, 0);
  }

  /** Applies one update from each parameter's accumulated gradient. */
  step(): void {
    this.stepCount++;
    for (const p of this.params) if (p.grad !== null && !p.grad.disposed) this.update(p, p.grad);
  }

  /** Zeroes every gradient (in place). */
  zeroGrad(): void {
    for (const p of this.params) if (p.grad !== null && !p.grad.disposed) p.grad.fill(0);
  }

  protected abstract update(p: Param, g: Tensor): void;

  /** Frees the optimizer state. */
  abstract dispose(): void;
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** torch.optim.SGD. */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private readonly buffers = new Map<Param, Tensor>();

  constructor(params: readonly Param[], options: SGDOptions) {
    knownOptions('optim.SGD', options, ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov']);
    super(params, options.lr);
    this.momentum = numberArg('optim.SGD', 'momentum', options.momentum ?? 0, 0);
    this.dampening = numberArg('optim.SGD', 'dampening', options.dampening ?? 0, 0, 1);
    this.weightDecay = numberArg('optim.SGD', 'weightDecay', options.weightDecay ?? 0, 0);
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError('optim.SGD: Nesterov momentum needs momentum > 0 and dampening 0');
    }
  }

  protected update(p: Param, g: Tensor): void {
    let buf: Tensor | null = null;
    let first = false;
    if (this.momentum !== 0) {
      buf = this.buffers.get(p) ?? null;
      if (buf === null) {
        buf = keep(Tensor.zeros(p.shape));
        this.buffers.set(p, buf);
        first = true;
      }
    }
    sgdUpdate(p.value, g, buf, {
      lr: this.lr, momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov, firstStep: first,
    });
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** torch.optim.Adam (weight decay as L2 added to the gradient). */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;
  private readonly moments = new Map<Param, { m: Tensor; v: Tensor; t: number }>();

  constructor(params: readonly Param[], options: AdamOptions = {}) {
    knownOptions('optim.Adam', options, ['lr', 'beta1', 'beta2', 'eps', 'weightDecay']);
    super(params, options.lr ?? 1e-3);
    this.beta1 = numberArg('optim.Adam', 'beta1', options.beta1 ?? 0.9, 0, 0.999999);
    this.beta2 = numberArg('optim.Adam', 'beta2', options.beta2 ?? 0.999, 0, 0.999999999);
    this.eps = numberArg('optim.Adam', 'eps', options.eps ?? 1e-8, 0);
    this.weightDecay = numberArg('optim.Adam', 'weightDecay', options.weightDecay ?? 0, 0);
  }

  protected update(p: Param, g: Tensor): void {
    let s = this.moments.get(p);
    if (s === undefined) {
      s = { m: keep(Tensor.zeros(p.shape)), v: keep(Tensor.zeros(p.shape)), t: 0 };
      this.moments.set(p, s);
    }
    s.t++;
    adamUpdate(p.value, g, s.m, s.v, {
      lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, decoupled: this.decoupled, step: s.t,
    });
  }

  dispose(): void {
    for (const s of this.moments.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.moments.clear();
  }
}

/** torch.optim.AdamW: decoupled weight decay (default 0.01). */
export class AdamW extends Adam {
  protected override readonly decoupled = true;
  constructor(params: readonly Param[], options: AdamOptions = {}) {
    super(params, { ...options, weightDecay: options.weightDecay ?? 0.01 });
  }
}
