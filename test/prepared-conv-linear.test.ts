// Prepared convolution and dense ops: prepared once, run twice into one output buffer with
// different inputs; each run bit-identical to the eager op (same kernels) and close to the
// reference; no allocation in run(); dispose() returns memory to the baseline; bad shapes and
// options throw the eager op's messages.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { conv2dClamped, prepareConv2d, type Conv2dOptions } from '../src/ops/conv2d.js';
import { linearClamped, prepareLinear } from '../src/ops/linear.js';
import type { Prepared } from '../src/ops/prepared.js';
import { heap } from '../src/wasm/engine.js';
import { bytesInUse, coords, expectCanariesIntact, expectClose, randArray, ready, sizeOf } from './helpers.js';
import { refClamp, refConv2d, refPadding } from './ref/conv2d.js';
import { refLinear } from './ref/linear.js';

beforeAll(ready);

let baseline = 0;
beforeEach(() => { baseline = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use back to baseline').toBe(baseline); });

/** Bit-for-bit equality, naming the first differing coordinate. */
function expectIdentical(a: Float32Array, b: Float32Array, shape: readonly number[], what: string): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) throw new Error(`${what}: prepared ${a[i]} vs eager ${b[i]} at [${coords(i, shape).join(', ')}] (flat ${i})`);
  }
}

/**
 * Prepare once; run twice (different inputs, the same output and scratch, the output pre-filled
 * with NaN and the scratch with garbage); each run bit-identical to the eager op and close to the
 * reference; run() allocates nothing; canaries intact; dispose() frees everything, once.
 */
function checkCase(what: string, xShape: number[], prepare: () => Prepared, eager: (x: Tensor) => Tensor, ref: (x: Float32Array) => ArrayLike<number>): void {
  const base = bytesInUse();
  const p = prepare();
  const out = Tensor.full(p.outShape, NaN);
  const scratch = p.scratchBytes > 0 ? heap().alloc(p.scratchBytes) : 0;
  if (scratch > 0) heap().f32view().fill(NaN, scratch >>> 2, (scratch + p.scratchBytes) >>> 2);
  for (const seed of [21, 22]) {
    const w = `${what} run ${seed - 20}`;
    const data = randArray(sizeOf(xShape), seed * 17 + xShape.length, -2, 2);
    const x = Tensor.from(data, xShape);
    const inUse = bytesInUse();
    p.run([x.ptr], out.ptr, scratch);
    expect(bytesInUse(), `${w}: run() allocates nothing`).toBe(inUse);
    expectCanariesIntact(w);
    const y = eager(x);
    expect(y.shape, `${w}: eager shape`).toEqual(p.outShape);
    const got = out.toFloat32Array();
    expectIdentical(got, y.toFloat32Array(), p.outShape, w);
    expectClose(got, ref(data), p.outShape, `${w} vs reference`);
    y.dispose();
    x.dispose();
  }
  if (scratch > 0) heap().release(scratch);
  out.dispose();
  p.dispose();
  expect(bytesInUse(), `${what}: dispose() returns bytes in use to the baseline`).toBe(base);
  p.dispose();
  expect(bytesInUse(), `${what}: second dispose()`).toBe(base);
}

/** prepare throws exactly what the eager op throws (class and message). */
function expectSameError(prepare: () => unknown, eager: () => unknown, what: string): void {
  const caught = (f: () => unknown): Error | null => {
    try {
      f();
    } catch (e) {
      return e as Error;
    }
    return null;
  };
  const expected = caught(eager);
  if (expected === null) throw new Error(`${what}: the eager op did not throw`);
  const got = caught(prepare);
  if (got === null) throw new Error(`${what}: prepare did not throw (eager: ${expected.message})`);
  expect(got.message, what).toBe(expected.message);
  expect(got.constructor, `${what}: error class`).toBe(expected.constructor);
}

type Pair = number | [number, number];
interface ConvCase {
  x: number[]; o: number; kh: number; kw?: number;
  stride?: Pair; padding?: Conv2dOptions['padding']; dilation?: Pair; groups?: number; bias?: boolean; clamp?: [number, number];
}

