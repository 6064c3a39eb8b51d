// nn.QActivation: an elementwise activation between two int8 grids through a 256-byte table. Its
// bytes must be exactly DequantizeLinear → the float32 layer → QuantizeLinear (the round trip it
// replaces), and within one step of the activation computed in double precision; quantize() must
// use it only where every reader of the activation takes int8 (and so leave the logits bit for bit
// as they were), compile, save / load, summary and its errors.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, compile, io, nn, ops, quantize, GraphBuilder, type Graph } from '../src/index.js';
import type { Layer } from '../src/nn/layer.js';
import { layerFactory } from '../src/nn/registry.js';
import { bytesInUse, randArray, ready } from './helpers.js';
import { excite } from './onnx-fixtures.js';
import { ints } from './ref/qs8.js';

beforeAll(ready);
let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

const erf = (v: number) => { // Abramowitz–Stegun 7.1.26 is too coarse for a reference: series / continued fraction
  const t = Math.abs(v);
  if (t < 3) { let sum = t, term = t; for (let n = 1; n < 60; n++) { term *= -t * t / n; sum += term / (2 * n + 1); } return Math.sign(v) * 2 / Math.sqrt(Math.PI) * sum; }
  return Math.sign(v) * (1 - Math.exp(-t * t) / (t * Math.sqrt(Math.PI)) * (1 - 1 / (2 * t * t) + 3 / (4 * t ** 4)));
};
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
/** [what, the layer, the same function in double precision] */
const ACTS: [string, () => Layer, (v: number) => number][] = [
  ['SiLU', () => new nn.SiLU(), (v) => v * sigmoid(v)],
  ['Sigmoid', () => new nn.Sigmoid(), sigmoid],
  ['Tanh', () => new nn.Tanh(), Math.tanh],
  ['Hardswish', () => new nn.Hardswish(), (v) => v * Math.min(Math.max(v + 3, 0), 6) / 6],
  ['Hardsigmoid', () => new nn.Hardsigmoid(), (v) => Math.min(Math.max(v / 6 + 0.5, 0), 1)],
  ['GELU', () => new nn.GELU(), (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
  ["GELU('tanh')", () => new nn.GELU({ approximate: 'tanh' }), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
  ['Mish', () => new nn.Mish(), (v) => v * Math.tanh(Math.log1p(Math.exp(v)))],
  ['LeakyReLU(0.1)', () => new nn.LeakyReLU(0.1), (v) => (v < 0 ? 0.1 * v : v)],
  ['ReLU', () => new nn.ReLU(), (v) => Math.max(v, 0)],
  ['ReLU6', () => new nn.ReLU6(), (v) => Math.min(Math.max(v, 0), 6)],
  ['Hardtanh(−1, 2)', () => new nn.Hardtanh(-1, 2), (v) => Math.min(Math.max(v, -1), 2)],
  ["Unary('exp')", () => new nn.Unary('exp'), Math.exp],
  ["Unary('abs')", () => new nn.Unary('abs'), Math.abs],
];
/** [x grid, y grid]: wide and narrow ranges, zero points at both ends, outputs that saturate. */
const GRIDS: [nn.QActivationOptions['x'], nn.QActivationOptions['x']][] = [
  [{ scale: 0.05, zeroPoint: 0 }, { scale: 0.04, zeroPoint: -20 }],
  [{ scale: Math.fround(0.0371), zeroPoint: -128 }, { scale: 0.01, zeroPoint: 127 }],
  [{ scale: 0.11, zeroPoint: 127 }, { scale: 0.003, zeroPoint: -128 }],
  [{ scale: 0.02, zeroPoint: 17 }, { scale: 0.2, zeroPoint: 3 }],
];

/** DequantizeLinear → layer → QuantizeLinear on the engine: the float round trip the table stands for. */
function roundTrip(layer: Layer, x: Tensor, qx: nn.QActivationOptions['x'], qy: nn.QActivationOptions['x']): Int8Array {
  const f = ops.dequantizeLinear(x, qx);
  const a = layer.forward([f], false);
  const q = ops.quantizeLinear(a, qy);
  const out = q.toInt8Array();
  [f, a, q].forEach((t) => t.dispose());
  return out;
}

describe('nn.QActivation', () => {
  it('every byte value, every activation and grid: exactly the float32 round trip, within one step of double precision', () => {
    const all = Tensor.from(Int8Array.from({ length: 256 }, (_, i) => i - 128), [1, 256]);
    for (const [what, make, f] of ACTS) {
      for (const [qx, qy] of GRIDS) {
        const layer = new nn.QActivation({ activation: make(), x: qx, y: qy });
        const y = layer.forward([all], false);
        const got = y.toInt8Array();
        y.dispose();
        expect(Array.from(got), `${what} ${JSON.stringify([qx, qy])}`).toEqual(Array.from(roundTrip(make(), all, qx, qy)));
        const want = ops.activationTable(f, qx, qy);
        let worst = 0;
        for (let i = 0; i < 256; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        expect(worst, `${what} vs double precision`).toBeLessThanOrEqual(1);
        layer.dispose();
      }
    }
    all.dispose();
  });

  it('any shape and size (vector body and tails), eager and compiled the same bytes', () => {
    let seed = 300;
    for (const shape of [[1, 1], [2, 3, 5, 7], [1, 16], [3, 17], [1, 4, 9, 9], [2, 33]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const [qx, qy] = GRIDS[seed % GRIDS.length];
      const x8 = Tensor.from(ints(n, seed++), shape);
      const x = ops.dequantizeLinear(x8, qx);
      const b = new GraphBuilder({ x: shape.slice(1) });
      const g = b.build(b.chain('x', [['q', new nn.QuantizeLinear(qx)], ['act', new nn.QActivation({ activation: new nn.SiLU(), x: qx, y: qy })]]), 1);
      const eager = g.predict(x);
      expect(eager.dtype).toBe('int8');
      expect(Array.from(eager.toInt8Array())).toEqual(Array.from(roundTrip(new nn.SiLU(), x8, qx, qy)));
      x8.dispose();
      const plan = compile(g, { batchSize: shape[0] });
      const y = plan.run(x);
      expect(Array.from(y.toInt8Array())).toEqual(Array.from(eager.toInt8Array()));
      [x, eager, y].forEach((t) => t.dispose());
      plan.dispose();
      g.dispose();
    }
  });

  it('config, io.save / io.load and summary (int8)', () => {
    const b = new GraphBuilder({ x: [4, 5, 5] });
    const y = b.chain('x', [
      ['q', new nn.QuantizeLinear({ scale: 0.03, zeroPoint: 5 })],
      ['act', new nn.QActivation({ activation: new nn.GELU({ approximate: 'tanh' }), x: { scale: 0.03, zeroPoint: 5 }, y: { scale: 0.02, zeroPoint: -100 } })],
      ['hs', new nn.QActivation({ activation: new nn.Hardtanh(-0.5, 1), x: { scale: 0.02, zeroPoint: -100 }, y: { scale: 0.01, zeroPoint: 0 } })],
      ['dq', new nn.DequantizeLinear({ scale: 0.01, zeroPoint: 0 })],
    ]);
    const g = b.build(y, 2);
    expect(g.node('act').layer.config()).toEqual({ activation: { type: 'GELU', config: { approximate: 'tanh' } }, x: { scale: 0.03, zeroPoint: 5 }, y: { scale: 0.02, zeroPoint: -100 } });
    expect(g.summary()).toMatch(/act\s+QActivation[^\n]*int8/);
    const back = io.load(io.save(g));
    const x = Tensor.from(randArray(2 * 100, 3, -4, 4), [2, 4, 5, 5]);
    const a = g.predict(x), c = back.predict(x);
    expect(Array.from(c.toFloat32Array())).toEqual(Array.from(a.toFloat32Array()));
    [x, a, c].forEach((t) => t.dispose());
    back.dispose();
    g.dispose();
  });

  it('refuses what it cannot tabulate, before any kernel runs', () => {
    const q = { scale: 0.1, zeroPoint: 0 };
    expect(() => new nn.QActivation({ activation: new nn.Softmax(), x: q, y: q })).toThrow(/nn\.QActivation: activation must be a layer of an elementwise type \(ReLU, .*\), got a Softmax layer/);
    expect(() => new nn.QActivation({ activation: new nn.Conv2d(1, 1, 1), x: q, y: q })).toThrow(/got a Conv2d layer/);
    expect(() => new nn.QActivation({ activation: 'silu' as never, x: q, y: q })).toThrow(/activation must be a layer of an elementwise type .*got "silu"/);
    expect(() => new nn.QActivation({ activation: new nn.SiLU(), x: q, y: { scale: 0, zeroPoint: 0 } })).toThrow(/nn\.QActivation: y\.scale must be a number > 0/);
    expect(() => new nn.QActivation({ activation: new nn.SiLU(), x: q } as never)).toThrow(/nn\.QActivation: y must be \{ scale, zeroPoint \}/);
    expect(() => nn.QActivation.fromConfig({ activation: { type: 'Conv2d', config: {} }, x: q, y: q }, 'a')).toThrow(/config\.activation must be \{ type, config \} of an elementwise activation/);
    const layer = new nn.QActivation({ activation: new nn.SiLU(), x: q, y: q, name: 'act' });
    const f = Tensor.from(new Float32Array(4), [1, 4]);
    expect(() => layer.forward([f], false)).toThrow(/act.*int8/);
    f.dispose();
    layer.dispose();
  });
});

describe('quantize() and int8 activations', () => {
  for (const [what, act, gate] of [['Hardswish / Hardsigmoid', () => new nn.Hardswish(), () => new nn.Hardsigmoid()], ['SiLU / Sigmoid', () => new nn.SiLU(), () => new nn.Sigmoid()]] as const) {
    it(`${what}: tables where every reader takes int8 (the logits bit for bit as with the float round trip), float32 where one does not`, () => {
      const f = excite(act, gate);
      const cal = Tensor.from(randArray(16 * 3 * 144, 5, -2, 2), [16, 3, 12, 12]);
      const q = quantize(f, cal);
      const type = (n: string) => q.node(n).layer.type;
      // read by a convolution alone: a table
      expect(type('expand_act')).toBe('QActivation');
      // read by the residual Add too; by the squeeze-excite pooling and its product (float32); the
      // gate; the head's, before average pooling: float32
      for (const n of ['stem_act', 'dw_act', 'se_gate', 'head_act']) expect(type(n), n).not.toBe('QActivation');
      // the same model with each table replaced by dequantize → the float layer → quantize
      const expanded = new GraphBuilder({ image: [3, 12, 12] });
      for (const node of q.nodes) {
        const L = node.layer;
        if (L instanceof nn.QActivation) {
          const d = expanded.add(`${node.name}.dq`, new nn.DequantizeLinear(L.qx), node.inputs[0]);
          const a = expanded.add(`${node.name}.f`, act(), d);
          expanded.add(node.name, new nn.QuantizeLinear(L.qy), a);
        } else {
          const copy = layerFactory(L.type)!(L.config(), node.name);
          copy.params().forEach((p, i) => p.assign(L.params()[i].value.dtype === 'int8' ? L.params()[i].value.toInt8Array() : L.params()[i].value));
          expanded.add(node.name, copy, node.inputs.length === 1 ? node.inputs[0] : [...node.inputs]);
        }
      }
      const ref = expanded.build(q.outputNames[0], 1);
      const x = Tensor.from(randArray(3 * 3 * 144, 6, -2, 2), [3, 3, 12, 12]);
      const a = q.predict(x), r = ref.predict(x);
      expect(Array.from(a.toFloat32Array())).toEqual(Array.from(r.toFloat32Array()));
      const plan = compile(q, { batchSize: 3 });
      expect(Array.from(plan.run(x).toFloat32Array())).toEqual(Array.from(a.toFloat32Array()));
      plan.dispose();
      [x, a, r, cal].forEach((t) => t.dispose());
      [ref, q, f].forEach((g) => g.dispose());
    });
  }
});

describe('quantize() and int8 Concat', () => {
  /** The float32 model's and the int8 model's outputs on x (compiled), and the int8 model's layer types by node. */
  function run(f: Graph, q: Graph, x: Tensor): { want: Float32Array; got: Float32Array; types: Record<string, string> } {
    const pf = compile(f, { batchSize: x.shape[0] }), pq = compile(q, { batchSize: x.shape[0] });
    const a = pf.run(x), b = pq.run(x);
    const out = { want: a.toFloat32Array(), got: b.toFloat32Array(), types: Object.fromEntries(q.nodes.map((n) => [n.name, n.layer.type])) };
    [a, b].forEach((t) => t.dispose());
    [pf, pq].forEach((p) => p.dispose());
    return out;
  }

  it('a Concat read in float32 (a graph output, a float layer) stays float32: each branch keeps its own grid, the same bytes as with the Concat excluded', () => {
    const x = Tensor.from(randArray(8 * 3 * 64, 7), [8, 3, 8, 8]);
    // a detection head's layout: two branches of very different ranges joined as the output
    const b = new GraphBuilder({ image: [3, 8, 8] });
    const small = new nn.Conv2d(3, 4, 1), big = new nn.Conv2d(3, 4, 1);
    b.add('a', small, 'image'); b.add('bb', big, 'image');
    const head = b.build(b.add('cat', new nn.Concat(), ['a', 'bb']), 1);
    small.weight.assign(small.weight.value.toFloat32Array().map((v) => v * 0.01));
    big.weight.assign(big.weight.value.toFloat32Array().map((v) => v * 10));
    // DenseNet's: an int8 convolution and a float32 pooling joined, read by a batch norm
    const d = new GraphBuilder({ image: [3, 8, 8] });
    d.add('c', new nn.Conv2d(3, 4, 3, { padding: 1 }), 'image');
    d.add('p', new nn.AvgPool2d(3, { stride: 1, padding: 1 }), 'image');
    const dense = d.build(d.add('bn', new nn.BatchNorm2d(7), d.add('cat', new nn.Concat(), ['c', 'p'])), 2);
    for (const f of [head, dense]) {
      const q = quantize(f, x), ex = quantize(f, x, { exclude: ['cat'] });
      const r = run(f, q, x), e = run(f, ex, x);
      expect(r.types.cat).toBe('Concat');
      expect(Array.from(r.got)).toEqual(Array.from(e.got));
      // the small branch (channels 0…3 of the head) keeps its own fine grid: well above 30 dB
      if (f === head) {
        let s = 0, n = 0;
        for (let i = 0; i < r.got.length; i++) if (Math.floor(i / 64) % 8 < 4) { s += r.want[i] ** 2; n += (r.got[i] - r.want[i]) ** 2; }
        expect(10 * Math.log10(s / n)).toBeGreaterThan(30);
      }
      [q, ex, f].forEach((g) => g.dispose());
    }
    x.dispose();
  });

  it('a float32 input is quantized straight onto the QConcat\'s grid (one rounding); equalize: true keeps a rescaled convolution\'s Concat input in float32', () => {
    const x = Tensor.from(randArray(8 * 3 * 256, 8), [8, 3, 16, 16]);
    const b = new GraphBuilder({ image: [3, 16, 16] });
    b.add('c', new nn.Conv2d(3, 4, 3, { padding: 1 }), 'image');
    const g = b.build(b.add('c2', new nn.Conv2d(7, 5, 1), b.add('cat', new nn.Concat(), ['c', 'image'])), 3);
    const q = quantize(g, x);
    const cat = q.node('cat').layer as nn.QConcat;
    expect(cat).toBeInstanceOf(nn.QConcat);
    expect(q.node('cat').inputs[1]).toBe('image.quantize.cat');
    expect(cat.qx[1]).toEqual(cat.qy);
    expect(cat.qx[0]).toEqual(cat.qy); // the convolution only the Concat reads: on its grid too
    const e = new GraphBuilder({ image: [3, 16, 16] });
    const c1 = new nn.Conv2d(3, 4, 3, { padding: 1 }), c2 = new nn.Conv2d(3, 4, 3, { padding: 1 });
    e.chain('image', [['c1', c1], ['h1', new nn.Hardswish()]]);
    e.chain('image', [['c2', c2], ['h2', new nn.Hardswish()]]);
    const h = e.build(e.add('c3', new nn.Conv2d(8, 5, 1), e.add('cat', new nn.Concat(), ['h1', 'h2'])), 4);
    c2.weight.assign(c2.weight.value.toFloat32Array().map((v) => v * 20));
    const plain = quantize(h, x), eq = quantize(h, x, { equalize: true });
    expect([plain.node('h1').layer.type, plain.node('cat').layer.type]).toEqual(['QActivation', 'QConcat']);
    expect([eq.node('h1').layer.type, eq.node('cat').layer.type]).toEqual(['Hardswish', 'Concat']);
    expect(eq.nodes.some((n) => n.name === 'c3.inputScale')).toBe(true);
    [q, g, plain, eq, h].forEach((m) => m.dispose());
    x.dispose();
  });
});
