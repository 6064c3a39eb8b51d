// The elementwise layers (nn.Hardtanh, ReLU6, Hardsigmoid, Hardswish, SiLU, GELU, Mish, Unary and
// the broadcasting Add/Sub/Mul/Div/Pow, with two inputs or a constant operand): backward through
// the layer API against central differences of L = Σ y⊙r (inputs kept away from kinks), constant
// gradients and freezing, configs, and shape checks. Models, plans and files: layers-elementwise-model.test.ts.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, nn } from '../src/index.js';
import type { Layer } from '../src/nn/layer.js';
import { bytesInUse, fdCheck, randArray, ready, sizeOf } from './helpers.js';

beforeAll(ready);
let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

/** Values in [lo, hi) at least 0.05 from every kink (where the gradient jumps). */
function awayFrom(n: number, seed: number, lo: number, hi: number, kinks: number[]): Float32Array {
  const x = randArray(n, seed, lo, hi);
  for (let i = 0; i < n; i++) for (const k of kinks) if (Math.abs(x[i] - k) < 0.05) x[i] = k + 0.1;
  return x;
}

/** y = layer(x) as a Float32Array (inference). */
function run(layer: Layer, xs: Float32Array[], shapes: number[][]): Float32Array {
  const ts = xs.map((x, i) => Tensor.from(x, shapes[i]));
  const y = layer.forward(ts, false);
  const out = y.toFloat32Array();
  y.dispose();
  for (const t of ts) t.dispose();
  return out;
}

/** The layer's backward for each input against central differences. */
function checkInputs(layer: Layer, xs: Float32Array[], shapes: number[][], what: string, rtol = 1e-2): Float32Array[] {
  const ts = xs.map((x, i) => Tensor.from(x, shapes[i]));
  const y = layer.forward(ts, true);
  const r = randArray(y.size, 77);
  const dy = Tensor.from(r, y.shape);
  const grads = layer.backward(dy);
  const got = grads.map((g) => g!.toFloat32Array());
  for (const g of grads) g?.dispose();
  layer.release();
  y.dispose();
  dy.dispose();
  for (const t of ts) t.dispose();
  xs.forEach((x, i) => {
    fdCheck({
      x, shape: shapes[i], r, analytic: got[i], rtol, eps: 1e-3, what: `${what} input ${i}`,
      forward: (xp) => run(layer, xs.map((v, j) => (j === i ? xp : v)), shapes),
    });
  });
  return got;
}

describe('activation layers: backward by central differences, through the layer API', () => {
  const shape = [2, 3, 4, 5];
  const n = sizeOf(shape);
  const cases: [string, () => Layer, number, number, number[]][] = [
    ['Hardtanh(-0.5, 0.7)', () => new nn.Hardtanh(-0.5, 0.7), -2, 2, [-0.5, 0.7]],
    ['Hardtanh(-Infinity, 0.5)', () => new nn.Hardtanh(-Infinity, 0.5), -2, 2, [0.5]],
    ['ReLU6', () => new nn.ReLU6(), -3, 9, [0, 6]],
    ['Hardsigmoid', () => new nn.Hardsigmoid(), -5, 5, [-3, 3]],
    ['Hardsigmoid(alpha 0.2)', () => new nn.Hardsigmoid({ alpha: 0.2, beta: 0.5 }), -5, 5, [-2.5, 2.5]],
    ['Hardswish', () => new nn.Hardswish(), -5, 5, [-3, 3]],
    ['SiLU', () => new nn.SiLU(), -6, 6, []],
    ['GELU', () => new nn.GELU(), -4, 4, []],
    ['GELU tanh', () => new nn.GELU({ approximate: 'tanh' }), -4, 4, []],
    ['Mish', () => new nn.Mish(), -5, 5, []],
    ['Unary sqrt', () => new nn.Unary('sqrt'), 0.5, 4, []],
    ['Unary erf', () => new nn.Unary('erf'), -2, 2, []],
    ['Unary exp', () => new nn.Unary('exp'), -2, 2, []],
    ['Unary neg', () => new nn.Unary('neg'), -2, 2, []],
    ['Unary reciprocal', () => new nn.Unary('reciprocal'), 0.5, 3, []],
    ['Unary abs', () => new nn.Unary('abs'), -2, 2, [0]],
  ];
  for (const [what, make, lo, hi, kinks] of cases) {
    it(what, () => {
      const layer = make();
      expect(layer.outputShape([shape.slice(1)])).toEqual(shape.slice(1));
      checkInputs(layer, [awayFrom(n, 3, lo, hi, kinks)], [shape], what);
      layer.dispose();
    });
  }

  it('Hardtanh/ReLU6 gradients are strict at the bounds (torch hardtanh_backward); configs keep infinite bounds as null', () => {
    const x = Tensor.from([0, 6, 3, -1, 7], [1, 5]);
    const layer = new nn.ReLU6();
    const y = layer.forward([x], true);
    const dy = Tensor.from([1, 1, 1, 1, 1], [1, 5]);
    const [dx] = layer.backward(dy);
    expect(Array.from(dx!.toFloat32Array())).toEqual([0, 0, 1, 0, 0]);
    for (const t of [x, y, dy, dx!]) t.dispose();
    expect(layer.clampAtInference()).toEqual({ min: 0, max: 6 });
    const h = new nn.Hardtanh(-Infinity, 2);
    expect(h.config()).toEqual({ minVal: null, maxVal: 2 });
    expect(nn.Hardtanh.fromConfig(JSON.parse(JSON.stringify(h.config())), 'h').minVal).toBe(-Infinity);
    expect(() => new nn.Hardtanh(1, 1)).toThrow(/less than maxVal/);
    expect(() => new nn.Unary('log' as never)).toThrow(/op must be one of/);
    expect(() => new nn.GELU({ approximate: 'erf' as never })).toThrow(/approximate/);
  });
});

