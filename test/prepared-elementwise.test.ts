// Prepared forms of the elementwise families (activations, softmax, add/mul, concat, flatten,
// dropout): prepared once and run twice into one output buffer with fresh inputs, each run
// bit-identical to the eager op and within tolerance of the float64 reference; run() allocates
// nothing, dispose() frees what prepare allocated, bad shapes throw the eager op's messages, and
// the ops documented as in-place run correctly with out === input.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import type { Prepared } from '../src/ops/prepared.js';
import { prepareLeakyRelu, prepareRelu, prepareSigmoid, prepareTanh } from '../src/ops/activation.js';
import { prepareLogSoftmax, prepareSoftmax } from '../src/ops/softmax.js';
import { prepareAdd, prepareMul } from '../src/ops/add.js';
import { prepareConcat, prepareFlatten } from '../src/ops/concat.js';
import { prepareDropout } from '../src/ops/dropout.js';
import { heap } from '../src/wasm/engine.js';
import { bytesInUse, coords, expectCanariesIntact, expectClose, randArray, ready, sizeOf } from './helpers.js';
import { leakyReluRef, mapRef, reluRef, sigmoidRef, tanhRef } from './ref/activation.js';
import { softmaxRef } from './ref/softmax.js';
import { addRef, mulRef } from './ref/add.js';
import { concatRef, flattenShapeRef } from './ref/concat.js';
import { keptRef } from './ref/dropout.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

interface Case {
  name: string;
  /** Input shapes, in the order run() takes their addresses. */
  shapes: number[][];
  prepare: () => Prepared;
  eager: (xs: Tensor[]) => Tensor;
  /** The float64 reference of the output (data, shape), independent of the kernels. */
  ref: (xs: Float32Array[]) => { y: ArrayLike<number>; shape: readonly number[] };
  /** Index of an input that run() may overwrite (out === that input's address). */
  inPlace?: number;
}

/** Bit-for-bit equality (NaN payloads and −0 included); names the first differing coordinate. */
function expectBitIdentical(actual: Float32Array, expected: Float32Array, shape: readonly number[], what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      throw new Error(`${what}: differs at [${coords(i, shape).join(', ')}] (flat ${i}): got ${actual[i]}, eager gave ${expected[i]}`);
    }
  }
}

function inputs(c: Case, seed: number): { data: Float32Array[]; ts: Tensor[] } {
  const data = c.shapes.map((s, i) => randArray(sizeOf(s), seed + 31 * i, -4, 4));
  return { data, ts: data.map((d, i) => Tensor.from(d, c.shapes[i])) };
}

function check(c: Case): void {
  const start = bytesInUse();
  const p = c.prepare();
  const out = Tensor.empty(p.outShape);
  const h = heap();
  const scratch = p.scratchBytes > 0 ? h.alloc(p.scratchBytes) : 0;
  try {
    // both input sets stay live, so the second run sees other addresses than the first
    const sets = [11, 12].map((seed) => inputs(c, seed * 97));
    const eagers: Tensor[] = [];
    try {
      sets.forEach(({ data, ts }, k) => {
        const what = `${c.name} (run ${k + 1})`;
        const e = c.eager(ts);
        eagers.push(e);
        expect(p.outShape, `${what}: outShape`).toEqual(e.shape);
        const before = bytesInUse();
        p.run(ts.map((t) => t.ptr), out.ptr, scratch);
        expect(bytesInUse(), `${what}: bytes in use across run()`).toBe(before);
        expectCanariesIntact(what);
        const y = out.toFloat32Array();
        expectBitIdentical(y, e.toFloat32Array(), p.outShape, what);
        const r = c.ref(data);
        expect(r.shape, `${what}: reference shape`).toEqual(p.outShape);
        expectClose(y, r.y, p.outShape, `${what} vs reference`);
        ts.forEach((t, i) => expectBitIdentical(t.toFloat32Array(), data[i], c.shapes[i], `${what}: input ${i} untouched`));
      });
    } finally {
      for (const e of eagers) e.dispose();
      for (const { ts } of sets) for (const t of ts) t.dispose();
    }
    if (c.inPlace !== undefined) {
      const what = `${c.name} in place`;
      const { ts } = inputs(c, 555);
      const e = c.eager(ts);
      try {
        const target = ts[c.inPlace];
        expect(target.shape, `${what}: the aliased input has the output shape`).toEqual(p.outShape);
        p.run(ts.map((t) => t.ptr), target.ptr, scratch);
        expectCanariesIntact(what);
        expectBitIdentical(target.toFloat32Array(), e.toFloat32Array(), p.outShape, what);
      } finally {
        e.dispose();
        for (const t of ts) t.dispose();
      }
    }
  } finally {
    if (scratch > 0) h.release(scratch);
    out.dispose();
    p.dispose();
  }
  expect(bytesInUse(), `${c.name}: bytes in use after dispose()`).toBe(start);
}

