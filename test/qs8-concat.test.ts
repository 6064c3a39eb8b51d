// int8 concatenation (ops.concatQs8, assembly/qs8-concat.ts concat_qs8_simd, nn.QConcat) against
// a plain byte-by-byte reference: each input requantized as DequantizeLinear → QuantizeLinear in
// float32, the inputs' rows joined along the axis. Eager and compiled, through model files, and
// through ONNX: the QDQ export read back as a QConcat and run by onnxruntime-web, and
// com.microsoft's QLinearConcat read as one.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GraphBuilder, Tensor, compile, io, nn, ops, type Graph } from '../src/index.js';
import { encodeModel, type NodeOut, type TensorOut } from '../src/io/onnx-write.js';
import { bytesInUse, randArray, ready, rng } from './helpers.js';
import { ortFirstOutput } from './onnx-fixtures.js';
import { ints, roundEven } from './ref/qs8.js';

beforeAll(ready);
let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

interface Q { scale: number; zeroPoint: number }
const q = (scale: number, zeroPoint: number): Q => ({ scale: Math.fround(scale), zeroPoint });

/** One byte from grid x to grid y: clamp(roundEven(f32(f32((v − zx)·sx) / sy)) + zy). */
function requantRef(v: number, x: Q, y: Q): number {
  const r = roundEven(Math.fround(Math.fround((v - x.zeroPoint) * x.scale) / y.scale)) + y.zeroPoint;
  return Math.max(-128, Math.min(127, r));
}

/** The concat along `axis` of the inputs (row-major data of `shapes`), each requantized from xs[i] to y. */
function concatRef(data: readonly Int8Array[], shapes: readonly number[][], axis: number, xs: readonly Q[], y: Q): Int8Array {
  const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const outer = prod(shapes[0].slice(0, axis));
  const rows = shapes.map((s) => prod(s.slice(axis)));
  const row = rows.reduce((a, b) => a + b, 0);
  const out = new Int8Array(outer * row);
  for (let o = 0; o < outer; o++) {
    let off = o * row;
    data.forEach((d, t) => {
      for (let j = 0; j < rows[t]; j++) out[off + j] = requantRef(d[o * rows[t] + j], xs[t], y);
      off += rows[t];
    });
  }
  return out;
}

function firstMismatch(got: Int8Array, want: Int8Array, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) throw new Error(`${what}: at ${i} got ${got[i]}, want ${want[i]}`);
}

/** Output grids (zero points at both ends) and input grids; a much coarser input saturates the output. */
const YS = [q(0.05, -128), q(0.02, 127), q(0.05, 0)];
const XS = [q(0.05, 0), q(0.05, -128), q(0.02, 127), q(0.2, 5), q(0.004, -128), q(0.5, 127), q(0.011, -3)];
const PLANES: [number, number][] = [[1, 1], [3, 5], [4, 4], [1, 17], [5, 7], [2, 9]];

