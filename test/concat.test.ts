import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { concatBackwardRef, concatRef, flattenShapeRef } from './ref/concat.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

/** concat through the op vs the reference; copies must be exact. */
function check(shapes: number[][], axis: number, seed = 1): void {
  const data = shapes.map((s, i) => randArray(sizeOf(s), seed * 31 + i, -9, 9));
  const ts = shapes.map((s, i) => Tensor.from(data[i], s));
  const r = shapes[0].length;
  const ref = concatRef(shapes.map((s, i) => ({ data: data[i], shape: s })), axis < 0 ? axis + r : axis);
  const y = ops.concat(ts, axis);
  try {
    const what = `concat(${shapes.map((s) => `[${s}]`).join(', ')}, axis ${axis})`;
    expectCanariesIntact(what);
    expect(y.shape, what).toEqual(ref.shape);
    const got = y.toFloat32Array();
    for (let i = 0; i < ref.y.length; i++) {
      if (got[i] !== ref.y[i]) throw new Error(`${what}: first difference at flat ${i}: got ${got[i]}, expected ${ref.y[i]}`);
    }
    expect(got.length).toBe(ref.y.length);
  } finally {
    for (const t of ts) t.dispose();
    y.dispose();
  }
}

describe('concat', () => {
  it('every axis of rank-4 tensors, sizes along the axis 1..9 and 17 (every remainder mod 4)', () => {
    const baseShape = [2, 3, 4, 5];
    const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 17];
    for (let axis = 0; axis < 4; axis++) {
      for (let i = 0; i < sizes.length; i++) {
        const shapes = [sizes[i], sizes[(i + 3) % sizes.length], sizes[(i + 7) % sizes.length]].map((k) => {
          const s = baseShape.slice();
          s[axis] = k;
          return s;
        });
        check(shapes, axis, axis * 10 + i);
        check(shapes.slice(0, 2), axis - 4, axis * 10 + i + 100); // the same as a negative axis
      }
    }
  });

  it('NCHW channel concat with channel counts around tile edges and widths with every remainder mod 4', () => {
    for (const w of [1, 2, 3, 4, 5, 6, 7, 8, 13]) {
      check([[2, 1, 3, w], [2, 4, 3, w], [2, 7, 3, w], [2, 16, 3, w], [2, 17, 3, w]], 1, w);
    }
    check([[3, 5, 7, 9], [3, 5, 7, 9]], 1); // default-like use, two equal inputs
  });

  it('ranks 1–3, a single tensor, zero-size inputs, the default axis, the same tensor twice', () => {
    for (let n = 0; n <= 20; n++) check([[n], [n + 3], [1]], 0, n);
    check([[3, 5], [3, 2]], 1);
    check([[3, 5], [4, 5]], -2);
    check([[2, 3, 4], [2, 3, 1], [2, 3, 7]], 2);
    check([[2, 3, 4]], 1);
    check([[2, 0, 4], [2, 3, 4], [2, 0, 4]], 1);
    check([[0, 3], [0, 2]], 1);
    const a = Tensor.from(randArray(2 * 3 * 4, 5), [2, 3, 4]);
    const y = ops.concat([a, a]);
    expect(y.shape).toEqual([2, 6, 4]);
    const d = a.toFloat32Array(), g = y.toFloat32Array();
    expect(Array.from(g.subarray(0, 12))).toEqual(Array.from(d.subarray(0, 12)));
    expect(Array.from(g.subarray(12, 24))).toEqual(Array.from(d.subarray(0, 12)));
    expect(Array.from(g.subarray(24, 36))).toEqual(Array.from(d.subarray(12, 24)));
    a.dispose();
    y.dispose();
  });

  it('copies NaN and ±Infinity bit for bit', () => {
    const a = Tensor.from([NaN, Infinity, -0, 1, 2], [1, 5]), b = Tensor.from([-Infinity, 3], [1, 2]);
    const y = ops.concat([a, b], 1);
    const g = Array.from(y.toFloat32Array());
    expect(g[0]).toBeNaN();
    expect(g.slice(1)).toEqual([Infinity, -0, 1, 2, -Infinity, 3]);
    a.dispose(); b.dispose(); y.dispose();
  });

  it('rejects empty lists, non-tensors, disposed tensors, mismatched ranks and sizes, bad axes', () => {
    const a = Tensor.zeros([2, 3, 4, 5]), b = Tensor.zeros([2, 6, 4, 5]), c = Tensor.zeros([2, 3, 4]);
    const d = Tensor.zeros([2, 3, 5, 5]), s = Tensor.from([1], []);
    expect(() => ops.concat([])).toThrow(/concat: needs at least one tensor, got an empty list/);
    expect(() => ops.concat(a as never)).toThrow(/concat: tensors must be an array of Tensors, got a Tensor/);
    expect(() => ops.concat([a, 3 as never])).toThrow(/concat: tensors\[1\] must be a Tensor, got 3/);
    expect(() => ops.concat([a, b, c])).toThrow(/concat: tensors\[2\] has rank 3 \(shape \[2, 3, 4\]\) but tensors\[0\] has rank 4 \(shape \[2, 3, 4, 5\]\)/);
    expect(() => ops.concat([a, b, d], 1)).toThrow(/concat: tensors\[2\] has shape \[2, 3, 5, 5\] but tensors\[0\] has shape \[2, 3, 4, 5\]; they must match in every dimension except axis 1 \(dimension 2: 5 vs 4\)/);
    expect(() => ops.concat([a, b], 2)).toThrow(/concat: tensors\[1\] has shape \[2, 6, 4, 5\] but tensors\[0\] has shape \[2, 3, 4, 5\]; they must match in every dimension except axis 2 \(dimension 1: 6 vs 3\)/);
    expect(() => ops.concat([a, b], 4)).toThrow(/concat: axis 4 is out of range for shape \[2, 3, 4, 5\] \(rank 4; valid -4..3\)/);
    expect(() => ops.concat([a, b], -5)).toThrow(/concat: axis -5 is out of range/);
    expect(() => ops.concat([a, b], 1.5)).toThrow(/concat: axis must be an integer, got 1.5/);
    expect(() => ops.concat([s, s], 0)).toThrow(/concat: tensors\[0\] has shape \[\] \(rank 0\)/);
    b.dispose();
    expect(() => ops.concat([a, b])).toThrow(/concat: tensors\[1\] was disposed/);
    for (const t of [a, c, d, s]) t.dispose();
  });
});

