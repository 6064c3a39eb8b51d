import { Layer, cfg, type LayerConfig, layerName } from './layer.js';
import type { Param } from './param.js';
import { Tensor, viewTensor, type Shape } from '../tensor.js';
import { linear, linearBackward, prepareLinear } from '../ops/linear.js';
import { runOnce, type Prepared } from '../ops/prepared.js';
import { attr, type LowerOptions, type OnnxEmitter } from './lowering.js';
import { boolArg, enumArg, intArg } from '../ops/validate.js';
import { WEIGHT_INITS, type WeightInit } from './init.js';

export interface LinearOptions {
  bias?: boolean;
  weightInit?: WeightInit;
  name?: string;
}

/** Fully connected layer, as torch.nn.Linear: y = x·Wᵀ + b with W [out, in], over the last dim of x [N, …, in]. */
export class Linear extends Layer {
  static readonly type = 'Linear';
  readonly type = Linear.type;

  static fromConfig(c: LayerConfig, name: string): Linear {
    return new Linear(cfg(c.inFeatures), cfg(c.outFeatures), { bias: cfg(c.bias), name });
  }

  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Param;
  readonly bias: Param | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super(layerName('nn.Linear', options, ['bias', 'weightInit', 'name']));
    this.inFeatures = intArg('nn.Linear', 'inFeatures', inFeatures, 1);
    this.outFeatures = intArg('nn.Linear', 'outFeatures', outFeatures, 1);
    const init = enumArg('nn.Linear', 'weightInit', options.weightInit, WEIGHT_INITS, 'kaimingUniform');
    const bias = boolArg('nn.Linear', 'bias', options.bias, true);
    this.weight = this.addParam({ name: 'weight', shape: [outFeatures, inFeatures], init });
    this.bias = !bias ? null : this.addParam({ name: 'bias', shape: [outFeatures], init: 'zeros' });
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    const last = s[s.length - 1];
    if (s.length === 0 || last !== this.inFeatures) {
      const n = s.reduce((a, b) => a * b, 1);
      if (s.length === 1) throw this.shapeError(inputs, `it was built for ${this.inFeatures} input features`);
      throw this.shapeError(inputs, `it applies to the last dim, which must be ${this.inFeatures}; put a Flatten before it` +
        (n === this.inFeatures ? ` (the input has ${n} values, the right number)` : ` (the input has ${n} values)`));
    }
    return [...s.slice(0, -1), this.outFeatures];
  }

  /** x [N, …, in] seen as rows [N·…, in] (a view, no copy), or x itself when it is 2-D. */
  private static rows(t: Tensor): Tensor {
    return t.rank === 2 ? t : viewTensor(t.ptr, [t.size / t.shape[t.rank - 1], t.shape[t.rank - 1]]);
  }

  private saved: Tensor | null = null;

  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.saved = training ? x : null;
    if (x.rank === 2) return linear(x, this.weight.value, this.bias ? this.bias.value : null);
    // N-D: x [N, …, in] as rows [N·…, in] (its shape checked first: a 0-row input is fine)
    const out = [x.shape[0], ...this.outputShape([x.shape.slice(1)])];
    const p = prepareLinear([x.size / this.inFeatures, this.inFeatures], this.weight.value, this.bias ? this.bias.value : null);
    return runOnce(p, [x.ptr], () => Tensor.empty(out));
  }

  backward(dy: Tensor, needs?: readonly boolean[]): (Tensor | null)[] {
    this.gradOf(dy, needs);
    const x = this.saved;
    if (x === null) throw this.notTrained();
    // frozen parameters get no gradient: their kernels are skipped
    const tw = this.weight.trainable, tb = this.bias?.trainable === true;
    const nd = x.rank !== 2;
    if (nd) this.gradLike(dy, [...x.shape.slice(0, -1), this.outFeatures]);
    // views over dy's and x's bytes (no copy); disposed here, which frees nothing but the count
    const dyRows = nd ? Linear.rows(dy) : dy, xRows = nd ? Linear.rows(x) : x;
    let dx: Tensor | null;
    try {
      dx = linearBackward(dyRows, xRows, this.weight.value, {
        weightGradInto: tw ? this.weight.gradBuffer() : undefined,
        weightGrad: tw,
        biasGradInto: tb ? this.bias!.gradBuffer() : undefined,
        biasGrad: tb,
        inputGrad: needs?.[0] !== false,
      }).dx;
    } finally {
      if (nd) {
        dyRows.dispose();
        xRows.dispose();
      }
    }
    if (!nd || dx === null) return [dx];
    try {
      return [dx.reshape(x.shape)];
    } finally {
      dx.dispose();
    }
  }

  release(): void {
    this.saved = null;
  }

  macs(inputs: readonly Shape[] = [[this.inFeatures]]): number {
    const s = inputs[0];
    return (s.reduce((a, b) => a * b, 1) / this.inFeatures) * this.inFeatures * this.outFeatures;
  }

  get takesClamp(): boolean {
    return true;
  }

  lower(inputs: readonly Shape[], options: LowerOptions = {}): Prepared {
    if (options.folded) throw new Error(`compile: layer '${this.name}' (Linear) takes no folded weights`);
    const s = inputs[0];
    if (s.length <= 2) return prepareLinear(s, this.weight.value, this.bias ? this.bias.value : null, options.clamp);
    const p = prepareLinear([s.reduce((a, b) => a * b, 1) / this.inFeatures, this.inFeatures], this.weight.value, this.bias ? this.bias.value : null, options.clamp);
    return { outShape: [...s.slice(0, -1), this.outFeatures], scratchBytes: p.scratchBytes, run: p.run, dispose: p.dispose };
  }

  toOnnx(e: OnnxEmitter): void {
    if (e.inputShapes[0].length > 1) {
      // N-D input: MatMul by Wᵀ [in, out], then the bias (as PyTorch exports it)
      const w = this.weight.value.toFloat32Array(), wt = new Float32Array(w.length);
      for (let o = 0; o < this.outFeatures; o++) for (let i = 0; i < this.inFeatures; i++) wt[i * this.outFeatures + o] = w[o * this.inFeatures + i];
      const mm = e.op('MatMul', [e.inputs[0], e.weight('weight_t', wt, [this.inFeatures, this.outFeatures])], [], this.bias ? `${e.name}/matmul` : e.name);
      if (this.bias) e.op('Add', [mm, e.weight('bias', this.bias.value.toFloat32Array(), this.bias.shape)]);
      return;
    }
    const ins = [e.inputs[0], e.weight('weight', this.weight.value.toFloat32Array(), this.weight.shape)];
    if (this.bias) ins.push(e.weight('bias', this.bias.value.toFloat32Array(), this.bias.shape));
    e.op('Gemm', ins, [attr.i('transB', 1)]);
  }

  config() {
    return { inFeatures: this.inFeatures, outFeatures: this.outFeatures, bias: this.bias !== null };
  }
}
