// What QConv2d and QLinear share: int8 weights symmetric per output channel (weightScale), a
// real-valued bias, the input / output quantization and the fused clamp. Inference only.
import { Layer } from './layer.js';
import type { Param } from './param.js';
import type { DType, Shape } from '../tensor.js';
import type { QLayerParams, QWeights } from '../ops/gemm-qs8.js';
import type { QClamp, QParams } from '../ops/qs8.js';
import { clampArg, qArg } from './qparams.js';

export interface QWeightedOptions {
  bias?: boolean;
  /** The input's quantization (required). */
  x: QParams;
  /** The output's quantization (required). */
  y: QParams;
  /** Real-valued bounds fused into the store (ReLU: { min: 0 }; ReLU6: { min: 0, max: 6 }). */
  clamp?: QClamp;
  name?: string;
}

export abstract class QWeightedLayer extends Layer {
  qx!: QParams;
  qy!: QParams;
  clamp: QClamp | undefined;
  weight!: Param;
  weightScale!: Param;
  bias: Param | null = null;

  /** Checks the quantization options and adds the parameters (call once, from the constructor). */
  protected setup(op: string, wShape: Shape, o: QWeightedOptions): void {
    this.qx = qArg(op, 'x', o.x);
    this.qy = qArg(op, 'y', o.y);
    this.clamp = clampArg(op, o.clamp);
    this.weight = this.addParam({ name: 'weight', shape: wShape, init: 'zeros', dtype: 'int8' });
    this.weightScale = this.addParam({ name: 'weightScale', shape: [wShape[0]], init: 'ones' });
    this.bias = o.bias === false ? null : this.addParam({ name: 'bias', shape: [wShape[0]], init: 'zeros' });
    this.trainable = false;
  }

  outputDtype(): DType {
    return 'int8';
  }

  /** The weights as the int8 ops take them. */
  qweights(): QWeights {
    const b = this.bias;
    return { data: this.weight.value.toInt8Array(), shape: this.weight.shape, scales: this.weightScale.value.toFloat32Array(), bias: b ? b.value.toFloat32Array() : null };
  }

  protected get q(): QLayerParams {
    return { x: this.qx, y: this.qy, clamp: this.clamp };
  }

  protected qconfig() {
    return { bias: this.bias !== null, x: this.qx, y: this.qy, clamp: this.clamp ?? null };
  }
}
