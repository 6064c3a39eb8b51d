import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { addRef, broadcastShapeRef, mulRef, reduceGradRef } from './ref/add.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

/** a + b through the op, compared with the reference (both orders: the op may swap operands). */
function check(as: number[], bs: number[], seed = 1): void {
  const a = randArray(sizeOf(as), seed, -4, 4), b = randArray(sizeOf(bs), seed + 1000, -4, 4);
  const ref = addRef(a, as, b, bs);
  for (const [x, xs, y, ys] of [[a, as, b, bs], [b, bs, a, as]] as const) {
    const tx = Tensor.from(x, xs), ty = Tensor.from(y, ys);
    const out = ops.add(tx, ty);
    try {
      const what = `[${xs}] + [${ys}]`;
      expectCanariesIntact(what);
      expect(out.shape, what).toEqual(ref.shape);
      // sums of f32 values are correctly rounded: compare exactly with the f32-rounded reference
      expect(Array.from(out.toFloat32Array()), what).toEqual(Array.from(Float32Array.from(ref.y)));
      expectClose(out.toFloat32Array(), ref.y, ref.shape, what);
      expect(Array.from(tx.toFloat32Array())).toEqual(Array.from(x));
    } finally {
      tx.dispose(); ty.dispose(); out.dispose();
    }
  }
}

describe('add', () => {
  it('equal shapes: every size 0..70 and larger, ranks 1–4', () => {
    for (let n = 0; n <= 70; n++) check([n], [n], n);
    for (const n of [100, 1000, 4099]) check([n], [n], n);
    for (const s of [[3, 7], [2, 3, 5], [2, 3, 4, 5], [1, 1, 1, 1], [2, 0, 3]]) check(s, s, 3);
  });

  it('per-channel broadcast [N, C, H, W] + [1, C, 1, 1] / [C, 1, 1] for channel and width sweeps', () => {
    for (const c of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17]) {
      for (const w of [1, 2, 3, 4, 5, 6, 7, 8, 13, 16, 19]) {
        check([2, c, 3, w], [1, c, 1, 1], c * 100 + w);
        check([2, c, w, 2], [c, 1, 1], c * 100 + w);
      }
    }
  });

  it('row broadcast [N, F] + [F] and [N, C, H, W] + [W] for every F 0..20 and larger', () => {
    for (let f = 0; f <= 20; f++) check([3, f], [f], f);
    for (const f of [33, 64, 100]) check([5, f], [f], f);
    for (const w of [1, 3, 4, 5, 17]) check([2, 3, 4, w], [w], w);
    check([2, 3, 4, 5], [1, 1, 4, 5]);
    check([2, 3, 4, 5], [3, 4, 5]);
  });

  it('scalars and other broadcasts (general strided path)', () => {
    const cases: [number[], number[]][] = [
      [[2, 3, 4, 5], [1]], [[2, 3, 4, 5], []], [[7], []], [[], []], [[1, 1], [1]], [[1], [5, 1, 1]],
      [[3, 1], [1, 4]], [[5, 1], [1, 3]], [[2, 1, 4], [3, 1]], [[2, 3, 4, 5], [2, 3, 1, 1]],
      [[2, 3, 4, 5], [2, 1, 4, 1]], [[2, 1, 4, 1], [1, 3, 1, 5]], [[5, 1, 3], [1, 6, 1]], [[2, 3, 1, 5], [3, 4, 1]],
      [[2, 3, 4, 5], [2, 1, 1, 5]], [[2, 3, 4, 5], [1, 3, 1, 5]], [[4, 1, 6], [4, 7, 6]], [[3, 1, 17], [1, 9, 1]],
      [[0, 3], [3]], [[2, 0], [1]], [[0], [1, 1]], [[2, 1], [2, 0]], [[1, 7, 1, 9], [6, 1, 5, 1]],
    ];
    for (const [a, b] of cases) check(a, b, a.length * 10 + b.length);
  });

  it('adds a tensor to itself, and special values follow IEEE', () => {
    const t = Tensor.from([1, -2, 3, 0.5, 7]);
    const y = ops.add(t, t);
    expect(Array.from(y.toFloat32Array())).toEqual([2, -4, 6, 1, 14]);
    const s = Tensor.from([Infinity, -Infinity, NaN, 3e38, -0, 1]);
    const u = Tensor.from([-Infinity, -Infinity, 1, 3e38, -0, -1]);
    const z = ops.add(s, u);
    expectCanariesIntact('specials');
    const r = Array.from(z.toFloat32Array());
    expect(r[0]).toBeNaN();
    expect(r.slice(1)).toEqual([-Infinity, NaN, Infinity, -0, 0]);
    for (const x of [t, y, s, u, z]) x.dispose();
  });

  it('rejects shapes that do not broadcast, non-tensors and disposed tensors', () => {
    const a = Tensor.zeros([2, 3]), b = Tensor.zeros([4]), c = Tensor.zeros([2, 3, 4, 5]), d = Tensor.zeros([5, 4]), e = Tensor.zeros([1, 4, 1, 1]);
    expect(() => ops.add(a, b)).toThrow(/add: shapes \[2, 3\] and \[4\] do not broadcast: dimension 1 of a is 3 but dimension 0 of b is 4/);
    expect(() => ops.add(c, d)).toThrow(/add: shapes \[2, 3, 4, 5\] and \[5, 4\] do not broadcast: dimension 2 of a is 4 but dimension 0 of b is 5/);
    expect(() => ops.add(c, e)).toThrow(/add: shapes \[2, 3, 4, 5\] and \[1, 4, 1, 1\] do not broadcast: dimension 1 of a is 3 but dimension 1 of b is 4/);
    expect(() => ops.add(a, 1 as never)).toThrow(/add: b must be a Tensor, got 1/);
    expect(() => ops.add(undefined as never, a)).toThrow(/add: a must be a Tensor, got undefined/);
    b.dispose();
    expect(() => ops.add(a, b)).toThrow(/add: b was disposed/);
    expect(() => ops.add(b, a)).toThrow(/add: a was disposed/);
    a.dispose(); c.dispose(); d.dispose(); e.dispose();
  });
});

