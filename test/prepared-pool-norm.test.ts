// Prepared pooling, LRN and batch-norm ops: prepared once, run twice into one output buffer with
// different inputs; each run bit-identical to the eager op (same kernels) and close to the
// reference; no allocation in run(); dispose() returns memory to the baseline; bad shapes and
// options throw the eager op's messages.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import type { Prepared } from '../src/ops/prepared.js';
import { prepareAdaptiveAvgPool2d, prepareAvgPool2d, prepareGlobalAvgPool2d, prepareMaxPool2d } from '../src/ops/pool2d.js';
import { prepareLocalResponseNorm } from '../src/ops/lrn.js';
import { prepareBatchNorm } from '../src/ops/batchnorm.js';
import { heap } from '../src/wasm/engine.js';
import { bytesInUse, coords, expectCanariesIntact, expectClose, randArray, ready, sizeOf } from './helpers.js';
import { refAdaptiveAvgPool2d, refAvgPool2d, refGlobalAvgPool2d, refMaxPool2d, type RefPoolOptions } from './ref/pool2d.js';
import { refLocalResponseNorm } from './ref/lrn.js';
import { refBatchNorm } from './ref/batchnorm.js';

beforeAll(ready);

let baseline = 0;
beforeEach(() => { baseline = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use back to baseline').toBe(baseline); });

/** Bit-for-bit equality (NaNs included), naming the first differing coordinate. */
function expectIdentical(a: Float32Array, b: Float32Array, shape: readonly number[], what: string): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) throw new Error(`${what}: prepared ${a[i]} vs eager ${b[i]} at [${coords(i, shape).join(', ')}] (flat ${i})`);
  }
}

interface Case {
  what: string;
  xShape: number[];
  prepare: () => Prepared;
  eager: (x: Tensor) => Tensor;
  /** float64 reference of the output for input data, or null when the eager tests cover it. */
  ref: (x: Float32Array) => ArrayLike<number>;
}

/**
 * Prepare once; run twice (different inputs, the same output and scratch buffers, the output
 * pre-filled with NaN and the scratch with garbage); compare each run with the eager op bit for
 * bit and with the reference; no bytes allocated by run(); canaries intact; dispose() frees all.
 */
function checkCase(c: Case): void {
  const base = bytesInUse();
  const p = c.prepare();
  const out = Tensor.full(p.outShape, NaN);
  const scratch = p.scratchBytes > 0 ? heap().alloc(p.scratchBytes) : 0;
  if (scratch > 0) heap().f32view().fill(-7.5, scratch >>> 2, (scratch + p.scratchBytes) >>> 2);
  for (const seed of [11, 12]) {
    const what = `${c.what} run ${seed - 10}`;
    const data = randArray(sizeOf(c.xShape), seed * 31 + c.xShape.length, -3, 3);
    const x = Tensor.from(data, c.xShape);
    const inUse = bytesInUse();
    p.run([x.ptr], out.ptr, scratch);
    expect(bytesInUse(), `${what}: run() allocates nothing`).toBe(inUse);
    expectCanariesIntact(what);
    const y = c.eager(x);
    expectCanariesIntact(`${what} (eager)`);
    expect(y.shape, `${what}: eager shape`).toEqual(p.outShape);
    const got = out.toFloat32Array();
    expectIdentical(got, y.toFloat32Array(), p.outShape, what);
    expectClose(got, c.ref(data), p.outShape, `${what} vs reference`);
    y.dispose();
    x.dispose();
  }
  if (scratch > 0) heap().release(scratch);
  out.dispose();
  p.dispose();
  expect(bytesInUse(), `${c.what}: dispose() returns bytes in use to the baseline`).toBe(base);
  p.dispose(); // a second dispose() frees nothing twice
  expect(bytesInUse(), `${c.what}: second dispose()`).toBe(base);
}

/** The prepare call throws exactly what the eager op throws on a tensor of that shape (same class, same message). */
function expectSameError(prepare: () => unknown, eager: () => unknown, what: string): void {
  let expected: Error | null = null;
  try {
    eager();
  } catch (e) {
    expected = e as Error;
  }
  if (expected === null) throw new Error(`${what}: the eager op did not throw`);
  let got: Error | null = null;
  try {
    prepare();
  } catch (e) {
    got = e as Error;
  }
  if (got === null) throw new Error(`${what}: prepare did not throw (eager: ${expected.message})`);
  expect(got.message, what).toBe(expected.message);
  expect(got.constructor, `${what}: error class`).toBe(expected.constructor);
}

