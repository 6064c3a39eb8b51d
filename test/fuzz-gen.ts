// Argument generators for test/fuzz.test.ts: hostile values of every kind, and "coherent" ones
// (tensors whose shapes share a few small dims, small integers, option objects with known keys)
// so that a call gets past its first check and reaches the deeper ones.
import { Tensor } from '../src/index.js';
import { rng } from './helpers.js';

export type Rand = () => number;

/** Every option key some public op or layer knows, and a few it does not. */
export const OPTION_KEYS = [
  'stride', 'padding', 'dilation', 'groups', 'kernelSize', 'ceilMode', 'countIncludePad', 'accumulateInto', 'indices',
  'training', 'seed', 'mask', 'eps', 'momentum', 'weightGradInto', 'biasGradInto', 'inputGrad', 'weightGrad', 'biasGrad',
  'size', 'alpha', 'beta', 'k', 'window', 'labelSmoothing', 'reduction', 'lr', 'dampening', 'weightDecay', 'nesterov',
  'firstStep', 'beta1', 'beta2', 'decoupled', 'step', 'rounding', 'bias', 'weightInit', 'name', 'affine', 'lrnWindow', 'log',
  'x', 'y', 'a', 'b', 'q', 'clamp', 'scale', 'zeroPoint', 'min', 'max',
  'strides', 'kernel_size', '__proto__x', 'constructor',
];

/** Numbers that broke engines before: sizes past i32, non-finite, negative, fractional. */
export const HOSTILE_NUMBERS = [
  0, -0, 1, 2, 3, -1, -2, 0.5, 1.5, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 31), 1e308, -1e308,
  Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity, 46341, 65536, 1e9, -5,
];
const STRINGS = ['same', 'valid', 'floor', 'ceil', 'exact', 'mean', 'sum', 'none', '', 'x', '2', 'kaimingUniform', 'zeros'];

export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
export const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** One fuzz case's world: the tensors it made (to free afterwards) and its shared small dims. */
export class Case {
  readonly made: Tensor[] = [];
  readonly dims: number[];
  constructor(readonly r: Rand) {
    // n, c, h, w, o, k: small, sometimes 0 or 1
    this.dims = [int(r, 0, 3), int(r, 1, 4), int(r, 1, 7), int(r, 1, 7), int(r, 1, 4), int(r, 1, 3)];
    if (r() < 0.1) this.dims[int(r, 0, 5)] = 0;
  }

