import { MapLayer } from './map-layer.js';
import type { Tensor, Shape } from '../tensor.js';
import { cfg, layerName, type LayerConfig } from './layer.js';
import { attr, type OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { gelu, geluBackward, prepareGelu } from '../ops/gated.js';
import { describe } from '../ops/validate.js';

/**
 * x·Φ(x), as torch.nn.GELU: approximate 'none' (default, the exact erf form) or 'tanh'
 * (x·(1 + tanh(√(2/π)(x + 0.044715x³)))/2).
 */
export class GELU extends MapLayer {
  static readonly type = 'GELU';
  readonly type = GELU.type;
  static fromConfig(c: LayerConfig, name: string): GELU {
    return new GELU({ approximate: cfg(c.approximate), name });
  }
  readonly approximate: 'none' | 'tanh';
  constructor(options: { approximate?: 'none' | 'tanh'; name?: string } = {}) {
    super(layerName('nn.GELU', options, ['approximate']));
    const a = options.approximate ?? 'none';
    if (a !== 'none' && a !== 'tanh') throw new TypeError(`GELU: approximate must be 'none' or 'tanh', got ${describe(a)}`);
    this.approximate = a;
  }
  protected apply(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
  protected gradient(dy: Tensor, x: Tensor): Tensor {
    return geluBackward(dy, x, { approximate: this.approximate });
  }
  protected prepare(xShape: Shape): Prepared {
    return prepareGelu(xShape, { approximate: this.approximate });
  }
  /**
   * Gelu from opset 20; before, the formula as PyTorch 1.13 writes it: x·(1 + erf(x/√2))·0.5 (in
   * the order the importer fuses back), or the tanh form x·0.5·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
   */
  toOnnx(e: OnnxEmitter): void {
    const x = e.inputs[0], n = e.name;
    if (e.opset >= 20) {
      e.op('Gelu', [x], [attr.s('approximate', this.approximate)]);
      return;
    }
    const k = (s: string, v: number) => e.weight(s, Float32Array.of(v), []);
    let inner: string;
    if (this.approximate === 'none') {
      inner = e.op('Erf', [e.op('Div', [x, k('sqrt2', Math.SQRT2)], [], `${n}/div`)], [], `${n}/erf`);
    } else {
      const cube = e.op('Mul', [x, e.op('Mul', [x, x], [], `${n}/square`)], [], `${n}/cube`);
      const poly = e.op('Add', [x, e.op('Mul', [k('kappa', 0.044715), cube], [], `${n}/kappa_cube`)], [], `${n}/poly`);
      inner = e.op('Tanh', [e.op('Mul', [k('beta', Math.sqrt(2 / Math.PI)), poly], [], `${n}/inner`)], [], `${n}/tanh`);
    }
    const plus = e.op('Add', [inner, k('one', 1)], [], `${n}/plus_one`);
    e.op('Mul', [e.op('Mul', [x, plus], [], `${n}/mul`), k('half', 0.5)]);
  }
  config(): Record<string, unknown> {
    return { approximate: this.approximate };
  }
}