/** Runs `fn` with a zero tensor of `shape`, then disposes it. */
function withX<T>(shape: number[], fn: (x: Tensor) => T): T {
  const x = Tensor.zeros(shape);
  try {
    return fn(x);
  } finally {
    x.dispose();
  }
}

// ---- pooling -------------------------------------------------------------------------------

const POOL_SHAPES: number[][] = [[2, 3, 9, 11], [1, 5, 8, 8], [3, 7, 7], [2, 17, 13, 6], [1, 4, 6, 17]];

const MAX_OPTS: [string, RefPoolOptions][] = [
  ['k2', { kernelSize: 2 }],
  ['k3 s2 p1', { kernelSize: 3, stride: 2, padding: 1 }],
  ['k3 s2 ceil', { kernelSize: 3, stride: 2, ceilMode: true }],
  ['k[2,3] s[1,3] d2', { kernelSize: [2, 3], stride: [1, 3], dilation: 2 }],
];

const AVG_OPTS: [string, RefPoolOptions][] = [
  ['k2', { kernelSize: 2 }],
  ['k3 s2 p1', { kernelSize: 3, stride: 2, padding: 1 }],
  ['k3 s1 p1 exclude pad', { kernelSize: 3, stride: 1, padding: 1, countIncludePad: false }],
  ['k3 s2 ceil', { kernelSize: 3, stride: 2, ceilMode: true }],
];

describe('prepareMaxPool2d', () => {
  for (const shape of POOL_SHAPES) {
    for (const [name, o] of MAX_OPTS) {
      it(`${fmt(shape)} ${name}`, () => {
        checkCase({
          what: `maxPool2d ${fmt(shape)} ${name}`,
          xShape: shape,
          prepare: () => prepareMaxPool2d(shape, o),
          eager: (x) => ops.maxPool2d(x, o),
          ref: (d) => refMaxPool2d(d, shape, o).y,
        });
      });
    }
  }

  it('an empty batch prepares and runs', () => {
    checkCase({
      what: 'maxPool2d [0, 3, 4, 4]',
      xShape: [0, 3, 4, 4],
      prepare: () => prepareMaxPool2d([0, 3, 4, 4], { kernelSize: 2 }),
      eager: (x) => ops.maxPool2d(x, { kernelSize: 2 }),
      ref: () => new Float64Array(0),
    });
  });

  it('bad shapes and options throw the eager messages', () => {
    const cases: [number[], RefPoolOptions | undefined][] = [
      [[3, 3], { kernelSize: 2 }],
      [[1, 1, 1, 3, 3], { kernelSize: 2 }],
      [[1, 1, 3, 3], { kernelSize: 3, padding: 2 }],
      [[1, 1, 3, 3], { kernelSize: 6, padding: 1 }],
      [[1, 1, 3, 3], { kernelSize: 2, dilation: 3 }],
      [[1, 1, 3, 3], { kernelSize: 2.5 }],
      [[1, 1, 3, 3], { kernelSize: 2, stride: 0 }],
      [[1, 1, 3, 3], { kernelSize: 2, ceilMode: 1 as never }],
      [[1, 1, 3, 3], { kernelSize: 2, strides: 2 } as never],
      [[1, 1, 3, 3], {} as never],
      [[1, 1, 3, 3], undefined],
      [[1, 1, 0, 3], { kernelSize: 2 }],
    ];
    for (const [shape, o] of cases) {
      expectSameError(() => prepareMaxPool2d(shape, o as never), () => withX(shape, (x) => ops.maxPool2d(x, o as never)), `maxPool2d ${fmt(shape)} ${JSON.stringify(o)}`);
    }
  });
});

