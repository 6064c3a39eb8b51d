import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, ready } from './helpers.js';
import { type MapOp, gradCheck, preparedInPlace, rejectsNonTensors, specials, sweep } from './map-check.js';
import { absRef, erfDerivRef, erfRef, expRef, negRef, reciprocalRef, sgnRef, sqrtRef } from './ref/unary.js';
import { prepareAbs, prepareErf, prepareExp, prepareNeg, prepareReciprocal, prepareSqrt } from '../src/ops/unary.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

const OPS: MapOp[] = [
  { name: 'sqrt', run: ops.sqrt, ref: sqrtRef, prepare: prepareSqrt, lo: 0.01, hi: 50,
    bwd: (d, _x, y) => ops.sqrtBackward(d, y), grad: (x) => 0.5 / Math.sqrt(x), rtol: 1e-6 },
  { name: 'exp', run: ops.exp, ref: expRef, prepare: prepareExp, lo: -20, hi: 20,
    bwd: (d, _x, y) => ops.expBackward(d, y), grad: expRef, rtol: 3e-7 },
  { name: 'neg', run: ops.neg, ref: negRef, prepare: prepareNeg, bwd: (d) => ops.negBackward(d), grad: () => -1, rtol: 0 },
  { name: 'reciprocal', run: ops.reciprocal, ref: reciprocalRef, prepare: prepareReciprocal, lo: 0.2, hi: 9,
    bwd: (d, _x, y) => ops.reciprocalBackward(d, y), grad: (x) => -1 / (x * x), rtol: 1e-6 },
  { name: 'abs', run: ops.abs, ref: absRef, prepare: prepareAbs, bwd: (d, x) => ops.absBackward(d, x), grad: sgnRef, rtol: 0 },
  { name: 'erf', run: ops.erf, ref: erfRef, prepare: prepareErf, lo: -5, hi: 5,
    bwd: (d, x) => ops.erfBackward(d, x), grad: erfDerivRef, atol: 1e-7, rtol: 3e-7 },
];

/** Distance in f32 units in the last place between the kernel's a and the f64 value b. */
function ulps(a: number, b: number): number {
  const f = Math.fround(b);
  if (a === f) return 0;
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, f);
  const bits = buf.getInt32(0);
  buf.setInt32(0, bits + 1);
  const next = Math.abs(buf.getFloat32(0) - f) || 1.4e-45;
  return Math.abs(a - b) / next;
}

describe('unary ops', () => {
  it('match the float64 reference for every size 0..40 and larger, shapes of rank 1–4', () => {
    for (const op of OPS) sweep(op);
  });

  it('handle special values as PyTorch', () => {
    const byName = Object.fromEntries(OPS.map((o) => [o.name, o]));
    specials(byName.sqrt, [0, -0, 4, -1, Infinity, -Infinity, NaN]);
    specials(byName.exp, [0, -0, 1, -1, 88.7, 89, -87.5, -100, -104, -200, Infinity, -Infinity, NaN, 1e-8]);
    specials(byName.neg, [0, -0, 1.5, Infinity, -Infinity, NaN]);
    specials(byName.reciprocal, [0, -0, 2, -4, Infinity, -Infinity, NaN]);
    specials(byName.abs, [0, -0, -1.5, Infinity, -Infinity, NaN]);
    specials(byName.erf, [0, -0, 1e-30, -1e-20, 0.5, 0.875, -0.875, 3.9, 4, 10, -10, Infinity, -Infinity, NaN]);
  });

  it('erf is within 2 ulp of the exact value over [−6, 6] (max error reported)', () => {
    const n = 200_001;
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = -6 + (12 * i) / (n - 1);
    // and the tiny range, where erf(x) ≈ 1.128x
    const tiny = Float32Array.from({ length: 2000 }, (_, i) => 1e-6 * (i - 1000));
    let worst = 0, at = 0;
    for (const set of [d, tiny]) {
      const x = Tensor.from(set), y = ops.erf(x), got = y.toFloat32Array();
      set.forEach((v, i) => {
        const u = ulps(got[i], erfRef(v));
        if (u > worst) { worst = u; at = v; }
      });
      x.dispose(); y.dispose();
    }
    console.log(`erf: max error ${worst.toFixed(2)} ulp (at x = ${at})`);
    expect(worst).toBeLessThan(2);
  });

  it('prepared forms run in place, bit-identical to the eager ops; bad arguments name the op', () => {
    for (const op of OPS) {
      preparedInPlace(op);
      rejectsNonTensors(op);
    }
  });

  it('backward matches the derivative and central differences of L = Σ y⊙r', () => {
    for (const op of OPS) gradCheck(op, op.name !== 'abs');
    const x = Tensor.from([-2, -0, 0, 3, NaN]), dy = Tensor.from([1, 1, 1, 1, 1]);
    const dx = ops.absBackward(dy, x);
    expect(Array.from(dx.toFloat32Array())).toEqual([-1, 0, 0, 1, 0]);
    const bad = Tensor.zeros([4]);
    expect(() => ops.expBackward(dy, bad)).toThrow(/expBackward: dy has shape \[5\] but y has shape \[4\]/);
    expect(() => ops.erfBackward(dy, 1 as never)).toThrow(/erfBackward: x must be a Tensor, got 1/);
    for (const t of [x, dy, dx, bad]) t.dispose();
  });
});