describe('concatQs8', () => {
  it('equals the reference: 1–5 inputs, dims 1–3 (and −1), batch 1 and 3, sizes 1…19 along the axis, copies and tables, saturating', () => {
    const r = rng(4242);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
    const size = () => 1 + Math.floor(r() * 19);
    let copies = 0, tables = 0, saturated = 0, cases = 0, seed = 100;
    for (let k = 1; k <= 5; k++) {
      for (const axis of [1, 2, 3]) {
        for (const n of [1, 3]) {
          for (let rep = 0; rep < 4; rep++) {
            const [h, w] = pick(PLANES);
            const c = size();
            const shapes = Array.from({ length: k }, () => {
              const s = [n, c, h, w];
              s[axis] = size();
              return s;
            });
            const y = pick(YS);
            const xs = shapes.map(() => (r() < 0.4 ? { ...y } : pick(XS)));
            const data = shapes.map((s) => ints(s.reduce((a, b) => a * b, 1), seed++));
            const ts = data.map((d, i) => Tensor.from(d, shapes[i]));
            const dim = axis === 3 && rep % 2 === 1 ? -1 : axis;
            const out = ops.concatQs8(ts, dim, xs, y);
            const want = concatRef(data, shapes, axis, xs, y);
            const wantShape = shapes[0].slice();
            wantShape[axis] = shapes.reduce((a, s) => a + s[axis], 0);
            expect(out.shape).toEqual(wantShape);
            expect(out.dtype).toBe('int8');
            firstMismatch(out.toInt8Array(), want, `k ${k} dim ${dim} shapes ${JSON.stringify(shapes)} xs ${JSON.stringify(xs)} y ${JSON.stringify(y)}`);
            [...ts, out].forEach((t) => t.dispose());
            xs.forEach((x, i) => {
              if (x.scale === y.scale && x.zeroPoint === y.zeroPoint) copies++;
              else tables++;
              for (const v of data[i]) {
                const m = requantRef(v, x, y);
                if ((m === 127 || m === -128) && Math.abs(Math.fround((v - x.zeroPoint) * x.scale) / y.scale + y.zeroPoint) > 128) saturated++;
              }
            });
            cases++;
          }
        }
      }
    }
    console.log(`concatQs8: ${cases} cases, ${copies} copied inputs, ${tables} through tables, ${saturated} saturated bytes`);
    expect(copies).toBeGreaterThan(20);
    expect(tables).toBeGreaterThan(20);
    expect(saturated).toBeGreaterThan(100);
  });

  it('every byte value through a table, rows of 16·m ± 1 bytes', () => {
    const all = Int8Array.from({ length: 256 }, (_, i) => i - 128);
    for (const [x, y] of [[q(0.1, -128), q(0.03, 127)], [q(0.01, 127), q(0.02, -128)], [q(0.05, 0), q(0.05, 1)]] as const) {
      for (const shape of [[1, 1, 256], [2, 1, 128], [1, 15, 17]]) {
        const len = shape.reduce((a, b) => a * b, 1);
        const d = Int8Array.from({ length: len }, (_, i) => all[(i * 7) % 256]);
        const other = ints(shape[0] * 3 * shape[2], 77);
        const a = Tensor.from(d, shape), b = Tensor.from(other, [shape[0], 3, shape[2]]);
        const out = ops.concatQs8([a, b], 1, [x, y], y);
        firstMismatch(out.toInt8Array(), concatRef([d, other], [shape, [shape[0], 3, shape[2]]], 1, [x, y], y), `${JSON.stringify([x, y, shape])}`);
        [a, b, out].forEach((t) => t.dispose());
      }
    }
  });

  it('empty inputs and outputs', () => {
    const a = Tensor.from(new Int8Array(0), [2, 0, 3]), b = Tensor.from(ints(6, 1), [2, 1, 3]);
    const out = ops.concatQs8([a, b], 1, [q(0.1, 0), q(0.2, 3)], q(0.1, 0));
    expect(out.shape).toEqual([2, 1, 3]);
    firstMismatch(out.toInt8Array(), concatRef([new Int8Array(0), b.toInt8Array()], [[2, 0, 3], [2, 1, 3]], 1, [q(0.1, 0), q(0.2, 3)], q(0.1, 0)), 'empty input');
    const e = Tensor.from(new Int8Array(0), [0, 2]);
    const out2 = ops.concatQs8([e, e], 1, [q(1, 0), q(2, 0)], q(1, 0));
    expect(out2.shape).toEqual([0, 4]);
    [a, b, out, e, out2].forEach((t) => t.dispose());
  });

  it('refuses float32 tensors, a wrong number of quantizations, mismatched shapes, bad quantizations', () => {
    const a = Tensor.from(ints(8, 1), [1, 2, 2, 2]), b = Tensor.from(ints(12, 2), [1, 3, 2, 2]), f = Tensor.from(new Float32Array(8), [1, 2, 2, 2]);
    const g = q(0.1, 0);
    expect(() => ops.concatQs8([a, f], 1, [g, g], g)).toThrow(/concatQs8: tensors\[1\] must be an int8 tensor, got float32/);
    expect(() => ops.concatQs8([a, b], 1, [g], g)).toThrow(/concatQs8: xs has 1 quantization but there are 2 tensors; give one per tensor/);
    expect(() => ops.concatQs8([a, b], 1, g as never, g)).toThrow(/concatQs8: xs must be an array/);
    expect(() => ops.concatQs8([a, b], 2, [g, g], g)).toThrow(/concatQs8: tensors\[1\] has shape \[1, 3, 2, 2\] but tensors\[0\] has shape \[1, 2, 2, 2\]; they must match in every dimension except dim 2 \(dimension 1: 3 vs 2\)/);
    expect(() => ops.concatQs8([a, b], 4, [g, g], g)).toThrow(/concatQs8: dim 4 is out of range/);
    expect(() => ops.concatQs8([a, b], 1, [g, { scale: 0, zeroPoint: 0 }], g)).toThrow(/concatQs8: xs\[1\].scale must be a number > 0/);
    expect(() => ops.concatQs8([a, b], 1, [g, g], { scale: 1, zeroPoint: 200 })).toThrow(/concatQs8: y.zeroPoint must be an integer in −128…127/);
    expect(() => ops.concatQs8([], 1, [], g)).toThrow(/concatQs8: needs at least one tensor/);
    [a, b, f].forEach((t) => t.dispose());
  });
});

