// Tensor: a float32 array living in wasm linear memory (a byte offset + a shape), with an
// explicit lifetime, and tidy() scopes that free temporaries.
import { heap, kernels, setLiveTensorCounter, describe } from './wasm/engine.js';
import { fromPixels, type FromPixelsOptions, type PixelSource } from './tensor-pixels.js';

export type Shape = readonly number[];
/**
 * float32 for data; int32 for indices (max pooling's argmax) and labels; int8 for quantized
 * activations and weights (scale and zero point live with the op or layer that reads them). An
 * int8 tensor's allocation is rounded up to whole 4-byte words, so the word-wise copy and fill
 * kernels serve every dtype.
 */
export type DType = 'float32' | 'int32' | 'int8';

/** 4-byte words that hold `size` elements of dtype. */
const words = (size: number, dtype: DType) => (dtype === 'int8' ? Math.ceil(size / 4) : size);

let live = 0;
setLiveTensorCounter(() => live);

const scopes: Set<Tensor>[] = [];

export class Tensor {
  readonly shape: Shape;
  readonly size: number;
  readonly dtype: DType;
  #ptr: number;
  /** False for a view into memory someone else owns (a compiled plan's arena): dispose() frees nothing. */
  #owned = true;

  /** Wraps a fresh allocation; use Tensor.from / zeros / empty rather than this. */
  private constructor(shape: Shape, size: number, ptr: number, dtype: DType) {
    this.shape = Object.freeze(shape.slice());
    this.size = size;
    this.#ptr = ptr;
    this.dtype = dtype;
    live++;
    if (scopes.length > 0) scopes[scopes.length - 1].add(this);
  }

