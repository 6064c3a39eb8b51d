// The shape of the broadcasting binary layers (Add, Sub, Mul, Div, Pow): either two inputs
// (y = a ∘ b), or one input and a constant operand held as the parameter 'constant' (y = x ∘ c
// or c ∘ x, trainable by default: ConvNeXt's layer scale is such a Mul). Broadcasting is NumPy's
// over the per-sample shapes: two inputs must have the same rank (the batch stays apart from the
// other dims), a constant's shape is aligned from the right against the input's and has no more
// dims. Forward, backward and the compiled form all go through ops/binary.ts' broadcasting kernels
// (an [C,1,1] operand against [C,H,W] takes the channel path, with no loop over channels here).
import { Layer, cfg, layerName, shapeStr, type LayerConfig } from './layer.js';
import type { Param } from './param.js';
import type { OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import { Tensor, type Shape } from '../tensor.js';
import { add, mul, accumulate } from '../ops/add.js';
import { binaryBackward, div, pow, prepareBinary, sub, type BinaryOp } from '../ops/binary.js';
import { broadcastShapes } from '../ops/broadcast.js';
import { describe } from '../ops/validate.js';

const EAGER: Record<BinaryOp, (a: Tensor, b: Tensor) => Tensor> = { add, mul, sub, div, pow };

export interface BinaryOptions {
  name?: string;
  /**
   * Makes the layer take one input, the other operand being the parameter 'constant' of this
   * shape (per sample, aligned from the right against the input's shape; [] or [1] for a scalar).
   */
  constantShape?: readonly number[];
  /** Which side the constant is on: 'right' (x ∘ c, the default) or 'left' (c ∘ x). */
  constantSide?: 'left' | 'right';
  /** The constant's initial value: one number for every element, or all its values (default: the op's identity). */
  constant?: number | ArrayLike<number>;
}

export abstract class BinaryLayer extends Layer {
  abstract readonly op: BinaryOp;
  /** The ONNX operator type. */
  protected abstract readonly onnxOp: string;
  readonly inputs: number | readonly [number, number];
  /** The constant operand, or null for a two-input layer. */
  readonly constant: Param | null = null;
  readonly constantSide: 'left' | 'right';
  private saved: Tensor[] | null = null;

  /** identity: the constant's default value; nary: without a constant, take 2 to 64 inputs (Add). */
  constructor(options: BinaryOptions, identity: 0 | 1, nary = false) {
    // new.target: the subclass (Add, Mul, …) names itself in its options' errors
    const type = `nn.${(new.target as unknown as { type: string }).type}`;
    super(layerName(type, options, ['constantShape', 'constantSide', 'constant']));
    const o = options ?? {};
    const side = o.constantSide ?? 'right';
    if (side !== 'left' && side !== 'right') throw new TypeError(`${type}: constantSide must be 'left' or 'right', got ${describe(side)}`);
    this.constantSide = side;
    if (o.constantShape === undefined) {
      if (o.constant !== undefined || o.constantSide !== undefined) throw new TypeError(`${type}: constant and constantSide need constantShape`);
      this.inputs = nary ? [2, 64] : 2;
      return;
    }
    const s = o.constantShape;
    if (!Array.isArray(s) || s.length > 8 || s.some((d) => !Number.isInteger(d) || d < 1 || d > 2 ** 28)) {
      throw new TypeError(`${type}: constantShape must be an array of up to 8 positive integers, got ${describe(s)}`);
    }
    const shape = s.length === 0 ? [1] : s.slice();
    const size = shape.reduce((a, b) => a * b, 1);
    if (size > 2 ** 28) throw new RangeError(`${type}: constantShape ${shapeStr(shape)} is too large`);
    // the constant's values are checked before anything is allocated
    const v = o.constant;
    let values: Float32Array | null = null;
    if (typeof v === 'number') values = new Float32Array(size).fill(v);
    else if (v !== undefined) {
      const n = v !== null && typeof v === 'object' ? (v as ArrayLike<number>).length : undefined;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new TypeError(`${type}: constant must be a number or an array of numbers, got ${describe(v)}`);
      if (n !== size) throw new RangeError(`${type}: constant has ${n} values but constantShape ${shapeStr(shape)} holds ${size}`);
      const a = v as ArrayLike<unknown>;
      for (let i = 0; i < n; i++) if (typeof a[i] !== 'number') throw new TypeError(`${type}: constant[${i}] must be a number, got ${describe(a[i])}`);
      values = Float32Array.from(v as ArrayLike<number>);
    }
    this.inputs = 1;
    this.constant = this.addParam({ name: 'constant', shape, init: identity === 0 ? 'zeros' : 'ones' });
    if (values !== null) this.constant.assign(values);
  }

  outputShape(shapes: readonly Shape[]): Shape {
    const inputs = this.shapesOf(shapes);
    const k = this.constant;
    if (k !== null) {
      const x = this.one(inputs);
      if (k.shape.length > Math.max(x.length, 1)) throw this.shapeError(inputs, `its constant ${shapeStr(k.shape)} has more dims than the input`);
      return this.broadcast(inputs, x, k.shape);
    }
    if (inputs.length !== 2) throw this.shapeError(inputs, 'it takes exactly two inputs');
    if (inputs[0].length !== inputs[1].length) throw this.shapeError(inputs, 'both inputs must have the same rank (broadcast dims of size 1, not missing dims)');
    return this.broadcast(inputs, inputs[0], inputs[1]);
  }

  private broadcast(inputs: readonly Shape[], a: Shape, b: Shape): Shape {
    try {
      return broadcastShapes(this.op, a, b);
    } catch {
      throw this.shapeError(inputs, `they must have the same shape or broadcast (each dim equal, or 1 in one of them)`);
    }
  }

  /** The two operands in order (the constant in its place). */
  private operands(inputs: readonly Tensor[]): [Tensor, Tensor] {
    const k = this.constant;
    if (k === null) return [inputs[0], inputs[1]];
    return this.constantSide === 'right' ? [inputs[0], k.value] : [k.value, inputs[0]];
  }

  forward(xs: readonly Tensor[], training = false): Tensor {
    const [a, b] = this.operands(this.tensorsOf(xs, training));
    this.saved = training ? [a, b] : null;
    return EAGER[this.op](a, b);
  }

  backward(dy: Tensor, needs: readonly boolean[] = []): (Tensor | null)[] {
    this.gradOf(dy, needs);
    if (this.saved === null) throw this.notTrained();
    const [a, b] = this.saved;
    const k = this.constant;
    if (k === null) return binaryBackward(this.op, dy, a, b, [needs[0] ?? true, needs[1] ?? true]);
    const right = this.constantSide === 'right';
    const needX = needs[0] ?? true, needK = k.trainable;
    const [ga, gb] = binaryBackward(this.op, dy, a, b, right ? [needX, needK] : [needK, needX]);
    const [gx, gk] = right ? [ga, gb] : [gb, ga];
    if (gk !== null) {
      accumulate(k.gradBuffer(), gk);
      gk.dispose();
    }
    return [gx];
  }

  release(): void {
    this.saved = null;
  }

  lower(inputs: readonly Shape[]): Prepared {
    const k = this.constant;
    if (k === null) return prepareBinary(this.op, inputs[0], inputs[1]);
    return this.constantSide === 'right' ? prepareBinary(this.op, inputs[0], k.value) : prepareBinary(this.op, k.value, inputs[0]);
  }

  toOnnx(e: OnnxEmitter): void {
    const k = this.constant;
    if (k === null) {
      e.op(this.onnxOp, [e.inputs[0], e.inputs[1]]);
      return;
    }
    const c = e.weight('constant', k.value.toFloat32Array(), k.shape);
    e.op(this.onnxOp, this.constantSide === 'right' ? [e.inputs[0], c] : [c, e.inputs[0]]);
  }

  config(): Record<string, unknown> {
    const k = this.constant;
    return k === null ? {} : { constantShape: k.shape.slice(), constantSide: this.constantSide };
  }
}

/** The options a binary layer's fromConfig passes back to its constructor. */
export const binaryOptions = (c: LayerConfig, name: string): BinaryOptions =>
  c.constantShape === undefined ? { name } : { name, constantShape: cfg(c.constantShape), constantSide: cfg(c.constantSide) };
