// Shared checks of the elementwise map ops (unary, clip, gated): a sweep over every size 0..40
// and larger (all remainders mod 4 and 8) and shapes of rank 1–4 against a float64 reference,
// special values, the prepared form run in place, the backward against its reference
// derivative, and central differences of L = Σ y⊙r.
import { expect } from 'vitest';
import { Tensor } from '../src/index.js';
import type { Prepared } from '../src/ops/prepared.js';
import { expectCanariesIntact, expectClose, fdCheck, randArray, sizeOf } from './helpers.js';

export interface MapOp {
  name: string;
  run: (x: Tensor) => Tensor;
  ref: (x: number) => number;
  prepare: (shape: number[]) => Prepared;
  /** dx from dy and the forward input x (and output y, for ops saving it). */
  bwd?: (dy: Tensor, x: Tensor, y: Tensor) => Tensor;
  /** dy/dx at x. */
  grad?: (x: number) => number;
  lo?: number;
  hi?: number;
  atol?: number;
  rtol?: number;
  /** Points where the derivative jumps: the central differences keep 3·eps away from them. */
  kinks?: number[];
}

export const SIZES = [...Array.from({ length: 41 }, (_, i) => i), 63, 64, 65, 100, 1000, 4099];
export const SHAPES = [[5], [3, 7], [2, 3, 5], [2, 3, 4, 5], [1, 1, 1, 1], [2, 17, 3, 3], [0], [2, 0, 3]];

function apply(op: MapOp, data: Float32Array, shape: number[]): Float32Array {
  const x = Tensor.from(data, shape);
  const y = op.run(x);
  try {
    expectCanariesIntact(`${op.name} [${shape}]`);
    expect(y.shape).toEqual(shape);
    expect(Array.from(x.toFloat32Array())).toEqual(Array.from(data));
    return y.toFloat32Array();
  } finally {
    x.dispose();
    y.dispose();
  }
}

export function sweep(op: MapOp): void {
  const lo = op.lo ?? -8, hi = op.hi ?? 8;
  const check = (d: Float32Array, s: number[]) =>
    expectClose(apply(op, d, s), Array.from(d, op.ref), s, `${op.name} [${s}]`, op.atol, op.rtol);
  for (const n of SIZES) check(randArray(n, n + 5, lo, hi), [n]);
  for (const s of SHAPES) check(randArray(sizeOf(s), 3, lo, hi), s);
}

/** Exact comparison on special values (NaN matches NaN; the sign of zero checked). */
export function specials(op: MapOp, values: number[], expected?: number[]): void {
  const d = Float32Array.from(values);
  const got = apply(op, d, [d.length]);
  const want = expected ?? Array.from(d, (v) => Math.fround(op.ref(v)));
  want.forEach((w, i) => {
    const g = got[i];
    const ok = Number.isNaN(w) ? Number.isNaN(g) : Object.is(g, w) || (w !== 0 && Math.abs(g - w) <= (op.rtol ?? 1e-6) * Math.abs(w));
    if (!ok) throw new Error(`${op.name}(${d[i]}): got ${g}, expected ${w}`);
  });
}

/** The prepared form, run twice in place (out === x), equals the eager op bit for bit. */
export function preparedInPlace(op: MapOp, shape = [2, 3, 7]): void {
  const p = op.prepare(shape);
  try {
    for (const seed of [1, 2]) {
      const d = randArray(sizeOf(shape), seed, op.lo ?? -8, op.hi ?? 8);
      const x = Tensor.from(d, shape), e = op.run(x);
      p.run([x.ptr], x.ptr, 0);
      expectCanariesIntact(`${op.name} in place`);
      expect(Array.from(x.toFloat32Array()), `${op.name} in place`).toEqual(Array.from(e.toFloat32Array()));
      x.dispose(); e.dispose();
    }
  } finally {
    p.dispose();
  }
}

function backward(op: MapOp, x: Float32Array, dy: Float32Array, shape: number[]): Float32Array {
  const tx = Tensor.from(x, shape), td = Tensor.from(dy, shape), y = op.run(tx);
  const dx = op.bwd!(td, tx, y);
  try {
    expectCanariesIntact(`${op.name} backward`);
    expect(dx.shape).toEqual(shape);
    return dx.toFloat32Array();
  } finally {
    for (const t of [tx, td, y, dx]) t.dispose();
  }
}

/** dx against dy·f'(x) over the size sweep, and central differences of L = Σ y⊙r. */
export function gradCheck(op: MapOp, fd = true): void {
  const lo = op.lo ?? -8, hi = op.hi ?? 8;
  for (const n of [...SIZES.slice(0, 20), 100]) {
    const x = randArray(n, n + 11, lo, hi), dy = randArray(n, n + 12, -2, 2);
    const want = Array.from(x, (v, i) => dy[i] * op.grad!(v));
    expectClose(backward(op, x, dy, [n]), want, [n], `${op.name} backward n=${n}`, 1e-5, 1e-4);
  }
  if (!fd) return;
  const shape = [2, 3, 9];
  // keep clear of kinks: the central difference straddles them
  const x = randArray(sizeOf(shape), 21, lo, hi), r = randArray(sizeOf(shape), 22);
  for (let i = 0; i < x.length; i++) if ((op.kinks ?? []).some((k) => Math.abs(x[i] - k) < 0.03)) x[i] += 0.06;
  const run = (xp: Float32Array) => {
    const t = Tensor.from(xp, shape), y = op.run(t), o = y.toFloat32Array();
    t.dispose(); y.dispose();
    return o;
  };
  fdCheck({ x, shape, r, analytic: backward(op, x, r, shape), forward: run, eps: 1e-2, what: `${op.name} backward` });
}

/** Every op's errors: a non-tensor x names the op and the argument. */
export function rejectsNonTensors(op: MapOp): void {
  expect(() => op.run(3 as never)).toThrow(new RegExp(`${op.name}: x must be a Tensor, got 3`));
  expect(() => op.prepare('x' as never)).toThrow(new RegExp(`${op.name}: xShape must be an array`));
}
