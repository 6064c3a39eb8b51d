// The shape of the parameter-free elementwise layers (Hardtanh, ReLU6, Hardsigmoid, Hardswish,
// SiLU, GELU, Mish, Unary): one op forward, its prepared form for compiled plans, and a backward
// from what the forward saved (its input, or for some ops its output).
import { ElementwiseLayer } from './activation-base.js';
import type { Tensor, Shape } from '../tensor.js';
import type { Prepared } from '../ops/prepared.js';

export abstract class MapLayer extends ElementwiseLayer {
  private saved: Tensor | null = null;
  /** True when backward reads the forward's output (exp, sqrt, reciprocal), false for its input. */
  protected savesOutput = false;
  protected abstract apply(x: Tensor): Tensor;
  protected abstract gradient(dy: Tensor, saved: Tensor): Tensor;
  protected abstract prepare(xShape: Shape): Prepared;

  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    const y = this.apply(x);
    this.saved = training ? (this.savesOutput ? y : x) : null;
    return y;
  }
  backward(dy: Tensor, needs?: readonly boolean[]): Tensor[] {
    this.gradOf(dy, needs);
    if (this.saved === null) throw this.notTrained();
    return [this.gradient(this.gradLike(dy, this.saved.shape), this.saved)];
  }
  release(): void {
    this.saved = null;
  }
  lower(inputs: readonly Shape[]): Prepared {
    return this.prepare(inputs[0]);
  }
}

/** A finite number, or ±Infinity stored as null in configs (JSON has no infinities). */
export const toJsonBound = (v: number): number | null => (Number.isFinite(v) ? v : null);
export const fromJsonBound = (v: unknown, inf: number): unknown => (v === null ? inf : v);
