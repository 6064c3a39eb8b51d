import { cfg, layerName, type LayerConfig } from './layer.js';
import { Tensor, type DType, type Shape } from '../tensor.js';
import type { Prepared } from '../ops/prepared.js';
import { linearQs8, prepareLinearQs8 } from '../ops/gemm-qs8.js';
import { describe, intArg } from '../ops/validate.js';
import { runOnce } from '../ops/prepared.js';
import { QWeightedLayer, type QWeightedOptions } from './qweighted.js';
import { attr, type OnnxEmitter } from './lowering.js';
import { clampOutput, dequantizeInput, dequantizeWeights, quantizeOutput } from './qdq-onnx.js';

export interface QLinearOptions extends QWeightedOptions {
  /**
   * 'int8' (default): the output requantized to y. 'float32': the int32 sums scaled to real values
   * (x_scale·w_scale) plus the clamp, no output rounding, y not needed — what quantize() makes of a
   * dense layer whose output is a graph output (the logits) read by nothing else.
   */
  output?: 'int8' | 'float32';
}

/**
 * An int8 dense layer (what quantize() makes of a Linear, ReLU / ReLU6 fused): int8 [in] → int8
 * [out] (or [N, …, in] → [N, …, out] on the last dim), weights int8 [out, in] symmetric per output
 * feature (weightScale [out]), a real-valued bias.
 * Inference only.
 */
export class QLinear extends QWeightedLayer {
  static readonly type = 'QLinear';
  readonly type = QLinear.type;
  static fromConfig(c: LayerConfig, name: string): QLinear {
    return new QLinear(cfg(c.inFeatures), cfg(c.outFeatures), { bias: cfg(c.bias), x: cfg(c.x), y: cfg(c.y) ?? undefined, clamp: cfg(c.clamp) ?? undefined, output: cfg(c.output) ?? undefined, name });
  }
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly output: 'int8' | 'float32';

  constructor(inFeatures: number, outFeatures: number, options: QLinearOptions) {
    const op = 'nn.QLinear';
    super(layerName(op, options, ['bias', 'x', 'y', 'clamp', 'output', 'name']));
    this.inFeatures = intArg(op, 'inFeatures', inFeatures, 1);
    this.outFeatures = intArg(op, 'outFeatures', outFeatures, 1);
    const out = options?.output ?? 'int8';
    if (out !== 'int8' && out !== 'float32') throw new TypeError(`${op}: output must be 'int8' or 'float32', got ${describe(out)}`);
    this.output = out;
    this.setup(op, [this.outFeatures, this.inFeatures], options ?? {}, out === 'float32');
  }

  outputDtype(): DType {
    return this.output;
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length === 0 || s[s.length - 1] !== this.inFeatures) throw this.shapeError(inputs, `it takes [${this.inFeatures}] or [..., ${this.inFeatures}] (the last dim; put a Flatten before it)`);
    return [...s.slice(0, -1), this.outFeatures];
  }

  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training, 'int8');
    if (x.rank === 2) return linearQs8(x, this.qweights(), this.q, this.output);
    // N-D: x [N, …, in] as rows [N·…, in] (shape checked first)
    const out = [x.shape[0], ...this.outputShape([x.shape.slice(1)])];
    return runOnce(this.lower([x.shape]), [x.ptr], () => Tensor.empty(out, this.output));
  }

  lower(inputs: readonly Shape[]): Prepared {
    const s = inputs[0];
    if (s.length <= 2) return prepareLinearQs8(s, this.qweights(), this.q, this.output);
    const p = prepareLinearQs8([s.reduce((a, b) => a * b, 1) / this.inFeatures, this.inFeatures], this.qweights(), this.q, this.output);
    return { outShape: [...s.slice(0, -1), this.outFeatures], scratchBytes: p.scratchBytes, run: p.run, dispose: p.dispose };
  }

  macs(): number {
    return this.inFeatures * this.outFeatures;
  }

  /** DequantizeLinear → Gemm (INT8 weights per output, INT32 bias, transB) → clamp → QuantizeLinear (float32 output: → clamp). */
  toOnnx(e: OnnxEmitter): void {
    const x = dequantizeInput(e, 0, this.qx);
    const gemm = e.op('Gemm', [x, ...dequantizeWeights(e, this.qweights(), this.qx)], [attr.i('transB', 1)], this.output === 'float32' && !this.clamp ? undefined : `${e.name}/gemm`);
    if (this.output === 'float32') {
      if (this.clamp) clampOutput(e, gemm, this.clamp);
    } else quantizeOutput(e, gemm, this.qy, this.clamp);
  }

  config() {
    const c = { inFeatures: this.inFeatures, outFeatures: this.outFeatures, ...this.qconfig() };
    if (this.output === 'int8') return c;
    const { y: _, ...rest } = c;
    return { ...rest, output: this.output };
  }
}