describe('prepareAvgPool2d', () => {
  for (const shape of POOL_SHAPES) {
    for (const [name, o] of AVG_OPTS) {
      it(`${fmt(shape)} ${name}`, () => {
        checkCase({
          what: `avgPool2d ${fmt(shape)} ${name}`,
          xShape: shape,
          prepare: () => prepareAvgPool2d(shape, o),
          eager: (x) => ops.avgPool2d(x, o),
          ref: (d) => refAvgPool2d(d, shape, o).y,
        });
      });
    }
  }

  it('bad shapes and options throw the eager messages', () => {
    const cases: [number[], RefPoolOptions][] = [
      [[1, 1, 1, 3, 3], { kernelSize: 2 }],
      [[3], { kernelSize: 2 }],
      [[1, 1, 3, 3], { kernelSize: 2, dilation: 2 }],
      [[1, 1, 3, 3], { kernelSize: 2, countIncludePad: 'yes' as never }],
      [[1, 1, 3, 3], { kernelSize: 1, padding: 1 }],
      [[1, 1, 3, 3], { kernelSize: 4 }],
      [[1, 1, 3, 3], { kernelSize: [2, 2.5] as never }],
    ];
    for (const [shape, o] of cases) {
      expectSameError(() => prepareAvgPool2d(shape, o as never), () => withX(shape, (x) => ops.avgPool2d(x, o as never)), `avgPool2d ${fmt(shape)} ${JSON.stringify(o)}`);
    }
  });
});

describe('prepareGlobalAvgPool2d', () => {
  for (const shape of [...POOL_SHAPES, [2, 9, 1, 1], [1, 3, 1, 37]]) {
    it(fmt(shape), () => {
      checkCase({
        what: `globalAvgPool2d ${fmt(shape)}`,
        xShape: shape,
        prepare: () => prepareGlobalAvgPool2d(shape),
        eager: (x) => ops.globalAvgPool2d(x),
        ref: (d) => refGlobalAvgPool2d(d, shape).y,
      });
    });
  }

  it('bad shapes throw the eager messages', () => {
    for (const shape of [[4], [2, 3], [1, 2, 0, 3], [1, 1, 1, 2, 2]]) {
      expectSameError(() => prepareGlobalAvgPool2d(shape), () => withX(shape, (x) => ops.globalAvgPool2d(x)), `globalAvgPool2d ${fmt(shape)}`);
    }
  });
});

describe('prepareAdaptiveAvgPool2d', () => {
  const cases: [number[], number | [number, number]][] = [
    [[2, 3, 9, 11], [4, 5]],
    [[1, 16, 7, 7], 1],
    [[2, 5, 6, 6], [8, 3]],
    [[3, 13, 10], [3, 7]],
    [[1, 9, 13, 6], 6],
  ];
  for (const [shape, size] of cases) {
    it(`${fmt(shape)} → ${JSON.stringify(size)}`, () => {
      const [oh, ow] = typeof size === 'number' ? [size, size] : size;
      checkCase({
        what: `adaptiveAvgPool2d ${fmt(shape)} → ${oh}×${ow}`,
        xShape: shape,
        prepare: () => prepareAdaptiveAvgPool2d(shape, size),
        eager: (x) => ops.adaptiveAvgPool2d(x, size),
        ref: (d) => refAdaptiveAvgPool2d(d, shape, oh, ow).y,
      });
    });
  }

  it('needs scratch for the row sums and column windows', () => {
    const p = prepareAdaptiveAvgPool2d([1, 2, 9, 11], [3, 5]);
    expect(p.outShape).toEqual([1, 2, 3, 5]);
    expect(p.scratchBytes).toBeGreaterThanOrEqual(4 * (11 + 2 * 5));
    p.dispose();
  });

  it('bad shapes and sizes throw the eager messages', () => {
    const bad: [number[], unknown][] = [
      [[1, 2, 4, 4], 0],
      [[1, 2, 4, 4], [2, 1.5]],
      [[1, 2, 4, 4], [2, 2, 2]],
      [[1, 2, 4, 4], undefined],
      [[1, 2, 0, 4], 2],
      [[4, 4], 2],
    ];
    for (const [shape, size] of bad) {
      expectSameError(
        () => prepareAdaptiveAvgPool2d(shape, size as never),
        () => withX(shape, (x) => ops.adaptiveAvgPool2d(x, size as never)),
        `adaptiveAvgPool2d ${fmt(shape)} ${JSON.stringify(size)}`,
      );
    }
  });
});

// ---- local response normalization ----------------------------------------------------------