/** A float input, k branches (a convolution each, sized to vary along dim) quantized to xs[i], a QConcat to y, dequantized. */
function branches(k: number, dim: number, xs: Q[], y: Q, seed: number): Graph {
  const b = new GraphBuilder({ image: [3, 7, 9] });
  const names = xs.map((x, i) => {
    const conv = dim === 1 ? new nn.Conv2d(3, 1 + ((i * 5) % 19), 1) : new nn.Conv2d(3, 4, dim === 2 ? [1 + i, 1] : [1, 1 + i]);
    return b.chain('image', [[`conv${i}`, conv], [`q${i}`, new nn.QuantizeLinear(x)]]);
  });
  const cat = b.add('cat', new nn.QConcat({ dim, inputs: xs, y }), names);
  return b.build(b.add('out', new nn.DequantizeLinear(y), cat), seed);
}

const GRAPH_CASES: [number, number, Q[], Q][] = [
  [1, 1, [q(0.03, 2)], q(0.05, -128)],
  [2, 1, [q(0.05, -128), q(0.05, -128)], q(0.05, -128)],
  [3, 1, [q(0.02, 127), q(0.1, 0), q(0.04, -20)], q(0.04, -20)],
  [4, 2, [q(0.5, 127), q(0.01, -128), q(0.03, 0), q(0.03, 0)], q(0.03, 0)],
  [5, 3, [q(0.03, 0), q(0.2, 9), q(0.01, -128), q(0.05, 127), q(0.02, -1)], q(0.02, 127)],
];