const SHAPES = [[0], [1], [3], [4], [5], [17], [2, 3, 5, 7], [3, 17, 5], [2, 16, 9, 9], [], [0, 3]];

function unaryCases(name: string, prepare: (s: number[]) => Prepared, eager: (x: Tensor) => Tensor, f: (v: number) => number): Case[] {
  return SHAPES.map((s) => ({
    name: `${name} ${JSON.stringify(s)}`,
    shapes: [s],
    prepare: () => prepare(s),
    eager: ([x]) => eager(x),
    ref: ([x]) => ({ y: mapRef(x, f), shape: s }),
    inPlace: 0,
  }));
}

describe('prepared activations (in place allowed)', () => {
  const cases = [
    ...unaryCases('relu', prepareRelu, (x) => ops.relu(x), reluRef),
    ...unaryCases('leakyRelu', (s) => prepareLeakyRelu(s), (x) => ops.leakyRelu(x), (v) => leakyReluRef(v, 0.01)),
    ...unaryCases('leakyRelu(0.3)', (s) => prepareLeakyRelu(s, 0.3), (x) => ops.leakyRelu(x, 0.3), (v) => leakyReluRef(v, 0.3)),
    ...unaryCases('sigmoid', prepareSigmoid, (x) => ops.sigmoid(x), sigmoidRef),
    ...unaryCases('tanh', prepareTanh, (x) => ops.tanh(x), tanhRef),
  ];
  for (const c of cases) it(c.name, () => check(c));

  it('run in place on every length 0..70 (each tail of the 16-wide loop) with canaries intact', () => {
    const fs: [string, () => Prepared, (x: Tensor) => Tensor][] = [];
    for (let n = 0; n <= 70; n++) {
      fs.length = 0;
      fs.push(['relu', () => prepareRelu([n]), (x) => ops.relu(x)]);
      fs.push(['leakyRelu', () => prepareLeakyRelu([n], 0.2), (x) => ops.leakyRelu(x, 0.2)]);
      fs.push(['sigmoid', () => prepareSigmoid([n]), (x) => ops.sigmoid(x)]);
      fs.push(['tanh', () => prepareTanh([n]), (x) => ops.tanh(x)]);
      for (const [name, prep, eager] of fs) {
        const data = randArray(n, 1000 + n, -6, 6);
        const x = Tensor.from(data, [n]);
        const e = eager(x);
        const p = prep();
        try {
          p.run([x.ptr], x.ptr, 0);
          expectCanariesIntact(`${name} [${n}] in place`);
          expectBitIdentical(x.toFloat32Array(), e.toFloat32Array(), [n], `${name} [${n}] in place`);
        } finally {
          p.dispose();
          x.dispose();
          e.dispose();
        }
      }
    }
  });
});

describe('prepared softmax / logSoftmax (in place allowed)', () => {
  const AXES: [number[], number][] = [[[4, 17], -1], [[4, 17], 0], [[2, 3, 5, 7], 1], [[2, 3, 5, 7], -1], [[3, 9, 6], 1], [[5, 3, 21], 1], [[], 0], [[], -1], [[3, 0, 4], 1], [[1], 0]];
  for (const log of [false, true]) {
    const name = log ? 'logSoftmax' : 'softmax';
    for (const [s, ax] of AXES) {
      it(`${name} ${JSON.stringify(s)} axis ${ax}`, () => check({
        name: `${name} ${JSON.stringify(s)} axis ${ax}`,
        shapes: [s],
        prepare: () => (log ? prepareLogSoftmax(s, ax) : prepareSoftmax(s, ax)),
        eager: ([x]) => (log ? ops.logSoftmax(x, ax) : ops.softmax(x, ax)),
        ref: ([x]) => ({ y: softmaxRef(x, s.length === 0 ? [1] : s, ax < 0 ? ax + Math.max(s.length, 1) : ax, log), shape: s }),
        inPlace: 0,
      }));
    }
  }
  it('default axis is −1', () => {
    const p = prepareSoftmax([2, 5]);
    const x = Tensor.from(randArray(10, 3), [2, 5]);
    const y = Tensor.empty([2, 5]);
    const e = ops.softmax(x, -1);
    try {
      p.run([x.ptr], y.ptr, 0);
      expectBitIdentical(y.toFloat32Array(), e.toFloat32Array(), [2, 5], 'softmax default axis');
    } finally {
      for (const t of [x, y, e]) t.dispose();
      p.dispose();
    }
  });
});

