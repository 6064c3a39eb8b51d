// Axis arguments shared by the reduction, normalisation and layout ops: integers in [−r, r)
// resolved to [0, r), with messages naming the op, the argument and the shape.
import { describe, fmtShape } from './validate.js';

/** One axis in [−r, r) resolved to [0, r). */
export function axisIndex(op: string, name: string, v: unknown, shape: readonly number[]): number {
  const r = shape.length;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: ${name} must be an integer, got ${describe(v)}`);
  if (v < -r || v >= r) {
    throw new RangeError(`${op}: ${name} ${v} is out of range for shape ${fmtShape(shape)} (rank ${r}; valid ${-r}..${r - 1})`);
  }
  return v < 0 ? v + r : v;
}

/**
 * A set of distinct axes (a number, an array, or null/undefined/[] for every axis, as ONNX's
 * reductions with noop_with_empty_axes = 0), resolved and sorted.
 */
export function axesArg(op: string, name: string, v: unknown, shape: readonly number[]): number[] {
  if (v === undefined || v === null) return shape.map((_, i) => i);
  const list = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(list)) throw new TypeError(`${op}: ${name} must be an integer, an array of integers or null, got ${describe(v)}`);
  if (list.length === 0) return shape.map((_, i) => i);
  const out = list.map((a, i) => axisIndex(op, `${name}[${i}]`, a, shape));
  for (let i = 0; i < out.length; i++) {
    const j = out.indexOf(out[i]);
    if (j !== i) throw new RangeError(`${op}: ${name} ${describe(v)} names dimension ${out[i]} twice (${name}[${j}] and ${name}[${i}])`);
  }
  return out.sort((a, b) => a - b);
}

/** A boolean flag (default when undefined). */
export function boolArg(op: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${op}: ${name} must be a boolean, got ${describe(v)}`);
  return v;
}

/** Row-major element strides of shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
