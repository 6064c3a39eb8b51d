import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, ready } from './helpers.js';
import { type MapOp, gradCheck, preparedInPlace, rejectsNonTensors, specials, sweep } from './map-check.js';
import { clipGradRef, clipRef, hardSigmoidGradRef, hardSigmoidRef, hardSwishGradRef, hardSwishRef, hardtanhGradRef } from './ref/clip.js';
import { prepareClip, prepareHardSigmoid, prepareHardSwish, prepareRelu6 } from '../src/ops/clip.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

const OPS: MapOp[] = [
  { name: 'clip', run: (x) => ops.clip(x, -1.5, 2.25), ref: (v) => clipRef(v, -1.5, 2.25), prepare: (s) => prepareClip(s, -1.5, 2.25),
    bwd: (d, x) => ops.clipBackward(d, x, -1.5, 2.25), grad: (v) => clipGradRef(v, -1.5, 2.25), kinks: [-1.5, 2.25] },
  { name: 'clip', run: (x) => ops.clip(x, null, 0.5), ref: (v) => clipRef(v, -Infinity, 0.5), prepare: (s) => prepareClip(s, undefined, 0.5),
    bwd: (d, x) => ops.clipBackward(d, x, null, 0.5), grad: (v) => clipGradRef(v, -Infinity, 0.5), kinks: [0.5] },
  { name: 'clip', run: (x) => ops.clip(x, -0.5), ref: (v) => clipRef(v, -0.5, Infinity), prepare: (s) => prepareClip(s, -0.5),
    bwd: (d, x) => ops.clipBackward(d, x, -0.5), grad: (v) => clipGradRef(v, -0.5, Infinity), kinks: [-0.5] },
  { name: 'relu6', run: ops.relu6, ref: (v) => clipRef(v, 0, 6), prepare: prepareRelu6,
    bwd: (d, x) => ops.relu6Backward(d, x), grad: (v) => hardtanhGradRef(v, 0, 6), kinks: [0, 6] },
  { name: 'hardSigmoid', run: (x) => ops.hardSigmoid(x), ref: (v) => hardSigmoidRef(v, 1 / 6, 0.5), prepare: (s) => prepareHardSigmoid(s),
    bwd: (d, x) => ops.hardSigmoidBackward(d, x), grad: (v) => hardSigmoidGradRef(v, 1 / 6, 0.5), kinks: [-3, 3] },
  { name: 'hardSigmoid', run: (x) => ops.hardSigmoid(x, 0.2, 0.5), ref: (v) => hardSigmoidRef(v, Math.fround(0.2), 0.5),
    prepare: (s) => prepareHardSigmoid(s, 0.2, 0.5), bwd: (d, x) => ops.hardSigmoidBackward(d, x, 0.2, 0.5),
    grad: (v) => hardSigmoidGradRef(v, Math.fround(0.2), 0.5), kinks: [-2.5, 2.5] },
  { name: 'hardSwish', run: ops.hardSwish, ref: hardSwishRef, prepare: prepareHardSwish,
    bwd: (d, x) => ops.hardSwishBackward(d, x), grad: hardSwishGradRef, kinks: [-3, 3] },
];

describe('clip family', () => {
  it('matches the float64 reference for every size 0..40 and larger, shapes of rank 1–4', () => {
    for (const op of OPS) sweep(op);
  });

  it('special values and kinks: NaN propagates, ±∞ clip, min > max gives max', () => {
    for (const op of OPS) specials(op, [NaN, Infinity, -Infinity, 0, -0, -3, 3, 6, -1.5, 2.25, 1e30]);
    const x = Tensor.from([-1, 0, 5, NaN]);
    const y = ops.clip(x, 2, 1);
    expect(Array.from(y.toFloat32Array()).slice(0, 3)).toEqual([1, 1, 1]);
    expect(y.toFloat32Array()[3]).toBeNaN();
    x.dispose(); y.dispose();
  });

  it('backward passes the gradient at the kinks as PyTorch: clamp inclusive, relu6 strict, hardswish at ±3', () => {
    const x = Tensor.from([0, 6, -3, 3, NaN, 2.9, -3.1]), dy = Tensor.from([1, 1, 1, 1, 1, 1, 1]);
    const got = (t: Tensor) => { const a = Array.from(t.toFloat32Array()); t.dispose(); return a; };
    expect(got(ops.clipBackward(dy, x, 0, 6))).toEqual([1, 1, 0, 1, 0, 1, 0]);
    expect(got(ops.relu6Backward(dy, x))).toEqual([0, 0, 0, 1, 1, 1, 0]);
    expect(got(ops.hardSigmoidBackward(dy, x))).toEqual([1, 0, 0, 0, 0, 1, 0].map((v) => Math.fround(v / 6)));
    expect(got(ops.hardSwishBackward(dy, x))).toEqual([0.5, 1, -0.5, 1.5, 1, 2.9 / 3 + 0.5, 0].map(Math.fround));
    x.dispose(); dy.dispose();
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
    expect(() => ops.clip(x, NaN)).toThrow(/clip: min must be a number, null or undefined, got NaN/);
    expect(() => ops.clip(x, 0, '1' as never)).toThrow(/clip: max must be a number, null or undefined/);
    expect(() => ops.hardSigmoid(x, Infinity)).toThrow(/hardSigmoid: alpha must be a finite number, got Infinity/);
    x.dispose();
  });
});