describe('prepared add / mul (in place on a full-shape input)', () => {
  // [a, b, index of an input with the output shape, or undefined]; covers every kernel path:
  // same shape, scalar, row ([N, F] + [F]), channel ([N, C, H, W] + [C, 1, 1]), strided, and the swap.
  const PAIRS: [number[], number[], number | undefined][] = [
    [[2, 3, 5, 7], [2, 3, 5, 7], 0],
    [[37], [37], 1],
    [[3, 17], [], 0],
    [[1], [6, 5], 1],
    [[4, 19], [19], 0],
    [[2, 5, 3, 3], [5, 1, 1], 0],
    [[5, 1, 1], [2, 5, 3, 3], 1],
    [[3, 7, 9], [3, 1, 1], 0],
    [[4, 1], [1, 5], undefined],
    [[3, 1], [3, 5], 1],
    [[5], [3, 5], 1],
    [[2, 3, 1, 5], [3, 4, 1], undefined],
    [[2, 1, 4, 6], [2, 3, 4, 6], 1],
    [[0, 3], [3], 0],
  ];
  for (const kind of ['add', 'mul'] as const) {
    for (const [as, bs, ip] of PAIRS) {
      const name = `${kind} ${JSON.stringify(as)} ∘ ${JSON.stringify(bs)}`;
      it(name, () => check({
        name,
        shapes: [as, bs],
        prepare: () => (kind === 'add' ? prepareAdd(as, bs) : prepareMul(as, bs)),
        eager: ([a, b]) => (kind === 'add' ? ops.add(a, b) : ops.mul(a, b)),
        ref: ([a, b]) => (kind === 'add' ? addRef(a, as, b, bs) : mulRef(a, as, b, bs)),
        inPlace: ip,
      }));
    }
  }
  it('the general broadcast case owns a parameter block until dispose()', () => {
    const start = bytesInUse();
    const p = prepareAdd([4, 1], [1, 5]);
    expect(bytesInUse()).toBeGreaterThan(start);
    p.dispose();
    expect(bytesInUse()).toBe(start);
  });
});

describe('prepared concat / flatten', () => {
  const CATS: [number[][], number][] = [
    [[[2, 3, 4], [2, 5, 4], [2, 1, 4]], 1],
    [[[3, 5], [3, 7], [3, 1], [3, 4]], -1],
    [[[2, 3], [4, 3]], 0],
    [[[2, 3, 5, 5]], 1],
    [[[2, 0, 3], [2, 2, 3]], 1],
    [[[0, 2], [0, 3]], 1],
    [[[1, 16, 3, 3], [1, 17, 3, 3], [1, 9, 3, 3]], 1],
  ];
  for (const [ss, ax] of CATS) {
    const name = `concat ${JSON.stringify(ss)} axis ${ax}`;
    it(name, () => check({
      name,
      shapes: ss,
      prepare: () => prepareConcat(ss, ax),
      eager: (xs) => ops.concat(xs, ax),
      ref: (xs) => concatRef(xs.map((data, i) => ({ data, shape: ss[i] })), ax < 0 ? ax + ss[0].length : ax),
    }));
  }
  it('concat: default axis is 1', () => {
    const p = prepareConcat([[2, 1, 3], [2, 2, 3]]);
    expect(p.outShape).toEqual([2, 3, 3]);
    p.dispose();
  });

  const FLATS: [number[], number, number][] = [
    [[2, 3, 4, 5], 1, -1], [[2, 3, 4, 5], 0, 2], [[2, 3, 4, 5], -2, -1], [[], 0, -1], [[7], 0, 0], [[3, 0, 2], 1, 2], [[5, 1, 3], 2, 2],
  ];
  for (const [s, a, b] of FLATS) {
    const name = `flatten ${JSON.stringify(s)} ${a}..${b}`;
    it(name, () => check({
      name,
      shapes: [s],
      prepare: () => prepareFlatten(s, a, b),
      eager: ([x]) => ops.flatten(x, a, b),
      ref: ([x]) => ({ y: x, shape: flattenShapeRef(s, a, b) }),
    }));
  }
  it('flatten: defaults 1 and −1; in place writes back the same values', () => {
    const p = prepareFlatten([2, 3, 4]);
    expect(p.outShape).toEqual([2, 12]);
    const data = randArray(24, 9);
    const x = Tensor.from(data, [2, 3, 4]);
    try {
      p.run([x.ptr], x.ptr, 0);
      expectBitIdentical(x.toFloat32Array(), data, [24], 'flatten in place');
    } finally {
      x.dispose();
      p.dispose();
    }
  });
});

