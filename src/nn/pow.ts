import { BinaryLayer, binaryOptions, type BinaryOptions } from './binary-base.js';
import type { LayerConfig } from './layer.js';

/** a^b (or x^c, c^x), as torch.pow with broadcasting (C's pow special cases). A
 * constant operand is frozen by default (set its Param's trainable to train it). */
export class Pow extends BinaryLayer {
  static readonly type = 'Pow';
  readonly type = Pow.type;
  readonly op = 'pow';
  protected readonly onnxOp = 'Pow';
  static fromConfig(c: LayerConfig, name: string): Pow {
    return new Pow(binaryOptions(c, name));
  }
  constructor(options: BinaryOptions = {}) {
    super(options, 1);
    // a constant exponent stays fixed unless asked (its gradient dy·a^b·ln a is NaN for a < 0)
    if (this.constant !== null) this.constant.trainable = false;
  }
}
