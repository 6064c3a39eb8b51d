// LayerNorm, LayerNorm2d and nn.Linear over the last dim of N-D input, checked by
// test/layer-check.ts; and the import-time fusions (decomposed layer norm, Transpose → LayerNorm →
// Transpose, MatMul + bias Add, channel shuffle) with the graphs that must not fuse.
import { beforeAll, describe, expect, it } from 'vitest';
import { nn, io, Sequential, Graph, Tensor } from '../src/index.js';
import { expectClose, randArray, ready } from './helpers.js';
import { checkLayer } from './layer-check.js';
import { model } from './onnx-fixtures.js';
import type { NodeOut, TensorOut } from '../src/io/onnx-write.js';

beforeAll(ready);

const seq = (layers: nn.Layer[], inputShape: number[]) => () => new Sequential(layers, { inputShape });

describe('nn.LayerNorm and nn.LayerNorm2d', () => {
  it('LayerNorm over the last one and two dims, with and without affine parameters', () => {
    // the convolutions have no bias: a layer norm cancels a constant shift, so its gradient is 0 (float32 noise)
    checkLayer('LayerNorm [7]', seq([new nn.Conv2d(3, 4, 1, { bias: false }), new nn.LayerNorm(7, { eps: 1e-3 })], [3, 5, 7]), { shape: [3, 5, 7], samples: 16 });
    checkLayer('LayerNorm [5, 7]', seq([new nn.Conv2d(3, 4, 1, { bias: false }), new nn.LayerNorm([5, 7])], [3, 5, 7]), { shape: [3, 5, 7], samples: 16 });
    checkLayer('LayerNorm no affine', seq([new nn.LayerNorm(6, { elementwiseAffine: false })], [4, 6]), { shape: [4, 6] });
    expect(() => new nn.LayerNorm(6).outputShape([[4, 5]])).toThrow(/normalizedShape \[6\]/);
  });

  it('LayerNorm2d over the channels of NCHW', () => {
    checkLayer('LayerNorm2d', seq([new nn.Conv2d(3, 6, 1), new nn.LayerNorm2d(6, { eps: 1e-6 })], [3, 4, 5]), { shape: [3, 4, 5], samples: 16 });
    checkLayer('LayerNorm2d no affine', seq([new nn.LayerNorm2d(3, { elementwiseAffine: false })], [3, 4, 5]), { shape: [3, 4, 5] });
    expect(() => new nn.LayerNorm2d(4).outputShape([[3, 4, 5]])).toThrow(/\[4, …\]/);
  });
});

describe('nn.Linear over the last dim of N-D input', () => {
  it('[N, …, in] → [N, …, out], with a fused ReLU and without a bias', () => {
    checkLayer('Linear 4-D', seq([new nn.Conv2d(2, 3, 1), new nn.Permute([0, 2, 3, 1]), new nn.Linear(3, 5)], [2, 4, 3]), { shape: [2, 4, 3] });
    checkLayer('Linear 3-D + ReLU', seq([new nn.Linear(6, 4, { bias: false }), new nn.ReLU()], [3, 6]), { shape: [3, 6] });
    checkLayer('Linear 2-D (Gemm)', seq([new nn.Linear(6, 4)], [6]), { shape: [6] });
    const l = new nn.Linear(8, 3);
    expect(l.outputShape([[2, 5, 8]])).toEqual([2, 5, 3]);
    expect(l.macs([[2, 5, 8]])).toBe(2 * 5 * 8 * 3);
    expect(() => l.outputShape([[2, 2, 2]])).toThrow(/put a Flatten before it \(the input has 8 values, the right number\)/);
    l.dispose();
  });
});

// ── Import-time fusions, on graphs written with our ONNX encoder ─────────────────────────────

const f = (name: string, dims: number[], data: ArrayLike<number>): TensorOut => ({ name, dims, floats: Float32Array.from(data) });
const ints = (name: string, values: number[]): TensorOut => ({ name, dims: [values.length], int64s: values });
const node = (opType: string, inputs: string[], out: string, attrs: NodeOut['attrs'] = []): NodeOut => ({ opType, name: out, inputs, outputs: [out], attrs });

