import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import { attr, movedDtype, type LowerOptions, type OnnxEmitter } from './lowering.js';
import { runOnce, type Prepared } from '../ops/prepared.js';
import { Tensor, type DType, type Shape } from '../tensor.js';
import { prepareTranspose } from '../ops/transpose.js';
import { intArg } from '../ops/validate.js';

/**
 * ShuffleNet's channel shuffle, as torch.nn.ChannelShuffle(groups): the C channels, seen as
 * [groups, C/groups], are transposed to [C/groups, groups] (channel g·(C/g) + j moves to
 * j·groups + g). Runs as one transpose of [N, groups, C/groups, H·W] that copies whole planes. At
 * inference an int8 tensor (a quantized activation) moves as bytes and stays int8.
 */
export class ChannelShuffle extends Layer {
  static readonly type = 'ChannelShuffle';
  readonly type = ChannelShuffle.type;
  static fromConfig(c: LayerConfig, name: string): ChannelShuffle {
    return new ChannelShuffle(cfg(c.groups), { name });
  }
  readonly groups: number;
  constructor(groups: number, options: { name?: string } = {}) {
    super(layerName('nn.ChannelShuffle', options, []));
    this.groups = intArg('nn.ChannelShuffle', 'groups', groups, 1);
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length < 1 || s[0] % this.groups !== 0) throw this.shapeError(inputs, `its channels must split into ${this.groups} groups`);
    return s.slice();
  }
  /** The transpose that shuffles x of batched shape `shape` by `groups`, with x's shape as its output. */
  private static prepare(shape: Shape, groups: number, dtype: 'float32' | 'int8' = 'float32'): Prepared {
    const plane = shape.slice(2).reduce((a, b) => a * b, 1);
    const p = prepareTranspose([shape[0], groups, shape[1] / groups, plane], [0, 2, 1, 3], dtype);
    return { ...p, outShape: shape.slice(), run: p.run, dispose: p.dispose };
  }
  /** The shape of the last training forward's input (and output), or null. */
  private xShape: Shape | null = null;
  forward(inputs: readonly Tensor[], training = false): Tensor {
    this.xShape = null;
    const x = this.passInputOf(inputs, training);
    this.outputShape([x.shape.slice(1)]);
    const dt = x.dtype === 'int8' ? 'int8' : 'float32';
    const y = runOnce(ChannelShuffle.prepare(x.shape, this.groups, dt), [x.ptr], (s) => Tensor.empty(s, dt));
    this.xShape = training ? x.shape : null;
    return y;
  }
  /** The inverse shuffle: C/groups groups. */
  backward(dy: Tensor, needs?: readonly boolean[]): Tensor[] {
    this.gradOf(dy, needs);
    if (this.xShape === null) throw this.notTrained();
    const d = this.gradLike(dy, this.xShape);
    return [runOnce(ChannelShuffle.prepare(d.shape, d.shape[1] / this.groups), [d.ptr], (s) => Tensor.empty(s))];
  }
  release(): void {
    this.xShape = null;
  }
  /** int8 in, int8 out (the same bytes, the same quantization). */
  outputDtype(inputs: readonly DType[]): DType {
    return inputs[0] ?? 'float32';
  }
  lower(inputs: readonly Shape[], options: LowerOptions = {}): Prepared {
    return ChannelShuffle.prepare(inputs[0], this.groups, movedDtype(options));
  }
  /** PyTorch's form: Reshape to [N, g, C/g, …], Transpose, Reshape back (re-fused on import). */
  toOnnx(e: OnnxEmitter): void {
    const s = e.inputShapes[0];
    const g = this.groups;
    const five = e.op('Reshape', [e.inputs[0], e.int64s('split_shape', [0, g, s[0] / g, ...s.slice(1)])], [], `${e.name}/split`);
    const perm = [0, 2, 1, ...s.slice(1).map((_, i) => i + 3)];
    const t = e.op('Transpose', [five], [attr.ints('perm', perm)], `${e.name}/transpose`);
    e.op('Reshape', [t, e.int64s('shape', [0, ...s])]);
  }
  config() {
    return { groups: this.groups };
  }
}