/** Pairs of shapes covering every kernel layout: same, per-channel, row, scalar, general strided. */
const PAIRS: [number[], number[]][] = [
  [[5], [5]], [[17], [17]], [[2, 3, 4, 5], [2, 3, 4, 5]], [[0, 3], [0, 3]],
  [[2, 3, 4, 5], [1, 3, 1, 1]], [[2, 16, 3, 7], [16, 1, 1]], [[3, 17, 2, 2], [1, 17, 1, 1]], [[4, 9, 5], [9, 1]],
  [[3, 5], [5]], [[5, 17], [17]], [[2, 3, 4, 5], [5]], [[2, 3, 4, 5], [3, 4, 5]], [[6, 1], [6, 1]],
  [[2, 3, 4, 5], [1]], [[2, 3, 4, 5], []], [[7], []], [[], []], [[1, 1], [1]], [[1], [5, 1, 1]],
  [[3, 1], [1, 4]], [[2, 1, 4], [3, 1]], [[2, 3, 4, 5], [2, 3, 1, 1]], [[2, 3, 4, 5], [2, 1, 4, 1]],
  [[2, 1, 4, 1], [1, 3, 1, 5]], [[5, 1, 3], [1, 6, 1]], [[2, 3, 1, 5], [3, 4, 1]], [[2, 3, 4, 5], [1, 3, 1, 5]],
  [[3, 1, 17], [1, 9, 1]], [[1, 7, 1, 9], [6, 1, 5, 1]], [[0, 3], [3]], [[2, 0], [1]], [[2, 1], [2, 0]],
];

describe('mul', () => {
  it('matches the reference exactly (products of f32 are correctly rounded), in both operand orders', () => {
    for (const [as, bs] of PAIRS) {
      const a = randArray(sizeOf(as), as.length + 3, -4, 4), b = randArray(sizeOf(bs), bs.length + 9, -4, 4);
      const ref = mulRef(a, as, b, bs);
      for (const [x, xs, y, ys] of [[a, as, b, bs], [b, bs, a, as]] as const) {
        const tx = Tensor.from(x, xs), ty = Tensor.from(y, ys);
        const out = ops.mul(tx, ty);
        const what = `[${xs}] · [${ys}]`;
        expectCanariesIntact(what);
        expect(out.shape, what).toEqual(ref.shape);
        expect(Array.from(out.toFloat32Array()), what).toEqual(Array.from(Float32Array.from(ref.y)));
        for (const t of [tx, ty, out]) t.dispose();
      }
    }
    for (let n = 0; n <= 20; n++) {
      const a = randArray(n, n), b = randArray(n, n + 1);
      const ta = Tensor.from(a, [n]), tb = Tensor.from(b, [n]), y = ops.mul(ta, tb);
      expect(Array.from(y.toFloat32Array())).toEqual(Array.from(a, (v, i) => Math.fround(v * b[i])));
      for (const t of [ta, tb, y]) t.dispose();
    }
  });

  it('rejects shapes that do not broadcast and non-tensors', () => {
    const a = Tensor.zeros([2, 3]), b = Tensor.zeros([4]);
    expect(() => ops.mul(a, b)).toThrow(/mul: shapes \[2, 3\] and \[4\] do not broadcast/);
    expect(() => ops.mul(a, 2 as never)).toThrow(/mul: b must be a Tensor, got 2/);
    a.dispose(); b.dispose();
  });
});

