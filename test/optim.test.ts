import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, randArray, ready } from './helpers.js';
import { adamRef, sgdRef, type AdamRefOptions, type SgdRefOptions } from './ref/optim.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

// every remainder mod 4 and mod 8 (the main loop takes 8), and larger spans
const SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 15, 16, 17, 33, 100];
const STEPS = 5;

describe('sgdUpdate', () => {
  const combos: SgdRefOptions[] = [];
  for (const momentum of [0, 0.9]) {
    for (const dampening of [0, 0.25]) {
      for (const weightDecay of [0, 0.05]) {
        for (const nesterov of [false, true]) {
          if (nesterov && (momentum === 0 || dampening !== 0)) continue;
          if (momentum === 0 && dampening !== 0) continue;
          combos.push({ lr: 0.1, momentum, dampening, weightDecay, nesterov });
        }
      }
    }
  }

  it('follows PyTorch\'s SGD over several steps for every option combination and size', () => {
    for (const o of combos) {
      for (const n of SIZES) {
        const what = `SGD ${JSON.stringify(o)} n=${n}`;
        const p0 = randArray(n, n, -1, 1);
        const p = Tensor.from(p0, [n]);
        const buf = o.momentum !== 0 ? Tensor.zeros([n]) : null;
        const refP = Float64Array.from(p0);
        let refBuf: Float64Array | null = null;
        for (let s = 0; s < STEPS; s++) {
          const gd = randArray(n, n * 31 + s, -2, 2);
          const g = Tensor.from(gd, [n]);
          const r = ops.sgdUpdate(p, g, buf, { ...o, firstStep: s === 0 });
          expect(r).toBe(p);
          expectCanariesIntact(what);
          expect(Array.from(g.toFloat32Array()), `${what}: grad untouched`).toEqual(Array.from(gd));
          g.dispose();
          refBuf = sgdRef(refP, gd, refBuf, o);
          expectClose(p.toFloat32Array(), refP, [n], `${what} step ${s + 1}: param`);
          if (buf) expectClose(buf.toFloat32Array(), refBuf!, [n], `${what} step ${s + 1}: momentum buffer`);
        }
        p.dispose();
        buf?.dispose();
      }
    }
  });

  it('firstStep copies the gradient into the buffer whatever it held; momentum 0 leaves a given buffer alone', () => {
    const p = Tensor.from([1, 2, 3, 4, 5]), g = Tensor.from([0.5, -1, 2, 0, 1]), buf = Tensor.full([5], 7);
    ops.sgdUpdate(p, g, buf, { lr: 0.1, momentum: 0.9, firstStep: true });
    expect(Array.from(buf.toFloat32Array())).toEqual([0.5, -1, 2, 0, 1]);
    expectClose(p.toFloat32Array(), [0.95, 2.1, 2.8, 4, 4.9], [5], 'first step');
    ops.sgdUpdate(p, g, buf, { lr: 0.1, momentum: 0 });
    expect(Array.from(buf.toFloat32Array())).toEqual([0.5, -1, 2, 0, 1]);
    ops.sgdUpdate(p, g, null, { lr: 0 });
    expectClose(p.toFloat32Array(), [0.9, 2.2, 2.6, 4, 4.8], [5], 'lr 0');
    const e = Tensor.zeros([0, 3]);
    ops.sgdUpdate(e, e.clone(), null, { lr: 1 });
    for (const t of [p, g, buf, e]) t.dispose();
  });

  it('rejects bad shapes, shared tensors, missing buffers and out-of-range hyper-parameters', () => {
    const p = Tensor.zeros([2, 3]), g = Tensor.zeros([2, 3]), b = Tensor.zeros([2, 3]), w = Tensor.zeros([3, 2]);
    expect(() => ops.sgdUpdate(p, w, null, { lr: 0.1 })).toThrow(/sgdUpdate: param has shape \[2, 3\] but grad has shape \[3, 2\]; they must match/);
    expect(() => ops.sgdUpdate(p, g, w, { lr: 0.1, momentum: 0.9 })).toThrow(/sgdUpdate: param has shape \[2, 3\] but momentumBuf has shape \[3, 2\]/);
    expect(() => ops.sgdUpdate(p, p, null, { lr: 0.1 })).toThrow(/sgdUpdate: grad and param are the same tensor/);
    expect(() => ops.sgdUpdate(p, g, g, { lr: 0.1, momentum: 0.9 })).toThrow(/sgdUpdate: momentumBuf and grad are the same tensor/);
    expect(() => ops.sgdUpdate(p, g, null, { lr: 0.1, momentum: 0.9 })).toThrow(/sgdUpdate: momentum 0.9 needs a momentumBuf tensor of shape \[2, 3\]/);
    expect(() => ops.sgdUpdate(p, g, b, {} as never)).toThrow(/sgdUpdate: options.lr is required/);
    expect(() => ops.sgdUpdate(p, g, b, { lr: -0.1 })).toThrow(/sgdUpdate: lr must be in \[0, Infinity\], got -0.1/);
    expect(() => ops.sgdUpdate(p, g, b, { lr: NaN })).toThrow(/sgdUpdate: lr must be a finite number, got NaN/);
    expect(() => ops.sgdUpdate(p, g, b, { lr: 0.1, momentum: -1 })).toThrow(/sgdUpdate: momentum must be in \[0, Infinity\], got -1/);
    expect(() => ops.sgdUpdate(p, g, b, { lr: 0.1, dampening: 2 })).toThrow(/sgdUpdate: dampening must be in \[0, 1\], got 2/);
    expect(() => ops.sgdUpdate(p, g, b, { lr: 0.1, weightDecay: Infinity })).toThrow(/sgdUpdate: weightDecay must be a finite number/);
    expect(() => ops.sgdUpdate(p, g, b, { lr: 0.1, nesterov: true })).toThrow(/sgdUpdate: nesterov needs momentum > 0 and dampening 0, got momentum 0 and dampening 0/);
    expect(() => ops.sgdUpdate(p, g, b, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/sgdUpdate: nesterov needs momentum > 0 and dampening 0/);
    expect(() => ops.sgdUpdate(p, g, b, { lr: 0.1, nesterov: 1 } as never)).toThrow(/sgdUpdate: nesterov must be a boolean, got 1/);
    expect(() => ops.sgdUpdate(p, g, b, { lr: 0.1, moment: 0.9 } as never)).toThrow(/sgdUpdate: unknown option 'moment'/);
    expect(() => ops.sgdUpdate('p' as never, g, b, { lr: 0.1 })).toThrow(/sgdUpdate: param must be a Tensor, got "p"/);
    b.dispose();
    expect(() => ops.sgdUpdate(p, g, b, { lr: 0.1, momentum: 0.5 })).toThrow(/sgdUpdate: momentumBuf was disposed/);
    for (const t of [p, g, w]) t.dispose();
  });
});

describe('adamUpdate', () => {
  const combos: AdamRefOptions[] = [];
  for (const [beta1, beta2] of [[0.9, 0.999], [0.5, 0.9], [0, 0.99]]) {
    for (const weightDecay of [0, 0.1]) {
      for (const decoupled of [false, true]) {
        for (const eps of [1e-8, 1e-3]) combos.push({ lr: 0.01, beta1, beta2, eps, weightDecay, decoupled });
      }
    }
  }

  it('follows PyTorch\'s Adam and AdamW over several steps for every option combination and size', () => {
    for (const o of combos) {
      for (const n of SIZES) {
        const what = `Adam ${JSON.stringify(o)} n=${n}`;
        const p0 = randArray(n, n + 1, -1, 1);
        const p = Tensor.from(p0, [n]), m = Tensor.zeros([n]), v = Tensor.zeros([n]);
        const rp = Float64Array.from(p0), rm = new Float64Array(n), rv = new Float64Array(n);
        for (let s = 1; s <= STEPS; s++) {
          const gd = randArray(n, n * 17 + s, -1, 1);
          const g = Tensor.from(gd, [n]);
          const r = ops.adamUpdate(p, g, m, v, { ...o, step: s });
          expect(r).toBe(p);
          expectCanariesIntact(what);
          expect(Array.from(g.toFloat32Array()), `${what}: grad untouched`).toEqual(Array.from(gd));
          g.dispose();
          adamRef(rp, gd, rm, rv, s, o);
          expectClose(p.toFloat32Array(), rp, [n], `${what} step ${s}: param`);
          expectClose(m.toFloat32Array(), rm, [n], `${what} step ${s}: m`);
          expectClose(v.toFloat32Array(), rv, [n], `${what} step ${s}: v`, 1e-7);
        }
        for (const t of [p, m, v]) t.dispose();
      }
    }
  });

  it('the first step moves every parameter by about lr against its gradient\'s sign; defaults are PyTorch\'s', () => {
    const p = Tensor.from([1, 1, 1, 1, 1]), g = Tensor.from([3, -0.02, 1e-3, -50, 0]);
    const m = Tensor.zeros([5]), v = Tensor.zeros([5]);
    ops.adamUpdate(p, g, m, v, { lr: 0.1, step: 1 });
    // m̂ = g and √v̂ = |g| after one step: p −= lr·g/(|g| + eps); a zero gradient leaves p alone
    const want = [3, -0.02, 1e-3, -50, 0].map((x) => 1 - (0.1 * x) / (Math.abs(x) + 1e-8));
    expectClose(p.toFloat32Array(), want, [5], 'first step', 2e-7, 0);
    expect(Math.abs(want[2] - 0.9)).toBeGreaterThan(5e-7); // eps = 1e-8 matters at |g| = 1e-3
    expectClose(v.toFloat32Array(), [9e-3, 4e-7, 1e-9, 2.5, 0], [5], 'v after one step', 1e-12, 1e-5);
    const e = Tensor.zeros([0]);
    ops.adamUpdate(e, e.clone(), e.clone(), e.clone(), { lr: 1, step: 1 });
    for (const t of [p, g, m, v, e]) t.dispose();
  });

  it('rejects bad shapes, shared state, bad steps and out-of-range hyper-parameters', () => {
    const p = Tensor.zeros([4]), g = Tensor.zeros([4]), m = Tensor.zeros([4]), v = Tensor.zeros([4]), w = Tensor.zeros([5]);
    expect(() => ops.adamUpdate(p, g, w, v, { lr: 0.1, step: 1 })).toThrow(/adamUpdate: param has shape \[4\] but m has shape \[5\]; they must match/);
    expect(() => ops.adamUpdate(p, g, m, m, { lr: 0.1, step: 1 })).toThrow(/adamUpdate: v and m are the same tensor/);
    expect(() => ops.adamUpdate(p, g, g, v, { lr: 0.1, step: 1 })).toThrow(/adamUpdate: m and grad are the same tensor/);
    expect(() => ops.adamUpdate(p, g, m, v, { lr: 0.1 } as never)).toThrow(/adamUpdate: options.step is required/);
    expect(() => ops.adamUpdate(p, g, m, v, { lr: 0.1, step: 0 })).toThrow(/adamUpdate: step must be ≥ 1, got 0/);
    expect(() => ops.adamUpdate(p, g, m, v, { lr: 0.1, step: 1.5 })).toThrow(/adamUpdate: step must be an integer, got 1.5/);
    expect(() => ops.adamUpdate(p, g, m, v, { step: 1 } as never)).toThrow(/adamUpdate: options.lr is required/);
    expect(() => ops.adamUpdate(p, g, m, v, { lr: 0.1, step: 1, beta1: 1 })).toThrow(/adamUpdate: beta1 must be in \[0, 1\), got 1/);
    expect(() => ops.adamUpdate(p, g, m, v, { lr: 0.1, step: 1, beta2: -0.5 })).toThrow(/adamUpdate: beta2 must be in \[0, 1\], got -0.5/);
    expect(() => ops.adamUpdate(p, g, m, v, { lr: 0.1, step: 1, eps: -1 })).toThrow(/adamUpdate: eps must be in \[0, Infinity\], got -1/);
    expect(() => ops.adamUpdate(p, g, m, v, { lr: 0.1, step: 1, weightDecay: NaN })).toThrow(/adamUpdate: weightDecay must be a finite number, got NaN/);
    expect(() => ops.adamUpdate(p, g, m, v, { lr: 0.1, step: 1, decoupled: 'yes' } as never)).toThrow(/adamUpdate: decoupled must be a boolean, got "yes"/);
    expect(() => ops.adamUpdate(p, g, m, v, { lr: 0.1, step: 1, amsgrad: true } as never)).toThrow(/adamUpdate: unknown option 'amsgrad'/);
    v.dispose();
    expect(() => ops.adamUpdate(p, g, m, v, { lr: 0.1, step: 1 })).toThrow(/adamUpdate: v was disposed/);
    for (const t of [p, g, m, w]) t.dispose();
  });
});
