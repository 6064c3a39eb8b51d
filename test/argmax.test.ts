// ops.argmax / ops.argmin and nn.ArgMax / nn.ArgMin against a plain reference over shape sweeps
// (outer, axis length and inner sizes around the kernel's 4- and 16-position tiles, rows longer and
// shorter than 8), with ties, NaNs and ±0, both tie rules and both output dtypes; the layers
// compiled = eager, saved and loaded, written to ONNX and read back; backward refuses by name;
// ONNX ArgMax / ArgMin handlers (axis, keepdims, select_last_index, Cast after), and PyTorch's
// segmentation-map export (scripts/make-dense-fixtures.py: argmax_seg) index for index.
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, Tensor, compile, io, memoryInfo, nn, ops } from '../src/index.js';
import { expectCanariesIntact, randArray, ready, rng } from './helpers.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { f32, model, node, readFixtures, run } from './onnx-fixtures.js';

beforeAll(ready);

/** The reference: for each (o, j), the index k chosen by a sequential scan (NaN greatest; argmin flips the order). */
function refArg(x: Float32Array, shape: number[], axis: number, min: boolean, last: boolean): Int32Array {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1), n = shape[axis], inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const y = new Int32Array(outer * inner);
  // a beats b: NaN over numbers, else the larger (argmin: the smaller); equal values and two NaNs tie
  const beats = (a: number, b: number) => (Number.isNaN(a) ? !Number.isNaN(b) : !Number.isNaN(b) && (min ? a < b : a > b));
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) {
      let bi = 0, best = x[o * n * inner + j];
      for (let k = 1; k < n; k++) {
        const v = x[(o * n + k) * inner + j];
        if (beats(v, best) || (last && !beats(best, v))) {
          best = v;
          bi = k;
        }
      }
      y[o * inner + j] = bi;
    }
  return y;
}

/** Values with many ties (a few levels), some NaNs and signed zeros. */
function tiedArray(n: number, seed: number, nan: boolean): Float32Array {
  const r = rng(seed);
  const levels = [-2, -1, -0, 0, 0.5, 1, 3];
  return Float32Array.from({ length: n }, () => {
    const u = r();
    if (nan && u < 0.03) return NaN;
    return u < 0.5 ? levels[Math.floor(r() * levels.length)] : r() * 8 - 4;
  });
}

function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>): string | null {
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return `at ${i}: got ${got[i]}, want ${want[i]}`;
  return got.length === want.length ? null : `length ${got.length} vs ${want.length}`;
}

describe('ops.argmax / ops.argmin', () => {
  it('match the reference over outer × n × inner sweeps, ties, NaN, ±0, both tie rules and dtypes', () => {
    const base = memoryInfo().bytesInUse;
    let seed = 1;
    for (const outer of [1, 2, 3])
      for (const n of [1, 2, 3, 5, 7, 8, 9, 13, 16, 17, 33])
        for (const inner of [1, 2, 3, 4, 5, 7, 15, 16, 17, 20, 33, 35]) {
          const shape = [outer, n, inner];
          const xs = tiedArray(outer * n * inner, seed++, seed % 3 === 0);
          const x = Tensor.from(xs, shape);
          for (const min of [false, true])
            for (const last of [false, true]) {
              const want = refArg(xs, shape, 1, min, last);
              const f = min ? ops.argmin : ops.argmax;
              const y = f(x, 1, { selectLastIndex: last });
              expect(y.dtype).toBe('int32');
              expect(y.shape).toEqual([outer, inner]);
              expect(firstMismatch(y.toInt32Array(), want), `${min ? 'argmin' : 'argmax'} last=${last} [${shape}]`).toBeNull();
              const yf = f(x, -2, { selectLastIndex: last, dtype: 'float32', keepDim: true });
              expect(yf.dtype).toBe('float32');
              expect(yf.shape).toEqual([outer, 1, inner]);
              expect(firstMismatch(yf.toFloat32Array(), want), `float32 [${shape}]`).toBeNull();
              y.dispose(); yf.dispose();
            }
          x.dispose();
        }
    expectCanariesIntact('argmax sweep');
    expect(memoryInfo().bytesInUse).toBe(base);
  });

  it('every axis of a 4-D tensor, and no axis (flattened), as torch.argmax', () => {
    const shape = [2, 5, 3, 7];
    const xs = randArray(210, 4);
    const x = Tensor.from(xs, shape);
    for (let a = 0; a < 4; a++) {
      const y = ops.argmax(x, a - 4);
      expect(y.shape).toEqual(shape.filter((_, i) => i !== a));
      expect(firstMismatch(y.toInt32Array(), refArg(xs, shape, a, false, false)), `axis ${a}`).toBeNull();
      y.dispose();
    }
    const all = ops.argmax(x), allK = ops.argmin(x, null, { keepDim: true });
    expect(all.shape).toEqual([]);
    expect(allK.shape).toEqual([1, 1, 1, 1]);
    expect(all.toInt32Array()[0]).toBe(refArg(xs, [1, 210, 1], 1, false, false)[0]);
    expect(allK.toInt32Array()[0]).toBe(refArg(xs, [1, 210, 1], 1, true, false)[0]);
    for (const t of [x, all, allK]) t.dispose();
  });

  it('a segmentation map: argmax over the channels of [N, 21, H, W] with odd H, W', () => {
    const shape = [2, 21, 37, 29];
    const xs = randArray(shape.reduce((a, b) => a * b, 1), 5);
    const x = Tensor.from(xs, shape);
    const y = ops.argmax(x, 1, { keepDim: true });
    expect(y.shape).toEqual([2, 1, 37, 29]);
    expect(firstMismatch(y.toInt32Array(), refArg(xs, shape, 1, false, false))).toBeNull();
    x.dispose(); y.dispose();
  });

  it('refuses bad arguments with messages naming the op', () => {
    const x = Tensor.zeros([2, 3]);
    expect(() => ops.argmax(x, 2)).toThrow(/argmax: axis 2 is out of range/);
    expect(() => ops.argmin(x, 1.5)).toThrow(/argmin: axis must be an integer/);
    expect(() => ops.argmax(x, 1, { keepdim: true } as never)).toThrow(/argmax: unknown option 'keepdim'/);
    expect(() => ops.argmax(x, 1, { dtype: 'int64' as never })).toThrow(/argmax: dtype must be/);
    const e = Tensor.zeros([2, 0]);
    expect(() => ops.argmax(e, 1)).toThrow(/argmax: x \[2, 0\] is empty/);
    const ok = ops.argmax(e, 0);
    expect(ok.shape).toEqual([0]);
    const i = Tensor.from(new Int32Array([1, 2]));
    expect(() => ops.argmax(i, 0)).toThrow(/argmax: x must be a float32 tensor/);
    for (const t of [x, e, ok, i]) t.dispose();
  });
});