  tensor(shape: number[], dtype: FuzzDType = 'float32', finite = false): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = dtype === 'int32' ? new Int32Array(n) : dtype === 'int8' ? new Int8Array(n) : new Float32Array(n);
    const r = this.r;
    for (let i = 0; i < n; i++) data[i] = dtype === 'int32' ? int(r, -2, 20) : dtype === 'int8' ? int(r, -128, 127) : r() * 4 - 2;
    if (dtype === 'float32' && !finite && n > 0 && r() < 0.05) data[int(r, 0, n - 1)] = pick(r, [NaN, Infinity, -Infinity]);
    const t = Tensor.from(data, shape);
    this.made.push(t);
    return t;
  }

  /** A shape built from the case's dims (so tensors of one call tend to fit together). */
  coherentShape(): number[] {
    const [n, c, h, w, o, k] = this.dims;
    return pick(this.r, [
      [n, c, h, w], [n, c, h, w], [o, c, k, k], [c, c, k, k], [o, 1, k, k], [o], [c], [n, c], [n, o], [o, c], [c, o],
      [n, o, h, w], [n, c, h - k + 1 > 0 ? h - k + 1 : 1, w - k + 1 > 0 ? w - k + 1 : 1], [c, h, w], [n], [n, c, 1, 1],
      [n, o, 1, 1], [n, c * h * w], [n, c, Math.ceil(h / 2), Math.ceil(w / 2)], [n, c, Math.floor(h / 2), Math.floor(w / 2)],
    ]);
  }

  randomShape(): number[] {
    const rank = int(this.r, 0, 5);
    return Array.from({ length: rank }, () => (this.r() < 0.05 ? 0 : int(this.r, 1, 5)));
  }

  /** A tensor: coherent or random shape, sometimes int32 or int8, sometimes disposed. */
  anyTensor(): Tensor {
    const r = this.r;
    const shape = r() < 0.7 ? this.coherentShape() : this.randomShape();
    const d = r();
    const t = this.tensor(shape, d < 0.08 ? 'int32' : d < 0.16 ? 'int8' : 'float32');
    if (r() < 0.05) t.dispose();
    return t;
  }

  /** A small integer that is often valid: a case dim, 1, 2, 3, or -1. */
  smallInt(): number {
    return this.r() < 0.5 ? pick(this.r, this.dims.filter((d) => d > 0).concat([1])) : pick(this.r, [1, 1, 2, 3, 0, -1]);
  }

  number(): number {
    return this.r() < 0.6 ? this.smallInt() : pick(this.r, HOSTILE_NUMBERS);
  }

  /** An options object with random known and unknown keys and plausible or hostile values. */
  options(depth: number): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    const count = int(this.r, 0, 4);
    for (let i = 0; i < count; i++) {
      const key = this.r() < 0.93 ? pick(this.r, OPTION_KEYS.slice(0, -4)) : pick(this.r, OPTION_KEYS.slice(-4));
      o[key] = this.r() < 0.5 ? this.plausible(key) : this.value(depth + 1);
    }
    return o;
  }

  /** A value that fits key's meaning (mostly). */
  plausible(key: string): unknown {
    const r = this.r;
    switch (key) {
      case 'padding': return pick(r, [0, 1, [1, 0], [0, 1, 1, 0], 'same', 'valid', this.number()]);
      case 'stride': case 'dilation': case 'kernelSize': case 'groups': case 'size': case 'step': case 'seed':
        return r() < 0.3 ? [this.number(), this.number()] : this.number();
      case 'accumulateInto': case 'indices': case 'weightGradInto': case 'biasGradInto': case 'mask':
        return key === 'indices' && r() < 0.5 ? this.tensor(this.coherentShape(), 'int32') : this.anyTensor();
      case 'reduction': return pick(r, ['mean', 'sum', 'none']);
      case 'rounding': return pick(r, ['floor', 'ceil', 'exact']);
      case 'window': case 'lrnWindow': return [this.smallInt(), this.smallInt()];
      case 'name': return pick(r, ['a', '', 5]);
      case 'x': case 'y': case 'a': case 'b': case 'q': return this.qparams();
      case 'clamp': return pick(r, [{ min: 0 }, { min: 0, max: 6 }, { max: -1 }, { min: 6, max: 0 }, { min: NaN }, null, 0]);
      case 'zeroPoint': return pick(r, [0, -128, 127, 128, -129, 0.5, NaN]);
      case 'scale': return pick(r, [0.02, 1, 0, -1, NaN, Infinity, 1e-50, 1e300]);
      case 'weightInit': return pick(r, ['kaimingUniform', 'zeros', 'nope']);
      default:
        if (/Mode|Pad|Grad$|training|nesterov|decoupled|affine|bias|log|firstStep/.test(key)) return r() < 0.8 ? r() < 0.5 : 1;
        return pick(r, [0.1, 0.5, 0.9, 0.999, 1e-5, 0, 1, -1, NaN, 1e308]);
    }
  }

  /** A quantization { scale, zeroPoint }: mostly valid, sometimes hostile (scale 0, past f32, a fractional zero point). */
  qparams(): unknown {
    const r = this.r;
    if (r() < 0.1) return this.value(3);
    const scale = r() < 0.8 ? pick(r, [0.01, 0.05, 0.5, 1, 3]) : pick(r, [0, -1, NaN, Infinity, 1e-50, 1e300, 1e-30, 1e30, '1']);
    const zeroPoint = r() < 0.8 ? pick(r, [0, -128, 127, -3, 10]) : pick(r, [128, -129, 0.5, NaN, '0', undefined]);
    return { scale, zeroPoint };
  }

  /** Any value at all, hostile ones included. */
  value(depth = 0): unknown {
    const r = this.r;
    const x = r();
    if (x < 0.3) return this.anyTensor();
    if (x < 0.5) return this.number();
    if (x < 0.58) return pick(r, STRINGS);
    if (x < 0.66) return pick(r, [null, undefined, true, false]);
    if (x < 0.7) return pick(r, [Symbol('fuzz'), 10n, () => 1, new Date(0), new Map(), Object.create(null), new Float32Array(3)]);
    if (x < 0.82) {
      // arrays: a shape, tensors, or junk
      const kind = r();
      if (kind < 0.4) return r() < 0.7 ? this.coherentShape() : this.randomShape();
      if (kind < 0.7) return Array.from({ length: int(r, 0, 3) }, () => this.anyTensor());
      return depth > 1 ? [] : Array.from({ length: int(r, 0, 4) }, () => this.value(depth + 1));
    }
    return depth > 2 ? {} : this.options(depth);
  }
}

/** A seeded Rand for case i of a run (each case reproducible on its own). */
export function caseRand(seed: number, i: number): Rand {
  return rng((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(i, 0xc2b2ae35)) >>> 0);
}