describe('scale and accumulate', () => {
  it('scale multiplies by an f32 scalar exactly, for every size 0..40; rejects non-finite factors', () => {
    for (let n = 0; n <= 40; n++) {
      for (const s of [0.5, -3, 1 / 3, 0]) {
        const d = randArray(n, n + 2, -5, 5);
        const x = Tensor.from(d, [n]), y = ops.scale(x, s);
        expectCanariesIntact(`scale n=${n}`);
        expect(Array.from(y.toFloat32Array())).toEqual(Array.from(d, (v) => Math.fround(v * Math.fround(s))));
        x.dispose(); y.dispose();
      }
    }
    const x = Tensor.zeros([2, 3]);
    const y = ops.scale(x, 2);
    expect(y.shape).toEqual([2, 3]);
    expect(y.ptr).not.toBe(x.ptr);
    expect(() => ops.scale(x, NaN)).toThrow(/scale: s must be a finite number, got NaN/);
    expect(() => ops.scale(x, Infinity)).toThrow(/scale: s must be a finite number, got Infinity/);
    expect(() => ops.scale(1 as never, 2)).toThrow(/scale: x must be a Tensor, got 1/);
    x.dispose(); y.dispose();
  });

  it('accumulate adds into target in place, returns target, and takes the target itself', () => {
    for (let n = 0; n <= 40; n++) {
      const a = randArray(n, n + 4), b = randArray(n, n + 5);
      const t = Tensor.from(a, [1, n]), x = Tensor.from(b, [1, n]);
      const r = ops.accumulate(t, x);
      expectCanariesIntact(`accumulate n=${n}`);
      expect(r).toBe(t);
      expect(Array.from(t.toFloat32Array())).toEqual(Array.from(a, (v, i) => Math.fround(v + b[i])));
      expect(Array.from(x.toFloat32Array())).toEqual(Array.from(b));
      ops.accumulate(t, t);
      expect(Array.from(t.toFloat32Array())).toEqual(Array.from(a, (v, i) => 2 * Math.fround(v + b[i])));
      t.dispose(); x.dispose();
    }
    const a = Tensor.zeros([2, 3]), b = Tensor.zeros([3, 2]);
    expect(() => ops.accumulate(a, b)).toThrow(/accumulate: target has shape \[2, 3\] but x has shape \[3, 2\]; they must match/);
    expect(() => ops.accumulate(a, null as never)).toThrow(/accumulate: x must be a Tensor, got null/);
    b.dispose();
    expect(() => ops.accumulate(b, a)).toThrow(/accumulate: target was disposed/);
    a.dispose();
  });
});

