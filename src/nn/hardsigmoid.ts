import { MapLayer } from './map-layer.js';
import type { Tensor, Shape } from '../tensor.js';
import { cfg, layerName, type LayerConfig } from './layer.js';
import { attr, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { hardSigmoid, hardSigmoidBackward, prepareHardSigmoid } from '../ops/clip.js';
import { describe } from '../ops/validate.js';

/**
 * min(max(alpha·x + beta, 0), 1), as torch.nn.Hardsigmoid (alpha 1/6, beta 0.5, the defaults) and
 * ONNX HardSigmoid (whose own default alpha is 0.2). The gradient is alpha·dy where
 * 0 < alpha·x + beta < 1 (strict, as torch).
 */
export class Hardsigmoid extends MapLayer {
  static readonly type = 'Hardsigmoid';
  readonly type = Hardsigmoid.type;
  static fromConfig(c: LayerConfig, name: string): Hardsigmoid {
    return new Hardsigmoid({ alpha: cfg(c.alpha), beta: cfg(c.beta), name });
  }
  readonly alpha: number;
  readonly beta: number;
  constructor(options: { alpha?: number; beta?: number; name?: string } = {}) {
    super(layerName('nn.Hardsigmoid', options, ['alpha', 'beta']));
    const { alpha = 1 / 6, beta = 0.5 } = options;
    for (const [k, v] of [['alpha', alpha], ['beta', beta]] as const) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`Hardsigmoid: ${k} must be a finite number, got ${describe(v)}`);
    }
    this.alpha = alpha;
    this.beta = beta;
  }
  protected apply(x: Tensor): Tensor {
    return hardSigmoid(x, this.alpha, this.beta);
  }
  protected gradient(dy: Tensor, x: Tensor): Tensor {
    return hardSigmoidBackward(dy, x, this.alpha, this.beta);
  }
  protected prepare(xShape: Shape): Prepared {
    return prepareHardSigmoid(xShape, this.alpha, this.beta);
  }
  toOnnx(e: OnnxEmitter): void {
    e.op('HardSigmoid', [e.inputs[0]], [attr.f('alpha', this.alpha), attr.f('beta', this.beta)]);
  }
  config(): Record<string, unknown> {
    return { alpha: this.alpha, beta: this.beta };
  }
}