describe('nn.ArgMax / nn.ArgMin', () => {
  it('compile = eager, io.save/load and ONNX round trips; float32 indices', () => {
    const base = memoryInfo().bytesInUse;
    for (const layer of [new nn.ArgMax(1), new nn.ArgMin(-1, { keepDim: true }), new nn.ArgMax(2, { selectLastIndex: true, keepDim: true })]) {
      const m = new Sequential([new nn.Conv2d(3, 6, 3, { padding: 1 }), new nn.ReLU(), layer], { inputShape: [3, 5, 7], seed: 2 });
      const x = Tensor.from(randArray(2 * 105, 8), [2, 3, 5, 7]);
      const want = m.predict(x);
      expect(want.dtype).toBe('float32');
      // the ReLU makes zeros: ties, so the tie rule is exercised against the op on the scores
      const conv = m.layers[0].forward([x], false);
      const scores = m.layers[1].forward([conv], false);
      conv.dispose();
      const ref = (layer.type === 'ArgMin' ? ops.argmin : ops.argmax)(scores, layer.dim, { keepDim: layer.keepDim, selectLastIndex: layer.selectLastIndex });
      expect(Array.from(want.toFloat32Array())).toEqual(Array.from(ref.toInt32Array()));
      const plan = compile(m, { batchSize: 2 });
      expect(Array.from(plan.run(x).toFloat32Array())).toEqual(Array.from(want.toFloat32Array()));
      const back = io.load(io.save(m));
      const onnx = io.fromONNX(io.toONNX(m));
      for (const g of [back, onnx]) {
        const y = g.predict(x);
        expect(Array.from(y.toFloat32Array()), layer.type).toEqual(Array.from(want.toFloat32Array()));
        y.dispose();
      }
      for (const d of [plan, back, onnx, m]) d.dispose();
      for (const t of [x, want, ref]) t.dispose();
      scores.dispose();
    }
    expect(memoryInfo().bytesInUse).toBe(base);
  });

  it("a classifier's labels: [N, classes] → [N], eager, compiled, saved and through ONNX (keepdims 0)", () => {
    const base = memoryInfo().bytesInUse;
    const m = new Sequential([new nn.Linear(4, 3), new nn.ArgMax(1)], { inputShape: [4], seed: 5 });
    const x = Tensor.from(randArray(24, 6), [6, 4]);
    const logits = m.layers[0].forward([x], false);
    const labels = ops.argmax(logits, 1);
    const want = Array.from(labels.toInt32Array());
    const y = m.predict(x);
    expect(y.shape).toEqual([6]);
    expect(Array.from(y.toFloat32Array())).toEqual(want);
    const plan = compile(m, { batchSize: 6 });
    expect(Array.from(plan.run(x).toFloat32Array())).toEqual(want);
    const back = io.load(io.save(m)), onnx = io.fromONNX(io.toONNX(m));
    for (const g of [back, onnx]) {
      const z = g.predict(x);
      expect(Array.from(z.toFloat32Array())).toEqual(want);
      z.dispose();
    }
    for (const d of [plan, back, onnx, m]) d.dispose();
    for (const t of [x, logits, labels, y]) t.dispose();
    expect(memoryInfo().bytesInUse).toBe(base);
  });

  it('backward throws naming the layer; shapes that cannot work are refused', () => {
    const l = new nn.ArgMax(1, { name: 'seg' });
    const x = Tensor.from(randArray(24, 1), [2, 3, 4]);
    const y = l.forward([x], true);
    expect(() => l.backward(y)).toThrow(/layer 'seg' \(ArgMax\) is not differentiable/);
    expect(() => new Sequential([new nn.ArgMax(0)], { inputShape: [5, 2] })).toThrow(/non-batch axis/);
    expect(() => new nn.ArgMin(1, { keepdim: true } as never)).toThrow(/nn.ArgMin: unknown option 'keepdim'/);
    x.dispose(); y.dispose();
    l.dispose();
  });

  it('imports ONNX ArgMax / ArgMin: axis, keepdims, select_last_index, a Cast to INT64 or FLOAT after', () => {
    const shape = [4, 3, 5];
    const xs = tiedArray(2 * 60, 11, false);
    const x = Tensor.from(xs, [2, ...shape]);
    const cases: [string, { axis?: number; keepdims?: number; last?: number }, number[], number, boolean, boolean][] = [
      // op attrs, output shape, reduced axis, min, last
      ['ArgMax', { axis: 1 }, [2, 1, 3, 5], 1, false, false],
      ['ArgMax', { axis: -1, keepdims: 0 }, [2, 4, 3], 3, false, false],
      ['ArgMin', { axis: 2, keepdims: 0, last: 1 }, [2, 4, 5], 2, true, true],
      ['ArgMax', { axis: 1, keepdims: 1, last: 1 }, [2, 1, 3, 5], 1, false, true],
    ];
    for (const [op, a, out, axis, min, last] of cases) {
      const attrs = [
        ...(a.axis !== undefined ? [{ name: 'axis', i: a.axis }] : []),
        ...(a.keepdims !== undefined ? [{ name: 'keepdims', i: a.keepdims }] : []),
        ...(a.last !== undefined ? [{ name: 'select_last_index', i: a.last }] : []),
      ];
      for (const cast of [1, 7]) {
        const g = io.fromONNX(model(shape, [node(op, ['x'], attrs, 'i'), node('Cast', ['i'], [{ name: 'to', i: cast }], 'y', 'n2')]));
        const y = g.predict(x);
        expect(y.shape).toEqual(out);
        expect(firstMismatch(y.toFloat32Array(), refArg(xs, [2, ...shape], axis, min, last)), `${op} ${JSON.stringify(a)}`).toBeNull();
        y.dispose();
        g.dispose();
      }
    }
    const labels = io.fromONNX(model([5], [node('ArgMax', ['x'], [{ name: 'axis', i: 1 }, { name: 'keepdims', i: 0 }])]));
    const v = Tensor.from(new Float32Array([0, 3, 1, 3, 2, 9, 1, 1, 1, 0]), [2, 5]);
    const l = labels.predict(v);
    expect(l.shape).toEqual([2]);
    expect(Array.from(l.toFloat32Array())).toEqual([1, 0]);
    for (const t of [v, l]) t.dispose();
    labels.dispose();
    expect(() => io.fromONNX(model(shape, [node('ArgMax', ['x'], [])]))).toThrow(/batch axis/);
    expect(() => io.fromONNX(model(shape, [node('Relu', ['x'], [], 'r'), node('Cast', ['r'], [{ name: 'to', i: 7 }], 'y', 'n2')]))).toThrow(/casting an activation to INT64/);
    x.dispose();
  });

  it("imports PyTorch's argmax_seg (ArgMax/ArgMin over channels and the last axis, Cast) with every index equal, eager and compiled", () => {
    const dir = fileURLToPath(new URL('./fixtures/onnx-ops/', import.meta.url));
    const fx = readFixtures(dir).find((f) => f.model === 'argmax_seg')!;
    for (const opset of fx.opsets) {
      const g = io.fromONNX(readFileSync(`${dir}argmax_seg.opset${opset}.onnx`));
      const types = g.nodes.map((n) => n.layer.type);
      expect(types.filter((t) => t === 'ArgMax')).toHaveLength(4);
      expect(types).toContain('ArgMin');
      const want = Array.from(f32(fx.output.data));
      expect(Array.from(run(g, fx))).toEqual(want);
      const x = Tensor.from(f32(fx.input.data), fx.input.shape);
      const plan = compile(g, { batchSize: fx.input.shape[0] });
      expect(Array.from(plan.run(x).toFloat32Array())).toEqual(want);
      plan.dispose(); x.dispose(); g.dispose();
    }
  });
});
