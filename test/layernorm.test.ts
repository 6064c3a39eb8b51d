import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { layerNormRef, slicesOf } from './ref/layernorm.js';
import { prepareLayerNorm } from '../src/ops/layernorm.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

interface Case { shape: number[]; norm: number[] | null } // norm null: channels-first

function run(c: Case, d: Float32Array, w: Float32Array | null, b: Float32Array | null, eps: number): Float32Array {
  const pShape = c.norm ?? [c.shape[1]];
  const x = Tensor.from(d, c.shape);
  const wt = w ? Tensor.from(w, pShape) : null, bt = b ? Tensor.from(b, pShape) : null;
  const y = c.norm ? ops.layerNorm(x, c.norm, wt, bt, eps) : ops.layerNorm2d(x, wt, bt, eps);
  try {
    expectCanariesIntact(`[${c.shape}]`);
    expect(y.shape).toEqual(c.shape);
    return y.toFloat32Array();
  } finally {
    for (const t of [x, wt, bt, y]) t?.dispose();
  }
}

const CASES: Case[] = [];
for (let n = 1; n <= 20; n++) CASES.push({ shape: [3, n], norm: [n] });
for (const n of [31, 64, 67, 768]) CASES.push({ shape: [2, n], norm: [n] });
CASES.push({ shape: [2, 3, 5], norm: [3, 5] }, { shape: [2, 3, 4, 7], norm: [7] }, { shape: [2, 3, 4, 7], norm: [4, 7] }, { shape: [2, 3, 4, 7], norm: [3, 4, 7] }, { shape: [9], norm: [9] });
for (const c of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17]) for (const hw of [[1, 1], [1, 3], [2, 2], [3, 3], [1, 5], [2, 3], [4, 5]]) CASES.push({ shape: [2, c, ...hw], norm: null });
CASES.push({ shape: [3, 5], norm: null }, { shape: [2, 6, 7], norm: null }, { shape: [2, 5, 4, 4], norm: null }, { shape: [2, 3, 5, 7], norm: null }, { shape: [1, 17, 6, 6], norm: null });

describe('layerNorm / layerNorm2d', () => {
  it('every normalised size 1..20 and larger, channels-first over C with every H·W remainder, with and without weight/bias', () => {
    for (const c of CASES) {
      const n = sizeOf(c.norm ?? [c.shape[1]]);
      const d = randArray(sizeOf(c.shape), sizeOf(c.shape) + n, -3, 5);
      const w = randArray(n, 3, 0.5, 1.5), b = randArray(n, 4);
      const sl = slicesOf(c.shape, n, c.norm === null);
      const what = `${c.norm ? 'layerNorm' : 'layerNorm2d'} [${c.shape}]`;
      expectClose(run(c, d, w, b, 1e-5), layerNormRef(d, sl, w, b, 1e-5), c.shape, `${what} affine`, 1e-4);
      expectClose(run(c, d, null, null, 1e-6), layerNormRef(d, sl, null, null, 1e-6), c.shape, `${what} plain`, 1e-4);
    }
  });

  it('a large common offset (two-pass variance) stays accurate', () => {
    const d = randArray(2 * 100, 5, -1, 1).map((v) => v + 1000);
    const c = { shape: [2, 100], norm: [100] };
    expectClose(run(c, d, null, null, 1e-5), layerNormRef(d, slicesOf(c.shape, 100, false), null, null, 1e-5), c.shape, 'offset', 3e-3, 3e-3);
  });

  it('Train returns the statistics; prepared equals eager and sees later weight changes', () => {
    const d = randArray(2 * 3 * 5, 6);
    const x = Tensor.from(d, [2, 3, 5]);
    const r = ops.layerNormTrain(x, [5]);
    expect(r.mean.shape).toEqual([2, 3, 1]);
    expect(r.invStd.shape).toEqual([2, 3, 1]);
    const r2 = ops.layerNorm2dTrain(x);
    expect(r2.mean.shape).toEqual([2, 1, 5]);
    const w = Tensor.full([5], 2);
    const p = prepareLayerNorm([2, 3, 5], 5, w, null);
    const y = Tensor.empty(p.outShape);
    p.run([x.ptr], y.ptr, 0);
    expectClose(y.toFloat32Array(), Array.from(r.output.toFloat32Array(), (v) => 2 * v), [2, 3, 5], 'prepared');
    p.dispose();
    for (const t of [x, r.output, r.mean, r.invStd, r2.output, r2.mean, r2.invStd, w, y]) t.dispose();
  });

  it('messages name the op, the argument and the shapes', () => {
    const x = Tensor.zeros([2, 3, 4]);
    const w = Tensor.zeros([3]);
    expect(() => ops.layerNorm(x, [3])).toThrow(/layerNorm: normalizedShape \[3\] must match the last 1 dims of x, got x of shape \[2, 3, 4\]/);
    expect(() => ops.layerNorm(x, 4, w)).toThrow(/layerNorm: weight must have shape \[4\]/);
    expect(() => ops.layerNorm(x, [])).toThrow(/layerNorm: normalizedShape must be a positive integer or a non-empty array/);
    expect(() => ops.layerNorm(x, 4, null, null, -1)).toThrow(/layerNorm: eps must be in/);
    const w4 = Tensor.zeros([4]);
    expect(() => ops.layerNorm2d(x, w4)).toThrow(/layerNorm2d: weight must have shape \[3\]/);
    w4.dispose();
    expect(() => ops.layerNorm2dBackward(x, x, null, w, w)).toThrow(/layerNorm2dBackward: mean must have shape \[2, 1, 4\]/);
    x.dispose();
    w.dispose();
  });
});

