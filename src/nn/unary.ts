// One layer type for ONNX's elementwise math on activations (Sqrt, Erf, Exp, Neg, Reciprocal,
// Abs). One class rather than six: PyTorch has no modules for these (they are tensor functions a
// forward() calls), so there are no PyTorch names to mirror, and the six differ only in which op,
// prepared op and backward they call: a table, one `op` in the config, one registry entry.
import { MapLayer } from './map-layer.js';
import type { Tensor, Shape } from '../tensor.js';
import { cfg, layerName, type LayerConfig } from './layer.js';
import type { OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import * as u from '../ops/unary.js';
import { describe } from '../ops/validate.js';

export type UnaryOp = 'sqrt' | 'erf' | 'exp' | 'neg' | 'reciprocal' | 'abs';

interface Entry {
  onnx: string;
  fwd: (x: Tensor) => Tensor;
  prep: (s: Shape) => Prepared;
  /** The gradient from the saved tensor (the output when `fromOutput`, else the input). */
  bwd: (dy: Tensor, saved: Tensor) => Tensor;
  fromOutput: boolean;
}

const OPS: Record<UnaryOp, Entry> = {
  sqrt: { onnx: 'Sqrt', fwd: u.sqrt, prep: u.prepareSqrt, bwd: u.sqrtBackward, fromOutput: true },
  erf: { onnx: 'Erf', fwd: u.erf, prep: u.prepareErf, bwd: u.erfBackward, fromOutput: false },
  exp: { onnx: 'Exp', fwd: u.exp, prep: u.prepareExp, bwd: u.expBackward, fromOutput: true },
  neg: { onnx: 'Neg', fwd: u.neg, prep: u.prepareNeg, bwd: (dy) => u.negBackward(dy), fromOutput: false },
  reciprocal: { onnx: 'Reciprocal', fwd: u.reciprocal, prep: u.prepareReciprocal, bwd: u.reciprocalBackward, fromOutput: true },
  abs: { onnx: 'Abs', fwd: u.abs, prep: u.prepareAbs, bwd: u.absBackward, fromOutput: false },
};

/** The unary op of an ONNX operator type (Sqrt → 'sqrt'), or undefined. */
export const unaryOpOf = (onnxType: string): UnaryOp | undefined =>
  (Object.keys(OPS) as UnaryOp[]).find((k) => OPS[k].onnx === onnxType);

/** y = op(x) elementwise, op one of sqrt, erf, exp, neg, reciprocal, abs (PyTorch's semantics and gradients). */
export class Unary extends MapLayer {
  static readonly type = 'Unary';
  readonly type = Unary.type;
  static fromConfig(c: LayerConfig, name: string): Unary {
    return new Unary(cfg(c.op), { name });
  }
  readonly op: UnaryOp;
  private readonly entry: Entry;
  constructor(op: UnaryOp, options: { name?: string } = {}) {
    super(layerName('nn.Unary', options, []));
    if (typeof op !== 'string' || !Object.prototype.hasOwnProperty.call(OPS, op)) {
      throw new TypeError(`Unary: op must be one of ${Object.keys(OPS).map((k) => `'${k}'`).join(', ')}, got ${describe(op)}`);
    }
    this.op = op;
    this.entry = OPS[op];
    this.savesOutput = this.entry.fromOutput;
  }
  protected apply(x: Tensor): Tensor {
    return this.entry.fwd(x);
  }
  protected gradient(dy: Tensor, saved: Tensor): Tensor {
    return this.entry.bwd(dy, saved);
  }
  protected prepare(xShape: Shape): Prepared {
    return this.entry.prep(xShape);
  }
  toOnnx(e: OnnxEmitter): void {
    e.op(this.entry.onnx, [e.inputs[0]]);
  }
  config(): Record<string, unknown> {
    return { op: this.op };
  }
}
