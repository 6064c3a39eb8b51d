// The shape of the parameter-free layers whose eager forward is their own lowering run once and
// whose backward needs only the input's shape (Pad, Upsample): the forward, backward and release
// they share, as map-layer.ts does for the elementwise layers.
import { Layer } from './layer.js';
import { Tensor, type Shape } from '../tensor.js';
import { runOnce, type Prepared } from '../ops/prepared.js';
import type { LowerOptions } from './lowering.js';

export abstract class PreparedLayer extends Layer {
  /** The shape of the last training forward's input, or null. */
  private xShape: Shape | null = null;
  abstract lower(inputs: readonly Shape[], options?: LowerOptions): Prepared;
  /** dL/dx for dL/dy `dy` of an input of shape `xShape` (the op's adjoint). */
  protected abstract gradient(dy: Tensor, xShape: Shape): Tensor;

  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.xShape = training ? x.shape : null;
    return runOnce(this.lower([x.shape]), [x.ptr], (s) => Tensor.empty(s));
  }

  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.xShape === null) throw this.notTrained();
    return [this.gradient(dy, this.xShape)];
  }

  release(): void {
    this.xShape = null;
  }
}
