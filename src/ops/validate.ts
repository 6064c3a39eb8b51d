// Argument checks shared by every op: each failure names the op, the argument and the numbers,
// and happens before any kernel runs.
import { Tensor, checkShape, type DType } from '../tensor.js';
import { describe } from '../wasm/engine.js';

export { describe };

/** Throws unless x is a live Tensor of the given dtype (float32 unless said; a list: any of them); returns it typed. */
export function tensorArg(op: string, name: string, x: unknown, dtype: DType | readonly DType[] = 'float32'): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${describe(x)}`);
  if (x.disposed) throw new Error(`${op}: ${name} was disposed (${x.toString()}); it can no longer be used`);
  const ok = typeof dtype === 'string' ? [dtype] : dtype;
  if (!ok.includes(x.dtype)) {
    throw new TypeError(`${op}: ${name} must be ${ok[0] === 'float32' ? 'a' : 'an'} ${ok.join(' or ')} tensor, got ${x.dtype} ${x.toString()}`);
  }
  return x;
}

/** Throws unless x is a live Tensor of the given rank(s). */
export function rankArg(op: string, name: string, x: unknown, ranks: number | readonly number[], layout?: string): Tensor {
  const t = tensorArg(op, name, x);
  const ok = typeof ranks === 'number' ? t.rank === ranks : ranks.includes(t.rank);
  if (!ok) {
    const want = typeof ranks === 'number' ? `${ranks}` : ranks.join(' or ');
    throw new RangeError(`${op}: ${name} must have rank ${want}${layout ? ` (${layout})` : ''}, got shape [${t.shape.join(', ')}]`);
  }
  return t;
}

/** The largest integer a kernel takes (its counts, dims and strides are i32). */
export const I32_MAX = 2 ** 31 - 1;

/**
 * An integer option in [min, max] (max defaults to I32_MAX: every size, stride, padding,
 * dilation, group and axis reaches a kernel as an i32, so 2^32 or 1e308 must stop here).
 */
export function intArg(op: string, name: string, v: unknown, min: number, max = I32_MAX): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: ${name} must be an integer, got ${describe(v)}`);
  if (v < min) throw new RangeError(`${op}: ${name} must be ≥ ${min}, got ${v}`);
  if (v > max) {
    const why = max === I32_MAX ? ' (the kernels take 32-bit integers)' : '';
    throw new RangeError(`${op}: ${name} must be ≤ ${max}${why}, got ${v}`);
  }
  return v;
}

/** One of a fixed set of values (strings, usually); dflt when undefined (if given). */
export function enumArg<T extends string | number | boolean>(op: string, name: string, v: unknown, allowed: readonly T[], dflt?: T): T {
  if (v === undefined && dflt !== undefined) return dflt;
  if (!allowed.includes(v as T)) {
    throw new TypeError(`${op}: ${name} must be ${allowed.map((a) => describe(a)).join(' or ')}, got ${describe(v)}`);
  }
  return v as T;
}

/** The most elements one tensor or parameter may have: 4 bytes each must fit a wasm32 memory with room to spare. */
export const MAX_ELEMENTS = 2 ** 30;

/** The element count of `dims` (already checked integers ≥ 0), or a message naming them when it passes MAX_ELEMENTS. */
export function elementCount(op: string, name: string, dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  if (n > MAX_ELEMENTS) {
    throw new RangeError(`${op}: ${name} ${fmtShape(dims)} would have ${n} elements, more than the ${MAX_ELEMENTS} (2^30) a wasm32 memory holds`);
  }
  return n;
}

