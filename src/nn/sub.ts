import { BinaryLayer, binaryOptions, type BinaryOptions } from './binary-base.js';
import type { LayerConfig } from './layer.js';

/** a − b (or x − c, c − x), as torch.sub with broadcasting. */
export class Sub extends BinaryLayer {
  static readonly type = 'Sub';
  readonly type = Sub.type;
  readonly op = 'sub';
  protected readonly onnxOp = 'Sub';
  static fromConfig(c: LayerConfig, name: string): Sub {
    return new Sub(binaryOptions(c, name));
  }
  constructor(options: BinaryOptions = {}) {
    super(options, 0);
  }
}
