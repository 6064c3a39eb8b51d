import { MapLayer } from './map-layer.js';
import type { Tensor, Shape } from '../tensor.js';
import type { LayerConfig } from './layer.js';
import type { OnnxEmitter } from './lowering.js';
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
    super(options.name);
  }
  protected apply(x: Tensor): Tensor {
    return silu(x);
  }
  protected gradient(dy: Tensor, x: Tensor): Tensor {
    return siluBackward(dy, x);
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
