import { Hardtanh } from './hardtanh.js';
import type { LayerConfig } from './layer.js';

/** min(max(x, 0), 6), as torch.nn.ReLU6 (a Hardtanh(0, 6): the gradient passes where 0 < x < 6). */
export class ReLU6 extends Hardtanh {
  static readonly type: string = 'ReLU6';
  readonly type: string = ReLU6.type;
  static fromConfig(_c: LayerConfig, name: string): ReLU6 {
    return new ReLU6({ name });
  }
  constructor(options: { name?: string } = {}) {
    super(0, 6, options);
  }
  config(): Record<string, unknown> {
    return {};
  }
}
