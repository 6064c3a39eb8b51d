// What QConv2d and QLinear share: int8 weights symmetric per output channel (weightScale), a
// real-valued bias, the input / output quantization and the fused clamp. Inference only.
import { Layer } from './layer.js';
import type { Param } from './param.js';
import type { DType, Shape } from '../tensor.js';
import type { QLayerParams, QWeights } from '../ops/gemm-qs8.js';
import { qclampArg, qparamsArg, type QClamp, type QParams } from '../ops/qs8.js';
import { boolArg } from '../ops/validate.js';

export interface QWeightedOptions {
  bias?: boolean;
  /** The input's quantization (required). */
  x: QParams;
  /** The output's quantization (required; not for QLinear's output 'float32'). */
  y?: QParams;
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
  protected setup(op: string, wShape: Shape, o: Partial<QWeightedOptions>, float32Out = false): void {
    this.qx = qparamsArg(op, 'x', o.x);
    // a float32 output has no quantization: y is not used (scale 1 stands in for it)
    this.qy = float32Out && (o.y === undefined || o.y === null) ? { scale: 1, zeroPoint: 0 } : qparamsArg(op, 'y', o.y);
    this.clamp = qclampArg(op, 'clamp', o.clamp);
    const bias = boolArg(op, 'bias', o.bias, true);
    this.weight = this.addParam({ name: 'weight', shape: wShape, init: 'zeros', dtype: 'int8' });
    this.weightScale = this.addParam({ name: 'weightScale', shape: [wShape[0]], init: 'ones' });
    this.bias = bias ? this.addParam({ name: 'bias', shape: [wShape[0]], init: 'zeros' }) : null;
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
