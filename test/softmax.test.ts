import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { softmaxBackwardRef, softmaxRef } from './ref/softmax.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

const FNS = [
  { name: 'softmax', run: ops.softmax, log: false },
  { name: 'logSoftmax', run: ops.logSoftmax, log: true },
] as const;

/** Runs fn on data of shape along axis; checks shape and canaries; returns y's data. */
function apply(fn: (x: Tensor, axis?: number) => Tensor, data: Float32Array, shape: number[], axis?: number): Float32Array {
  const x = Tensor.from(data, shape);
  const y = axis === undefined ? fn(x) : fn(x, axis);
  try {
    expectCanariesIntact(`[${shape}] axis ${axis}`);
    expect(y.shape).toEqual(shape);
    expect(Array.from(x.toFloat32Array())).toEqual(Array.from(data));
    return y.toFloat32Array();
  } finally {
    x.dispose();
    y.dispose();
  }
}

/** Sums of softmax output along axis (float64), one per slice. */
function sliceSums(y: Float32Array, shape: number[], axis: number): number[] {
  let outer = 1, inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const c = shape[axis];
  const sums: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let s = 0;
      for (let k = 0; k < c; k++) s += y[(o * c + k) * inner + j];
      sums.push(s);
    }
  }
  return sums;
}