describe('addBackward', () => {
  function grads(dy: Float32Array, as: number[], bs: number[]): [Float32Array, Float32Array] {
    const out = broadcastShapeRef(as, bs)!;
    const t = Tensor.from(dy, out);
    const [da, db] = ops.addBackward(t, as, bs);
    try {
      expectCanariesIntact(`addBackward [${as}] [${bs}]`);
      expect(da.shape).toEqual(as);
      expect(db.shape).toEqual(bs);
      expect(da.ptr).not.toBe(t.ptr);
      return [da.toFloat32Array(), db.toFloat32Array()];
    } finally {
      for (const x of [t, da, db]) x.dispose();
    }
  }

  it('sums dy over each operand\'s broadcast dims for every layout, in both operand orders', () => {
    const pairs: [number[], number[]][] = [...PAIRS];
    for (const c of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17]) {
      for (const w of [1, 2, 3, 5, 8, 13]) pairs.push([[2, c, 3, w], [1, c, 1, 1]], [[3, w], [w]], [[2, c, w], [c, w]]);
    }
    for (const f of [0, 1, 4, 16, 17, 33, 100]) pairs.push([[5, f], [f]], [[5, f], [1, f]]);
    for (const [as, bs] of pairs) {
      const out = broadcastShapeRef(as, bs)!;
      const dy = randArray(sizeOf(out), sizeOf(out) + as.length, -2, 2);
      for (const [xs, ys] of [[as, bs], [bs, as]]) {
        const [da, db] = grads(dy, xs, ys);
        expectClose(da, reduceGradRef(dy, out, xs), xs, `da of [${xs}] + [${ys}]`);
        expectClose(db, reduceGradRef(dy, out, ys), ys, `db of [${xs}] + [${ys}]`);
      }
    }
  });

  it('large bias reductions stay accurate ([8, 16, 28, 28] + [1, 16, 1, 1], [512, 300] + [300])', () => {
    for (const [as, bs] of [[[8, 16, 28, 28], [1, 16, 1, 1]], [[512, 300], [300]], [[4, 3, 50, 50], [1]]] as [number[], number[]][]) {
      const out = broadcastShapeRef(as, bs)!;
      const dy = randArray(sizeOf(out), 77, -1, 1.5);
      const [da, db] = grads(dy, as, bs);
      expect(Array.from(da)).toEqual(Array.from(dy));
      expectClose(db, reduceGradRef(dy, out, bs), bs, `db of [${as}] + [${bs}]`);
    }
  });

  it('matches central differences of L = Σ add(a, b)⊙r with respect to a and to b', () => {
    for (const [as, bs] of [[[2, 3, 4, 5], [1, 3, 1, 1]], [[3, 7], [7]], [[3, 1], [1, 4]], [[2, 1, 4, 1], [1, 3, 1, 5]]] as [number[], number[]][]) {
      const out = broadcastShapeRef(as, bs)!;
      const a = randArray(sizeOf(as), 1), b = randArray(sizeOf(bs), 2), r = randArray(sizeOf(out), 3);
      const [da, db] = grads(r, as, bs);
      const run = (x: Float32Array, xs: number[], y: Float32Array, ys: number[]) => {
        const tx = Tensor.from(x, xs), ty = Tensor.from(y, ys), z = ops.add(tx, ty);
        const o = z.toFloat32Array();
        for (const t of [tx, ty, z]) t.dispose();
        return o;
      };
      fdCheck({ x: a, shape: as, r, analytic: da, what: `da [${as}] + [${bs}]`, forward: (ap) => run(ap, as, b, bs) });
      fdCheck({ x: b, shape: bs, r, analytic: db, what: `db [${as}] + [${bs}]`, forward: (bp) => run(a, as, bp, bs) });
    }
  });

  it('rejects a dy of the wrong shape, shapes that do not broadcast, bad shapes and non-tensors', () => {
    const dy = Tensor.zeros([2, 3, 4]);
    expect(() => ops.addBackward(dy, [2, 3, 4], [4, 1, 1, 1])).toThrow(/addBackward: dy has shape \[2, 3, 4\] but add of a \[2, 3, 4\] and b \[4, 1, 1, 1\] gives \[4, 2, 3, 4\]; they must match/);
    expect(() => ops.addBackward(dy, [2, 3, 1], [5])).toThrow(/addBackward: dy has shape \[2, 3, 4\] but add of a \[2, 3, 1\] and b \[5\] gives \[2, 3, 5\]/);
    expect(() => ops.addBackward(dy, [2, 3, 4], [3])).toThrow(/addBackward: shapes \[2, 3, 4\] and \[3\] do not broadcast/);
    expect(() => ops.addBackward(dy, [2, -3, 4], [4])).toThrow(/addBackward: aShape: shape \[2, -3, 4\] has dimension 1 = -3/);
    expect(() => ops.addBackward(dy, [2, 3, 4], 4 as never)).toThrow(/addBackward: bShape must be an array of non-negative integers, got 4/);
    expect(() => ops.addBackward([1] as never, [1], [1])).toThrow(/addBackward: dy must be a Tensor/);
    dy.dispose();
    expect(() => ops.addBackward(dy, [2, 3, 4], [4])).toThrow(/addBackward: dy was disposed/);
  });
});
