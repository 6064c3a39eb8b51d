import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, ready } from './helpers.js';
import { type MapOp, gradCheck, preparedInPlace, rejectsNonTensors, specials, sweep } from './map-check.js';
import { geluGradRef, geluRef, geluTanhGradRef, geluTanhRef, mishGradRef, mishRef, siluGradRef, siluRef } from './ref/gated.js';
import { prepareGelu, prepareMish, prepareSilu } from '../src/ops/gated.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

const OPS: MapOp[] = [
  { name: 'silu', run: ops.silu, ref: siluRef, prepare: prepareSilu, bwd: (d, x) => ops.siluBackward(d, x), grad: siluGradRef },
  { name: 'gelu', run: (x) => ops.gelu(x), ref: geluRef, prepare: (s) => prepareGelu(s), bwd: (d, x) => ops.geluBackward(d, x), grad: geluGradRef },
  { name: 'gelu', run: (x) => ops.gelu(x, { approximate: 'tanh' }), ref: geluTanhRef, prepare: (s) => prepareGelu(s, { approximate: 'tanh' }),
    bwd: (d, x) => ops.geluBackward(d, x, { approximate: 'tanh' }), grad: geluTanhGradRef },
  { name: 'mish', run: ops.mish, ref: mishRef, prepare: prepareMish, bwd: (d, x) => ops.mishBackward(d, x), grad: mishGradRef },
];

describe('gated activations', () => {
  it('match the float64 reference for every size 0..40 and larger, shapes of rank 1–4', () => {
    for (const op of OPS) sweep(op);
  });

  it('special values: NaN propagates, +∞ → +∞, ±0 kept, far left tiny', () => {
    for (const op of OPS) specials({ ...op, rtol: 1e-5 }, [NaN, Infinity, 0, -0, 20, -20, 1e-20]);
  });

  it('gelu stays accurate relative to itself down to x = −13 (max error reported)', () => {
    const n = 100_001;
    const d = Float32Array.from({ length: n }, (_, i) => -13 + (21 * i) / (n - 1));
    const x = Tensor.from(d), y = ops.gelu(x), got = y.toFloat32Array();
    let worst = 0, at = 0;
    d.forEach((v, i) => {
      const r = geluRef(v);
      if (Math.abs(r) < 1e-37) return;
      const e = Math.abs(got[i] - r) / Math.abs(r);
      if (e > worst) { worst = e; at = v; }
    });
    console.log(`gelu: max relative error ${worst.toExponential(2)} (at x = ${at})`);
    expect(worst).toBeLessThan(1e-6);
    x.dispose(); y.dispose();
  });

  it('backward matches the derivative and central differences of L = Σ y⊙r; prepared forms run in place', () => {
    for (const op of OPS) {
      gradCheck(op);
      preparedInPlace(op);
    }
  });

  it('rejects bad arguments naming the op and argument', () => {
    for (const op of OPS) rejectsNonTensors(op);
    const x = Tensor.zeros([3]);
    expect(() => ops.gelu(x, { approximate: 'erf' as never })).toThrow(/gelu: approximate must be 'none' or 'tanh', got 'erf'|gelu: approximate must be 'none' or 'tanh', got "erf"|gelu: approximate must be 'none' or 'tanh'/);
    expect(() => ops.gelu(x, { approx: 'tanh' } as never)).toThrow(/gelu: unknown option 'approx'/);
    expect(() => ops.geluBackward(x, x, { approximate: 1 as never })).toThrow(/geluBackward: approximate must be/);
    x.dispose();
  });
});
