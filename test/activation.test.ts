import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import {
  leakyReluBackwardRef, leakyReluRef, mapRef, reluBackwardRef, reluRef, sigmoidBackwardRef, sigmoidRef, tanhBackwardRef, tanhRef, zipRef,
} from './ref/activation.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

type Op = { name: string; run: (x: Tensor) => Tensor; ref: (v: number) => number };
const OPS: Op[] = [
  { name: 'relu', run: (x) => ops.relu(x), ref: reluRef },
  { name: 'leakyRelu', run: (x) => ops.leakyRelu(x), ref: (v) => leakyReluRef(v, 0.01) },
  { name: 'leakyRelu(0.2)', run: (x) => ops.leakyRelu(x, 0.2), ref: (v) => leakyReluRef(v, 0.2) },
  { name: 'sigmoid', run: (x) => ops.sigmoid(x), ref: sigmoidRef },
  { name: 'tanh', run: (x) => ops.tanh(x), ref: tanhRef },
];

/** Runs op on data of shape, checks shape, canaries, that x is untouched; returns y's data. */
function apply(op: Op, data: Float32Array, shape: number[]): Float32Array {
  const x = Tensor.from(data, shape);
  const y = op.run(x);
  try {
    expectCanariesIntact(`${op.name} ${shape}`);
    expect(y.shape).toEqual(shape);
    expect(y.ptr).not.toBe(x.ptr);
    expect(Array.from(x.toFloat32Array())).toEqual(Array.from(data));
    return y.toFloat32Array();
  } finally {
    x.dispose();
    y.dispose();
  }
}

describe('activations', () => {
  it('match the float64 reference for every size 0..70 and larger (all remainders mod 4 and 16)', () => {
    const sizes = [...Array.from({ length: 71 }, (_, i) => i), 100, 255, 1000, 4099];
    for (const op of OPS) {
      for (const n of sizes) {
        const d = randArray(n, n + 7, -12, 12);
        expectClose(apply(op, d, [n]), mapRef(d, op.ref), [n], `${op.name} n=${n}`);
      }
    }
  });

  it('work on shapes of rank 1–4, including empty ones', () => {
    const shapes = [[5], [3, 7], [2, 3, 5], [2, 3, 4, 5], [1, 1, 1, 1], [2, 17, 3, 3], [0], [2, 0, 3]];
    for (const op of OPS) {
      for (const s of shapes) {
        const d = randArray(sizeOf(s), 3, -6, 6);
        expectClose(apply(op, d, s), mapRef(d, op.ref), s, `${op.name} [${s}]`);
      }
    }
  });

  it('handle special values: ±0, tiny, huge, NaN, ±Infinity', () => {
    const sp = [0, -0, 1e-30, -1e-30, 1e-45, -1e-45, 1e-7, -1e-7, 3e38, -3e38, 100, -100, 50, -50, 88, -88, 1e4, -1e4,
      NaN, Infinity, -Infinity, 0.5, -0.5, 17, -17];
    // repeat so that each value lands in every vector lane, the 16-wide loop and the tail
    const d = new Float32Array(Array.from({ length: sp.length * 5 + 3 }, (_, i) => sp[i % sp.length]));
    for (const op of OPS) {
      const y = apply(op, d, [d.length]);
      for (let i = 0; i < d.length; i++) {
        const want = op.ref(d[i]), got = y[i], what = `${op.name}(${d[i]})`;
        const saturated = !Number.isFinite(want) || want === 0 || Math.abs(want) === 1 || Math.abs(Math.fround(want)) === 1;
        if (Number.isNaN(want)) expect(got, what).toBeNaN();
        else if (saturated) expect(got === Math.fround(want), `${what}: got ${got}, expected ${want}`).toBe(true);
        else if (Math.abs(want) < 1e-37) expect(Math.abs(got), what).toBeLessThan(1e-37); // f32 underflow
        else expect(Math.abs(got - want) / Math.abs(want), `${what} relative error`).toBeLessThan(1e-6);
      }
    }
    const s = apply(OPS[3], new Float32Array([100, -100, Infinity, -Infinity, 20, -88]), [6]);
    expect(Array.from(s)).toEqual([1, 0, 1, 0, 1, 0]);
    const t = apply(OPS[4], new Float32Array([50, -50, Infinity, -Infinity, 0, -0, 10, -10]), [8]);
    expect(Array.from(t)).toEqual([1, -1, 1, -1, 0, -0, 1, -1]);
    expect(Object.is(t[4], 0) && Object.is(t[5], -0)).toBe(true);
  });

  it('sigmoid and tanh are accurate to ~1e-6 relative over a dense grid in [−20, 20]', () => {
    const n = 400_001;
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = -20 + (40 * i) / (n - 1);
    // and a dense grid near 0, where tanh(x) ≈ x must keep its relative accuracy
    const near = new Float32Array(20_001);
    for (let i = 0; i < near.length; i++) near[i] = -1e-3 + (2e-3 * i) / (near.length - 1);
    for (const op of [OPS[3], OPS[4]]) {
      let worst = 0, at = 0;
      for (const grid of [d, near]) {
        const y = apply(op, grid, [grid.length]);
        for (let i = 0; i < grid.length; i++) {
          const want = op.ref(grid[i]);
          const rel = want === 0 ? Math.abs(y[i]) : Math.abs(y[i] - want) / Math.abs(want);
          if (rel > worst) { worst = rel; at = grid[i]; }
        }
      }
      console.log(`${op.name}: max relative error ${worst.toExponential(2)} at x = ${at}`);
      expect(worst, `${op.name} max relative error (at x = ${at})`).toBeLessThan(1e-6);
    }
  });

  it('leakyRelu takes any finite slope, including 0, negative and > 1', () => {
    const d = randArray(37, 9, -3, 3);
    for (const slope of [0, 0.01, 0.3, -0.5, 2, 1]) {
      const x = Tensor.from(d, [37]);
      const y = ops.leakyRelu(x, slope);
      expectCanariesIntact(`leakyRelu ${slope}`);
      expectClose(y.toFloat32Array(), mapRef(d, (v) => leakyReluRef(v, slope)), [37], `slope ${slope}`);
      x.dispose();
      y.dispose();
    }
  });

  it('reject non-tensors, disposed tensors and bad slopes with specific messages', () => {
    const x = Tensor.from([1, 2, 3]);
    expect(() => ops.relu(undefined as never)).toThrow(/relu: x must be a Tensor, got undefined/);
    expect(() => ops.sigmoid([1, 2] as never)).toThrow(/sigmoid: x must be a Tensor, got an array \[1, 2\]/);
    expect(() => ops.tanh(new Float32Array(3) as never)).toThrow(/tanh: x must be a Tensor, got a Float32Array/);
    expect(() => ops.leakyRelu(x, NaN)).toThrow(/leakyRelu: negativeSlope must be a finite number, got NaN/);
    expect(() => ops.leakyRelu(x, Infinity)).toThrow(/leakyRelu: negativeSlope must be a finite number, got Infinity/);
    expect(() => ops.leakyRelu(x, '0.1' as never)).toThrow(/leakyRelu: negativeSlope must be a finite number, got "0.1"/);
    x.dispose();
    for (const [name, f] of [['relu', ops.relu], ['leakyRelu', ops.leakyRelu], ['sigmoid', ops.sigmoid], ['tanh', ops.tanh]] as const) {
      expect(() => f(x)).toThrow(new RegExp(`${name}: x was disposed`));
    }
  });
});

