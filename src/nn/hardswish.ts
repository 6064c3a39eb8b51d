import { MapLayer } from './map-layer.js';
import type { Tensor, Shape } from '../tensor.js';
import { layerName, type LayerConfig } from './layer.js';
import { attr, type Epilogue, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { hardSwish, hardSwishBackward, prepareHardSwish } from '../ops/clip.js';

/** x·min(max(x + 3, 0), 6)/6, as torch.nn.Hardswish (MobileNetV3). */
export class Hardswish extends MapLayer {
  static readonly type = 'Hardswish';
  readonly type = Hardswish.type;
  static fromConfig(_c: LayerConfig, name: string): Hardswish {
    return new Hardswish({ name });
  }
  constructor(options: { name?: string } = {}) {
    super(layerName('nn.Hardswish', options, []));
  }
  protected apply(x: Tensor): Tensor {
    return hardSwish(x);
  }
  protected gradient(dy: Tensor, x: Tensor): Tensor {
    return hardSwishBackward(dy, x);
  }
  /** Fused by compile() after the store of a layer that takes it (Conv2d). */
  epilogueAtInference(): Epilogue | null {
    return { kind: 'hardswish', min: -Infinity, max: Infinity };
  }
  protected prepare(xShape: Shape): Prepared {
    return prepareHardSwish(xShape);
  }
  /** HardSwish from opset 14; before, x·HardSigmoid(x) with torch's alpha 1/6, beta 0.5 (as PyTorch exports it). */
  toOnnx(e: OnnxEmitter): void {
    const x = e.inputs[0];
    if (e.opset >= 14) {
      e.op('HardSwish', [x]);
      return;
    }
    const g = e.op('HardSigmoid', [x], [attr.f('alpha', 1 / 6), attr.f('beta', 0.5)], `${e.name}/hardsigmoid`);
    e.op('Mul', [x, g]);
  }
  config(): Record<string, unknown> {
    return {};
  }
}
