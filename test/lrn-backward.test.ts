// localResponseNormBackward: against the gradient written from the definition, by central
// differences, with PyTorch's and explicit windows.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { refLocalResponseNormBackward } from './ref/lrn.js';

beforeAll(ready);

let baseline = 0;
beforeEach(() => { baseline = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use back to baseline').toBe(baseline); });

const CHANNELS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17];

interface P { size: number; alpha?: number; beta?: number; k?: number; window?: [number, number] }

function backward(shape: number[], p: P, data: Float32Array, dyData: Float32Array): Float32Array {
  const x = Tensor.from(data, shape), dy = Tensor.from(dyData, shape);
  const dx = ops.localResponseNormBackward(dy, x, p);
  expectCanariesIntact(`lrn backward ${shape.join('x')}`);
  expect(dx.shape).toEqual(shape);
  const out = dx.toFloat32Array();
  for (const t of [x, dy, dx]) t.dispose();
  return out;
}

function check(shape: number[], p: P, data: Float32Array, seed: number, what: string): void {
  const dyData = randArray(sizeOf(shape), seed);
  const ref = refLocalResponseNormBackward(dyData, data, shape, p.size, p.alpha, p.beta, p.k, p.window);
  expectClose(backward(shape, p, data, dyData), ref, shape, what);
}

function gradCheck(shape: number[], p: P, data: Float32Array, seed: number, samples = 60): void {
  const r = randArray(sizeOf(shape), seed);
  fdCheck({
    x: data, shape, r, analytic: backward(shape, p, data, r), samples, what: `lrn fd ${JSON.stringify(p)} ${shape.join('x')}`,
    forward: (xp) => {
      const x = Tensor.from(xp, shape);
      const y = ops.localResponseNorm(x, p);
      const out = y.toFloat32Array();
      x.dispose();
      y.dispose();
      return out;
    },
  });
}

const ALEXNET = { alpha: 1e-4, beta: 0.75, k: 2 };

describe('localResponseNormBackward', () => {
  it('hand-computed: size 1, b = a·(1 + a²)^(−1/2) has db/da = (1 + a²)^(−3/2)', () => {
    const a = [0.5, -1, 2, 3];
    const dx = backward([1, 4], { size: 1, alpha: 1, beta: 0.5, k: 1 }, new Float32Array(a), new Float32Array([1, 1, 1, 2]));
    expectClose(dx, a.map((v, i) => (i === 3 ? 2 : 1) * Math.pow(1 + v * v, -1.5)), [1, 4], 'size 1');
  });

  it('matches the definition: channels × spatial sizes (every remainder mod 4) × sizes 1, 2, 3, 5 (AlexNet parameters)', () => {
    let seed = 1;
    for (const size of [1, 2, 3, 5]) {
      for (const c of CHANNELS) {
        for (const [h, w] of [[1, 1], [1, 2], [1, 3], [2, 2], [1, 5], [2, 3], [1, 7], [3, 3], [4, 5]]) {
          const shape = [2, c, h, w];
          check(shape, { size, ...ALEXNET }, randArray(sizeOf(shape), seed++, -40, 40), seed++, `size ${size} ${shape.join('x')}`);
        }
      }
    }
  });

  it('general beta (exp/log path), strong normalization, explicit windows', () => {
    let seed = 100;
    const params: P[] = [
      { size: 5 },
      { size: 3, alpha: 1, beta: 0.5, k: 1 },
      { size: 4, alpha: 2, beta: 1, k: 0.5 },
      { size: 5, alpha: 0.5, beta: 0.3, k: 1 },
      { size: 2, alpha: 1, beta: -0.5, k: 3 },
      { size: 7, alpha: 10, beta: 2.5, k: 1e-1 },
      { size: 6, alpha: 0, beta: 0.75, k: 4 },
      { size: 4, alpha: 2, beta: 0.75, k: 1, window: [1, 2] },
      { size: 3, alpha: 3, beta: 0.6, k: 1, window: [0, 2] },
      { size: 2, alpha: 1, beta: 0.75, k: 1, window: [0, 1] },
      { size: 40, alpha: 1, beta: 0.75, k: 1 },
    ];
    for (const p of params) {
      for (const c of [1, 4, 9, 17]) {
        for (const s of [1, 6, 11]) {
          const shape = [2, c, s];
          check(shape, p, randArray(sizeOf(shape), seed++, -2, 2), seed++, `${JSON.stringify(p)} ${shape.join('x')}`);
        }
      }
    }
  });

  it('a huge value leaving either window leaves no residue in the sums', () => {
    const C = 17, S = 6;
    const data = randArray(C * S, 7, -0.3, 0.3);
    for (let s = 0; s < S; s++) data[s] = 3000 + s; // channel 0
    for (let s = 0; s < S; s++) data[8 * S + s] = -2000 - s; // channel 8
    let seed = 40;
    for (const p of [{ size: 3, alpha: 3, beta: 0.75, k: 1 }, { size: 2, alpha: 2, beta: 0.6, k: 1 }, { size: 4, alpha: 1, beta: 0.75, k: 1, window: [1, 2] as [number, number] }]) {
      check([1, C, S], p, data, seed++, `residue ${JSON.stringify(p)}`);
    }
  });

  it('central differences: AlexNet NORM parameters, general beta, even sizes, ranks 2–4, batch > 1', () => {
    let seed = 500;
    gradCheck([2, 7, 3, 5], { size: 5, ...ALEXNET }, randArray(210, seed++, -40, 40), seed++);
    gradCheck([2, 9, 2, 3], { size: 5, alpha: 1, beta: 0.75, k: 1 }, randArray(108, seed++, -2, 2), seed++);
    gradCheck([3, 8, 5], { size: 4, alpha: 2, beta: 0.6, k: 1 }, randArray(120, seed++, -2, 2), seed++);
    gradCheck([2, 6, 7], { size: 4, alpha: 2, beta: 1.3, k: 0.5, window: [1, 2] }, randArray(84, seed++, -2, 2), seed++);
    gradCheck([4, 17], { size: 3, alpha: 1, beta: 0.5, k: 1 }, randArray(68, seed++, -2, 2), seed++);
    gradCheck([1, 16, 2, 2], { size: 2, alpha: 1, beta: 0.75, k: 1 }, randArray(64, seed++, -2, 2), seed++);
  });

  it('AlexNet NORM1 shape (96×27×27) against the definition on sampled positions', () => {
    const shape = [1, 96, 27, 27];
    const data = randArray(sizeOf(shape), 3, -40, 40);
    const dyData = randArray(sizeOf(shape), 4);
    const dx = backward(shape, { size: 5, ...ALEXNET }, data, dyData);
    // the reference over single columns: gather the channel column of a few spatial positions
    for (const s of [0, 1, 2, 3, 100, 364, 727, 728]) {
      const col = (a: Float32Array) => Float32Array.from({ length: 96 }, (_, c) => a[c * 729 + s]);
      const ref = refLocalResponseNormBackward(col(dyData), col(data), [1, 96], 5, ALEXNET.alpha, ALEXNET.beta, ALEXNET.k);
      expectClose(col(dx), ref, [1, 96], `NORM1 position ${s}`);
    }
  });

  it('rejects bad arguments with specific messages', () => {
    const x = Tensor.zeros([1, 3, 2, 2]);
    const dy = Tensor.zeros([1, 3, 2, 2]), dyBad = Tensor.zeros([1, 3, 4]);
    const before = bytesInUse();
    const op = 'localResponseNormBackward';
    expect(() => ops.localResponseNormBackward(dyBad, x, { size: 3 })).toThrow(
      new RegExp(`${op}: dy has shape \\[1, 3, 4\\] but x has shape \\[1, 3, 2, 2\\]; they must match`),
    );
    expect(() => ops.localResponseNormBackward(dy, x, {} as never)).toThrow(/localResponseNormBackward: options.size is required/);
    expect(() => ops.localResponseNormBackward(dy, x, { size: 3, k: 0 })).toThrow(/localResponseNormBackward: k must be > 0/);
    expect(() => ops.localResponseNormBackward(dy, x, { size: 3, window: [1, 2] })).toThrow(/localResponseNormBackward: window \[1, 2\] spans 4 channels but size is 3/);
    expect(() => ops.localResponseNormBackward(dy, x, { size: 3, bias: 1 } as never)).toThrow(/localResponseNormBackward: unknown option 'bias'/);
    expect(() => ops.localResponseNormBackward(5 as never, x, { size: 3 })).toThrow(/localResponseNormBackward: dy must be a Tensor, got 5/);
    const r1 = Tensor.zeros([4]);
    expect(() => ops.localResponseNormBackward(r1, r1, { size: 3 })).toThrow(/localResponseNormBackward: x must have rank 2 or 3 or 4/);
    r1.dispose();
    expect(bytesInUse()).toBe(before);
    for (const t of [x, dy, dyBad]) t.dispose();
  });
});