describe('layerNorm backward', () => {
  const cases: Case[] = [
    { shape: [3, 5], norm: [5] }, { shape: [2, 8], norm: [8] }, { shape: [2, 3, 7], norm: [3, 7] }, { shape: [4, 1], norm: [1] },
    { shape: [2, 3, 2, 3], norm: null }, { shape: [2, 5, 7], norm: null }, { shape: [1, 4, 3, 3], norm: null }, { shape: [3, 9], norm: null }, { shape: [2, 3, 19], norm: null },
  ];
  it('dx, dWeight, dBias against central differences of L = Σ y⊙r (float64 loss), with and without weight', () => {
    for (const c of cases) {
      const pShape = c.norm ?? [c.shape[1]];
      const n = sizeOf(pShape);
      const d = randArray(sizeOf(c.shape), sizeOf(c.shape) * 3, -2, 2);
      const w = randArray(n, 11, 0.5, 1.5), b = randArray(n, 12);
      const r = randArray(sizeOf(c.shape), 13);
      for (const affine of [true, false]) {
        const x = Tensor.from(d, c.shape), dy = Tensor.from(r, c.shape);
        const wt = affine ? Tensor.from(w, pShape) : null, bt = affine ? Tensor.from(b, pShape) : null;
        const tr = c.norm ? ops.layerNormTrain(x, c.norm, wt, bt) : ops.layerNorm2dTrain(x, wt, bt);
        const g = c.norm ? ops.layerNormBackward(dy, x, c.norm, wt, tr.mean, tr.invStd) : ops.layerNorm2dBackward(dy, x, wt, tr.mean, tr.invStd);
        const what = `${c.norm ? 'layerNorm' : 'layerNorm2d'}Backward [${c.shape}] affine ${affine}`;
        fdCheck({ x: d, shape: c.shape, r, analytic: g.dx.toFloat32Array(), what: `${what} dx`, eps: 1e-3, forward: (xp) => run(c, xp, affine ? w : null, affine ? b : null, 1e-5) });
        if (affine) {
          fdCheck({ x: w, shape: pShape, r, analytic: g.dWeight!.toFloat32Array(), what: `${what} dWeight`, eps: 1e-3, forward: (wp) => run(c, d, wp, b, 1e-5) });
          fdCheck({ x: b, shape: pShape, r, analytic: g.dBias!.toFloat32Array(), what: `${what} dBias`, eps: 1e-3, forward: (bp) => run(c, d, w, bp, 1e-5) });
          // accumulation into given buffers
          const into = { weightGradInto: Tensor.full(pShape, 1), biasGradInto: Tensor.full(pShape, 1) };
          const g2 = c.norm ? ops.layerNormBackward(dy, x, c.norm, wt, tr.mean, tr.invStd, into) : ops.layerNorm2dBackward(dy, x, wt, tr.mean, tr.invStd, into);
          expect(g2.dWeight).toBe(into.weightGradInto);
          expectClose(g2.dWeight!.toFloat32Array(), Array.from(g.dWeight!.toFloat32Array(), (v) => v + 1), pShape, `${what} into`);
          expectClose(g2.dBias!.toFloat32Array(), Array.from(g.dBias!.toFloat32Array(), (v) => v + 1), pShape, `${what} into`);
          g2.dx.dispose();
          into.weightGradInto.dispose();
          into.biasGradInto.dispose();
        } else {
          expect(g.dWeight).toBeNull();
          expect(g.dBias).toBeNull();
        }
        for (const t of [x, dy, wt, bt, tr.output, tr.mean, tr.invStd, g.dx, g.dWeight, g.dBias]) t?.dispose();
      }
    }
  });
});
