// Argument checks shared by every op: each failure names the op, the argument and the numbers,
// and happens before any kernel runs.
import { Tensor, checkShape, type DType } from '../tensor.js';
import { describe } from '../wasm/engine.js';

export { describe };

/** Throws unless x is a live Tensor of the given dtype (float32 unless said); returns it typed. */
export function tensorArg(op: string, name: string, x: unknown, dtype: DType = 'float32'): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${describe(x)}`);
  if (x.disposed) throw new Error(`${op}: ${name} was disposed (${x.toString()}); it can no longer be used`);
  if (x.dtype !== dtype) throw new TypeError(`${op}: ${name} must be a ${dtype} tensor, got ${x.dtype} ${x.toString()}`);
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

/** An integer option ≥ min. */
export function intArg(op: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: ${name} must be an integer, got ${describe(v)}`);
  if (v < min) throw new RangeError(`${op}: ${name} must be ≥ ${min}, got ${v}`);
  return v;
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

/** Every option key must be known: a typo such as `strides` is an error, not silently ignored. */
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

export function fmtShape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
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
  return (v as number[]).slice();
}

/** Bounds of a clamp fused into the store (ReLU is { min: 0, max: Infinity }). */
export interface ClampBounds {
  min: number;
  max: number;
}

/** [min, max] of an optional clamp, checked. */
export function clampArg(op: string, clamp: ClampBounds | undefined): [number, number] {
  if (clamp === undefined) return [-Infinity, Infinity];
  const { min, max } = clamp;
  if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max) || min > max) {
    throw new RangeError(`${op}: clamp bounds must be numbers with min ≤ max, got [${min}, ${max}]`);
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
