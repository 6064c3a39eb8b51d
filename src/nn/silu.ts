import { MapLayer } from './map-layer.js';
import type { Tensor, Shape } from '../tensor.js';
import { layerName, type LayerConfig } from './layer.js';
import type { Epilogue, OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { prepareSilu, silu, siluBackward } from '../ops/gated.js';

/** x·sigmoid(x), as torch.nn.SiLU (EfficientNet's swish). */
export class SiLU extends MapLayer {
  static readonly type = 'SiLU';
  readonly type = SiLU.type;
  static fromConfig(_c: LayerConfig, name: string): SiLU {
    return new SiLU({ name });
  }
  constructor(options: { name?: string } = {}) {
    super(layerName('nn.SiLU', options, []));
  }
  protected apply(x: Tensor): Tensor {
    return silu(x);
  }
  protected gradient(dy: Tensor, x: Tensor): Tensor {
    return siluBackward(dy, x);
  }
  /** Fused by compile() after the store of a layer that takes it (Conv2d). */
  epilogueAtInference(): Epilogue | null {
    return { kind: 'silu', min: -Infinity, max: Infinity };
  }
  protected prepare(xShape: Shape): Prepared {
    return prepareSilu(xShape);
  }
  /** x·Sigmoid(x), the form PyTorch exports (ONNX has no SiLU operator). */
  toOnnx(e: OnnxEmitter): void {
    const x = e.inputs[0];
    e.op('Mul', [x, e.op('Sigmoid', [x], [], `${e.name}/sigmoid`)]);
  }
  config(): Record<string, unknown> {
    return {};
  }
}
