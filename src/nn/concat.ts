import { Layer, cfg, type LayerConfig, layerName } from './layer.js';
import { attr, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import type { Tensor, Shape } from '../tensor.js';
import { concat, concatBackward, prepareConcat } from '../ops/concat.js';
import { intArg } from '../ops/validate.js';

/**
 * The per-sample output shape of a concat of per-sample `inputs` along `dim` of the batched tensor
 * (a non-batch axis; negative counts from the end); `fail(need)` makes the layer's error.
 */
export function concatShape(inputs: readonly Shape[], dim: number, fail: (need: string) => Error): Shape {
  const rank = inputs[0].length + 1;
  const d = dim < 0 ? dim + rank : dim;
  if (d < 1 || d >= rank) throw fail(`dim ${dim} must be a non-batch axis of the rank-${rank} batched tensor`);
  const out = inputs[0].slice();
  for (let i = 1; i < inputs.length; i++) {
    const s = inputs[i];
    if (s.length !== inputs[0].length || s.some((v, k) => k !== d - 1 && v !== inputs[0][k])) {
      throw fail(`all inputs must match except along dim ${d} (input ${i} differs from input 0)`);
    }
    out[d - 1] += s[d - 1];
  }
  return out;
}

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
    return concatShape(inputs, this.dim, (need) => this.shapeError(inputs, need));
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