type BwdOp = {
  name: string;
  fwd: (x: Tensor) => Tensor;
  bwd: (dy: Tensor, u: Tensor) => Tensor;
  /** whether bwd takes the forward output (true) or the input (false) */
  usesY: boolean;
  ref: (dy: number, u: number) => number;
};
const BWD: BwdOp[] = [
  { name: 'reluBackward', fwd: (x) => ops.relu(x), bwd: (d, u) => ops.reluBackward(d, u), usesY: false, ref: reluBackwardRef },
  { name: 'leakyReluBackward', fwd: (x) => ops.leakyRelu(x), bwd: (d, u) => ops.leakyReluBackward(d, u), usesY: false, ref: (d, u) => leakyReluBackwardRef(d, u, 0.01) },
  { name: 'leakyReluBackward(-0.3)', fwd: (x) => ops.leakyRelu(x, -0.3), bwd: (d, u) => ops.leakyReluBackward(d, u, -0.3), usesY: false, ref: (d, u) => leakyReluBackwardRef(d, u, -0.3) },
  { name: 'sigmoidBackward', fwd: (x) => ops.sigmoid(x), bwd: (d, u) => ops.sigmoidBackward(d, u), usesY: true, ref: sigmoidBackwardRef },
  { name: 'tanhBackward', fwd: (x) => ops.tanh(x), bwd: (d, u) => ops.tanhBackward(d, u), usesY: true, ref: tanhBackwardRef },
];

/** Values with |v| ≥ 0.1, so ±eps never crosses relu's kink. */
function awayFromZero(n: number, seed: number, scale = 3): Float32Array {
  const d = randArray(n, seed, 0.1, scale);
  const s = randArray(n, seed + 1);
  for (let i = 0; i < n; i++) if (s[i] < 0) d[i] = -d[i];
  return d;
}