describe('flatten', () => {
  it('merges startDim..endDim like PyTorch, as an exact copy', () => {
    const cases: [number[], number, number][] = [
      [[2, 3, 4, 5], 1, -1], [[2, 3, 4, 5], 0, -1], [[2, 3, 4, 5], 1, 2], [[2, 3, 4, 5], 2, 2], [[2, 3, 4, 5], -3, -2],
      [[2, 3, 4, 5], 0, 0], [[2, 3, 4, 5], 3, 3], [[7], 0, 0], [[7], -1, -1], [[3, 5], 1, 1], [[3, 5], 0, 1],
      [[2, 3, 5], 1, -1], [[4, 0, 3], 1, -1], [[], 0, -1], [[], -1, 0], [[1, 1, 1, 1], 1, 2], [[2, 17, 3, 3], 1, -1],
    ];
    for (const [shape, s, e] of cases) {
      const d = randArray(sizeOf(shape), sizeOf(shape) + s);
      const x = Tensor.from(d, shape);
      const y = ops.flatten(x, s, e);
      expectCanariesIntact(`flatten [${shape}] ${s} ${e}`);
      expect(y.shape, `flatten [${shape}] ${s} ${e}`).toEqual(flattenShapeRef(shape, s, e));
      expect(Array.from(y.toFloat32Array())).toEqual(Array.from(d));
      expect(y.ptr).not.toBe(x.ptr);
      x.dispose();
      y.dispose();
    }
    for (const n of [0, 1, 3, 4, 5, 15, 16, 17, 63, 64, 65]) {
      const d = randArray(2 * n, n);
      const x = Tensor.from(d, [2, n, 1]);
      const y = ops.flatten(x);
      expect(y.shape).toEqual([2, n]);
      expect(Array.from(y.toFloat32Array())).toEqual(Array.from(d));
      expectCanariesIntact('flatten');
      x.dispose();
      y.dispose();
    }
  });

  it('rejects bad dims, reversed dims, non-tensors and disposed tensors', () => {
    const x = Tensor.zeros([2, 3, 4, 5]);
    expect(() => ops.flatten(x, 2, 1)).toThrow(/flatten: startDim 2 \(dimension 2\) comes after endDim 1 \(dimension 1\) for shape \[2, 3, 4, 5\]/);
    expect(() => ops.flatten(x, -1, 1)).toThrow(/flatten: startDim -1 \(dimension 3\) comes after endDim 1/);
    expect(() => ops.flatten(x, 4)).toThrow(/flatten: startDim 4 is out of range for shape \[2, 3, 4, 5\] \(rank 4; valid -4..3\)/);
    expect(() => ops.flatten(x, 0, -5)).toThrow(/flatten: endDim -5 is out of range/);
    expect(() => ops.flatten(x, 0.5)).toThrow(/flatten: startDim must be an integer, got 0.5/);
    const v = Tensor.zeros([4]);
    expect(() => ops.flatten(v)).toThrow(/flatten: startDim 1 is out of range for shape \[4\] \(rank 1; valid -1..0\)/);
    expect(() => ops.flatten('x' as never)).toThrow(/flatten: x must be a Tensor, got "x"/);
    x.dispose();
    v.dispose();
    expect(() => ops.flatten(x)).toThrow(/flatten: x was disposed/);
  });
});

