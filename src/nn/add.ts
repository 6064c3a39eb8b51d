import { Layer } from './layer.js';
import type { Tensor, Shape } from '../tensor.js';
import { add } from '../ops/add.js';

/** Sums two or more inputs of the same shape: the residual connection of ResNet. */
export class Add extends Layer {
  readonly type = 'Add';
  readonly inputs = [2, 64] as const;
  constructor(options: { name?: string } = {}) {
    super(options.name);
  }
  outputShape(inputs: readonly Shape[]): Shape {
    if (inputs.length < 2) throw this.shapeError(inputs, 'it needs at least two inputs');
    const s0 = inputs[0];
    for (let i = 1; i < inputs.length; i++) {
      const s = inputs[i];
      if (s.length !== s0.length || s.some((d, k) => d !== s0[k])) {
        throw this.shapeError(inputs, `all inputs must have the same shape (input ${i} differs from input 0)`);
      }
    }
    return s0.slice();
  }
  private arity = 0;
  backward(dy: Tensor): Tensor[] {
    if (this.arity === 0) throw this.notTrained();
    return Array.from({ length: this.arity }, () => dy.clone());
  }
  release(): void {
    this.arity = 0;
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    this.arity = training ? inputs.length : 0;
    let acc = add(inputs[0], inputs[1]);
    for (let i = 2; i < inputs.length; i++) {
      const next = add(acc, inputs[i]);
      acc.dispose();
      acc = next;
    }
    return acc;
  }
  config() {
    return {};
  }
}