describe('prepared dropout (fixed seed; in place allowed)', () => {
  const CASES: [number[], number, { seed?: number; training?: boolean }][] = [
    [[2, 3, 5, 7], 0.5, { seed: 7 }],
    [[37], 0.2, { seed: 4242 }],
    [[3, 17], 0.9, { seed: 0xffffffff }],
    [[4, 4], 0, { seed: 1 }],
    [[9], 1, { seed: 3 }],
    [[2, 3], 0.5, { training: false }],
    [[0], 0.5, { seed: 5 }],
  ];
  for (const [s, p, o] of CASES) {
    const name = `dropout ${JSON.stringify(s)} p ${p} ${JSON.stringify(o)}`;
    it(name, () => check({
      name,
      shapes: [s],
      prepare: () => prepareDropout(s, p, o),
      eager: ([x]) => ops.dropout(x, p, o),
      ref: ([x]) => ({
        y: Array.from(x, (v, i) => (o.training === false || p === 0 ? v : !keptRef(o.seed!, i, p) ? 0 : p === 1 ? 0 : v * Math.fround(1 / (1 - p)))),
        shape: s,
      }),
      inPlace: 0,
    }));
  }
  it('without a seed, the seed drawn at prepare time is kept for every run', () => {
    const p = prepareDropout([64], 0.5);
    const x = Tensor.from(randArray(64, 77), [64]);
    const y1 = Tensor.empty([64]), y2 = Tensor.empty([64]);
    try {
      p.run([x.ptr], y1.ptr, 0);
      p.run([x.ptr], y2.ptr, 0);
      expectBitIdentical(y2.toFloat32Array(), y1.toFloat32Array(), [64], 'dropout second run');
      expect(y1.toFloat32Array().some((v) => v === 0)).toBe(true);
    } finally {
      for (const t of [x, y1, y2]) t.dispose();
      p.dispose();
    }
  });
});

/** The message (and class) an op throws; fails if it does not throw. */
function thrown(fn: () => unknown): { type: string; message: string } {
  try {
    const r = fn();
    if (r instanceof Tensor) r.dispose();
    else if (r && typeof (r as Prepared).dispose === 'function') (r as Prepared).dispose();
  } catch (e) {
    return { type: (e as Error).constructor.name, message: (e as Error).message };
  }
  throw new Error('expected a throw');
}