describe('concatBackward', () => {
  /** Splits dy through the op and compares every piece with the reference, exactly. */
  function split(shapes: number[][], axis: number, seed = 1): void {
    const r = shapes[0].length;
    const ax = axis < 0 ? axis + r : axis;
    const out = shapes[0].slice();
    out[ax] = shapes.reduce((s, x) => s + x[ax], 0);
    const dy = randArray(sizeOf(out), seed, -3, 3);
    const t = Tensor.from(dy, out);
    const xs = ops.concatBackward(t, shapes, axis);
    const what = `concatBackward(${shapes.map((s) => `[${s}]`).join(', ')}, axis ${axis})`;
    try {
      expectCanariesIntact(what);
      const ref = concatBackwardRef(dy, shapes, ax);
      expect(xs.length).toBe(shapes.length);
      xs.forEach((x, i) => {
        expect(x.shape, what).toEqual(shapes[i]);
        expect(Array.from(x.toFloat32Array()), `${what} piece ${i}`).toEqual(Array.from(ref[i]));
      });
    } finally {
      t.dispose();
      for (const x of xs) x.dispose();
    }
  }

  it('splits along every axis, sizes along the axis with every remainder mod 4, channel counts around tile edges', () => {
    const sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 17];
    for (let axis = 0; axis < 4; axis++) {
      for (let i = 0; i < sizes.length; i++) {
        const shapes = [sizes[i], sizes[(i + 3) % sizes.length], sizes[(i + 7) % sizes.length]].map((k) => {
          const s = [2, 3, 4, 5];
          s[axis] = k;
          return s;
        });
        split(shapes, axis, axis * 10 + i);
        split(shapes.slice(0, 2), axis - 4, axis * 10 + i + 100);
      }
    }
    for (const w of [1, 2, 3, 4, 5, 7, 13]) split([[2, 1, 3, w], [2, 4, 3, w], [2, 7, 3, w], [2, 16, 3, w], [2, 17, 3, w]], 1, w);
    split([[2, 3, 4]], 1);
    split([[2, 0, 4], [2, 3, 4], [2, 0, 4]], 1);
    split([[0, 3], [0, 2]], 1);
    for (let n = 0; n <= 9; n++) split([[n], [n + 3], [1]], 0, n);
  });

  it('matches central differences of L = Σ concat(xs)⊙r for each input', () => {
    const shapes = [[2, 3, 2, 3], [2, 5, 2, 3]];
    const data = shapes.map((s, i) => randArray(sizeOf(s), i + 1));
    const r = randArray(2 * 8 * 2 * 3, 9);
    const dy = Tensor.from(r, [2, 8, 2, 3]);
    const grads = ops.concatBackward(dy, shapes);
    shapes.forEach((shape, k) => {
      fdCheck({
        x: data[k], shape, r, analytic: grads[k].toFloat32Array(), what: `concat input ${k}`,
        forward: (xp) => {
          const ts = shapes.map((s, i) => Tensor.from(i === k ? xp : data[i], s));
          const y = ops.concat(ts);
          const o = y.toFloat32Array();
          for (const t of [...ts, y]) t.dispose();
          return o;
        },
      });
    });
    for (const t of [dy, ...grads]) t.dispose();
  });

  it('rejects a dy of the wrong shape, bad shape lists and axes', () => {
    const dy = Tensor.zeros([2, 7, 4]);
    expect(() => ops.concatBackward(dy, [[2, 3, 4], [2, 3, 4]])).toThrow(/concatBackward: dy has shape \[2, 7, 4\] but the concat of shapes along axis 1 has shape \[2, 6, 4\]; they must match/);
    expect(() => ops.concatBackward(dy, [[2, 3, 4], [2, 4, 5]])).toThrow(/concatBackward: shapes\[1\] is \[2, 4, 5\] but shapes\[0\] is \[2, 3, 4\]; they must match in every dimension except axis 1 \(dimension 2: 5 vs 4\)/);
    expect(() => ops.concatBackward(dy, [[2, 3, 4], [2, 4]])).toThrow(/concatBackward: shapes\[1\] \[2, 4\] has rank 2 but shapes\[0\] \[2, 3, 4\] has rank 3/);
    expect(() => ops.concatBackward(dy, [])).toThrow(/concatBackward: shapes needs at least one shape, got an empty list/);
    expect(() => ops.concatBackward(dy, [[2, 3, 4], 4] as never)).toThrow(/concatBackward: shapes\[1\] must be an array of non-negative integers, got 4/);
    expect(() => ops.concatBackward(dy, [[2, 3.5, 4]])).toThrow(/concatBackward: shapes\[0\]: shape \[2, 3.5, 4\] has dimension 1 = 3.5/);
    expect(() => ops.concatBackward(dy, [[2, 3, 4], [2, 4, 4]], 3)).toThrow(/concatBackward: axis 3 is out of range for shape \[2, 3, 4\] \(rank 3; valid -3..2\)/);
    expect(() => ops.concatBackward(dy, [[]])).toThrow(/concatBackward: shapes\[0\] is \[\] \(rank 0\)/);
    expect(() => ops.concatBackward(dy, 'x' as never)).toThrow(/concatBackward: shapes must be an array of shapes/);
    dy.dispose();
    expect(() => ops.concatBackward(dy, [[2, 7, 4]])).toThrow(/concatBackward: dy was disposed/);
  });
});

