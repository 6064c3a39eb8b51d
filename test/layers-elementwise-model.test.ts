// The elementwise layers in whole models: a graph using every one of them (conv → ReLU6, conv →
// Hardtanh, squeeze-and-excitation, SiLU/GELU/Mish, Unary, binary layers with constants) runs the
// same compiled (compile) as eager, with ReLU6/Hardtanh fused into the convolutions' stores;
// io.save/io.load and io.toONNX/io.fromONNX round trips give the same outputs; import-time fusion
// turns the exported patterns back into single layers, and leaves alone graphs that reuse their parts.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Graph, Tensor, compile, io, nn } from '../src/index.js';
import type { Layer } from '../src/nn/layer.js';
import { bytesInUse, randArray, ready, sizeOf } from './helpers.js';
import { model, node, floats } from './onnx-fixtures.js';

beforeAll(ready);
let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

const IN = [3, 8, 8];
type N = [string, Layer, string[]];

/** A graph over every elementwise layer type, with seeded weights and non-trivial constants. */
function everything(): Graph {
  const C = 6;
  const k = (shape: number[], seed: number, lo = 0.5, hi = 1.5) => ({ constantShape: shape, constant: randArray(sizeOf(shape), seed, lo, hi) });
  const nodes: N[] = [
    ['c1', new nn.Conv2d(3, C, 3, { padding: 1 }), ['x']],
    ['r6', new nn.ReLU6(), ['c1']],
    ['c2', new nn.Conv2d(C, C, 1), ['r6']],
    ['ht', new nn.Hardtanh(-0.5, 0.8), ['c2']],
    ['hs', new nn.Hardswish(), ['ht']],
    ['gp', new nn.GlobalAvgPool2d(), ['hs']],
    ['fc', new nn.Conv2d(C, C, 1), ['gp']],
    ['gate', new nn.Hardsigmoid(), ['fc']],
    ['se', new nn.Mul(), ['hs', 'gate']],
    ['silu', new nn.SiLU(), ['se']],
    ['gelu', new nn.GELU(), ['silu']],
    ['gelut', new nn.GELU({ approximate: 'tanh' }), ['gelu']],
    ['mish', new nn.Mish(), ['gelut']],
    ['sub', new nn.Sub({ ...k([C, 1, 1], 1), constantSide: 'left' }), ['mish']],
    ['div', new nn.Div(k([8], 2)), ['sub']],
    ['sq', new nn.Pow(k([1], 3, 2, 2)), ['div']],
    ['abs', new nn.Unary('abs'), ['div']],
    ['sqrt', new nn.Unary('sqrt'), ['abs']],
    ['exp', new nn.Unary('exp'), ['sqrt']],
    ['rec', new nn.Unary('reciprocal'), ['exp']],
    ['neg', new nn.Unary('neg'), ['rec']],
    ['erf', new nn.Unary('erf'), ['neg']],
    ['hsig2', new nn.Hardsigmoid({ alpha: 0.2, beta: 0.4 }), ['sq']],
    ['ht2', new nn.Hardtanh(-Infinity, 0.9), ['mish']],
    ['sum', new nn.Add(), ['erf', 'hsig2', 'ht2']],
    ['bias', new nn.Add(k([8, 8], 4, -1, 1)), ['sum']],
    ['scale', new nn.Mul(k([C, 1, 8], 5)), ['bias']],
    ['pw', new nn.Pow(), ['hsig2', 'gate']],
    ['out', new nn.Div(), ['scale', 'pw']],
  ];
  return new Graph({ inputs: { x: IN }, nodes: nodes.map(([name, layer, inputs]) => ({ name, layer, inputs })), outputs: 'out', seed: 7 });
}

const input = (batch: number) => Tensor.from(randArray(batch * sizeOf(IN), 9, -2, 2), [batch, ...IN]);

function predict(g: Graph, x: Tensor): Float32Array {
  const y = g.predict(x);
  const out = y.toFloat32Array();
  y.dispose();
  return out;
}

function expectNear(got: Float32Array, want: Float32Array, tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  expect(worst, what).toBeLessThanOrEqual(tol);
}

