import { BinaryLayer, binaryOptions, type BinaryOptions } from './binary-base.js';
import type { LayerConfig } from './layer.js';

/** a·b (or x·c), as torch.mul with broadcasting: squeeze-and-excitation's channel gate, ConvNeXt's layer scale. */
export class Mul extends BinaryLayer {
  static readonly type = 'Mul';
  readonly type = Mul.type;
  readonly op = 'mul';
  protected readonly onnxOp = 'Mul';
  static fromConfig(c: LayerConfig, name: string): Mul {
    return new Mul(binaryOptions(c, name));
  }
  constructor(options: BinaryOptions = {}) {
    super(options, 1);
  }
}
