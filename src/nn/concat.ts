import { Layer, cfg, type LayerConfig, layerName } from './layer.js';
import { attr, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import type { Tensor, Shape } from '../tensor.js';
import { concat, concatBackward, prepareConcat } from '../ops/concat.js';
import { intArg } from '../ops/validate.js';

/** Concatenates inputs along `dim` of the batched tensor (1 = channels): the inception join. */
export class Concat extends Layer {
  static readonly type = 'Concat';
  readonly type = Concat.type;
  static fromConfig(c: LayerConfig, name: string): Concat {
    return new Concat(cfg(c.dim), { name });
  }
  readonly inputs = [1, 64] as const;
  readonly dim: number;
  constructor(dim = 1, options: { name?: string } = {}) {
    super(layerName('nn.Concat', options, ['name']));
    this.dim = intArg('nn.Concat', 'dim', dim, -8);
  }
  outputShape(shapes: readonly Shape[]): Shape {
    const inputs = this.shapesOf(shapes);
    const rank = inputs[0].length + 1;
    const d = this.dim < 0 ? this.dim + rank : this.dim;
    if (d < 1 || d >= rank) throw this.shapeError(inputs, `dim ${this.dim} must be a non-batch axis of the rank-${rank} batched tensor`);
    const out = inputs[0].slice();
    for (let i = 1; i < inputs.length; i++) {
      const s = inputs[i];
      if (s.length !== inputs[0].length || s.some((v, k) => k !== d - 1 && v !== inputs[0][k])) {
        throw this.shapeError(inputs, `all inputs must match except along dim ${d} (input ${i} differs from input 0)`);
      }
      out[d - 1] += s[d - 1];
    }
    return out;
  }
  private shapes: Shape[] | null = null;
  forward(xs: readonly Tensor[], training = false): Tensor {
    const inputs = this.tensorsOf(xs, training);
    this.shapes = training ? inputs.map((t) => t.shape) : null;
    return concat(inputs, this.dim);
  }
  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.shapes === null) throw this.notTrained();
    return concatBackward(dy, this.shapes, this.dim);
  }
  release(): void {
    this.shapes = null;
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareConcat(inputs, this.dim);
  }
  toOnnx(e: OnnxEmitter): void {
    e.op('Concat', e.inputs, [attr.i('axis', this.dim)]);
  }
  config() {
    return { dim: this.dim };
  }
}
