// The reduction, shape and matrix layers (Reduce, GlobalMaxPool2d, AdaptiveMaxPool2d, Permute,
// ChannelShuffle, Slice, MatMul): each checked by test/layer-check.ts (compiled = eager, save/load,
// ONNX round trip, backward by central differences), plus their shape rules and errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { nn, Sequential, Graph, Tensor } from '../src/index.js';
import { ready } from './helpers.js';
import { checkLayer } from './layer-check.js';

beforeAll(ready);

const seq = (layers: nn.Layer[], inputShape: number[]) => () => new Sequential(layers, { inputShape });

describe('nn.Reduce', () => {
  it('sum, mean and max over any non-batch axes, keepdim either way', () => {
    const cases: [nn.ReduceOp, number | number[], boolean][] = [
      ['mean', [2, 3], true], ['mean', [2, 3], false], ['sum', 1, true], ['sum', [1, 2], false], ['max', -1, false],
      ['max', [1, 3], true], ['mean', -2, true], ['sum', [-3, -1], false],
    ];
    for (const [op, dims, keepdim] of cases) {
      // a max reads the input directly: a convolution's weights moved by ±eps could change the argmax
      const layers = op === 'max' ? [new nn.Reduce(op, dims, { keepdim })] : [new nn.Conv2d(3, 4, 1), new nn.Reduce(op, dims, { keepdim })];
      checkLayer(`Reduce ${op} ${JSON.stringify(dims)} keepdim ${keepdim}`, seq(layers, [3, 5, 6]), {
        shape: [3, 5, 6], distinct: op === 'max', samples: 16,
      });
    }
  });

  it('shapes and errors', () => {
    expect(new nn.Reduce('mean', [2, 3], { keepdim: false }).outputShape([[4, 5, 6]])).toEqual([4]);
    expect(new nn.Reduce('sum', -1).outputShape([[4, 5, 6]])).toEqual([4, 5, 1]);
    expect(() => new nn.Reduce('mean', 0).outputShape([[4, 5]])).toThrow(/non-batch axis/);
    expect(() => new nn.Reduce('mean', [1, 2], { keepdim: false }).outputShape([[4, 5]])).toThrow(/only the batch/);
    expect(() => new nn.Reduce('median' as nn.ReduceOp, 1)).toThrow(/'sum', 'mean' or 'max'/);
    expect(() => new nn.Reduce('sum', [1, 1]).outputShape([[4, 5]])).toThrow(/twice/);
  });
});

describe('nn.GlobalMaxPool2d, nn.AdaptiveMaxPool2d(1)', () => {
  it('max over H and W', () => {
    checkLayer('GlobalMaxPool2d', seq([new nn.Conv2d(3, 5, 3), new nn.GlobalMaxPool2d(), new nn.Flatten()], [3, 7, 6]), { shape: [3, 7, 6], distinct: true });
    checkLayer('AdaptiveMaxPool2d', seq([new nn.AdaptiveMaxPool2d(1)], [3, 4, 5]), { shape: [3, 4, 5], distinct: true, onnxTypes: ['GlobalMaxPool2d'] });
    expect(() => new nn.AdaptiveMaxPool2d(2)).toThrow(/only outputSize 1/);
  });
});

describe('nn.Permute', () => {
  it('any permutation keeping the batch first', () => {
    for (const dims of [[0, 2, 3, 1], [0, 3, 1, 2], [0, 1, 3, 2], [0, 3, 2, 1]]) {
      checkLayer(`Permute ${dims}`, seq([new nn.Conv2d(2, 3, 1), new nn.Permute(dims)], [2, 4, 5]), { shape: [2, 4, 5] });
    }
    checkLayer('Permute 3-D', seq([new nn.Permute([0, 2, 1])], [3, 7]), { shape: [3, 7] });
    expect(new nn.Permute([0, 2, 3, 1]).outputShape([[3, 4, 5]])).toEqual([4, 5, 3]);
    expect(() => new nn.Permute([1, 0, 2])).toThrow(/batch axis first/);
    expect(() => new nn.Permute([0, 1, 1])).toThrow(/permutation/);
  });
});