describe('softmax / logSoftmax', () => {
  it('last axis: every row length 1..70 and larger, several rows, rows sum to 1', () => {
    const lens = [...Array.from({ length: 70 }, (_, i) => i + 1), 100, 257, 1000, 4099];
    for (const f of FNS) {
      for (const n of lens) {
        for (const rows of [1, 3]) {
          const shape = [rows, n];
          const d = randArray(rows * n, n * 3 + rows, -8, 8);
          const y = apply(f.run, d, shape);
          expectClose(y, softmaxRef(d, shape, 1, f.log), shape, `${f.name} [${shape}]`);
          if (!f.log) for (const s of sliceSums(y, shape, 1)) expect(Math.abs(s - 1), `row sum of [${shape}]`).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('every axis (positive and negative) of rank-4 tensors, inner sizes with every remainder mod 4 and 16', () => {
    const shapes = [[2, 3, 4, 5], [3, 5, 7, 9], [2, 17, 3, 6], [1, 4, 1, 1], [2, 1, 3, 3], [4, 9, 1, 2], [2, 2, 2, 19]];
    for (const f of FNS) {
      for (const shape of shapes) {
        const d = randArray(sizeOf(shape), shape[1] * 7 + shape[3], -6, 6);
        for (let axis = -4; axis < 4; axis++) {
          const ax = axis < 0 ? axis + 4 : axis;
          const y = apply(f.run, d, shape, axis);
          expectClose(y, softmaxRef(d, shape, ax, f.log), shape, `${f.name} [${shape}] axis ${axis}`);
          if (!f.log) for (const s of sliceSums(y, shape, ax)) expect(Math.abs(s - 1)).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('an inner axis with every inner size 1..40 and channel counts 1..17 (the strided kernel and its tails)', () => {
    for (const f of FNS) {
      for (let inner = 1; inner <= 40; inner++) {
        for (const c of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17]) {
          const shape = [2, c, inner];
          const d = randArray(sizeOf(shape), inner * 31 + c, -5, 5);
          expectClose(apply(f.run, d, shape, 1), softmaxRef(d, shape, 1, f.log), shape, `${f.name} [${shape}] axis 1`);
        }
      }
    }
  });

  it('ranks 0–3 and empty tensors', () => {
    const cases: [number[], number][] = [[[7], 0], [[7], -1], [[5, 6], 0], [[3, 4, 5], 1], [[3, 4, 5], 0], [[0, 5], 1], [[5, 0], 0], [[2, 0, 3], 2]];
    for (const f of FNS) {
      for (const [shape, axis] of cases) {
        const d = randArray(sizeOf(shape), 5);
        const ax = axis < 0 ? axis + shape.length : axis;
        expectClose(apply(f.run, d, shape, axis), softmaxRef(d, shape, ax, f.log), shape, `${f.name} [${shape}] axis ${axis}`);
      }
      for (const axis of [0, -1]) {
        const x = Tensor.from([3.5], []);
        const y = f.run(x, axis);
        expect(y.shape).toEqual([]);
        expect(y.toArray()).toBe(f.log ? 0 : 1);
        x.dispose();
        y.dispose();
      }
    }
  });

  it('large logits give exact 0/1 without NaN, and logSoftmax stays finite', () => {
    const rows = [
      [1e4, -1e4, 0],
      [-1e4, 1e4, 0, 5, 1e4 - 200],
      [1e30, -1e30, 3e38],
      [-1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -1e4],
      [0, -200, -1e4, 88, -88, 100],
    ];
    for (const r of rows) {
      for (const n of [r.length, r.length + 16]) {
        const d = new Float32Array(n).fill(-3e38);
        d.set(r);
        const s = apply(ops.softmax, d, [n]);
        const l = apply(ops.logSoftmax, d, [n]);
        const ref = softmaxRef(d, [n], 0, false), lref = softmaxRef(d, [n], 0, true);
        for (let i = 0; i < n; i++) {
          expect(Number.isNaN(s[i]) || Number.isNaN(l[i]), `NaN at ${i} of [${r}]`).toBe(false);
          if (ref[i] === 0 || ref[i] === 1) expect(s[i], `softmax[${i}] of [${r}]`).toBe(ref[i]);
          expect(Number.isFinite(l[i]) || !Number.isFinite(Math.fround(lref[i])), `logSoftmax[${i}] = ${l[i]} of [${r}]`).toBe(true);
        }
        expectClose(s, ref, [n], `softmax [${r}]`);
        // rounded to f32: a true value beyond the f32 range is −Infinity there too
        expectClose(l, Float32Array.from(lref), [n], `logSoftmax [${r}]`, 1e-5, 1e-6);
      }
    }
    const big = apply(ops.softmax, new Float32Array([1e4, -1e4]), [2]);
    expect(Array.from(big)).toEqual([1, 0]);
    const half = apply(ops.softmax, new Float32Array([1e4, 1e4]), [2]);
    expect(Array.from(half)).toEqual([0.5, 0.5]);
    const lfin = apply(ops.logSoftmax, new Float32Array([0, -200, -1e4]), [3]);
    expect(Array.from(lfin)).toEqual([0, -200, -1e4]);
    // the same along an inner axis (strided kernel): [1, 3, 5] with logits along axis 1
    const d = new Float32Array([1e4, 0, -1e4, 7, 1, -1e4, 1e4, 0, 7, 2, 0, 0, 1e4, 7, 3]);
    const s = apply(ops.softmax, d, [1, 3, 5], 1);
    const col = (y: Float32Array, j: number) => [y[j], y[5 + j], y[10 + j]];
    expect(col(s, 0)).toEqual([1, 0, 0]);
    expect(col(s, 1)).toEqual([0, 1, 0]);
    expect(col(s, 2)).toEqual([0, 0, 1]);
    const l = apply(ops.logSoftmax, d, [1, 3, 5], 1);
    expect(col(l, 0)).toEqual([0, -2e4, -1e4]);
    expect(col(l, 2)).toEqual([-2e4, -1e4, 0]);
    expect(l.every(Number.isFinite)).toBe(true);
  });

  it('NaN spreads through its slice only; −Infinity entries give 0 (log: −Infinity); +Infinity gives NaN', () => {
    for (const [shape, axis] of [[[3, 6], 1], [[3, 6, 5], 1]] as [number[], number][]) {
      const d = randArray(sizeOf(shape), 1);
      const inner = shape.length === 3 ? shape[2] : 1;
      d[(0 * shape[1] + 2) * inner] = NaN; // slice 0
      d[(1 * shape[1] + 4) * inner] = -Infinity; // slice 1
      d[(2 * shape[1] + 1) * inner] = Infinity; // slice 2
      for (const f of FNS) {
        const y = apply(f.run, d, shape, axis);
        const ref = softmaxRef(d, shape, axis, f.log);
        expectClose(y, ref, shape, `${f.name} [${shape}] specials`);
        for (let k = 0; k < shape[1]; k++) {
          expect(y[(0 * shape[1] + k) * inner]).toBeNaN();
          expect(y[(2 * shape[1] + k) * inner]).toBeNaN();
        }
        expect(y[(1 * shape[1] + 4) * inner]).toBe(f.log ? -Infinity : 0);
        if (inner > 1) expect(Number.isNaN(y[1])).toBe(false); // neighbouring slice untouched
      }
    }
  });

  it('reject bad axes, non-tensors and disposed tensors with specific messages', () => {
    const x = Tensor.zeros([2, 3, 4, 5]);
    for (const f of FNS) {
      expect(() => f.run(x, 4)).toThrow(new RegExp(`${f.name}: axis 4 is out of range for x of shape \\[2, 3, 4, 5\\] \\(rank 4; valid axes -4..3\\)`));
      expect(() => f.run(x, -5)).toThrow(new RegExp(`${f.name}: axis -5 is out of range`));
      expect(() => f.run(x, 1.5)).toThrow(new RegExp(`${f.name}: axis must be an integer, got 1.5`));
      expect(() => f.run(x, NaN)).toThrow(new RegExp(`${f.name}: axis must be an integer, got NaN`));
      expect(() => f.run(x, '1' as never)).toThrow(new RegExp(`${f.name}: axis must be an integer, got "1"`));
      expect(() => f.run(null as never)).toThrow(new RegExp(`${f.name}: x must be a Tensor, got null`));
      expect(() => f.run({ shape: [2] } as never)).toThrow(new RegExp(`${f.name}: x must be a Tensor, got an object`));
    }
    const s = Tensor.from([1], []);
    expect(() => ops.softmax(s, 1)).toThrow(/softmax: axis 1 is out of range for x of shape \[\] \(rank 0; valid axes -1..0\)/);
    s.dispose();
    x.dispose();
    for (const f of FNS) expect(() => f.run(x)).toThrow(new RegExp(`${f.name}: x was disposed`));
  });
});

describe('softmaxBackward / logSoftmaxBackward', () => {
  const BWD = [
    { name: 'softmaxBackward', fwd: ops.softmax, bwd: ops.softmaxBackward, log: false },
    { name: 'logSoftmaxBackward', fwd: ops.logSoftmax, bwd: ops.logSoftmaxBackward, log: true },
  ] as const;

  /** Forward then backward along axis; returns dx and y; checks shape and canaries. */
  function both(f: (typeof BWD)[number], x: Float32Array, dy: Float32Array, shape: number[], axis: number): { dx: Float32Array; y: Float32Array } {
    const xt = Tensor.from(x, shape), dyt = Tensor.from(dy, shape);
    const y = f.fwd(xt, axis);
    const dx = f.bwd(dyt, y, axis);
    try {
      expectCanariesIntact(`${f.name} [${shape}] axis ${axis}`);
      expect(dx.shape).toEqual(shape);
      return { dx: dx.toFloat32Array(), y: y.toFloat32Array() };
    } finally {
      for (const t of [xt, dyt, y, dx]) t.dispose();
    }
  }

  it('match central differences along every axis of rank-4 tensors (row and strided kernels)', () => {
    const shapes = [[2, 3, 4, 5], [2, 5, 3, 7], [1, 17, 2, 3], [3, 2, 1, 18]];
    for (const f of BWD) {
      for (const shape of shapes) {
        for (let axis = -1; axis < 4; axis++) {
          const x = randArray(sizeOf(shape), shape[1] * 13 + axis + 7, -3, 3);
          const r = randArray(sizeOf(shape), shape[3] + axis + 50);
          const { dx } = both(f, x, r, shape, axis);
          fdCheck({
            x, shape, r, analytic: dx, eps: 1e-2, samples: 40, what: `${f.name} [${shape}] axis ${axis}`,
            forward: (xp) => {
              const t = Tensor.from(xp, shape);
              const y = f.fwd(t, axis);
              const out = y.toFloat32Array();
              t.dispose();
              y.dispose();
              return out;
            },
          });
        }
      }
    }
  });

  it('match the Jacobian reference: rows of length 1..40 and larger, inner sizes 1..21 × channels 1..17', () => {
    for (const f of BWD) {
      for (const n of [...Array.from({ length: 40 }, (_, i) => i + 1), 64, 100, 257]) {
        const shape = [3, n];
        const x = randArray(3 * n, n, -6, 6), dy = randArray(3 * n, n + 1);
        const { dx, y } = both(f, x, dy, shape, 1);
        expectClose(dx, softmaxBackwardRef(dy, y, shape, 1, f.log), shape, `${f.name} [${shape}]`);
      }
      for (let inner = 1; inner <= 21; inner++) {
        for (const c of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17]) {
          const shape = [2, c, inner];
          const x = randArray(sizeOf(shape), inner * 7 + c, -5, 5), dy = randArray(sizeOf(shape), inner + c * 3);
          const { dx, y } = both(f, x, dy, shape, 1);
          expectClose(dx, softmaxBackwardRef(dy, y, shape, 1, f.log), shape, `${f.name} [${shape}] axis 1`);
        }
      }
    }
  });

  it('large logits and −Infinity entries give finite gradients; ranks 0–1 and empty tensors work', () => {
    for (const f of BWD) {
      for (const [x, shape, axis] of [
        [[1e4, -1e4, 0, 3, -2], [5], 0],
        [[1e4, 0, -1e4, -Infinity, 7, 1, 1e4, 0, 7, 2, 0, 0, 1e4, 7, 3], [1, 5, 3], 1],
        [[-1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -1e4], [7], -1],
      ] as [number[], number[], number][]) {
        const dy = randArray(x.length, 4);
        const { dx, y } = both(f, Float32Array.from(x), dy, shape, axis);
        expect(dx.every(Number.isFinite), `${f.name} [${x}]`).toBe(true);
        expectClose(dx, softmaxBackwardRef(dy, y, shape, axis < 0 ? axis + shape.length : axis, f.log), shape, `${f.name} large`);
      }
      const s = both(f, new Float32Array([2]), new Float32Array([3]), [], 0);
      expect(Array.from(s.dx)).toEqual([0]); // a single-element slice has a constant output
      expect(both(f, new Float32Array(0), new Float32Array(0), [2, 0, 3], 1).dx.length).toBe(0);
    }
  });

  it('reject mismatched shapes, bad axes, non-tensors and disposed tensors', () => {
    const a = Tensor.zeros([2, 3]), b = Tensor.zeros([3, 2]);
    for (const f of BWD) {
      expect(() => f.bwd(a, b)).toThrow(new RegExp(`${f.name}: dy has shape \\[2, 3\\] but y has shape \\[3, 2\\]`));
      expect(() => f.bwd(a, a, 2)).toThrow(new RegExp(`${f.name}: axis 2 is out of range for x of shape \\[2, 3\\]`));
      expect(() => f.bwd(a, a, 0.5)).toThrow(new RegExp(`${f.name}: axis must be an integer, got 0.5`));
      expect(() => f.bwd(a, 'y' as never)).toThrow(new RegExp(`${f.name}: y must be a Tensor, got "y"`));
    }
    b.dispose();
    expect(() => ops.softmaxBackward(b, a)).toThrow(/softmaxBackward: dy was disposed/);
    a.dispose();
  });
});
