import { BinaryLayer, binaryOptions, type BinaryOptions } from './binary-base.js';
import type { LayerConfig } from './layer.js';

/** a / b (or x / c, c / x), as torch.div (true division) with broadcasting. */
export class Div extends BinaryLayer {
  static readonly type = 'Div';
  readonly type = Div.type;
  readonly op = 'div';
  protected readonly onnxOp = 'Div';
  static fromConfig(c: LayerConfig, name: string): Div {
    return new Div(binaryOptions(c, name));
  }
  constructor(options: BinaryOptions = {}) {
    super(options, 1);
  }
}