/** PyTorch's decomposed layer norm of `x` over `axes` into `out` (with weight w and bias b when named). */
function decomposed(x: string, axes: number[], out: string, w?: string, b?: string): NodeOut[] {
  const a = [{ name: 'axes', ints: axes }];
  const ns = [
    node('ReduceMean', [x], `${out}/m`, a), node('Sub', [x, `${out}/m`], `${out}/d`), node('Pow', [`${out}/d`, 'two'], `${out}/p`),
    node('ReduceMean', [`${out}/p`], `${out}/v`, a), node('Add', [`${out}/v`, 'eps'], `${out}/ve`), node('Sqrt', [`${out}/ve`], `${out}/s`),
    node('Div', [`${out}/d`, `${out}/s`], w || b ? `${out}/n` : out),
  ];
  if (w) ns.push(node('Mul', [`${out}/n`, w], b ? `${out}/w` : out));
  if (b) ns.push(node('Add', [w ? `${out}/w` : `${out}/n`, b], out));
  return ns;
}
const scalars = [f('two', [], [2]), f('eps', [], [1e-5])];

function predict(g: Graph, shape: number[], seed = 5): Float32Array {
  const x = Tensor.from(randArray(shape.reduce((p, q) => p * q, 1), seed), shape);
  const y = g.predict(x);
  const o = y.toFloat32Array();
  x.dispose();
  y.dispose();
  return o;
}

