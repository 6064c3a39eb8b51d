import { MapLayer } from './map-layer.js';
import type { Tensor, Shape } from '../tensor.js';
import { layerName, type LayerConfig } from './layer.js';
import type { OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { mish, mishBackward, prepareMish } from '../ops/gated.js';

/** x·tanh(softplus(x)), as torch.nn.Mish. */
export class Mish extends MapLayer {
  static readonly type = 'Mish';
  readonly type = Mish.type;
  static fromConfig(_c: LayerConfig, name: string): Mish {
    return new Mish({ name });
  }
  constructor(options: { name?: string } = {}) {
    super(layerName('nn.Mish', options, []));
  }
  protected apply(x: Tensor): Tensor {
    return mish(x);
  }
  protected gradient(dy: Tensor, x: Tensor): Tensor {
    return mishBackward(dy, x);
  }
  protected prepare(xShape: Shape): Prepared {
    return prepareMish(xShape);
  }
  /** x·Tanh(Softplus(x)), as PyTorch exports it (ONNX's Mish operator needs opset 18). */
  toOnnx(e: OnnxEmitter): void {
    const x = e.inputs[0];
    const sp = e.op('Softplus', [x], [], `${e.name}/softplus`);
    e.op('Mul', [x, e.op('Tanh', [sp], [], `${e.name}/tanh`)]);
  }
  config(): Record<string, unknown> {
    return {};
  }
}