describe('prepareLocalResponseNorm', () => {
  const cases: [number[], ops.LocalResponseNormOptions][] = [
    [[2, 5, 4, 4], { size: 5, alpha: 1e-2, beta: 0.75, k: 2 }],
    [[3, 17, 7], { size: 3, alpha: 0.5 }],
    [[4, 9], { size: 2, alpha: 0.3, k: 1.5 }],
    [[1, 16, 5, 3], { size: 4, alpha: 0.2, window: [1, 2] }],
    [[2, 1, 6, 6], { size: 5, alpha: 0.1 }],
    [[0, 3, 2, 2], { size: 3 }],
  ];
  for (const [shape, o] of cases) {
    it(`${fmt(shape)} ${JSON.stringify(o)}`, () => {
      checkCase({
        what: `localResponseNorm ${fmt(shape)}`,
        xShape: shape,
        prepare: () => prepareLocalResponseNorm(shape, o),
        eager: (x) => ops.localResponseNorm(x, o),
        ref: (d) => refLocalResponseNorm(d, shape, o.size, o.alpha, o.beta, o.k, o.window),
      });
    });
  }

  it('bad shapes and options throw the eager messages', () => {
    const bad: [number[], unknown][] = [
      [[5], { size: 3 }],
      [[1, 1, 1, 1, 1], { size: 3 }],
      [[1, 4, 2, 2], {}],
      [[1, 4, 2, 2], undefined],
      [[1, 4, 2, 2], { size: 0 }],
      [[1, 4, 2, 2], { size: 3, k: 0 }],
      [[1, 4, 2, 2], { size: 3, alpha: -1 }],
      [[1, 4, 2, 2], { size: 3, bias: 1 }],
      [[1, 4, 2, 2], { size: 4, window: [2, 2] }],
      [[1, 4, 2, 2], { size: 3, window: [-1, 3] }],
    ];
    for (const [shape, o] of bad) {
      expectSameError(
        () => prepareLocalResponseNorm(shape, o as never),
        () => withX(shape, (x) => ops.localResponseNorm(x, o as never)),
        `localResponseNorm ${fmt(shape)} ${JSON.stringify(o)}`,
      );
    }
  });
});

// ---- batch normalization (inference) ---------------------------------------------------------

interface BnParams {
  mean: Float32Array;
  variance: Float32Array;
  weight: Float32Array | null;
  bias: Float32Array | null;
}

function bnParams(c: number, seed: number, affine: boolean): BnParams {
  return {
    mean: randArray(c, seed + 1, -1, 1),
    variance: randArray(c, seed + 2, 0.05, 4),
    weight: affine ? randArray(c, seed + 3, -2, 2) : null,
    bias: affine ? randArray(c, seed + 4, -1, 1) : null,
  };
}

function bnTensors(p: BnParams): Tensor[] {
  const c = p.mean.length;
  return [p.mean, p.variance, p.weight, p.bias].map((a) => (a ? Tensor.from(a, [c]) : null)) as Tensor[];
}

