// An elementwise activation between two int8 grids as a 256-byte table: every int8 input value's
// output, DequantizeLinear(x) → the float32 activation → QuantizeLinear(y), computed once by the
// activation layer's own float32 kernel (so the table holds exactly the bytes the float round trip
// gives) and applied with one table lookup per element (ops.lutQs8). The int8 form of SiLU,
// Sigmoid, Hardswish, Hardsigmoid, Tanh, GELU, Mish, LeakyReLU, ReLU / ReLU6 / Hardtanh and the
// elementwise Unary ops: cheaper than dequantizing, running the float kernel and quantizing again,
// and exact with respect to that round trip. The wrapped layer is held by value (its type and
// config), as a model file stores it.
import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import { Tensor, type DType, type Shape } from '../tensor.js';
import type { Prepared } from '../ops/prepared.js';
import { dequantizeLinear, lutQs8, prepareLutQs8, qparamsArg, quantizeLinear, type QParams } from '../ops/qs8.js';
import { describe } from '../ops/validate.js';
import type { OnnxEmitter } from './lowering.js';
import { dequantizeInput, quantizeOutput } from './qdq-onnx.js';

/** The layer types a table can stand for: one input, one output, each element a function of its own value alone. */
export const POINTWISE: ReadonlySet<string> = new Set([
  'ReLU', 'ReLU6', 'Hardtanh', 'LeakyReLU', 'Sigmoid', 'Tanh', 'SiLU', 'Hardswish', 'Hardsigmoid', 'GELU', 'Mish', 'Unary',
]);

/** Whether `layer` is a built-in elementwise activation QActivation can tabulate. */
export const isPointwise = (layer: unknown): layer is Layer => layer instanceof Layer && POINTWISE.has(layer.type);

/** Rebuilds a layer from its type and config (the registry's lookup, handed to fromConfig). */
export type LayerResolver = (type: string) => ((config: LayerConfig, name: string) => Layer) | undefined;

export interface QActivationOptions {
  /** The float activation, a layer of a POINTWISE type (nn.SiLU(), nn.Hardswish(), …); held, not copied. */
  activation: Layer;
  /** The quantization of the input and of the output. */
  x: QParams;
  y: QParams;
  name?: string;
}

/** An elementwise activation from int8 (grid x) to int8 (grid y) through a 256-entry table. */
export class QActivation extends Layer {
  static readonly type = 'QActivation';
  readonly type = QActivation.type;
  static fromConfig(c: LayerConfig, name: string, resolve?: LayerResolver): QActivation {
    const a = c.activation as { type?: unknown; config?: unknown } | null;
    const op = 'nn.QActivation';
    if (a === null || typeof a !== 'object' || typeof a.type !== 'string' || !POINTWISE.has(a.type) || a.config === null || typeof a.config !== 'object') {
      throw new TypeError(`${op}: config.activation must be { type, config } of an elementwise activation (${[...POINTWISE].join(', ')}), got ${describe(a)}`);
    }
    const make = resolve?.(a.type);
    if (!make) throw new Error(`${op}: cannot rebuild the activation '${a.type}' (no layer registry given)`);
    return new QActivation({ activation: make(a.config as LayerConfig, `${name}.activation`), x: cfg(c.x), y: cfg(c.y), name });
  }
  readonly activation: Layer;
  readonly qx: QParams;
  readonly qy: QParams;
  private tableBytes: Int8Array | null = null;
  constructor(options: QActivationOptions) {
    const op = 'nn.QActivation';
    super(layerName(op, options, ['activation', 'x', 'y', 'name']));
    const o: Partial<QActivationOptions> = options ?? {};
    const a: unknown = o.activation;
    if (!isPointwise(a)) {
      throw new TypeError(`${op}: activation must be a layer of an elementwise type (${[...POINTWISE].join(', ')}), got ${a instanceof Layer ? `a ${a.type} layer` : describe(a)}`);
    }
    this.activation = a;
    this.qx = qparamsArg(op, 'x', o.x);
    this.qy = qparamsArg(op, 'y', o.y);
  }
  /** The 256 output bytes, entry q + 128 for input byte q: computed on first use by the activation's float32 kernel. */
  table(): Int8Array {
    if (this.tableBytes === null) {
      // the inputs dequantized by the DequantizeLinear kernel itself (float32 arithmetic)
      const bytes = Tensor.from(Int8Array.from({ length: 256 }, (_, i) => i - 128), [1, 256]);
      let x: Tensor | null = null, f: Tensor | null = null, q: Tensor | null = null;
      try {
        x = dequantizeLinear(bytes, this.qx);
        f = this.activation.forward([x], false);
        q = quantizeLinear(f, this.qy);
        this.tableBytes = q.toInt8Array();
      } finally {
        for (const t of [bytes, x, f, q]) t?.dispose();
      }
    }
    return this.tableBytes;
  }
  outputShape(shapes: readonly Shape[]): Shape {
    return this.one(shapes).slice();
  }
  outputDtype(): DType {
    return 'int8';
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    return lutQs8(this.inputOf(inputs, training, 'int8'), this.table());
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareLutQs8(inputs[0], this.table());
  }
  /** DequantizeLinear → the activation's own ONNX form → QuantizeLinear (onnxruntime fuses it back). */
  toOnnx(e: OnnxEmitter): void {
    const x = dequantizeInput(e, 0, this.qx);
    const value = `${e.name}/value`;
    this.activation.toOnnx({ ...e, inputs: [x], inputDtypes: ['float32'], op: (t, ins, attrs, out) => e.op(t, ins, attrs, out ?? value) });
    quantizeOutput(e, value, this.qy);
  }
  config() {
    return { activation: { type: this.activation.type, config: this.activation.config() }, x: this.qx, y: this.qy };
  }
}