describe('nn.QConcat', () => {
  it('in graphs: eager = reference of the branches, compiled = eager, io.save / io.load, summary', () => {
    for (const [k, dim, xs, y] of GRAPH_CASES) {
      const g = branches(k, dim, xs, y, 10 + k);
      const x = Tensor.from(randArray(3 * 3 * 7 * 9, 20 + k, -3, 3), [3, 3, 7, 9]);
      // the branches' int8 outputs, joined by the reference
      const parts = xs.map((_, i) => {
        const cut = g.truncate(`q${i}`);
        const t = cut.predict(x);
        const r = { data: t.toInt8Array(), shape: t.shape.slice() };
        t.dispose(); // the cut shares g's layers: only g is disposed
        return r;
      });
      const cat = g.truncate('cat');
      const yi = cat.predict(x);
      expect(yi.dtype).toBe('int8');
      firstMismatch(yi.toInt8Array(), concatRef(parts.map((p) => p.data), parts.map((p) => p.shape), dim, xs, y), `graph k ${k} dim ${dim}`);
      const eager = g.predict(x);
      const plan = compile(g, { batchSize: 3 });
      expect(Array.from(plan.run(x).toFloat32Array())).toEqual(Array.from(eager.toFloat32Array()));
      plan.dispose();
      const plan8 = compile(cat, { batchSize: 3 });
      expect(Array.from(plan8.run(x).toInt8Array())).toEqual(Array.from(yi.toInt8Array()));
      plan8.dispose();
      expect(g.summary()).toMatch(/cat\s+QConcat int8/);
      const back = io.load(io.save(g));
      const L = back.node('cat').layer as nn.QConcat;
      expect(L).toBeInstanceOf(nn.QConcat);
      expect(L.config()).toEqual({ dim, inputs: xs, y });
      const again = back.predict(x);
      expect(Array.from(again.toFloat32Array())).toEqual(Array.from(eager.toFloat32Array()));
      [x, yi, eager, again].forEach((t) => t.dispose());
      [g, back].forEach((m) => m.dispose());
    }
  });

  it('checks its options, its inputs and their shapes', () => {
    const g = q(0.1, 0);
    expect(() => new nn.QConcat({ inputs: [], y: g })).toThrow(/nn.QConcat: inputs must be an array of 1 … 64 quantizations/);
    expect(() => new nn.QConcat({ inputs: Array(65).fill(g), y: g })).toThrow(/nn.QConcat: inputs must be an array of 1 … 64/);
    expect(() => new nn.QConcat({ inputs: g as never, y: g })).toThrow(/nn.QConcat: inputs must be an array/);
    expect(() => new nn.QConcat({ inputs: [g, { scale: -1, zeroPoint: 0 }], y: g })).toThrow(/nn.QConcat: inputs\[1\].scale must be a number > 0/);
    expect(() => new nn.QConcat({ inputs: [g], y: undefined as never })).toThrow(/nn.QConcat: y must be \{ scale, zeroPoint \}/);
    expect(() => new nn.QConcat({ inputs: [g], y: g, axis: 1 } as never)).toThrow(/nn.QConcat.*axis/);
    const L = new nn.QConcat({ inputs: [g, g], y: g, name: 'cat' });
    expect(L.dim).toBe(1);
    expect(() => L.outputShape([[2, 3, 3]])).toThrow(/layer 'cat' \(QConcat\).*takes exactly 2 inputs/);
    expect(() => L.outputShape([[2, 3, 3], [2, 4, 3]])).toThrow(/all inputs must match except along dim 1 \(input 1 differs from input 0\)/);
    expect(() => new nn.QConcat({ dim: 0, inputs: [g, g], y: g }).outputShape([[2, 3], [2, 3]])).toThrow(/dim 0 must be a non-batch axis/);
    expect(L.outputShape([[2, 3, 3], [5, 3, 3]])).toEqual([7, 3, 3]);
    const a = Tensor.from(ints(4, 1), [1, 1, 2, 2]), f = Tensor.from(new Float32Array(4), [1, 1, 2, 2]);
    expect(() => L.forward([a, f])).toThrow(/layer 'cat' \(QConcat\)\.forward.*int8/);
    expect(() => L.forward([a])).toThrow(/layer 'cat' \(QConcat\)\.forward/);
    const y = L.forward([a, a]);
    firstMismatch(y.toInt8Array(), concatRef([a.toInt8Array(), a.toInt8Array()], [[1, 1, 2, 2], [1, 1, 2, 2]], 1, [g, g], g), 'forward');
    [a, f, y].forEach((t) => t.dispose());
  });
});