describe('binary layers: broadcasting, two inputs or a constant operand', () => {
  it('two inputs: the squeeze-and-excitation gate [C,H,W] × [C,1,1], and every op on broadcast shapes', () => {
    const a = [2, 4, 3, 5], b = [2, 4, 1, 1];
    checkInputs(new nn.Mul(), [randArray(sizeOf(a), 1), randArray(sizeOf(b), 2)], [a, b], 'Mul SE');
    const p = [2, 3, 1, 5], q = [2, 1, 4, 1];
    checkInputs(new nn.Add(), [randArray(sizeOf(p), 3), randArray(sizeOf(q), 4)], [p, q], 'Add');
    checkInputs(new nn.Sub(), [randArray(sizeOf(p), 5), randArray(sizeOf(q), 6)], [p, q], 'Sub');
    checkInputs(new nn.Div(), [randArray(sizeOf(p), 7), randArray(sizeOf(q), 8, 0.5, 2)], [p, q], 'Div');
    checkInputs(new nn.Pow(), [randArray(sizeOf(p), 9, 0.5, 2), randArray(sizeOf(q), 10, -1, 2)], [p, q], 'Pow');
    expect(new nn.Mul().outputShape([[4, 3, 5], [4, 1, 1]])).toEqual([4, 3, 5]);
    expect(() => new nn.Mul().outputShape([[4, 3, 5], [3, 5]])).toThrow(/same rank/);
    expect(() => new nn.Mul().outputShape([[4, 3, 5], [2, 1, 1]])).toThrow(/same shape or broadcast/);
  });

  it('a constant on either side: the input gradient, the constant gradient (fine-tuning) and freezing', () => {
    const xs = [2, 3, 4, 5];
    const x = randArray(sizeOf(xs), 11, 0.5, 2);
    for (const [L, side, kshape] of [[nn.Sub, 'left', [4, 1]], [nn.Div, 'right', [3, 1, 1]], [nn.Mul, 'right', [5]], [nn.Add, 'left', [1]], [nn.Pow, 'right', [1]], [nn.Div, 'left', [3, 4, 5]]] as const) {
      const k = randArray(sizeOf(kshape), 12, 0.5, 2);
      const layer = new L({ constantShape: kshape as unknown as number[], constantSide: side, constant: k });
      const what = `${L.type} constant ${side} [${kshape}]`;
      expect(layer.inputs).toBe(1);
      checkInputs(layer, [x], [xs], what);
      // the constant's gradient by central differences over its values (Pow's exponent is frozen by default)
      if (L === nn.Pow) {
        expect(layer.constant!.trainable).toBe(false);
        layer.constant!.trainable = true;
      }
      layer.constant!.grad?.dispose(); // backward adds into .grad: start from zero
      layer.constant!.grad = null;
      const t = Tensor.from(x, xs);
      const y = layer.forward([t], true);
      const r = randArray(y.size, 77);
      const dy = Tensor.from(r, y.shape);
      layer.backward(dy)[0]!.dispose();
      const gk = layer.constant!.grad!.toFloat32Array();
      fdCheck({
        x: k, shape: kshape as unknown as number[], r, analytic: gk, eps: 1e-3, what: `${what} constant`,
        forward: (kp) => { layer.constant!.assign(kp); return run(layer, [x], [xs]); },
      });
      layer.constant!.assign(k);
      layer.trainable = false;
      layer.forward([t], true).dispose();
      layer.backward(dy)[0]!.dispose();
      expect(layer.constant!.grad).toBeNull();
      expect(layer.config()).toEqual({ constantShape: kshape, constantSide: side });
      for (const v of [t, y, dy]) v.dispose();
      layer.release();
      layer.dispose();
    }
  });

  it('Add keeps its n-ary same-shape form; shape errors name the layer', () => {
    const s = [2, 3, 4];
    const xs = [1, 2, 3].map((i) => randArray(sizeOf(s), i));
    checkInputs(new nn.Add(), xs, [s, s, s], 'Add ×3');
    expect(() => new nn.Add().outputShape([[3, 4], [3, 4], [1, 4]])).toThrow(/with more than two inputs all must have the same shape/);
    expect(() => new nn.Mul({ constantShape: [2, 3, 4, 5] }).outputShape([[3, 4, 5]])).toThrow(/more dims than the input/);
    expect(() => new nn.Mul({ constant: 2 } as never)).toThrow(/need constantShape/);
    expect(() => new nn.Mul({ constantShape: [0] })).toThrow(/positive integers/);
  });
});