describe('prepare validates like the eager op', () => {
  const withTensors = (shapes: number[][], f: (ts: Tensor[]) => unknown) => () => {
    const ts = shapes.map((s) => Tensor.zeros(s));
    try {
      return f(ts);
    } finally {
      for (const t of ts) t.dispose();
    }
  };
  const SAME: [string, () => unknown, () => unknown][] = [
    ['add: no broadcast', () => prepareAdd([2, 3], [4]), withTensors([[2, 3], [4]], ([a, b]) => ops.add(a, b))],
    ['mul: no broadcast', () => prepareMul([5, 2, 3], [5, 1]), withTensors([[5, 2, 3], [5, 1]], ([a, b]) => ops.mul(a, b))],
    ['softmax: axis out of range', () => prepareSoftmax([2, 3], 2), withTensors([[2, 3]], ([x]) => ops.softmax(x, 2))],
    ['softmax: axis not an integer', () => prepareSoftmax([2, 3], 0.5), withTensors([[2, 3]], ([x]) => ops.softmax(x, 0.5))],
    ['logSoftmax: rank 0, axis 1', () => prepareLogSoftmax([], 1), withTensors([[]], ([x]) => ops.logSoftmax(x, 1))],
    ['leakyRelu: NaN slope', () => prepareLeakyRelu([3], NaN), withTensors([[3]], ([x]) => ops.leakyRelu(x, NaN))],
    ['concat: empty list', () => prepareConcat([]), () => ops.concat([])],
    ['concat: rank 0', () => prepareConcat([[]]), withTensors([[]], (ts) => ops.concat(ts))],
    ['concat: rank mismatch', () => prepareConcat([[2, 3], [2, 3, 1]]), withTensors([[2, 3], [2, 3, 1]], (ts) => ops.concat(ts))],
    ['concat: size mismatch', () => prepareConcat([[2, 3, 4], [2, 5, 5]], 1), withTensors([[2, 3, 4], [2, 5, 5]], (ts) => ops.concat(ts, 1))],
    ['concat: axis out of range', () => prepareConcat([[2, 3]], -3), withTensors([[2, 3]], (ts) => ops.concat(ts, -3))],
    ['flatten: start after end', () => prepareFlatten([2, 3, 4], 2, 1), withTensors([[2, 3, 4]], ([x]) => ops.flatten(x, 2, 1))],
    ['flatten: dim out of range', () => prepareFlatten([2, 3], 0, 2), withTensors([[2, 3]], ([x]) => ops.flatten(x, 0, 2))],
    ['dropout: p > 1', () => prepareDropout([3], 1.5), withTensors([[3]], ([x]) => ops.dropout(x, 1.5))],
    ['dropout: bad seed', () => prepareDropout([3], 0.5, { seed: -1 }), withTensors([[3]], ([x]) => ops.dropout(x, 0.5, { seed: -1 }))],
    ['dropout: unknown option', () => prepareDropout([3], 0.5, { sed: 1 } as never), withTensors([[3]], ([x]) => ops.dropout(x, 0.5, { sed: 1 } as never))],
    ['dropout: training not boolean', () => prepareDropout([3], 0.5, { training: 1 } as never), withTensors([[3]], ([x]) => ops.dropout(x, 0.5, { training: 1 } as never))],
  ];
  for (const [name, prep, eager] of SAME) {
    it(name, () => {
      const e = thrown(eager);
      expect(e.message.length).toBeGreaterThan(0);
      expect(thrown(prep)).toEqual(e);
    });
  }

  it('shape arguments that are not shapes are clear errors naming the op and the argument', () => {
    const BAD: [() => unknown, RegExp][] = [
      [() => prepareRelu('3' as never), /^relu: xShape must be an array of non-negative integers, got/],
      [() => prepareSigmoid([2, -1]), /^sigmoid: xShape: shape \[2, -1\] has dimension 1 = -1/],
      [() => prepareTanh([2.5]), /^tanh: xShape: shape \[2.5\] has dimension 0/],
      [() => prepareLeakyRelu([NaN], 0.1), /^leakyRelu: xShape: shape \[NaN\]/],
      [() => prepareSoftmax(null as never), /^softmax: xShape must be an array/],
      [() => prepareAdd([2], 3 as never), /^add: bShape must be an array/],
      [() => prepareMul([2, -3], [3]), /^mul: aShape: shape \[2, -3\]/],
      [() => prepareConcat('x' as never), /^concat: shapes must be an array of shapes/],
      [() => prepareConcat([[2], 5 as never]), /^concat: shapes\[1\] must be an array/],
      [() => prepareFlatten([1, 1e12, 1e12]), /^flatten: xShape: shape .* has dimension 1 = 1000000000000, more than 2\^31 − 1/],
      [() => prepareFlatten([1, 1e6, 1e6]), /^flatten: xShape: shape .* more than a wasm32 memory holds/],
      [() => prepareDropout([-1], 0.5), /^dropout: xShape: shape \[-1\]/],
    ];
    const start = bytesInUse();
    for (const [fn, re] of BAD) expect(thrown(fn).message).toMatch(re);
    expect(bytesInUse(), 'nothing allocated by failed prepares').toBe(start);
  });
});