describe('flattenBackward', () => {
  it('copies dy into the input shape for every flatten of it', () => {
    const cases: [number[], number, number][] = [
      [[2, 3, 4, 5], 1, -1], [[2, 3, 4, 5], 0, -1], [[2, 3, 4, 5], 1, 2], [[2, 3, 4, 5], 2, 2], [[7], 0, 0],
      [[3, 5], 0, 1], [[4, 0, 3], 1, -1], [[], 0, -1], [[1, 1, 1, 1], 1, 2], [[2, 17, 3, 3], 1, -1],
    ];
    for (const [shape, s, e] of cases) {
      const d = randArray(sizeOf(shape), sizeOf(shape) + 1);
      const dy = Tensor.from(d, flattenShapeRef(shape, s, e));
      const dx = ops.flattenBackward(dy, shape);
      expectCanariesIntact(`flattenBackward [${shape}]`);
      expect(dx.shape).toEqual(shape);
      expect(dx.ptr).not.toBe(dy.ptr);
      expect(Array.from(dx.toFloat32Array())).toEqual(Array.from(d));
      dy.dispose();
      dx.dispose();
    }
  });

  it('rejects a dy that no flatten of xShape gives, bad shapes and non-tensors', () => {
    const dy = Tensor.zeros([2, 60]);
    expect(() => ops.flattenBackward(dy, [2, 3, 4, 6])).toThrow(/flattenBackward: dy has shape \[2, 60\], which no flatten of x \[2, 3, 4, 6\] gives \(flatten\(x, 1, -1\) gives \[2, 72\]\)/);
    expect(() => ops.flattenBackward(dy, [4, 30])).toThrow(/flattenBackward: dy has shape \[2, 60\], which no flatten of x \[4, 30\] gives/);
    expect(() => ops.flattenBackward(dy, [2, -3, 4, 5])).toThrow(/flattenBackward: xShape: shape \[2, -3, 4, 5\] has dimension 1 = -3/);
    expect(() => ops.flattenBackward(dy, 'x' as never)).toThrow(/flattenBackward: xShape must be an array of non-negative integers, got "x"/);
    expect(() => ops.flattenBackward(null as never, [2])).toThrow(/flattenBackward: dy must be a Tensor, got null/);
    dy.dispose();
  });
});