describe('a model of every elementwise layer', () => {
  it('compile(model) equals eager; ReLU6 and Hardtanh are fused into the convolutions before them', () => {
    const g = everything();
    const x = input(2);
    const eager = predict(g, x);
    expect(eager.every(Number.isFinite)).toBe(true);
    const plan = compile(g, { batchSize: 2 });
    expectNear(plan.run(x).toFloat32Array(), eager, 1e-6, 'compiled vs eager');
    const steps = plan.info.steps;
    expect(steps.find((s) => s.name === 'c1')!.fused).toEqual(['r6']);
    expect(steps.find((s) => s.name === 'c2')!.fused).toEqual(['ht']);
    expect(steps.some((s) => s.name === 'r6' || s.name === 'ht')).toBe(false);
    plan.dispose();
    x.dispose();
    g.dispose();
  });

  it('io.save / io.load round trip: the same outputs, constants stored as parameters', () => {
    const g = everything();
    const x = input(1);
    const want = predict(g, x);
    const bytes = io.save(g);
    const h = io.load(bytes);
    expect(h.nodes.map((n) => n.layer.config())).toEqual(g.nodes.map((n) => n.layer.config()));
    expect(Array.from(predict(h, x))).toEqual(Array.from(want));
    expect(h.node('sub').layer.params().map((p) => p.name)).toEqual(['constant']);
    for (const m of [g, h]) m.dispose();
    x.dispose();
  });

  it('io.toONNX (opset 13) → io.fromONNX: the same outputs, the patterns fused back into single layers', () => {
    const g = everything();
    const x = input(2);
    const want = predict(g, x);
    const h = io.fromONNX(io.toONNX(g));
    expectNear(predict(h, x), want, 1e-5, 'ONNX round trip');
    const types = h.nodes.map((n) => n.layer.type);
    for (const t of ['ReLU6', 'Hardtanh', 'Hardswish', 'Hardsigmoid', 'SiLU', 'GELU', 'Mish', 'Unary', 'Sub', 'Div', 'Pow', 'Add', 'Mul']) expect(types, t).toContain(t);
    expect(types.filter((t) => t === 'GELU')).toHaveLength(1); // the tanh form comes back as its formula
    expect(types).not.toContain('Sigmoid');
    const plan = compile(h, { batchSize: 2 });
    expectNear(plan.run(x).toFloat32Array(), want, 1e-5, 'compiled import');
    plan.dispose();
    for (const m of [g, h]) m.dispose();
    x.dispose();
  });
});

/** A one-input graph from [name, layer, inputs] triples; output: the last node. */
function graph(nodes: N[], shape = [4, 3, 3]): Graph {
  return new Graph({ inputs: { x: shape }, nodes: nodes.map(([name, layer, inputs]) => ({ name, layer, inputs })), outputs: nodes[nodes.length - 1][0] });
}

/** Exports g, imports it, checks the outputs agree, returns the imported layer types. */
function reimport(g: Graph): string[] {
  const x = Tensor.from(randArray(2 * sizeOf(g.inputShapes.x), 4, -5, 5), [2, ...g.inputShapes.x]);
  const h = io.fromONNX(io.toONNX(g));
  expectNear(predict(h, x), predict(g, x), 1e-6, 'reimported');
  const types = h.nodes.map((n) => n.layer.type);
  for (const m of [g, h]) m.dispose();
  x.dispose();
  return types;
}