/** Every Tensor inside a returned value (a tensor, arrays and plain objects of them). */
export function tensorsIn(v: unknown, out: Tensor[] = [], depth = 0): Tensor[] {
  if (v instanceof Tensor) out.push(v);
  else if (depth < 4 && Array.isArray(v)) for (const e of v) tensorsIn(e, out, depth + 1);
  else if (depth < 4 && v !== null && typeof v === 'object') for (const e of Object.values(v)) tensorsIn(e, out, depth + 1);
  return out;
}

/** Messages made of JavaScript's internals, not ours. */
export const INTERNALS = [
  /Cannot read propert/, /is not a function/, /is not iterable/, /Cannot convert/, /Cannot destructure/, /undefined is not/,
  /null is not/, /Maximum call stack/, /Invalid array length/, /out of bounds/, /Cannot mix BigInt/, /is not a constructor/,
  /Invalid typed array length/, /Array buffer allocation failed/, /unreachable/, /divide by zero/, /Cannot create property/,
  /toFixed\(\) digits/, /Invalid count value/, /has no properties/, /\[object Object\]/, /simdnet heap/,
];

/**
 * A call's arguments as data (tensors by shape, dtype and whether disposed), so that a call that
 * succeeded can be rebuilt in a later case and mutated: the fuzz then reaches the checks behind
 * the first ones (an option of 2^32 on otherwise valid tensors).
 */
export type FuzzDType = 'float32' | 'int32' | 'int8';

export type Spec =
  | { t: number[]; dtype: FuzzDType; disposed: boolean }
  | { a: Spec[] }
  | { o: [string, Spec][] }
  | { v: unknown };

export function specOf(v: unknown, depth = 0): Spec {
  if (v instanceof Tensor) return { t: v.shape.slice(), dtype: v.dtype, disposed: v.disposed };
  if (depth < 4 && Array.isArray(v)) return { a: v.map((e) => specOf(e, depth + 1)) };
  if (depth < 4 && v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return { o: Object.entries(v).map(([k, e]) => [k, specOf(e, depth + 1)]) };
  }
  return { v };
}

function countNodes(s: Spec): number {
  if ('a' in s) return 1 + s.a.reduce((n, e) => n + countNodes(e), 0);
  if ('o' in s) return 1 + s.o.reduce((n, [, e]) => n + countNodes(e), 0);
  return 1;
}

/** Rebuilds the arguments of `specs` in case c, with node number `target` (pre-order) mutated. */
export function rebuild(c: Case, specs: Spec[], target: number): unknown[] {
  let i = 0;
  const build = (s: Spec): unknown => {
    const mine = i++ === target;
    if (mine) return mutate(c, s);
    if ('t' in s) {
      const t = c.tensor(s.t, s.dtype);
      if (s.disposed) t.dispose();
      return t;
    }
    if ('a' in s) return s.a.map(build);
    if ('o' in s) return Object.fromEntries(s.o.map(([k, e]) => [k, build(e)]));
    return s.v;
  };
  return specs.map(build);
}

/** A random node number of specs. */
export function pickNode(c: Case, specs: Spec[]): number {
  return Math.floor(c.r() * specs.reduce((n, s) => n + countNodes(s), 0));
}

/** A neighbour of the value s describes: a nearby or hostile shape, number or option. */
function mutate(c: Case, s: Spec): unknown {
  const r = c.r;
  if ('t' in s) {
    const shape = s.t.slice();
    const x = r();
    if (x < 0.4 && shape.length > 0) shape[int(r, 0, shape.length - 1)] = pick(r, [0, 1, 2, 3, 5, 8, shape[0] + 1]);
    else if (x < 0.55) shape.splice(int(r, 0, shape.length), 0, int(r, 1, 3));
    else if (x < 0.65 && shape.length > 0) shape.splice(int(r, 0, shape.length - 1), 1);
    else if (x < 0.75) {
      const t = c.tensor(shape, s.dtype);
      t.dispose();
      return t;
    } else if (x < 0.85) return c.tensor(shape, pick(r, (['float32', 'int32', 'int8'] as const).filter((d) => d !== s.dtype)));
    else return c.value();
    return c.tensor(shape, s.dtype);
  }
  if ('o' in s) {
    const o = Object.fromEntries(s.o.map(([k, e]) => [k, rebuild(c, [e], -1)[0]]));
    const key = r() < 0.7 && s.o.length > 0 ? pick(r, s.o.map(([k]) => k)) : pick(r, OPTION_KEYS);
    o[key] = r() < 0.5 ? pick(r, HOSTILE_NUMBERS) : r() < 0.5 ? c.plausible(key) : c.value();
    return o;
  }
  if ('v' in s && typeof s.v === 'number') return r() < 0.7 ? pick(r, HOSTILE_NUMBERS) : c.value();
  return c.value();
}
