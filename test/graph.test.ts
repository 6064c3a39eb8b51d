import { describe, expect, it } from 'vitest';
import { Graph, Sequential, nn } from '../src/index.js';

describe('build-time errors name the nodes and shapes', () => {
  it('a layer whose input channels do not match', () => {
    expect(() => new Sequential([new nn.Conv2d(3, 8, 3, { name: 'c1' }), new nn.Conv2d(4, 8, 3, { name: 'c2' })], { inputShape: [3, 16, 16] }))
      .toThrow(/layer 'c2' \(Conv2d\): got input shape \[8, 14, 14\] .* built for 4 input channels.*fed by 'c1' \[8, 14, 14\]/);
  });
  it('a Linear after a Conv without Flatten', () => {
    expect(() => new Sequential([new nn.Conv2d(1, 2, 3, { name: 'conv' }), new nn.Linear(8, 4, { name: 'fc' })], { inputShape: [1, 4, 4] }))
      .toThrow(/layer 'fc' \(Linear\): got input shape \[2, 2, 2\].*put a Flatten before it \(the input has 8 values, the right number\)/);
  });
  it('a window larger than its input', () => {
    expect(() => new Sequential([new nn.MaxPool2d(2, { name: 'p1' }), new nn.Conv2d(1, 1, 5, { name: 'c' })], { inputShape: [1, 6, 6] }))
      .toThrow(/layer 'c' \(Conv2d\): got input shape \[1, 3, 3\].*the window does not fit/);
  });
  it('a cycle', () => {
    expect(() => new Graph({
      inputs: { x: [4] },
      nodes: [
        { name: 'a', layer: new nn.ReLU(), inputs: 'c' },
        { name: 'b', layer: new nn.ReLU(), inputs: 'a' },
        { name: 'c', layer: new nn.Add(), inputs: ['b', 'x'] },
      ],
      outputs: 'c',
    })).toThrow(/graph: it has a cycle: '(a|b|c)' → '(a|b|c)' → '(a|b|c)' → '\1'/);
  });
  it('a dangling input, an unknown input, an unknown output, a node that leads nowhere', () => {
    const relu = () => new nn.ReLU();
    expect(() => new Graph({ inputs: { x: [4], y: [4] }, nodes: [{ name: 'a', layer: relu(), inputs: 'x' }], outputs: 'a' }))
      .toThrow(/input 'y' is dangling: no node uses it/);
    expect(() => new Graph({ inputs: { x: [4] }, nodes: [{ name: 'a', layer: relu(), inputs: 'z' }], outputs: 'a' }))
      .toThrow(/node 'a' takes input 'z', which is neither a graph input \(x\) nor a node/);
    expect(() => new Graph({ inputs: { x: [4] }, nodes: [{ name: 'a', layer: relu(), inputs: 'x' }], outputs: 'b' }))
      .toThrow(/output 'b' is not a node/);
    expect(() => new Graph({ inputs: { x: [4] }, nodes: [{ name: 'a', layer: relu(), inputs: 'x' }, { name: 'b', layer: relu(), inputs: 'x' }], outputs: 'a' }))
      .toThrow(/node 'b' is dangling: it leads to no output/);
    expect(() => new Graph({ inputs: { x: [4] }, nodes: [{ name: 'a', layer: relu(), inputs: 'x' }, { name: 'a', layer: relu(), inputs: 'x' }], outputs: 'a' }))
      .toThrow(/the name 'a' is used twice/);
    const shared = relu();
    expect(() => new Graph({ inputs: { x: [4] }, nodes: [{ name: 'a', layer: shared, inputs: 'x' }, { name: 'b', layer: shared, inputs: 'a' }], outputs: 'b' }))
      .toThrow(/nodes 'a' and 'b' share one layer object/);
  });
  it('Add of different shapes', () => {
    expect(() => new Graph({
      inputs: { x: [3, 8, 8] },
      nodes: [
        { name: 'conv', layer: new nn.Conv2d(3, 4, 3, { padding: 1 }), inputs: 'x' },
        { name: 'sum', layer: new nn.Add(), inputs: ['conv', 'x'] },
      ],
      outputs: 'sum',
    })).toThrow(/layer 'sum' \(Add\): got input shape \[4, 8, 8\] and \[3, 8, 8\].*same shape.*fed by 'conv' \[4, 8, 8\], 'x' \[3, 8, 8\]/);
  });
  it('Concat of different spatial sizes', () => {
    expect(() => new Graph({
      inputs: { x: [3, 8, 8] },
      nodes: [
        { name: 'a', layer: new nn.Conv2d(3, 4, 1), inputs: 'x' },
        { name: 'b', layer: new nn.Conv2d(3, 4, 3), inputs: 'x' },
        { name: 'cat', layer: new nn.Concat(1), inputs: ['a', 'b'] },
      ],
      outputs: 'cat',
    })).toThrow(/layer 'cat' \(Concat\): got input shape \[4, 8, 8\] and \[4, 6, 6\].*match except along dim 1/);
  });
  it('wrong arity and bad constructor arguments', () => {
    expect(() => new Graph({ inputs: { x: [4] }, nodes: [{ name: 's', layer: new nn.Add(), inputs: 'x' }], outputs: 's' }))
      .toThrow(/node 's' \(Add\) takes 2 to 64 input\(s\), got 1/);
    expect(() => new nn.Conv2d(3, 8, 3, { groups: 2 })).toThrow(/divisible by groups \(2\)/);
    expect(() => new nn.Conv2d(3, 8, 0)).toThrow(/kernelSize must be ≥ 1, got 0/);
    expect(() => new nn.Conv2d(3, 8, 3, { strides: 2 } as never)).toThrow(/unknown option 'strides'/);
    expect(() => new nn.MaxPool2d(2, { padding: 2 })).toThrow(/padding \[2, 2\] must be at most half the kernel size/);
    expect(() => new nn.Dropout(1.5)).toThrow(/p must be in \[0, 1\], got 1.5/);
    expect(() => new Sequential([], { inputShape: [1] })).toThrow(/non-empty array of layers/);
  });
});

describe('topological order and shapes', () => {
  it('orders nodes given out of order, and infers an inception-style join', () => {
    const g = new Graph({
      inputs: { x: [3, 8, 8] },
      nodes: [
        { name: 'cat', layer: new nn.Concat(1), inputs: ['a', 'b', 'p'] },
        { name: 'a', layer: new nn.Conv2d(3, 4, 1), inputs: 'x' },
        { name: 'b', layer: new nn.Conv2d(3, 5, 3, { padding: 1 }), inputs: 'x' },
        { name: 'p', layer: new nn.MaxPool2d(3, { stride: 1, padding: 1 }), inputs: 'x' },
      ],
      outputs: 'cat',
    });
    expect(g.nodes.map((n) => n.name)).toEqual(['a', 'b', 'p', 'cat']);
    expect(g.outputShape).toEqual([12, 8, 8]);
    expect(g.paramCount).toBe(4 * 3 + 4 + 5 * 27 + 5);
  });
});