describe('ONNX import fusions', () => {
  it('the decomposed layer norm over the last dims becomes one LayerNorm (weight, bias folded)', () => {
    const bytes = model([4, 6], decomposed('x', [-1], 'y', 'w', 'b'), [...scalars, f('w', [6], randArray(6, 1)), f('b', [6], randArray(6, 2))]);
    const g = io.fromONNX(bytes);
    expect(g.layers.map((l) => l.type)).toEqual(['LayerNorm']);
    const ref = new Sequential([new nn.LayerNorm(6)], { inputShape: [4, 6] });
    const ln = ref.layers[0] as nn.LayerNorm;
    ln.weight!.assign(randArray(6, 1));
    ln.bias!.assign(randArray(6, 2));
    expectClose(predict(g, [2, 4, 6]), predict(ref, [2, 4, 6]), [2, 4, 6], 'fused LayerNorm');
    g.dispose();
    ref.dispose();
  });

  it('over axis 1 of NCHW with a [C, 1, 1] affine it becomes one LayerNorm2d', () => {
    const bytes = model([3, 2, 2], decomposed('x', [1], 'y', 'w', 'b'), [...scalars, f('w', [3, 1, 1], [1, 2, 3]), f('b', [3, 1, 1], [0, 1, 0])]);
    const g = io.fromONNX(bytes);
    expect(g.layers.map((l) => l.type)).toEqual(['LayerNorm2d']);
    g.dispose();
  });

  it('does not fuse when a value inside the pattern has another reader, or the axes differ', () => {
    const shared = decomposed('x', [-1], 'y');
    shared.push(node('Concat', ['y', 'y/d'], 'z', [{ name: 'axis', i: 1 }]));
    // unfused, the pattern imports as its arithmetic (Sub, Pow, Div, … layers), never as one LayerNorm
    const types = (g: ReturnType<typeof io.fromONNX>) => { const t = g.layers.map((l) => l.type); g.dispose(); return t; };
    const a = types(io.fromONNX(model([4, 6], shared, scalars, { outputs: [{ name: 'z', dims: ['N', 8, 6] }] })));
    expect(a).not.toContain('LayerNorm');
    expect(a).toEqual(expect.arrayContaining(['Sub', 'Div']));
    const mixed = decomposed('x', [-1], 'y');
    mixed[3] = node('ReduceMean', ['y/p'], 'y/v', [{ name: 'axes', ints: [-2] }]);
    const b = types(io.fromONNX(model([4, 6], mixed, scalars)));
    expect(b).not.toContain('LayerNorm');
    expect(b).toEqual(expect.arrayContaining(['Sub', 'Div']));
  });

  it('Transpose → LayerNormalization over C → Transpose back is one LayerNorm2d; a lone Transpose stays a Permute', () => {
    const nodes = [
      node('Transpose', ['x'], 't1', [{ name: 'perm', ints: [0, 2, 3, 1] }]),
      node('LayerNormalization', ['t1', 'w', 'b'], 'ln', [{ name: 'axis', i: -1 }, { name: 'epsilon', f: 1e-6 }]),
      node('Transpose', ['ln'], 'y', [{ name: 'perm', ints: [0, 3, 1, 2] }]),
    ];
    const inits = [f('w', [3], [1, 2, 3]), f('b', [3], [0.5, 0, -0.5])];
    const g = io.fromONNX(model([3, 4, 5], nodes, inits, { opset: 17 }));
    expect(g.layers.map((l) => l.type)).toEqual(['LayerNorm2d']);
    const two = io.fromONNX(model([3, 4, 5], nodes.slice(0, 2), inits, { opset: 17, outputs: [{ name: 'ln', dims: ['N', 4, 5, 3] }] }));
    expect(two.layers.map((l) => l.type)).toEqual(['Permute', 'LayerNorm']);
    // the two-step form computes the same numbers, permuted
    const a = predict(g, [2, 3, 4, 5]), b = predict(two, [2, 3, 4, 5]);
    const back = new Float32Array(a.length);
    for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) for (let p = 0; p < 20; p++) back[n * 60 + c * 20 + p] = b[n * 60 + p * 3 + c];
    expectClose(a, back, [2, 3, 4, 5], 'LayerNorm2d vs Permute + LayerNorm');
    g.dispose();
    two.dispose();
  });

  it('MatMul by a constant and its bias Add: one Linear over the last dim; two activations: MatMul', () => {
    const nodes = [node('MatMul', ['x', 'w'], 'mm'), node('Add', ['mm', 'b'], 'y')];
    const g = io.fromONNX(model([2, 4, 3], nodes, [f('w', [3, 5], randArray(15, 3)), f('b', [5], randArray(5, 4))]));
    expect(g.layers.map((l) => `${l.type}${JSON.stringify(l.config())}`)).toEqual(['Linear{"inFeatures":3,"outFeatures":5,"bias":true}']);
    expect(g.outputShape).toEqual([2, 4, 5]);
    g.dispose();
    const aa = io.fromONNX(model([3, 3], [node('MatMul', ['x', 'x'], 'y')], []));
    expect(aa.layers.map((l) => l.type)).toEqual(['MatMul']);
    aa.dispose();
  });

  it('Reshape → Transpose → Reshape of ShuffleNet is one ChannelShuffle, unless a middle value has another reader', () => {
    const nodes = [
      node('Reshape', ['x', 's5'], 'r'), node('Transpose', ['r'], 't', [{ name: 'perm', ints: [0, 2, 1, 3, 4] }]), node('Reshape', ['t', 's4'], 'y'),
    ];
    const inits = [ints('s5', [0, 2, 3, 4, 5]), ints('s4', [0, 6, 4, 5])];
    const g = io.fromONNX(model([6, 4, 5], nodes, inits));
    expect(g.layers.map((l) => `${l.type}${JSON.stringify(l.config())}`)).toEqual(['ChannelShuffle{"groups":2}']);
    const side = [...nodes, node('ReduceSum', ['t', 'ax'], 'z', [{ name: 'keepdims', i: 1 }])];
    const h = io.fromONNX(model([6, 4, 5], side, [...inits, ints('ax', [1])], { outputs: [{ name: 'y', dims: ['N', 6, 4, 5] }] }));
    expect(h.layers.map((l) => l.type)).toEqual(['Reshape', 'Permute', 'Flatten']);
    expectClose(predict(g, [2, 6, 4, 5]), predict(h, [2, 6, 4, 5]), [2, 6, 4, 5], 'ChannelShuffle vs the three steps');
    g.dispose();
    h.dispose();
  });
});