describe('nn.ChannelShuffle', () => {
  it('moves channel g·(C/g) + j to j·g + g', () => {
    const layer = new nn.ChannelShuffle(2);
    const x = Tensor.from(Array.from({ length: 6 * 2 }, (_, i) => Math.floor(i / 2)), [1, 6, 2, 1]);
    const y = layer.forward([x], false);
    expect(Array.from(y.toFloat32Array())).toEqual([0, 0, 3, 3, 1, 1, 4, 4, 2, 2, 5, 5]);
    x.dispose();
    y.dispose();
  });

  it('compiled, saved, round-tripped through ONNX (Reshape, Transpose, Reshape re-fused) and differentiated', () => {
    for (const g of [2, 3, 4]) {
      checkLayer(`ChannelShuffle ${g}`, seq([new nn.Conv2d(2, 12, 1), new nn.ChannelShuffle(g)], [2, 3, 5]), { shape: [2, 3, 5] });
    }
    expect(() => new nn.ChannelShuffle(5).outputShape([[12, 3, 3]])).toThrow(/5 groups/);
  });
});

describe('nn.Slice', () => {
  it('ONNX semantics: negative, clamped, stepped, reversed', () => {
    const cases: [number[], number[], number[], number[]][] = [
      [[2], [5], [1], [1]], [[-3], [100], [2], [1]], [[0], [7], [3], [2]], [[1], [-1], [1], [3]],
      [[1, 0], [-1, 100], [2, 3], [1, 2]], [[-1], [-100], [3], [-1]], [[4], [0], [2], [-2]],
    ];
    for (const [starts, ends, axes, steps] of cases) {
      checkLayer(`Slice ${starts} ${ends} ${axes} ${steps}`, seq([new nn.Conv2d(3, 6, 1), new nn.Slice(starts, ends, { axes, steps })], [3, 5, 7]), { shape: [3, 5, 7], samples: 12 });
    }
    expect(new nn.Slice([-1], [-100], { axes: [3], steps: [-1] }).outputShape([[3, 5, 7]])).toEqual([3, 5, 7]);
    expect(() => new nn.Slice([0], [1], { axes: [0] }).outputShape([[3, 5]])).toThrow(/non-batch axis/);
    expect(() => new nn.Slice([3], [3], { axes: [1] }).outputShape([[3, 5]])).toThrow(/empty/);
    expect(() => new nn.Slice([0], [1], { axes: [1], steps: [0] })).toThrow(/non-zero/);
  });
});

describe('nn.MatMul', () => {
  it('two activations, batched and broadcast', () => {
    // x [N, 3, 4] · xᵀ [N, 4, 3] and a 4-D product broadcasting a size-1 axis
    const g1 = () => new Graph({ inputs: { x: [3, 4] }, nodes: [
      { name: 't', layer: new nn.Permute([0, 2, 1]), inputs: 'x' },
      { name: 'mm', layer: new nn.MatMul(), inputs: ['x', 't'] },
    ], outputs: 'mm' });
    checkLayer('MatMul 3-D', g1, { shape: [3, 4] });
    const g2 = () => new Graph({ inputs: { x: [2, 3, 5] }, nodes: [
      { name: 'a', layer: new nn.Conv2d(2, 2, 1), inputs: 'x' },
      { name: 'b', layer: new nn.Reduce('mean', 1), inputs: 'x' },
      { name: 't', layer: new nn.Permute([0, 1, 3, 2]), inputs: 'b' },
      { name: 'mm', layer: new nn.MatMul(), inputs: ['a', 't'] },
    ], outputs: 'mm' });
    checkLayer('MatMul 4-D broadcast', g2, { shape: [2, 3, 5] });
    const m = new nn.MatMul();
    expect(m.outputShape([[2, 3, 4], [1, 4, 6]])).toEqual([2, 3, 6]);
    expect(() => m.outputShape([[3, 4], [5, 6]])).toThrow(/second-to-last/);
    expect(() => m.outputShape([[3, 4], [2, 4, 6]])).toThrow(/same rank/);
  });
});