const pair = (v: Pair | undefined): [number, number] => (v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : v);

const CONV: [string, ConvCase][] = [
  ['LeNet-5 conv1 (direct, pixels in the lanes)', { x: [3, 1, 32, 32], o: 6, kh: 5 }],
  ['LeNet-5 conv2 (direct, channels in the lanes), ReLU', { x: [2, 6, 14, 14], o: 16, kh: 5, clamp: [0, Infinity] }],
  ['LeNet-5 conv3 (window = whole input: dense)', { x: [3, 16, 5, 5], o: 12, kh: 5 }],
  ['window = whole input at batch 1 (GEMV), no bias', { x: [1, 16, 5, 5], o: 7, kh: 5, bias: false }],
  ['3×3 pad 1, ReLU', { x: [2, 5, 9, 11], o: 7, kh: 3, padding: 1, clamp: [0, Infinity] }],
  ["stride 2 'same', no bias", { x: [2, 3, 13, 10], o: 9, kh: 3, stride: 2, padding: 'same', bias: false }],
  ['dilation 2, asymmetric padding', { x: [1, 4, 12, 15], o: 5, kh: 3, kw: 2, dilation: 2, padding: [1, 0, 2, 3] }],
  ['groups 2, clamp [-0.5, 0.5]', { x: [2, 6, 8, 9], o: 4, kh: 3, groups: 2, clamp: [-0.5, 0.5] }],
  ['depthwise, multiplier 2', { x: [2, 3, 10, 19], o: 6, kh: 3, groups: 3, padding: 1 }],
  ['1×1, x read in place', { x: [2, 8, 5, 8], o: 5, kh: 1 }],
  ['1×1 over 128 pixels: through im2col', { x: [1, 6, 8, 16], o: 3, kh: 1 }],
  ['1×1 stride 2', { x: [2, 4, 7, 7], o: 3, kh: 1, stride: 2 }],
  ['many output rows in blocks', { x: [1, 130, 30, 9], o: 6, kh: 3, stride: [2, 1], padding: 1 }],
  ['empty batch', { x: [0, 3, 6, 6], o: 2, kh: 3 }],
];

describe('prepareConv2d', () => {
  for (const [name, c] of CONV) {
    it(name, () => {
      const g = c.groups ?? 1, kw = c.kw ?? c.kh;
      const ws = [c.o, c.x[1] / g, c.kh, kw];
      const w = Tensor.from(randArray(sizeOf(ws), 5), ws);
      const b = c.bias === false ? null : Tensor.from(randArray(c.o, 6), [c.o]);
      const opts: Conv2dOptions = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
      const clamp = c.clamp ? { min: c.clamp[0], max: c.clamp[1] } : undefined;
      const stride = pair(c.stride), dilation = pair(c.dilation);
      const pad = refPadding(c.padding, c.x[2], c.x[3], c.kh, kw, stride, dilation);
      checkCase(
        `conv2d ${name}`, c.x,
        () => prepareConv2d(c.x, w, b, opts, clamp),
        (x) => (clamp ? conv2dClamped(x, w, b, opts, clamp.min, clamp.max) : ops.conv2d(x, w, b, opts)),
        (d) => {
          const r = refConv2d(d, c.x, w.toFloat32Array(), ws, b ? b.toFloat32Array() : null, { stride, dilation, padding: pad, groups: g }).data;
          return c.clamp ? refClamp(r, c.clamp[0], c.clamp[1]) : r;
        },
      );
      w.dispose();
      b?.dispose();
    });
  }

  it('bad shapes and options throw the eager messages', () => {
    const w = Tensor.zeros([2, 4, 3, 3]), w3 = Tensor.zeros([3, 2, 3, 3]), b3 = Tensor.zeros([3]);
    const cases: [number[], Tensor, Tensor | null, unknown, [number, number] | undefined][] = [
      [[1, 3, 5, 5], w, null, {}, undefined],
      [[1, 4, 5], w, null, {}, undefined],
      [[1, 4, 2, 5], w, null, {}, undefined],
      [[1, 4, 5, 5], w3, null, { groups: 2 }, undefined],
      [[1, 4, 5, 5], w, b3, {}, undefined],
      [[1, 4, 5, 5], w, null, { strides: 2 }, undefined],
      [[1, 4, 5, 5], w, null, { padding: -1 }, undefined],
      [[1, 4, 5, 5], w, null, { dilation: 3 }, undefined],
      [[1, 4, 5, 5], w, null, {}, [1, 0]],
    ];
    for (const [xs, wt, bt, o, cl] of cases) {
      expectSameError(
        () => prepareConv2d(xs, wt, bt, o as Conv2dOptions, cl ? { min: cl[0], max: cl[1] } : undefined),
        () => {
          const x = Tensor.zeros(xs);
          try {
            return cl ? conv2dClamped(x, wt, bt, o as Conv2dOptions, cl[0], cl[1]) : ops.conv2d(x, wt, bt, o as Conv2dOptions);
          } finally {
            x.dispose();
          }
        },
        `conv2d x [${xs}] ${JSON.stringify(o)}`,
      );
    }
    expect(() => prepareConv2d([1, 4, -5, 5], w)).toThrow(/conv2d: xShape must be an array of integers ≥ 0/);
    for (const t of [w, w3, b3]) t.dispose();
  });
});