/** A finite number option in [min, max]. */
export function numberArg(op: string, name: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${op}: ${name} must be a finite number, got ${describe(v)}`);
  if (v < min || v > max) throw new RangeError(`${op}: ${name} must be in [${min}, ${max}], got ${v}`);
  return v;
}

/** A number or an [h, w] pair of integers ≥ min, as PyTorch takes kernelSize/stride/dilation. */
export function pairArg(op: string, name: string, v: unknown, min: number): [number, number] {
  if (Array.isArray(v)) {
    if (v.length !== 2) throw new RangeError(`${op}: ${name} must be a number or [h, w], got ${describe(v)}`);
    return [intArg(op, `${name}[0]`, v[0], min), intArg(op, `${name}[1]`, v[1], min)];
  }
  const n = intArg(op, name, v, min);
  return [n, n];
}

/**
 * An options object (undefined means {}): a plain object, not null, an array or a primitive, and
 * every key must be known: a typo such as `strides` is an error, not silently ignored.
 */
export function knownOptions(op: string, opts: unknown, keys: readonly string[]): Record<string, unknown> {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`${op}: options must be an object, got ${describe(opts)}`);
  }
  for (const k of Object.keys(opts)) {
    if (!keys.includes(k)) throw new TypeError(`${op}: unknown option '${k}' (known: ${keys.join(', ')})`);
  }
  return opts as Record<string, unknown>;
}

/** Shapes equal, or a message naming both. */
export function sameShape(op: string, a: Tensor, an: string, b: Tensor, bn: string): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(`${op}: ${an} has shape [${a.shape.join(', ')}] but ${bn} has shape [${b.shape.join(', ')}]; they must match`);
  }
}

/** [2, 3, 4]; safe on anything (a hostile shape's Symbol or object prints as describe() says). */
export function fmtShape(s: readonly unknown[]): string {
  if (!Array.isArray(s)) return describe(s);
  return `[${s.map((d) => (typeof d === 'number' ? String(d) : describe(d))).join(', ')}]`;
}

/** A list of tensors (a layer's inputs, concat's operands): an array of count[0] … count[1] live tensors of dtype (float32). */
export function tensorsArg(op: string, name: string, v: unknown, count: readonly [number, number], dtype: DType = 'float32'): Tensor[] {
  if (!Array.isArray(v)) throw new TypeError(`${op}: ${name} must be an array of Tensors, got ${describe(v)}`);
  if (v.length < count[0] || v.length > count[1]) {
    const want = count[0] === count[1] ? `${count[0]}` : `${count[0]} … ${count[1]}`;
    throw new RangeError(`${op}: ${name} must hold ${want} tensor${count[1] === 1 ? '' : 's'}, got ${v.length}`);
  }
  return v.map((t, i) => tensorArg(op, `${name}[${i}]`, t, dtype));
}

/** A list of shapes (a layer's per-sample input shapes): an array of count[0] … count[1] shapes. */
export function shapesArg(op: string, name: string, v: unknown, count: readonly [number, number]): number[][] {
  if (!Array.isArray(v)) throw new TypeError(`${op}: ${name} must be an array of shapes (arrays of sizes), got ${describe(v)}`);
  if (v.length < count[0] || v.length > count[1]) {
    const want = count[0] === count[1] ? `${count[0]}` : `${count[0]} … ${count[1]}`;
    throw new RangeError(`${op}: ${name} must hold ${want} shape${count[1] === 1 ? '' : 's'}, got ${v.length}`);
  }
  return v.map((s, i) => shapeArg(op, `${name}[${i}]`, s));
}

/** A shape given to a prepare function: an array of non-negative integers (copied). */
export function shapeArg(op: string, name: string, s: unknown): number[] {
  if (!Array.isArray(s)) throw new TypeError(`${op}: ${name} must be an array of non-negative integers, got ${describe(s)}`);
  checkShape(s, `${op}: ${name}`);
  return s.slice();
}

/** x's shape given to a prepare function, of one of the allowed ranks. */
export function xShapeArg(op: string, v: unknown, ranks: readonly number[], layout: string): number[] {
  if (!Array.isArray(v) || v.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0)) {
    throw new TypeError(`${op}: xShape must be an array of integers ≥ 0 (x's shape), got ${describe(v)}`);
  }
  if (!ranks.includes(v.length)) throw new RangeError(`${op}: x must have rank ${ranks.join(' or ')} (${layout}), got shape ${fmtShape(v)}`);
  elementCount(op, 'xShape', v);
  return (v as number[]).slice();
}

/** Bounds of a clamp fused into the store (ReLU is { min: 0, max: Infinity }). */
export interface ClampBounds {
  min: number;
  max: number;
}

/** [min, max] of an optional clamp, checked. */
export function clampArg(op: string, clamp: unknown): [number, number] {
  if (clamp === undefined) return [-Infinity, Infinity];
  if (clamp === null || typeof clamp !== 'object') throw new TypeError(`${op}: clamp must be { min, max }, got ${describe(clamp)}`);
  const { min, max } = clamp as Record<string, unknown>;
  return clampBounds(op, min, max);
}

/** A clamp given as two numbers: min ≤ max, neither NaN (±Infinity allowed). */
export function clampBounds(op: string, min: unknown, max: unknown): [number, number] {
  if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max) || min > max) {
    throw new RangeError(`${op}: clamp bounds must be numbers with min ≤ max, got [${describe(min)}, ${describe(max)}]`);
  }
  return [min, max];
}

/** An optional boolean option (dflt when undefined). */
export function boolArg(op: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${op}: ${name} must be a boolean, got ${describe(v)}`);
  return v;
}

/**
 * An optional tensor to write or add a result into: null when undefined, else a live float32
 * tensor of exactly `shape` (`what` names that shape in the message).
 */
export function intoArg(op: string, name: string, v: unknown, shape: readonly number[], what: string): Tensor | null {
  if (v === undefined) return null;
  const t = tensorArg(op, name, v);
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new RangeError(`${op}: ${name} has shape ${fmtShape(t.shape)} but ${what} has shape ${fmtShape(shape)}; they must match`);
  }
  return t;
}