describe('prepareBatchNorm', () => {
  const cases: [number[], boolean, number | undefined][] = [
    [[2, 3, 5, 5], true, undefined],
    [[4, 17], true, 1e-3],
    [[2, 16, 9], false, undefined],
    [[3, 5, 1, 7], true, 0.5],
    [[1, 9, 4, 4], false, 1e-5],
    [[0, 4, 2, 2], true, undefined],
  ];
  for (const [shape, affine, eps] of cases) {
    it(`${fmt(shape)}${affine ? ' affine' : ''}${eps === undefined ? '' : ` eps ${eps}`}`, () => {
      const c = shape[1];
      const prm = bnParams(c, shape.length * 100 + c, affine);
      const [m, v, w, b] = bnTensors(prm);
      const o = eps === undefined ? undefined : { eps };
      checkCase({
        what: `batchNorm ${fmt(shape)}`,
        xShape: shape,
        prepare: () => prepareBatchNorm(shape, m, v, w, b, o),
        eager: (x) => ops.batchNorm(x, m, v, w, b, o),
        ref: (d) => refBatchNorm(d, shape, prm.mean, prm.variance, prm.weight, prm.bias, eps),
      });
      for (const t of [m, v, w, b]) t?.dispose();
    });
  }

  it('folds the statistics once: later changes need a new prepare; the parameter tensors may be disposed', () => {
    const shape = [2, 6, 3, 3], c = 6;
    const prm = bnParams(c, 7, true);
    const [m, v, w, b] = bnTensors(prm);
    const data = randArray(sizeOf(shape), 8, -3, 3);
    const x = Tensor.from(data, shape);
    const out = Tensor.empty(shape);
    const p = prepareBatchNorm(shape, m, v, w, b);
    const before = refBatchNorm(data, shape, prm.mean, prm.variance, prm.weight, prm.bias);
    // new running statistics (as a training step would write) are not seen by the prepared op
    const mean2 = randArray(c, 9, 2, 3), var2 = randArray(c, 10, 5, 6);
    heap().f32view().set(mean2, m.ptr >>> 2);
    heap().f32view().set(var2, v.ptr >>> 2);
    p.run([x.ptr], out.ptr, 0);
    expectClose(out.toFloat32Array(), before, shape, 'old statistics after the change');
    // a new prepare sees them
    const p2 = prepareBatchNorm(shape, m, v, w, b);
    for (const t of [m, v, w, b]) t.dispose();
    p2.run([x.ptr], out.ptr, 0);
    expectCanariesIntact('after the disposal of the parameters');
    expectClose(out.toFloat32Array(), refBatchNorm(data, shape, mean2, var2, prm.weight, prm.bias), shape, 'new statistics');
    // in place (out = x) is fine
    p2.run([x.ptr], x.ptr, 0);
    expectIdentical(x.toFloat32Array(), out.toFloat32Array(), shape, 'in place');
    p.dispose();
    p2.dispose();
    x.dispose();
    out.dispose();
  });

  it('bad shapes, parameters and options throw the eager messages', () => {
    const c = 4;
    const m = Tensor.zeros([c]), v = Tensor.full([c], 1), w = Tensor.full([c], 2), b = Tensor.zeros([c]);
    const short = Tensor.zeros([c - 1]), gone = Tensor.zeros([c]);
    gone.dispose();
    const bad: [number[], unknown[]][] = [
      [[5], [m, v, w, b]],
      [[1, 4, 1, 1, 1], [m, v, w, b]],
      [[2, 5, 3], [m, v, w, b]],
      [[2, 4, 3], [short, v, w, b]],
      [[2, 4, 3], [m, null, w, b]],
      [[2, 4, 3], [m, undefined, w, b]],
      [[2, 4, 3], [m, v, short, b]],
      [[2, 4, 3], [m, v, w, short]],
      [[2, 4, 3], [m, [1, 2, 3, 4], w, b]],
      [[2, 4, 3], [gone, v, w, b]],
      [[2, 4, 3], [m, v, w, b, { eps: -1 }]],
      [[2, 4, 3], [m, v, w, b, { eps: NaN }]],
      [[2, 4, 3], [m, v, w, b, { momentum: 0.1 }]],
    ];
    for (const [shape, args] of bad) {
      expectSameError(
        () => (prepareBatchNorm as (...a: unknown[]) => unknown)(shape, ...args),
        () => withX(shape, (x) => (ops.batchNorm as (...a: unknown[]) => unknown)(x, ...args)),
        `batchNorm ${fmt(shape)} ${args.map((a) => (a instanceof Tensor ? fmt(a.disposed ? [] : a.shape) : JSON.stringify(a))).join(' ')}`,
      );
    }
    for (const t of [m, v, w, b, short]) t.dispose();
  });
});

// ---- xShape itself ---------------------------------------------------------------------------

describe('xShape that is not a shape', () => {
  it('is a TypeError naming the op', () => {
    const prepares: [string, (s: never) => Prepared][] = [
      ['maxPool2d', (s) => prepareMaxPool2d(s, { kernelSize: 2 })],
      ['avgPool2d', (s) => prepareAvgPool2d(s, { kernelSize: 2 })],
      ['globalAvgPool2d', (s) => prepareGlobalAvgPool2d(s)],
      ['adaptiveAvgPool2d', (s) => prepareAdaptiveAvgPool2d(s, 2)],
      ['localResponseNorm', (s) => prepareLocalResponseNorm(s, { size: 3 })],
    ];
    for (const [op, prep] of prepares) {
      for (const s of ['x', null, [1, 2, -1, 4], [1, 2, 2.5, 4], [1, 2, NaN, 4], [1, 2, '3', 4]]) {
        expect(() => prep(s as never), `${op} ${JSON.stringify(s)}`).toThrow(TypeError);
        expect(() => prep(s as never), `${op} ${JSON.stringify(s)}`).toThrow(new RegExp(`^${op}: xShape must be an array of integers ≥ 0`));
      }
    }
    const m = Tensor.zeros([2]), v = Tensor.full([2], 1);
    expect(() => prepareBatchNorm([1, -2] as never, m, v)).toThrow(/^batchNorm: xShape must be an array of integers ≥ 0 \(x's shape\), got/);
    m.dispose();
    v.dispose();
  });
});

function fmt(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}
