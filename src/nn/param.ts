// A parameter (or a buffer such as batch norm's running statistics): its shape, a lazily
// materialised value in wasm memory, and its gradient while training.
import { Tensor, keep, type Shape } from '../tensor.js';
import { initArray, WEIGHT_INITS, type WeightInit } from './init.js';
import { boolArg, describe, elementCount, enumArg, shapeArg } from '../ops/validate.js';

export interface ParamSpec {
  name: string;
  shape: Shape;
  /** false: a buffer (running statistics), never trained and not counted as a parameter. */
  trainable?: boolean;
  init: WeightInit;
  /** The shape whose fans scale the initialisation (a bias uses its weight's). */
  fanShape?: Shape;
  /** 'int8' for a quantized layer's weights (initialised to zeros, never trained); default 'float32'. */
  dtype?: 'float32' | 'int8';
}

export class Param {
  readonly name: string;
  readonly shape: Shape;
  readonly size: number;
  /** A buffer (batch norm's running statistics): never trained, not counted as a parameter. */
  readonly buffer: boolean;
  /** The element type of the value: float32, or int8 for a quantized layer's weights. */
  readonly dtype: 'float32' | 'int8';
  #trainable: boolean;
  readonly initKind: WeightInit;
  private readonly fanShape: Shape;
  private seed = 0;
  private tensor: Tensor | null = null;
  /** Gradient accumulated by backward passes (same shape), when training. */
  grad: Tensor | null = null;

  constructor(spec: ParamSpec) {
    const op = 'nn.Param';
    if (spec === null || typeof spec !== 'object') throw new TypeError(`${op}: spec must be { name, shape, init }, got ${describe(spec)}`);
    if (typeof spec.name !== 'string') throw new TypeError(`${op}: name must be a string, got ${describe(spec.name)}`);
    this.name = spec.name;
    this.shape = shapeArg(op, 'shape', spec.shape);
    this.size = elementCount(op, `${spec.name} shape`, this.shape);
    this.buffer = !boolArg(op, 'trainable', spec.trainable, true);
    this.dtype = enumArg(op, 'dtype', spec.dtype, ['float32', 'int8'] as const, 'float32');
    this.#trainable = !this.buffer && this.dtype === 'float32';
    this.initKind = enumArg(op, 'init', spec.init, WEIGHT_INITS);
    this.fanShape = spec.fanShape === undefined ? this.shape : shapeArg(op, 'fanShape', spec.fanShape);
  }

  /**
   * Whether training updates this parameter (false: frozen, or a buffer). Freezing drops the
   * gradient: a frozen parameter keeps no .grad and backward passes compute none for it.
   */
  get trainable(): boolean {
    return this.#trainable;
  }

  set trainable(v: boolean) {
    if (typeof v !== 'boolean') throw new TypeError(`parameter ${this.name}: trainable must be true or false, got ${String(v)}`);
    if (v && this.buffer) throw new TypeError(`parameter ${this.name} is a buffer (running statistics): it cannot be trained`);
    if (v && this.dtype === 'int8') throw new TypeError(`parameter ${this.name} holds int8 (quantized) weights: it cannot be trained`);
    this.#trainable = v;
    if (!v) {
      this.grad?.dispose();
      this.grad = null;
    }
  }

  /** Sets the seed used when the value is first materialised. */
  setSeed(seed: number): void {
    this.seed = seed >>> 0;
  }

  get materialised(): boolean {
    return this.tensor !== null && !this.tensor.disposed;
  }

  /** The value, allocated and initialised on first use. */
  get value(): Tensor {
    if (this.tensor === null || this.tensor.disposed) {
      // int8 (a quantized layer's weights): zeros until assigned
      if (this.dtype === 'int8') return (this.tensor = keep(Tensor.zeros(this.shape, 'int8')));
      // the tensor first (a weight too large for the heap fails here, at once), then its values
      // written in place (no second copy in JavaScript)
      const t = keep(Tensor.empty(this.shape));
      try {
        t.writeWith((view) => initArray(this.initKind, this.shape, this.seed, this.fanShape, view));
      } catch (e) {
        t.dispose();
        throw e;
      }
      this.tensor = t;
    }
    return this.tensor;
  }

  /** Bytes per element of the value. */
  get bytesPerElement(): number {
    return this.dtype === 'int8' ? 1 : 4;
  }

  /**
   * Replaces the value with a copy of `data` (which must have the same size): float32 values for a
   * float32 parameter, an Int8Array (or int8 tensor) for an int8 one.
   */
  assign(data: Float32Array | Int8Array | Tensor): void {
    const ok = data instanceof Tensor ? !data.disposed : this.dtype === 'int8' ? data instanceof Int8Array : data instanceof Float32Array;
    if (!ok || (data instanceof Tensor && (data.dtype === 'int8') !== (this.dtype === 'int8'))) {
      const want = this.dtype === 'int8' ? 'an Int8Array or an int8 Tensor' : 'a Float32Array or a float32 Tensor';
      throw new TypeError(`parameter ${this.name}: assign takes ${want}, got ${data instanceof Tensor ? data.toString() : describe(data)}`);
    }
    if (this.dtype === 'int8') {
      const q = data instanceof Tensor ? data.toInt8Array() : (data as Int8Array);
      if (q.length !== this.size) throw new RangeError(`parameter ${this.name}: expected ${this.size} values for shape [${this.shape.join(', ')}], got ${q.length}`);
      this.tensor?.dispose();
      this.tensor = keep(Tensor.from(q, this.shape));
      return;
    }
    const arr = data instanceof Tensor ? data.toFloat32Array() : (data as Float32Array);
    if (arr.length !== this.size) {
      throw new RangeError(`parameter ${this.name}: expected ${this.size} values for shape [${this.shape.join(', ')}], got ${arr.length}`);
    }
    this.tensor?.dispose();
    this.tensor = keep(Tensor.from(arr, this.shape));
  }

  /** The gradient tensor, allocated zero-filled on first use (backward passes add into it). */
  gradBuffer(): Tensor {
    if (this.grad === null || this.grad.disposed) this.grad = keep(Tensor.zeros(this.shape));
    return this.grad;
  }

  dispose(): void {
    this.tensor?.dispose();
    this.tensor = null;
    this.grad?.dispose();
    this.grad = null;
  }
}