describe('QConcat and ONNX', () => {
  const ortRun = ortFirstOutput;

  it('QDQ export: onnxruntime-web within one step (int8 and dequantized outputs); io.fromONNX gives a QConcat with the same bits', async () => {
    let worst = 0;
    for (const [k, dim, xs, y] of GRAPH_CASES.slice(1)) {
      const g = branches(k, dim, xs, y, 30 + k);
      const xv = randArray(2 * 3 * 7 * 9, 40 + k, -3, 3);
      const x = Tensor.from(xv, [2, 3, 7, 9]);
      const cat = g.truncate('cat');
      for (const m of [g, cat]) {
        const bytes = io.toONNX(m);
        const text = new TextDecoder().decode(bytes);
        for (const op of ['DequantizeLinear', 'Concat', 'QuantizeLinear']) expect(text.includes(op), op).toBe(true);
        const mine = m.predict(x);
        const theirs = await ortRun(bytes, xv, [2, 3, 7, 9]);
        if (m === cat) {
          expect(theirs).toBeInstanceOf(Int8Array);
          const a = mine.toInt8Array();
          for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - theirs[i]));
        } else {
          const a = mine.toFloat32Array();
          for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(Math.round(a[i] / y.scale) - Math.round((theirs[i] as number) / y.scale)));
        }
        const back = io.fromONNX(bytes);
        const types = (h: Graph) => h.layers.map((l) => l.type).sort();
        expect(types(back)).toEqual(types(m));
        const qc = back.layers.find((l) => l instanceof nn.QConcat) as nn.QConcat;
        expect(qc.config()).toEqual({ dim, inputs: xs, y });
        const again = back.predict(x);
        expect(Array.from(again.dtype === 'int8' ? again.toInt8Array() : again.toFloat32Array())).toEqual(Array.from(mine.dtype === 'int8' ? mine.toInt8Array() : mine.toFloat32Array()));
        [mine, again].forEach((t) => t.dispose());
        back.dispose();
      }
      x.dispose();
      g.dispose(); // cat shares its layers
    }
    console.log(`QConcat vs onnxruntime-web: at most ${worst} step(s)`);
    expect(worst).toBeLessThanOrEqual(1);
  });

  const f = (name: string, values: number[]): TensorOut => ({ name, dims: [], floats: Float32Array.from(values) });
  const u8 = (name: string, values: number[]): TensorOut => ({ name, dims: [], uint8s: Uint8Array.from(values) });
  const n = (opType: string, inputs: string[], outputs: string[], attrs: NodeOut['attrs'] = [], domain?: string): NodeOut =>
    ({ opType, name: outputs[0], inputs, outputs, attrs, ...(domain ? { domain } : {}) });
  /** x → two uint8 quantizations → com.microsoft QLinearConcat (axis) → DequantizeLinear. */
  function qlinearConcat(axis: number, shape: number[]): Uint8Array {
    const out = ['N', ...shape];
    out[axis < 0 ? axis + out.length : axis] = 3 * shape[(axis < 0 ? axis + out.length : axis) - 1];
    return encodeModel({
      opset: 13, irVersion: 7, producer: 'test', producerVersion: '0', graphName: 'g',
      nodes: [
        n('QuantizeLinear', ['x', 'sa', 'za'], ['a']), n('QuantizeLinear', ['x', 'sb', 'zb'], ['b']),
        n('QLinearConcat', ['sy', 'zy', 'a', 'sa', 'za', 'b', 'sb', 'zb', 'a', 'sa', 'za'], ['yq'], [{ name: 'axis', i: axis }], 'com.microsoft'),
        n('DequantizeLinear', ['yq', 'sy', 'zy'], ['y']),
      ],
      initializers: [f('sa', [0.05]), u8('za', [128]), f('sb', [0.2]), u8('zb', [10]), f('sy', [0.04]), u8('zy', [0])],
      inputs: [{ name: 'x', dims: ['N', ...shape] }], outputs: [{ name: 'y', dims: out }],
    });
  }

  it('com.microsoft QLinearConcat (uint8) imports as a QConcat: the reference, and onnxruntime-web', async () => {
    for (const axis of [1, -1]) {
      const shape = [3, 4, 5];
      const bytes = qlinearConcat(axis, shape);
      const g = io.fromONNX(bytes);
      expect(g.layers.map((l) => l.type).sort()).toEqual(['DequantizeLinear', 'QConcat', 'QuantizeLinear', 'QuantizeLinear']);
      const xv = randArray(2 * 60, 50, -6, 6);
      const x = Tensor.from(xv, [2, ...shape]);
      const yt = g.predict(x);
      const y = yt.toFloat32Array();
      yt.dispose();
      // uint8 grids as int8 ones: zero points less 128
      const qa = q(0.05, 0), qb = q(0.2, -118), qy = q(0.04, -128);
      const quant = (v: number, g8: Q) => Math.max(-128, Math.min(127, roundEven(Math.fround(v / g8.scale)) + g8.zeroPoint));
      const a = Int8Array.from(xv, (v) => quant(v, qa)), b = Int8Array.from(xv, (v) => quant(v, qb));
      const ax = axis < 0 ? axis + 4 : axis;
      const want = concatRef([a, b, a], [[2, ...shape], [2, ...shape], [2, ...shape]], ax, [qa, qb, qa], qy);
      const got = Int8Array.from(y, (v) => Math.round(v / qy.scale) + qy.zeroPoint);
      firstMismatch(got, want, `QLinearConcat axis ${axis}`);
      const theirs = (await ortRun(bytes, xv, [2, ...shape])) as Float32Array;
      let worst = 0;
      for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(Math.round(y[i] / qy.scale) - Math.round(theirs[i] / qy.scale)));
      console.log(`QLinearConcat axis ${axis} vs onnxruntime-web: ${worst} step(s)`);
      expect(worst).toBeLessThanOrEqual(1);
      x.dispose();
      g.dispose();
    }
  });

  it('a plain Concat of int8 / uint8 tensors imports as a QConcat of copies: the same bytes as onnxruntime-web', async () => {
    for (const [zx, int8] of [[128, false], [-7, true]] as const) {
      const zp: TensorOut = int8 ? { name: 'za', dims: [], int8s: Int8Array.of(zx) } : u8('za', [zx]);
      const bytes = encodeModel({
        opset: 13, irVersion: 7, producer: 'test', producerVersion: '0', graphName: 'g',
        nodes: [n('QuantizeLinear', ['x', 'sa', 'za'], ['a']), n('Concat', ['a', 'a', 'a'], ['c'], [{ name: 'axis', i: 2 }]), n('DequantizeLinear', ['c', 'sa', 'za'], ['y'])],
        initializers: [f('sa', [0.05]), zp],
        inputs: [{ name: 'x', dims: ['N', 2, 5] }], outputs: [{ name: 'y', dims: ['N', 2, 15] }],
      });
      const g = io.fromONNX(bytes);
      expect(g.layers.map((l) => l.type)).toEqual(['QuantizeLinear', 'QConcat', 'DequantizeLinear']);
      const xv = randArray(30, 60, -8, 8);
      const x = Tensor.from(xv, [3, 2, 5]);
      const yt = g.predict(x);
      const theirs = (await ortRun(bytes, xv, [3, 2, 5])) as Float32Array;
      expect(Array.from(yt.toFloat32Array())).toEqual(Array.from(theirs));
      [x, yt].forEach((t) => t.dispose());
      g.dispose();
    }
  });

  it('QLinearConcat refusals: a malformed input list, a float input, the batch axis', () => {
    const one = (inputs: string[], axis = 1) => encodeModel({
      opset: 13, irVersion: 7, producer: 'test', producerVersion: '0', graphName: 'g',
      nodes: [n('QuantizeLinear', ['x', 'sa', 'za'], ['a']), n('QLinearConcat', inputs, ['yq'], [{ name: 'axis', i: axis }], 'com.microsoft'), n('DequantizeLinear', ['yq', 'sa', 'za'], ['y'])],
      initializers: [f('sa', [0.05]), u8('za', [128])],
      inputs: [{ name: 'x', dims: ['N', 4] }], outputs: [{ name: 'y', dims: [] }],
    });
    expect(() => io.fromONNX(one(['sa', 'za', 'a', 'sa']))).toThrow(/QLinearConcat.*needs Y_scale, Y_zero_point and then \(X, X_scale, X_zero_point\) triples; it has 4 inputs/);
    expect(() => io.fromONNX(one(['sa', 'za', 'x', 'sa', 'za']))).toThrow(/X0 \('x'\) must be a UINT8 or INT8 activation; it is a FLOAT one/);
    expect(() => io.fromONNX(one(['sa', 'za', 'a', 'sa', 'za'], 0))).toThrow(/concatenating along the batch axis is not supported/);
  });
});
