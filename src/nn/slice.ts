import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import { movedDtype, type LowerOptions, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import type { DType, Tensor, Shape } from '../tensor.js';
import { slice, sliceBackward, prepareSlice } from '../ops/slice.js';
import { describe } from '../ops/validate.js';
import { axisList, batchedAxes } from './axes-arg.js';

export interface SliceOptions {
  /** Axes of the batched tensor (never 0), one per start (default 1, 2, …). */
  axes?: readonly number[];
  /** Steps, one per start (default 1; negative walks backwards). */
  steps?: readonly number[];
  name?: string;
}

const ints = (name: string, v: unknown): number[] => {
  if (!Array.isArray(v) || v.some((a) => typeof a !== 'number' || !Number.isInteger(a))) {
    throw new TypeError(`nn.Slice: ${name} must be an array of integers, got ${describe(v)}`);
  }
  return v.slice();
};

/**
 * ONNX Slice on activations (x[:, a:b:s, …] in PyTorch): along axes[i] of the batched tensor keep
 * starts[i], starts[i] + steps[i], … up to (not including) ends[i]; negative indices count from
 * the end and out-of-range ones are clamped, as ONNX. The batch axis is never sliced. At inference
 * an int8 tensor (a quantized activation) is sliced as bytes and stays int8, its quantization the
 * input's.
 */
export class Slice extends Layer {
  static readonly type = 'Slice';
  readonly type = Slice.type;
  static fromConfig(c: LayerConfig, name: string): Slice {
    return new Slice(cfg(c.starts), cfg(c.ends), { axes: cfg(c.axes), steps: cfg(c.steps), name });
  }
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  readonly axes: readonly number[];
  readonly steps: readonly number[];
  constructor(starts: readonly number[], ends: readonly number[], options: SliceOptions = {}) {
    super(layerName('nn.Slice', options, ['axes', 'steps']));
    const o = options ?? {};
    this.starts = Object.freeze(ints('starts', starts));
    this.ends = Object.freeze(ints('ends', ends));
    const n = this.starts.length;
    this.axes = Object.freeze(o.axes === undefined ? this.starts.map((_, i) => i + 1) : axisList('nn.Slice', 'axes', o.axes));
    this.steps = Object.freeze(o.steps === undefined ? this.starts.map(() => 1) : ints('steps', o.steps));
    if (n === 0 || this.ends.length !== n || this.axes.length !== n || this.steps.length !== n) {
      throw new RangeError(`nn.Slice: starts, ends, axes and steps need one entry each per sliced axis (got ${n}, ${this.ends.length}, ${this.axes.length}, ${this.steps.length})`);
    }
    if (this.steps.includes(0)) throw new RangeError(`nn.Slice: steps [${this.steps.join(', ')}] must be non-zero`);
  }
  private batchedAxes(s: Shape, inputs: readonly Shape[]): number[] {
    const a = batchedAxes(this.axes, s);
    if (typeof a === 'string') throw this.shapeError(inputs, a);
    return this.axes.map((v) => (v < 0 ? v + s.length + 1 : v));
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    const ax = this.batchedAxes(s, inputs);
    const out = s.slice();
    ax.forEach((a, i) => {
      const n = s[a - 1], st = this.steps[i];
      let b = this.starts[i] < 0 ? this.starts[i] + n : this.starts[i];
      let e = this.ends[i] < 0 ? this.ends[i] + n : this.ends[i];
      if (st > 0) [b, e] = [Math.min(Math.max(b, 0), n), Math.min(Math.max(e, 0), n)];
      else [b, e] = [Math.min(Math.max(b, 0), n - 1), Math.min(Math.max(e, -1), n - 1)];
      out[a - 1] = Math.max(0, Math.ceil((e - b) / st));
    });
    if (out.includes(0)) throw this.shapeError(inputs, `the slice [${this.starts.join(', ')}] … [${this.ends.join(', ')}] is empty`);
    return out;
  }
  private xShape: Shape | null = null;
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.passInputOf(inputs, training);
    this.xShape = null;
    const y = slice(x, this.starts, this.ends, this.batchedAxes(x.shape.slice(1), [x.shape.slice(1)]), this.steps);
    this.xShape = training ? x.shape : null;
    return y;
  }
  backward(dy: Tensor, needs?: readonly boolean[]): Tensor[] {
    this.gradOf(dy, needs);
    if (this.xShape === null) throw this.notTrained();
    const s = this.xShape;
    return [sliceBackward(dy, s, this.starts, this.ends, this.batchedAxes(s.slice(1), [s.slice(1)]), this.steps)];
  }
  release(): void {
    this.xShape = null;
  }
  /** int8 in, int8 out (the same bytes, the same quantization). */
  outputDtype(inputs: readonly DType[]): DType {
    return inputs[0] ?? 'float32';
  }
  lower(inputs: readonly Shape[], options: LowerOptions = {}): Prepared {
    return prepareSlice(inputs[0], this.starts, this.ends, this.batchedAxes(inputs[0].slice(1), [inputs[0].slice(1)]), this.steps, movedDtype(options));
  }
  toOnnx(e: OnnxEmitter): void {
    const ax = this.batchedAxes(e.inputShapes[0], e.inputShapes);
    e.op('Slice', [e.inputs[0], e.int64s('starts', this.starts), e.int64s('ends', this.ends), e.int64s('axes', ax), e.int64s('steps', this.steps)]);
  }
  config() {
    return { starts: this.starts.slice(), ends: this.ends.slice(), axes: this.axes.slice(), steps: this.steps.slice() };
  }
}