describe('import-time fusion', () => {
  it('x·Sigmoid(x) → SiLU, x·HardSigmoid(x) (1/6, 1/2) → Hardswish, Clip(0, 6) → ReLU6, the Erf formula → GELU', () => {
    expect(reimport(graph([['s', new nn.Sigmoid(), ['x']], ['m', new nn.Mul(), ['s', 'x']]]))).toEqual(['SiLU']);
    expect(reimport(graph([['s', new nn.Hardsigmoid(), ['x']], ['m', new nn.Mul(), ['x', 's']]]))).toEqual(['Hardswish']);
    expect(reimport(graph([['c', new nn.Hardtanh(0, 6), ['x']]]))).toEqual(['ReLU6']);
    expect(reimport(graph([['c', new nn.Hardtanh(0, Infinity), ['x']]]))).toEqual(['ReLU']);
    const erfForm = (half: number): N[] => [
      ['d', new nn.Div({ constantShape: [1], constant: Math.SQRT2 }), ['x']],
      ['e', new nn.Unary('erf'), ['d']],
      ['p', new nn.Add({ constantShape: [1], constant: 1 }), ['e']],
      ['m', new nn.Mul(), ['x', 'p']],
      ['h', new nn.Mul({ constantShape: [1], constant: half }), ['m']],
    ];
    expect(reimport(graph(erfForm(0.5)))).toEqual(['GELU']);
    // the other order: (x·0.5)·(1 + erf(x/√2))
    expect(reimport(graph([
      ['d', new nn.Div({ constantShape: [1], constant: Math.SQRT2 }), ['x']], ['e', new nn.Unary('erf'), ['d']],
      ['p', new nn.Add({ constantShape: [1], constant: 1 }), ['e']], ['h', new nn.Mul({ constantShape: [1], constant: 0.5 }), ['x']],
      ['m', new nn.Mul(), ['h', 'p']],
    ]))).toEqual(['GELU']);
    expect(reimport(graph(erfForm(0.6)))).toEqual(['Div', 'Unary', 'Add', 'Mul', 'Mul']);
  });

  it('leaves the patterns alone when their parts are read elsewhere or the constants differ', () => {
    // the sigmoid also feeds an Add: fusing would not save it, and the graph stays as it was
    expect(reimport(graph([['s', new nn.Sigmoid(), ['x']], ['m', new nn.Mul(), ['x', 's']], ['a', new nn.Add(), ['m', 's']]]))).toEqual(['Sigmoid', 'Mul', 'Add']);
    // a sigmoid of something else, and a hardsigmoid with ONNX's default alpha 0.2
    expect(reimport(graph([['r', new nn.ReLU(), ['x']], ['s', new nn.Sigmoid(), ['r']], ['m', new nn.Mul(), ['x', 's']]]))).toEqual(['ReLU', 'Sigmoid', 'Mul']);
    expect(reimport(graph([['s', new nn.Hardsigmoid({ alpha: 0.2, beta: 0.5 }), ['x']], ['m', new nn.Mul(), ['x', 's']]]))).toEqual(['Hardsigmoid', 'Mul']);
    expect(reimport(graph([['c', new nn.Hardtanh(0, 5), ['x']]]))).toEqual(['Hardtanh']);
  });

  it('Mish: x·Tanh(Softplus(x)) → Mish; a Softplus outside that pattern is refused', () => {
    expect(reimport(graph([['m', new nn.Mish(), ['x']]]))).toEqual(['Mish']);
    const g = graph([['m', new nn.Mish(), ['x']], ['a', new nn.Add(), ['m', 'x']]]);
    expect(reimport(g)).toEqual(['Mish', 'Add']);
    expect(() => io.fromONNX(model([4], [node('Softplus', ['x'])]))).toThrow(/Softplus, opset 13\): Softplus is supported only inside Mish/);
    const other = [node('Softplus', ['x'], [], 's', 'a'), node('Tanh', ['s'], [], 't', 'b'), node('Relu', ['x'], [], 'r', 'c'), node('Mul', ['r', 't'], [], 'y', 'd')];
    expect(() => io.fromONNX(model([4], other))).toThrow(/Softplus is supported only inside Mish/);
  });

  it('Clip: attributes before opset 11, optional inputs after; one bound gives a Hardtanh open on the other side', () => {
    const types = (bytes: Uint8Array) => {
      const g = io.fromONNX(bytes);
      const out = g.nodes.map((n) => [n.layer.type, n.layer.config()]);
      g.dispose();
      return out;
    };
    expect(types(model([4], [node('Clip', ['x'], [{ name: 'min', f: 0 }, { name: 'max', f: 6 }])], [], { opset: 10 }))).toEqual([['ReLU6', {}]]);
    expect(types(model([4], [node('Clip', ['x'], [{ name: 'max', f: 2 }])], [], { opset: 10 }))).toEqual([['Hardtanh', { minVal: null, maxVal: 2 }]]);
    expect(types(model([4], [node('Clip', ['x', 'lo'])], [floats('lo', [], -0.5)]))).toEqual([['Hardtanh', { minVal: -0.5, maxVal: null }]]);
    expect(types(model([4], [node('Clip', ['x', '', 'hi'])], [floats('hi', [], 0.5)]))).toEqual([['Hardtanh', { minVal: null, maxVal: 0.5 }]]);
    expect(types(model([4], [node('Clip', ['x', 'lo'])], [floats('lo', [], 0)]))).toEqual([['ReLU', {}]]);
    expect(() => io.fromONNX(model([4], [node('Clip', ['x', 'lo', 'lo'])], [floats('lo', [], 1)]))).toThrow(/min must be below max/);
  });
});
