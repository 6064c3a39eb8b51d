import { Layer, type LayerConfig, layerName } from './layer.js';
import type { OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import type { Tensor, Shape } from '../tensor.js';
import { add, prepareAdd } from '../ops/add.js';

/** Sums two or more inputs of the same shape: the residual connection of ResNet. */
export class Add extends Layer {
  static readonly type = 'Add';
  readonly type = Add.type;
  static fromConfig(_c: LayerConfig, name: string): Add {
    return new Add({ name });
  }
  readonly inputs = [2, 64] as const;
  constructor(options: { name?: string } = {}) {
    super(layerName('nn.Add', options, ['name']));
  }
  outputShape(shapes: readonly Shape[]): Shape {
    const inputs = this.shapesOf(shapes);
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
    this.gradOf(dy);
    if (this.arity === 0) throw this.notTrained();
    return Array.from({ length: this.arity }, () => dy.clone());
  }
  release(): void {
    this.arity = 0;
  }
  forward(xs: readonly Tensor[], training = false): Tensor {
    const inputs = this.tensorsOf(xs, training);
    this.arity = training ? inputs.length : 0;
    let acc = add(inputs[0], inputs[1]);
    for (let i = 2; i < inputs.length; i++) {
      let next: Tensor;
      try {
        next = add(acc, inputs[i]);
      } finally {
        // the partial sum is ours: freed whether the next add worked or threw (a mismatched input)
        acc.dispose();
      }
      acc = next;
    }
    return acc;
  }
  /** n-ary Add as a chain of binary adds into the output buffer (out = a + b, out += c, …). */
  lower(inputs: readonly Shape[]): Prepared {
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
  toOnnx(e: OnnxEmitter): void {
    e.op(e.inputs.length === 2 ? 'Add' : 'Sum', e.inputs);
  }
  config() {
    return {};
  }
}
