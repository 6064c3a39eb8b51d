import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, randArray, ready, sizeOf } from './helpers.js';
import { refLocalResponseNorm } from './ref/lrn.js';

beforeAll(ready);

let baseline = 0;
beforeEach(() => { baseline = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use back to baseline').toBe(baseline); });

const CHANNELS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17];

interface P { size: number; alpha?: number; beta?: number; k?: number }

function check(shape: number[], p: P, data: Float32Array, what: string): void {
  const x = Tensor.from(data, shape);
  const y = ops.localResponseNorm(x, p);
  expectCanariesIntact(what);
  expect(y.shape).toEqual(shape);
  expectClose(y.toFloat32Array(), refLocalResponseNorm(data, shape, p.size, p.alpha, p.beta, p.k), shape, what);
  x.dispose();
  y.dispose();
}

// AlexNet's parameters; inputs up to ±40 so that (alpha/size)·Σa² is a visible share of k
const ALEXNET = { alpha: 1e-4, beta: 0.75, k: 2 };

describe('localResponseNorm', () => {
  it('hand-computed: even and odd window sizes (PyTorch puts the extra channel before)', () => {
    const x = Tensor.from([1, 2, 3, 4], [1, 4]);
    // alpha = size makes alpha/size = 1; beta 1, k 1: b = a / (1 + Σ window a²)
    const even = ops.localResponseNorm(x, { size: 2, alpha: 2, beta: 1, k: 1 }); // window [c − 1, c]
    expectClose(even.toFloat32Array(), [1 / 2, 2 / 6, 3 / 14, 4 / 26], [1, 4], 'size 2');
    const odd = ops.localResponseNorm(x, { size: 3, alpha: 3, beta: 1, k: 1 }); // window [c − 1, c + 1]
    expectClose(odd.toFloat32Array(), [1 / 6, 2 / 15, 3 / 30, 4 / 26], [1, 4], 'size 3');
    const four = ops.localResponseNorm(x, { size: 4, alpha: 4, beta: 1, k: 1 }); // window [c − 2, c + 1]
    expectClose(four.toFloat32Array(), [1 / 6, 2 / 15, 3 / 31, 4 / 30], [1, 4], 'size 4');
    const one = ops.localResponseNorm(x, { size: 1, alpha: 1, beta: 0.5, k: 1 }); // a / √(1 + a²)
    expectClose(one.toFloat32Array(), [1, 2, 3, 4].map((a) => a / Math.sqrt(1 + a * a)), [1, 4], 'size 1');
    expectClose(refLocalResponseNorm([1, 2, 3, 4], [1, 4], 2, 2, 1, 1), [1 / 2, 2 / 6, 3 / 14, 4 / 26], [1, 4], 'ref size 2');
    expectClose(refLocalResponseNorm([1, 2, 3, 4], [1, 4], 4, 4, 1, 1), [1 / 6, 2 / 15, 3 / 31, 4 / 30], [1, 4], 'ref size 4');
    for (const t of [x, even, odd, four, one]) t.dispose();
  });

  it('sweeps channels, spatial sizes (every remainder mod 4) and sizes 1, 2, 3, 5 with AlexNet parameters', () => {
    let seed = 1;
    for (const size of [1, 2, 3, 5]) {
      for (const c of CHANNELS) {
        for (const [h, w] of [[1, 1], [1, 2], [1, 3], [2, 2], [1, 5], [2, 3], [1, 7], [3, 3], [3, 5], [4, 5], [5, 5], [13, 13]]) {
          const shape = [3, c, h, w];
          check(shape, { size, ...ALEXNET }, randArray(sizeOf(shape), seed++, -40, 40), `size ${size} ${shape.join('x')}`);
        }
      }
    }
  });

  it('general beta (exp/log path), defaults, strong normalization', () => {
    let seed = 100;
    const params: P[] = [
      { size: 5 },
      { size: 3, alpha: 1, beta: 0.5, k: 1 },
      { size: 4, alpha: 2, beta: 1, k: 0.5 },
      { size: 5, alpha: 0.5, beta: 0.3, k: 1 },
      { size: 2, alpha: 1, beta: -0.5, k: 3 },
      { size: 7, alpha: 10, beta: 2.5, k: 1e-3 },
      { size: 6, alpha: 0, beta: 0.75, k: 4 },
      { size: 40, alpha: 1, beta: 0.75, k: 1 },
    ];
    for (const p of params) {
      for (const c of [1, 4, 9, 17]) {
        for (const s of [1, 6, 11]) {
          const shape = [2, c, s];
          check(shape, p, randArray(sizeOf(shape), seed++, -3, 3), `${JSON.stringify(p)} ${shape.join('x')}`);
        }
      }
    }
  });

  it('the power is accurate to ~1e-6 relative over bases e^-7 … e^9 (fast β = 0.75 and the exp/log path)', () => {
    // size 1, alpha 1: y = a·(k + a²)^(−β), so the relative error of y is that of the power
    const n = 4001;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.exp(-3.5 + (8 * i) / (n - 1)) * (i % 2 ? 1 : -1);
    const x = Tensor.from(data, [1, 1, n]);
    for (const beta of [0.75, 0.5, 1, 0.3, -0.5, 0]) {
      for (const k of [1e-3, 1, 2]) {
        const y = ops.localResponseNorm(x, { size: 1, alpha: 1, beta, k });
        expectClose(y.toFloat32Array(), refLocalResponseNorm(data, [1, 1, n], 1, 1, beta, k), [1, 1, n], `β ${beta} k ${k}`, 0, 2e-6);
        y.dispose();
      }
    }
    x.dispose();
  });

  it('a huge value leaving the window leaves no residue in the sum', () => {
    const C = 17, S = 6;
    const data = randArray(C * S, 7, -0.3, 0.3);
    const big = randArray(S, 8, 0, 1);
    for (let s = 0; s < S; s++) data[s] = 3000 + big[s]; // channel 0
    for (let s = 0; s < S; s++) data[8 * S + s] = -2000 - big[s]; // channel 8
    for (const p of [{ size: 3, alpha: 3, beta: 0.75, k: 1 }, { size: 2, alpha: 2, beta: 0.6, k: 1 }]) {
      check([1, C, S], p, data, `residue ${JSON.stringify(p)}`);
    }
  });

  it('ranks 2, 3 and 4 (AlexNet NORM1 shape 96×27×27)', () => {
    check([3, 17], { size: 5, ...ALEXNET }, randArray(51, 1, -40, 40), 'rank 2');
    check([3, 9, 13], { size: 5, ...ALEXNET }, randArray(3 * 9 * 13, 2, -40, 40), 'rank 3');
    check([1, 96, 27, 27], { size: 5, ...ALEXNET }, randArray(96 * 27 * 27, 3, -40, 40), 'NORM1');
  });

  it('explicit window extents (ONNX: [⌊(size−1)/2⌋, ⌈(size−1)/2⌉], the extra channel after)', () => {
    const x = Tensor.from([1, 2, 3, 4], [1, 4]);
    // size 2 as ONNX: window [c, c + 1]; alpha = size, beta 1, k 1: b = a / (1 + Σ window a²)
    const onnx2 = ops.localResponseNorm(x, { size: 2, alpha: 2, beta: 1, k: 1, window: [0, 1] });
    expectClose(onnx2.toFloat32Array(), [1 / 6, 2 / 14, 3 / 26, 4 / 17], [1, 4], 'size 2 window [0, 1]');
    // the default equals the explicit PyTorch extents
    const torch4 = ops.localResponseNorm(x, { size: 4, alpha: 4, beta: 1, k: 1, window: [2, 1] });
    expectClose(torch4.toFloat32Array(), [1 / 6, 2 / 15, 3 / 31, 4 / 30], [1, 4], 'size 4 window [2, 1]');
    expectClose(refLocalResponseNorm([1, 2, 3, 4], [1, 4], 2, 2, 1, 1, [0, 1]), [1 / 6, 2 / 14, 3 / 26, 4 / 17], [1, 4], 'ref window');
    for (const t of [x, onnx2, torch4]) t.dispose();
    let seed = 300;
    for (const [size, window] of [[4, [1, 2]], [2, [0, 1]], [6, [2, 3]], [5, [2, 2]], [3, [0, 2]], [3, [2, 0]], [1, [0, 0]]] as [number, [number, number]][]) {
      for (const c of [1, 3, 4, 9, 17]) {
        for (const s of [1, 3, 6]) {
          const shape = [2, c, s];
          const data = randArray(sizeOf(shape), seed++, -3, 3);
          const p = { size, alpha: 1, beta: 0.75, k: 1, window };
          const xt = Tensor.from(data, shape);
          const y = ops.localResponseNorm(xt, p);
          expectCanariesIntact('window');
          expectClose(y.toFloat32Array(), refLocalResponseNorm(data, shape, size, 1, 0.75, 1, window), shape, `window ${window} ${shape.join('x')}`);
          xt.dispose();
          y.dispose();
        }
      }
    }
  });

  it('rejects bad arguments with specific messages', () => {
    const x = Tensor.zeros([1, 3, 2, 2]);
    const r1 = Tensor.zeros([5]), r5 = Tensor.zeros([1, 1, 1, 1, 1]);
    const before = bytesInUse();
    const bad = (o: unknown) => () => ops.localResponseNorm(x, o as never);
    expect(() => ops.localResponseNorm(r1, { size: 3 })).toThrow(/localResponseNorm: x must have rank 2 or 3 or 4 .*got shape \[5\]/);
    expect(() => ops.localResponseNorm(r5, { size: 3 })).toThrow(/got shape \[1, 1, 1, 1, 1\]/);
    expect(bad({})).toThrow(/localResponseNorm: options.size is required/);
    expect(bad(undefined)).toThrow(/localResponseNorm: options.size is required/);
    expect(bad({ size: 0 })).toThrow(/localResponseNorm: size must be ≥ 1, got 0/);
    expect(bad({ size: 2.5 })).toThrow(/localResponseNorm: size must be an integer, got 2.5/);
    expect(bad({ size: 3, k: 0 })).toThrow(/localResponseNorm: k must be > 0 .*got 0/);
    expect(bad({ size: 3, k: -1 })).toThrow(/localResponseNorm: k must be > 0 .*got -1/);
    expect(bad({ size: 3, alpha: -1 })).toThrow(/localResponseNorm: alpha must be in \[0, Infinity\], got -1/);
    expect(bad({ size: 3, beta: NaN })).toThrow(/localResponseNorm: beta must be a finite number, got NaN/);
    expect(bad({ size: 3, bias: 1 })).toThrow(/localResponseNorm: unknown option 'bias'/);
    expect(() => ops.localResponseNorm('x' as never, { size: 3 })).toThrow(/localResponseNorm: x must be a Tensor, got "x"/);
    expect(bad({ size: 4, window: [2, 2] })).toThrow(/localResponseNorm: window \[2, 2\] spans 5 channels but size is 4; before \+ after \+ 1 must equal size/);
    expect(bad({ size: 3, window: [1] })).toThrow(/localResponseNorm: window must be \[before, after\], got an array \[1\]/);
    expect(bad({ size: 3, window: 1 })).toThrow(/localResponseNorm: window must be \[before, after\], got 1/);
    expect(bad({ size: 3, window: [-1, 3] })).toThrow(/localResponseNorm: window\[0\] \(before\) must be ≥ 0, got -1/);
    expect(bad({ size: 3, window: [1, 0.5] })).toThrow(/localResponseNorm: window\[1\] \(after\) must be an integer, got 0.5/);
    const ints = Tensor.zeros([1, 2], 'int32');
    expect(() => ops.localResponseNorm(ints, { size: 3 })).toThrow(/localResponseNorm: x must be a float32 tensor, got int32/);
    ints.dispose();
    const gone = Tensor.zeros([1, 2]);
    gone.dispose();
    expect(() => ops.localResponseNorm(gone, { size: 3 })).toThrow(/localResponseNorm: x was disposed/);
    expect(bytesInUse()).toBe(before);
    for (const t of [x, r1, r5]) t.dispose();
  });
});
