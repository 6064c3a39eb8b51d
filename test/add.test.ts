import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, randArray, ready, sizeOf } from './helpers.js';
import { addRef } from './ref/add.js';

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
