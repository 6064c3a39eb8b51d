import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import { attr, movedDtype, type LowerOptions, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import type { DType, Tensor, Shape } from '../tensor.js';
import { transpose, transposeBackward, prepareTranspose } from '../ops/transpose.js';
import { axisList } from './axes-arg.js';

/**
 * Reorders the axes of the batched tensor, as x.permute(dims) in PyTorch (ONNX Transpose): output
 * axis i is input axis dims[i]. The batch stays first (dims[0] = 0); rank ≤ 6. The data is copied;
 * at inference an int8 tensor (a quantized activation) moves as bytes and stays int8.
 */
export class Permute extends Layer {
  static readonly type = 'Permute';
  readonly type = Permute.type;
  static fromConfig(c: LayerConfig, name: string): Permute {
    return new Permute(cfg(c.dims), { name });
  }
  readonly dims: readonly number[];
  constructor(dims: readonly number[], options: { name?: string } = {}) {
    super(layerName('nn.Permute', options, []));
    const d = axisList('nn.Permute', 'dims', dims);
    const r = d.length;
    const norm = d.map((a) => (a < 0 ? a + r : a));
    if (r < 2 || r > 6 || new Set(norm).size !== r || norm.some((a) => a < 0 || a >= r)) {
      throw new RangeError(`nn.Permute: dims [${d.join(', ')}] must be a permutation of the 2 … 6 axes of the batched tensor`);
    }
    if (norm[0] !== 0) throw new RangeError(`nn.Permute: dims [${d.join(', ')}] must keep the batch axis first (dims[0] = 0)`);
    this.dims = Object.freeze(norm);
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length + 1 !== this.dims.length) throw this.shapeError(inputs, `dims [${this.dims.join(', ')}] permute a rank-${this.dims.length} batched tensor`);
    return this.dims.slice(1).map((a) => s[a - 1]);
  }
  private trained = false;
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.passInputOf(inputs, training);
    this.trained = false;
    this.outputShape([x.shape.slice(1)]);
    const y = transpose(x, this.dims);
    this.trained = training;
    return y;
  }
  backward(dy: Tensor, needs?: readonly boolean[]): Tensor[] {
    this.gradOf(dy, needs);
    if (!this.trained) throw this.notTrained();
    return [transposeBackward(dy, this.dims)];
  }
  release(): void {
    this.trained = false;
  }
  /** int8 in, int8 out (the same bytes, the same quantization). */
  outputDtype(inputs: readonly DType[]): DType {
    return inputs[0] ?? 'float32';
  }
  lower(inputs: readonly Shape[], options: LowerOptions = {}): Prepared {
    return prepareTranspose(inputs[0], this.dims, movedDtype(options));
  }
  toOnnx(e: OnnxEmitter): void {
    e.op('Transpose', [e.inputs[0]], [attr.ints('perm', this.dims)]);
  }
  config() {
    return { dims: this.dims.slice() };
  }
}
