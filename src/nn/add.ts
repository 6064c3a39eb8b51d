import { cfg, type LayerConfig } from './layer.js';
import { BinaryLayer, binaryOptions, type BinaryOptions } from './binary-base.js';
import type { OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import type { Tensor, Shape } from '../tensor.js';
import { add, prepareAdd } from '../ops/add.js';

/**
 * Sums its inputs: two with broadcasting (as torch.add; see BinaryLayer), or one input and a
 * constant (x + c), or three or more of the same shape (ResNet's residual connections, DenseNet).
 */
export class Add extends BinaryLayer {
  static readonly type = 'Add';
  readonly type = Add.type;
  readonly op = 'add';
  protected readonly onnxOp = 'Add';
  static fromConfig(c: LayerConfig, name: string): Add {
    return new Add(binaryOptions(cfg(c), name));
  }
  constructor(options: BinaryOptions = {}) {
    super(options, 0, true);
  }
  outputShape(shapes: readonly Shape[]): Shape {
    const inputs = this.shapesOf(shapes);
    if (this.constant !== null || inputs.length === 2) return super.outputShape(inputs);
    if (inputs.length < 2) throw this.shapeError(inputs, 'it needs at least two inputs');
    const s0 = inputs[0];
    for (let i = 1; i < inputs.length; i++) {
      const s = inputs[i];
      if (s.length !== s0.length || s.some((d, k) => d !== s0[k])) {
        throw this.shapeError(inputs, `with more than two inputs all must have the same shape (input ${i} differs from input 0)`);
      }
    }
    return s0.slice();
  }
  private arity = 0;
  private arityShape: readonly number[] = [];
  backward(dy: Tensor, needs?: readonly boolean[]): (Tensor | null)[] {
    if (this.arity === 0) return super.backward(dy, needs);
    this.gradLike(dy, this.arityShape, needs);
    return Array.from({ length: this.arity }, () => dy.clone());
  }
  release(): void {
    this.arity = 0;
    super.release();
  }
  forward(xs: readonly Tensor[], training = false): Tensor {
    this.arity = 0;
    const inputs = this.tensorsOf(xs, training);
    if (inputs.length <= 2) return super.forward(inputs, training);
    let acc = add(inputs[0], inputs[1]);
    try {
      for (let i = 2; i < inputs.length; i++) {
        const next = add(acc, inputs[i]);
        acc.dispose();
        acc = next;
      }
    } catch (e) {
      acc.dispose(); // a later input that does not match: the partial sum is not leaked
      throw e;
    }
    this.arity = training ? inputs.length : 0;
    this.arityShape = acc.shape;
    return acc;
  }
  /** n-ary Add as a chain of binary adds into the output buffer (out = a + b, out += c, …). */
  lower(inputs: readonly Shape[]): Prepared {
    if (inputs.length <= 2) return super.lower(inputs);
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
    if (e.inputs.length > 2) e.op('Sum', e.inputs);
    else super.toOnnx(e);
  }
}