  /** A tensor whose contents are undefined (the ops overwrite them). */
  static empty(shape: Shape, dtype: DType = 'float32'): Tensor {
    const size = checkShape(shape, 'Tensor.empty');
    if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'int8') throw new TypeError(`Tensor.empty: dtype must be 'float32', 'int32' or 'int8', got ${describe(dtype)}`);
    const ptr = heap().alloc(words(size, dtype) * 4);
    return new Tensor(shape, size, ptr, dtype);
  }

  /** Zero-filled (0 is the same bit pattern for every dtype). */
  static zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
    const t = Tensor.empty(shape, dtype);
    kernels().fill_f32_simd(t.#ptr, words(t.size, dtype), 0);
    return t;
  }

  static full(shape: Shape, value: number): Tensor {
    if (typeof value !== 'number') throw new TypeError(`Tensor.full: value must be a number, got ${describe(value)}`);
    const t = Tensor.empty(shape);
    kernels().fill_f32_simd(t.#ptr, t.size, value);
    return t;
  }

  /**
   * Copies `data` (row-major, NCHW for images) into wasm memory. An Int32Array makes an int32
   * tensor, an Int8Array an int8 one; anything else float32.
   */
  static from(data: Float32Array | Int32Array | Int8Array | ArrayLike<number>, shape?: Shape): Tensor {
    if (data === null || typeof data !== 'object' || typeof (data as ArrayLike<number>).length !== 'number') {
      throw new TypeError(`Tensor.from: data must be a Float32Array or an array of numbers, got ${describe(data)}`);
    }
    const s = shape ?? [data.length];
    const size = checkShape(s, 'Tensor.from');
    if (data.length !== size) {
      throw new RangeError(`Tensor.from: data has ${data.length} elements but shape [${s.join(', ')}] needs ${size}`);
    }
    if (!(data instanceof Float32Array)) {
      for (let i = 0; i < data.length; i++) {
        if (typeof data[i] !== 'number') {
          throw new TypeError(`Tensor.from: data[${i}] is ${describe(data[i])}, not a number`);
        }
      }
    }
    if (data instanceof Int8Array) {
      const t = Tensor.empty(s, 'int8');
      heap().u8view().set(new Uint8Array(data.buffer, data.byteOffset, data.length), t.#ptr);
      return t;
    }
    if (data instanceof Int32Array) {
      const t = Tensor.empty(s, 'int32');
      heap().i32view().set(data, t.#ptr >>> 2);
      return t;
    }
    const t = Tensor.empty(s);
    heap().f32view().set(data, t.#ptr >>> 2);
    return t;
  }

  /**
   * RGBA pixels (an ImageData-like { data, width, height }; in browsers also a canvas,
   * OffscreenCanvas, ImageBitmap or VideoFrame), or an array of them, as one normalised
   * [N, C, H, W] float32 tensor: optional center crop, bilinear/nearest resize, grey, mean/std.
   * See FromPixelsOptions (src/tensor-pixels.ts, which also says why the body lives there).
   */
  static fromPixels(source: PixelSource | readonly PixelSource[], options?: FromPixelsOptions): Tensor {
    return fromPixels(source, options, (shape) => (checkShape(shape, 'Tensor.fromPixels'), Tensor.empty(shape)));
  }

  /** Byte offset in wasm memory. Throws when the tensor was disposed. */
  get ptr(): number {
    if (this.#ptr < 0) throw disposedError('this tensor');
    return this.#ptr;
  }

  get rank(): number { return this.shape.length; }
  get disposed(): boolean { return this.#ptr < 0; }

  /** A copy of the data as a Float32Array (the tensor keeps living); int32 values are converted. */
  toFloat32Array(): Float32Array {
    const p = this.ptr;
    if (this.dtype === 'int32') return Float32Array.from(heap().i32view().subarray(p >>> 2, (p >>> 2) + this.size));
    if (this.dtype === 'int8') return Float32Array.from(this.toInt8Array());
    return heap().f32view().slice(p >>> 2, (p >>> 2) + this.size);
  }

  /** A copy of the raw data of an int8 tensor (the quantized values, not what they stand for). */
  toInt8Array(): Int8Array {
    const p = this.ptr;
    if (this.dtype !== 'int8') throw new TypeError(`Tensor.toInt8Array: only int8 tensors, this is ${this.dtype}`);
    return new Int8Array(heap().u8view().subarray(p, p + this.size));
  }

  /** A copy of the data as an Int32Array (int32 tensors; float32 values are truncated toward zero). */
  toInt32Array(): Int32Array {
    const p = this.ptr;
    if (this.dtype === 'int32') return heap().i32view().slice(p >>> 2, (p >>> 2) + this.size);
    if (this.dtype === 'int8') return Int32Array.from(this.toInt8Array());
    return Int32Array.from(heap().f32view().subarray(p >>> 2, (p >>> 2) + this.size));
  }

  /** The data as nested arrays following the shape. */
  toArray(): unknown {
    const d = this.toFloat32Array();
    const build = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return d[off];
      const n = this.shape[dim];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: n }, (_, i) => build(dim + 1, off + i * stride));
    };
    return this.shape.length === 0 ? d[0] : build(0, 0);
  }

  /** A new tensor with the same data and another shape of the same size (-1 infers one dim). */
  reshape(shape: Shape): Tensor {
    const p = this.ptr;
    const s = inferDim(shape, this.size, this.shape);
    const t = Tensor.empty(s, this.dtype);
    kernels().copy_f32_simd(p, t.#ptr, words(this.size, this.dtype));
    return t;
  }

  /**
   * Internal: lets `write` fill this float32 tensor's memory through a Float32Array view, which
   * is valid only during the call (write must not allocate from the engine); returns this.
   */
  writeWith(write: (view: Float32Array) => void): this {
    const p = this.ptr;
    if (typeof write !== 'function') throw new TypeError(`Tensor.writeWith: write must be a function, got ${describe(write)}`);
    if (this.dtype !== 'float32') throw new TypeError(`Tensor.writeWith: only float32 tensors, this is ${this.dtype}`);
    write(heap().f32view().subarray(p >>> 2, (p >>> 2) + this.size));
    return this;
  }

  /** Sets every element to `value` in place (float32 tensors); returns this. */
  fill(value: number): this {
    if (typeof value !== 'number') throw new TypeError(`Tensor.fill: value must be a number, got ${describe(value)}`);
    if (this.dtype !== 'float32') throw new TypeError(`Tensor.fill: only float32 tensors, this is ${this.dtype}`);
    kernels().fill_f32_simd(this.ptr, this.size, value);
    return this;
  }

  clone(): Tensor {
    return this.reshape(this.shape);
  }

  /** Frees the memory. Disposing twice is harmless; any other use afterwards throws. */
  dispose(): void {
    if (this.#ptr < 0) return;
    if (this.#owned) heap().release(this.#ptr);
    this.#ptr = -1;
    live--;
    for (const s of scopes) s.delete(this);
  }

  /** @internal used by viewTensor() */
  private markView(): void {
    this.#owned = false;
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}]${this.disposed ? ', disposed' : ''})`;
  }
}

/**
 * A tensor over memory owned elsewhere (a compiled plan's arena): no allocation, and dispose()
 * only marks it unusable. Internal: the owner guarantees the bytes outlive the view's use.
 */
export function viewTensor(ptr: number, shape: Shape, dtype: DType = 'float32'): Tensor {
  const size = checkShape(shape, 'view');
  const T = Tensor as unknown as { new (s: Shape, n: number, p: number, d: DType): Tensor };
  const t = new T(shape, size, ptr, dtype);
  (t as unknown as { markView(): void }).markView();
  return t;
}

function disposedError(what: string): Error {
  return new Error(`${what} was disposed: its memory is freed; keep it alive (or keep() it out of tidy()) while you use it`);
}

/** Validates a shape and returns its element count. */
export function checkShape(shape: Shape, where: string): number {
  if (!Array.isArray(shape)) throw new TypeError(`${where}: shape must be an array of integers, got ${describe(shape)}`);
  // a hostile shape prints safely whichever entry the check stops at (an object, a Symbol…)
  const fmt = () => `[${shape.map((e) => (typeof e === 'number' ? String(e) : describe(e))).join(', ')}]`;
  let size = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new RangeError(`${where}: shape ${fmt()} has dimension ${i} = ${describe(d)}; dimensions are non-negative integers`);
    }
    if (d > 2 ** 31 - 1) {
      throw new RangeError(`${where}: shape ${fmt()} has dimension ${i} = ${d}, more than 2^31 − 1 (the kernels take 32-bit integers)`);
    }
    size *= d;
  }
  if (size > 2 ** 30) throw new RangeError(`${where}: shape ${fmt()} has ${size} elements, more than a wasm32 memory holds`);
  return size;
}

function inferDim(shape: Shape, size: number, from: Shape): number[] {
  const s = shape.slice();
  const k = s.indexOf(-1);
  if (k >= 0) {
    if (s.indexOf(-1, k + 1) >= 0) throw new RangeError(`reshape: only one dimension may be -1 in [${s.join(', ')}]`);
    const rest = s.reduce((a, b, i) => (i === k ? a : a * b), 1);
    if (rest === 0 || size % rest !== 0) throw new RangeError(`reshape: cannot infer -1 in [${s.join(', ')}] from ${size} elements`);
    s[k] = size / rest;
  }
  const n = checkShape(s, 'reshape');
  if (n !== size) throw new RangeError(`reshape: [${from.join(', ')}] has ${size} elements, [${s.join(', ')}] has ${n}`);
  return s;
}

type Kept = Tensor | readonly Kept[] | { readonly [k: string]: Kept } | void | number | string | boolean | null | undefined;

/**
 * Runs fn and disposes every tensor created inside it except those it returns (a tensor, or
 * arrays/objects of tensors) and those passed to keep(). Nested scopes hand results outward.
 */
export function tidy<T extends Kept>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      throw new TypeError('tidy: fn must be synchronous (it returned a Promise); tensors cannot be tracked across await');
    }
  } finally {
    scopes.pop();
    const keepSet = new Set<Tensor>();
    // result may be unassigned when fn threw: collect() copes with undefined
    collect(result!, keepSet);
    for (const t of scope) if (!keepSet.has(t)) t.dispose();
    const outer = scopes[scopes.length - 1];
    if (outer) for (const t of keepSet) if (!t.disposed && scope.has(t)) outer.add(t);
  }
  return result;
}

/** Exempts a tensor from the enclosing tidy() scopes. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

function collect(x: Kept, into: Set<Tensor>): void {
  if (x instanceof Tensor) into.add(x);
  else if (Array.isArray(x)) for (const e of x) collect(e, into);
  else if (x !== null && typeof x === 'object') for (const v of Object.values(x)) collect(v as Kept, into);
}
