import { MapLayer, fromJsonBound, toJsonBound } from './map-layer.js';
import type { Tensor, Shape } from '../tensor.js';
import { cfg, layerName, type LayerConfig } from './layer.js';
import { attr, type Clamp, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { clip, hardtanhBackward, prepareClip } from '../ops/clip.js';
import { describe } from '../ops/validate.js';

/**
 * min(max(x, minVal), maxVal), as torch.nn.Hardtanh (defaults −1, 1). Either bound may be
 * infinite (an ONNX Clip with one bound); the gradient passes where minVal < x < maxVal (strict,
 * as torch's hardtanh_backward). Fuses into the store of a Conv2d/Linear before it when compiled.
 */
export class Hardtanh extends MapLayer {
  static readonly type: string = 'Hardtanh';
  readonly type: string = Hardtanh.type;
  static fromConfig(c: LayerConfig, name: string): Hardtanh {
    return new Hardtanh(cfg(fromJsonBound(c.minVal, -Infinity)), cfg(fromJsonBound(c.maxVal, Infinity)), { name });
  }
  readonly minVal: number;
  readonly maxVal: number;
  constructor(minVal = -1, maxVal = 1, options: { name?: string } = {}) {
    // new.target: ReLU6 (a Hardtanh(0, 6)) names itself in its options' errors
    super(layerName(`nn.${new.target.type}`, options, []));
    for (const [k, v] of [['minVal', minVal], ['maxVal', maxVal]] as const) {
      if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${this.type}: ${k} must be a number (±Infinity for no bound), got ${describe(v)}`);
    }
    if (!(minVal < maxVal)) throw new RangeError(`${this.type}: minVal ${minVal} must be less than maxVal ${maxVal}`);
    if (minVal === Infinity || maxVal === -Infinity) throw new RangeError(`${this.type}: the bounds [${minVal}, ${maxVal}] leave no value`);
    this.minVal = minVal;
    this.maxVal = maxVal;
  }
  protected apply(x: Tensor): Tensor {
    return clip(x, this.minVal, this.maxVal);
  }
  protected gradient(dy: Tensor, x: Tensor): Tensor {
    return hardtanhBackward(dy, x, this.minVal, this.maxVal);
  }
  protected prepare(xShape: Shape): Prepared {
    return prepareClip(xShape, this.minVal, this.maxVal);
  }
  clampAtInference(): Clamp | null {
    return { min: this.minVal, max: this.maxVal };
  }
  /** Clip with its bounds as inputs (opset ≥ 11; an infinite bound is left out), or as attributes before. */
  toOnnx(e: OnnxEmitter): void {
    const lo = this.minVal, hi = this.maxVal;
    if (e.opset < 11) {
      e.op('Clip', [e.inputs[0]], [attr.f('min', Math.max(lo, -3.4028234663852886e38)), attr.f('max', Math.min(hi, 3.4028234663852886e38))]);
      return;
    }
    const ins = [e.inputs[0], Number.isFinite(lo) ? e.weight('min', Float32Array.of(lo), []) : ''];
    if (Number.isFinite(hi)) ins.push(e.weight('max', Float32Array.of(hi), []));
    e.op('Clip', ins);
  }
  config(): Record<string, unknown> {
    return { minVal: toJsonBound(this.minVal), maxVal: toJsonBound(this.maxVal) };
  }
}