/** Runs op's forward then backward with dy; checks canaries and shape; returns dx, u (the saved tensor's data). */
function backward(op: BwdOp, x: Float32Array, dy: Float32Array, shape: number[]): { dx: Float32Array; u: Float32Array } {
  const xt = Tensor.from(x, shape), dyt = Tensor.from(dy, shape);
  const y = op.fwd(xt);
  const u = op.usesY ? y : xt;
  const dx = op.bwd(dyt, u);
  try {
    expectCanariesIntact(`${op.name} [${shape}]`);
    expect(dx.shape).toEqual(shape);
    expect(Array.from(dyt.toFloat32Array())).toEqual(Array.from(dy));
    return { dx: dx.toFloat32Array(), u: u.toFloat32Array() };
  } finally {
    for (const t of [xt, dyt, y, dx]) t.dispose();
  }
}

describe('activation backward', () => {
  it('matches central differences of L = Σ y⊙r (sizes with every remainder mod 4 and 16, ranks 1–4)', () => {
    const shapes = [[1], [3], [4], [5], [7], [16], [17], [19], [33], [2, 3, 5], [2, 17, 3, 3], [2, 5, 4, 7]];
    for (const op of BWD) {
      for (const shape of shapes) {
        const n = sizeOf(shape);
        const x = awayFromZero(n, n + 3);
        const r = randArray(n, n + 5);
        const { dx } = backward(op, x, r, shape);
        fdCheck({
          x, shape, r, analytic: dx, eps: 1e-2, samples: 60, what: `${op.name} [${shape}]`,
          forward: (xp) => {
            const t = Tensor.from(xp, shape);
            const y = op.fwd(t);
            const out = y.toFloat32Array();
            t.dispose();
            y.dispose();
            return out;
          },
        });
      }
    }
  });

  it('match the float64 formula for every size 0..70 and larger, including special values', () => {
    const sizes = [...Array.from({ length: 71 }, (_, i) => i), 100, 1000, 4099];
    for (const op of BWD) {
      for (const n of sizes) {
        const x = randArray(n, n + 11, -10, 10);
        const dy = randArray(n, n + 13, -2, 2);
        const { dx, u } = backward(op, x, dy, [n]);
        expectClose(dx, zipRef(dy, u, op.ref), [n], `${op.name} n=${n}`);
      }
      const sp = [0, -0, 1e-30, -1e-30, 100, -100, 1e4, -1e4, NaN, Infinity, -Infinity, 0.5, -0.5];
      const x = new Float32Array(Array.from({ length: sp.length * 3 + 2 }, (_, i) => sp[i % sp.length]));
      const dy = randArray(x.length, 3, 0.5, 2);
      const { dx, u } = backward(op, x, dy, [x.length]);
      expectClose(dx, zipRef(dy, u, op.ref), [x.length], `${op.name} specials`);
    }
    // relu: exactly dy or 0, a NaN input lets dy through (PyTorch), x = 0 blocks it
    const { dx } = backward(BWD[0], new Float32Array([2, -2, 0, -0, NaN, 1e-45]), new Float32Array([5, 5, 5, 5, 5, 5]), [6]);
    expect(Array.from(dx)).toEqual([5, 0, 0, 0, 5, 5]);
    // sigmoid saturates: y = 0 or 1 gives a zero gradient, not NaN
    const s = backward(BWD[3], new Float32Array([100, -100, 0]), new Float32Array([1, 1, 1]), [3]);
    expect(Array.from(s.dx)).toEqual([0, 0, 0.25]);
  });

  it('reject mismatched shapes, non-tensors, disposed tensors and bad slopes', () => {
    const a = Tensor.zeros([2, 3]), b = Tensor.zeros([3, 2]), c = Tensor.zeros([6]);
    expect(() => ops.reluBackward(a, b)).toThrow(/reluBackward: dy has shape \[2, 3\] but x has shape \[3, 2\]/);
    expect(() => ops.sigmoidBackward(a, c)).toThrow(/sigmoidBackward: dy has shape \[2, 3\] but y has shape \[6\]/);
    expect(() => ops.tanhBackward(c, a)).toThrow(/tanhBackward: dy has shape \[6\] but y has shape \[2, 3\]/);
    expect(() => ops.leakyReluBackward(a, b, 0.1)).toThrow(/leakyReluBackward: dy has shape \[2, 3\] but x has shape \[3, 2\]/);
    expect(() => ops.leakyReluBackward(a, a, NaN)).toThrow(/leakyReluBackward: negativeSlope must be a finite number, got NaN/);
    expect(() => ops.reluBackward(null as never, a)).toThrow(/reluBackward: dy must be a Tensor, got null/);
    expect(() => ops.tanhBackward(a, [1] as never)).toThrow(/tanhBackward: y must be a Tensor, got an array/);
    b.dispose();
    expect(() => ops.reluBackward(a, b)).toThrow(/reluBackward: x was disposed/);
    expect(() => ops.sigmoidBackward(b, a)).toThrow(/sigmoidBackward: dy was disposed/);
    a.dispose();
    c.dispose();
  });
});