const LIN: [string, number[], number, boolean, [number, number] | undefined][] = [
  ['batch 1 (GEMV)', [1, 37], 9, true, undefined],
  ['rank-1 x', [21], 5, false, [0, Infinity]],
  ['batch 7, odd in', [7, 13], 11, true, [-0.5, 0.5]],
  ['LeNet-5 fc1 at batch 64', [64, 400], 120, true, [0, Infinity]],
  ['empty batch', [0, 6], 3, true, undefined],
];

describe('prepareLinear', () => {
  for (const [name, xs, out, bias, cl] of LIN) {
    it(name, () => {
      const inF = xs[xs.length - 1], n = xs.length === 2 ? xs[0] : 1;
      const s = 1 / Math.sqrt(inF); // a default init's range keeps the float32 sums well within tolerance
      const w = Tensor.from(randArray(out * inF, 7, -s, s), [out, inF]);
      const b = bias ? Tensor.from(randArray(out, 8), [out]) : null;
      const clamp = cl ? { min: cl[0], max: cl[1] } : undefined;
      checkCase(
        `linear ${name}`, xs,
        () => prepareLinear(xs, w, b, clamp),
        (x) => (clamp ? linearClamped(x, w, b, clamp.min, clamp.max) : ops.linear(x, w, b)),
        (d) => {
          const r = refLinear(d, n, inF, w.toFloat32Array(), out, b ? b.toFloat32Array() : null);
          return cl ? refClamp(r, cl[0], cl[1]) : r;
        },
      );
      w.dispose();
      b?.dispose();
    });
  }

  it('bad shapes throw the eager messages', () => {
    const w = Tensor.zeros([3, 5]), b4 = Tensor.zeros([4]), w0 = Tensor.zeros([3, 0]);
    const cases: [number[], Tensor, Tensor | null, [number, number] | undefined][] = [
      [[2, 4], w, null, undefined],
      [[2, 5, 1], w, null, undefined],
      [[2, 5], w, b4, undefined],
      [[2, 0], w0, null, undefined],
      [[2, 5], w, null, [NaN, 1]],
    ];
    for (const [xs, wt, bt, cl] of cases) {
      expectSameError(
        () => prepareLinear(xs, wt, bt, cl ? { min: cl[0], max: cl[1] } : undefined),
        () => {
          const x = Tensor.zeros(xs);
          try {
            return cl ? linearClamped(x, wt, bt, cl[0], cl[1]) : ops.linear(x, wt, bt);
          } finally {
            x.dispose();
          }
        },
        `linear x [${xs}]`,
      );
    }
    for (const t of [w, b4, w0]) t.dispose();
  });
});
