import { Layer, cfg, type LayerConfig, layerName } from './layer.js';
import { attr, type OnnxEmitter } from './lowering.js';
import type { Tensor, Shape } from '../tensor.js';
import { flatten, flattenBackward } from '../ops/concat.js';
import { intArg } from '../ops/validate.js';

/** Flattens dims startDim…endDim of the batched tensor into one, as torch.nn.Flatten (1, −1). */
export class Flatten extends Layer {
  static readonly type = 'Flatten';
  readonly type = Flatten.type;
  static fromConfig(c: LayerConfig, name: string): Flatten {
    return new Flatten(cfg(c.startDim), cfg(c.endDim), { name });
  }
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim = 1, endDim = -1, options: { name?: string } = {}) {
    super(layerName('nn.Flatten', options, ['name']));
    this.startDim = intArg('nn.Flatten', 'startDim', startDim, -16);
    this.endDim = intArg('nn.Flatten', 'endDim', endDim, -16);
  }
  private dims(rank: number, inputs: readonly Shape[]): [number, number] {
    const s = this.startDim < 0 ? this.startDim + rank : this.startDim;
    const e = this.endDim < 0 ? this.endDim + rank : this.endDim;
    if (s < 1 || e >= rank || s > e) {
      throw this.shapeError(inputs, `startDim ${this.startDim} … endDim ${this.endDim} must be non-batch axes of the rank-${rank} batched tensor, in order`);
    }
    return [s, e];
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const shape = this.one(inputs);
    const [s, e] = this.dims(shape.length + 1, inputs);
    const b = [1, ...shape];
    const merged = b.slice(s, e + 1).reduce((x, y) => x * y, 1);
    return [...b.slice(1, s), merged, ...b.slice(e + 1)];
  }
  private xShape: Shape | null = null;
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.passInputOf(inputs, training);
    this.xShape = training ? x.shape : null;
    return flatten(x, this.startDim, this.endDim);
  }
  backward(dy: Tensor): Tensor[] {
    this.gradOf(dy);
    if (this.xShape === null) throw this.notTrained();
    return [flattenBackward(dy, this.xShape)];
  }
  release(): void {
    this.xShape = null;
  }
  /** Contiguous data under a new shape: compile() gives it no step. */
  get isAlias(): boolean {
    return true;
  }
  toOnnx(e: OnnxEmitter): void {
    const r = e.inputShapes[0].length + 1;
    const whole = (this.startDim === 1 || this.startDim === 1 - r) && (this.endDim === -1 || this.endDim === r - 1);
    if (whole) e.op('Flatten', [e.inputs[0]], [attr.i('axis', 1)]);
    else e.op('Reshape', [e.inputs[0], e.int64s('shape', [0, ...e.outputShape])]);
  }
  config() {
    return { startDim: this.startDim, endDim: this.endDim };
  }
}
