// The reliability issue's findings, one test each: integer options past i32 stop in src/ops with
// the number in the message (no trap, nothing left allocated), layer constructors bound their
// weights before building anything, dispose() frees saved training state, wrong-typed arguments
// get messages that name the function, user-given argmax indices are checked, and the public ops
// namespace holds checked functions only.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, memoryInfo, nn, ops, outputSize } from '../src/index.js';
import { randArray, ready } from './helpers.js';

beforeAll(ready);
let base = 0;
beforeEach(() => { base = memoryInfo().bytesInUse; });
afterEach(() => {
  expect(memoryInfo().bytesInUse, 'bytes in use back at the baseline').toBe(base);
  expect(memoryInfo().liveTensors).toBe(0);
});

const HUGE = [2 ** 31, 2 ** 32, 2 ** 53, 1e308];
const x4 = () => Tensor.from(randArray(2 * 3 * 6 * 6, 1), [2, 3, 6, 6]);
const anyI32 = /must be ≤ 2147483647 \(the kernels take 32-bit integers\), got/;

describe('integer options past 32 bits', () => {
  it.each(HUGE)('stride %d stops in every windowed op with the number in the message', (s) => {
    const x = x4(), w = Tensor.from(randArray(4 * 3 * 3 * 3, 2), [4, 3, 3, 3]);
    const dy = Tensor.zeros([2, 3, 3, 3]);
    const num = String(s);
    const calls: [string, () => unknown][] = [
      ['conv2d', () => ops.conv2d(x, w, null, { stride: s })],
      ['conv2dClamped', () => ops.conv2dClamped(x, w, null, { stride: [1, s] }, 0, 6)],
      ['maxPool2d', () => ops.maxPool2d(x, { kernelSize: 2, stride: s })],
      ['maxPool2dWithIndices', () => ops.maxPool2dWithIndices(x, { kernelSize: 2, stride: s })],
      ['maxPool2dBackward', () => ops.maxPool2dBackward(dy, x, { kernelSize: 2, stride: s })],
      ['avgPool2d', () => ops.avgPool2d(x, { kernelSize: 2, stride: s })],
      ['nn.AvgPool2d', () => new nn.AvgPool2d(2, { stride: s })],
      ['nn.MaxPool2d', () => new nn.MaxPool2d(2, { stride: s })],
      ['nn.Conv2d', () => new nn.Conv2d(3, 4, 3, { stride: s })],
    ];
    for (const [name, f] of calls) {
      expect(f, name).toThrow(RangeError);
      expect(f, name).toThrow(new RegExp(`^${name.replace('.', '\\.')}: .*${num.replace('+', '\\+')}`));
    }
    for (const t of [x, w, dy]) t.dispose();
  });

  it('padding, dilation, groups and kernel sizes past 32 bits, and windows whose i32 arithmetic would overflow', () => {
    const x = x4(), w = Tensor.from(randArray(3 * 1 * 1 * 1, 3), [3, 1, 1, 1]), w3 = Tensor.zeros([4, 3, 1, 1]);
    expect(() => ops.conv2d(x, w3, null, { padding: 2 ** 32 })).toThrow(anyI32);
    expect(() => ops.conv2d(x, w3, null, { dilation: 2 ** 53 })).toThrow(anyI32);
    expect(() => ops.conv2d(x, w3, null, { groups: 2 ** 32 })).toThrow(anyI32);
    expect(() => ops.maxPool2d(x, { kernelSize: 1e308 })).toThrow(anyI32);
    // each fits i32, but the padded extent does not
    expect(() => ops.conv2d(x, w, null, { padding: 2 ** 31 - 1, stride: 2 ** 31 - 1, groups: 3 })).toThrow(/the padded input size N \+ P = 6 \+ 4294967294/);
    expect(() => ops.maxPool2d(x, { kernelSize: 3, dilation: 2 ** 30 })).toThrow(/dilated filter size/);
    expect(() => outputSize(3, 4, null as never)).toThrow(/^outputSize: options must be an object, got null/);
    expect(() => outputSize(2 ** 32, 1)).toThrow(/^outputSize: N \(input size\) must be ≤ 2147483647/);
    for (const t of [x, w, w3]) t.dispose();
  });
});

describe('the 10-minute fuzz run\'s findings', () => {
  it('a stride plus padding past i32 (the im2col tap range would overflow) stops before the kernel', () => {
    const x = Tensor.zeros([2, 2, 5, 3]), w = Tensor.zeros([1, 2, 2, 2]), b = Tensor.zeros([1]);
    expect(() => ops.conv2d(x, w, b, { stride: 2 ** 31 - 1, padding: 46341 })).toThrow(
      /^conv2d: along the height the padded input size plus the stride N \+ P \+ S = 5 \+ 92682 \+ 2147483647/,
    );
    expect(() => ops.maxPool2d(x, { kernelSize: 2, stride: 2 ** 31 - 2, padding: 1 })).toThrow(/N \+ P \+ S/);
    for (const t of [x, w, b]) t.dispose();
  });

  it('adaptiveAvgPool2dBackward bounds each dim of xShape, even with no planes', () => {
    const dy = Tensor.zeros([0, 0, 7, 4]);
    expect(() => ops.adaptiveAvgPool2dBackward(dy, [0, 0, 65536, 1e308])).toThrow(/^adaptiveAvgPool2dBackward: xShape\[3\] must be ≤ 2147483647/);
    expect(() => ops.adaptiveAvgPool2dBackward(dy, [0, 0, 2 ** 16, 2 ** 16])).toThrow(/^adaptiveAvgPool2dBackward: xShape's H×W plane/);
    ops.adaptiveAvgPool2dBackward(dy, [0, 0, 8, 8]).dispose();
    dy.dispose();
  });

  it('a zero-size shape still has 32-bit dims', () => {
    expect(() => Tensor.zeros([0, 2 ** 53])).toThrow(/^Tensor.empty: shape \[0, 9007199254740992\] has dimension 1 = 9007199254740992, more than 2\^31 − 1/);
    const dy = Tensor.zeros([0, 3]);
    expect(() => ops.flattenBackward(dy, [0, 2 ** 32, 3])).toThrow(/^flattenBackward: /);
    dy.dispose();
  });

  it('nn.Add frees its partial sum when a later input does not match', () => {
    const a = Tensor.zeros([1, 2]), c = Tensor.zeros([1, 3]);
    const add = new nn.Add();
    expect(() => add.forward([a, a, c])).toThrow(/^add: /);
    for (const t of [a, c]) t.dispose();
    add.dispose();
  });
});

describe('layer constructors', () => {
  it('bound their weights before building anything', () => {
    const t0 = Date.now();
    expect(() => new nn.Conv2d(2 ** 31, 2, 1, { groups: 2 })).toThrow(/^nn\.Conv2d: inChannels must be ≤ 2147483647 .*got 2147483648/);
    expect(() => new nn.Conv2d(2 ** 30, 2 ** 30, 1)).toThrow(/^nn\.Conv2d: weight \[1073741824, 1073741824, 1, 1\] would have \d+ elements, more than the 1073741824 \(2\^30\)/);
    expect(() => new nn.Linear(1e308, 21)).toThrow(/^nn\.Linear: inFeatures must be ≤ 2147483647 .*got 1e\+308/);
    expect(() => new nn.Linear(2 ** 16, 2 ** 15)).toThrow(/^nn\.Linear: weight \[32768, 65536\] would have 2147483648 elements/);
    expect(() => new nn.BatchNorm2d(2 ** 53)).toThrow(/^nn\.BatchNorm2d: numFeatures must be ≤ 2147483647 .*got 9007199254740992/);
    expect(() => new nn.BatchNorm2d(2 ** 31 - 1)).toThrow(/^nn\.BatchNorm2d: weight \[2147483647\] would have/);
    // at the bound, the weight is made in the heap first: too large fails at once, no JavaScript copy built
    const big = new nn.Linear(2 ** 15, 2 ** 15);
    expect(() => big.weight.value).toThrow(/^simdnet: out of memory: cannot allocate 4294967296 bytes/);
    big.dispose();
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('check option objects, their types and enums', () => {
    expect(() => new nn.Conv2d(1, 1, 1, null as never)).toThrow(/^nn\.Conv2d: options must be an object, got null/);
    expect(() => new nn.ReLU(null as never)).toThrow(/^nn\.ReLU: options must be an object, got null/);
    expect(() => new nn.MaxPool2d(2, { ceilMode: 'yes' as never })).toThrow(/^nn\.MaxPool2d: ceilMode must be a boolean, got "yes"/);
    expect(() => new nn.Linear(2, 2, { weightInit: 'he' as never })).toThrow(/^nn\.Linear: weightInit must be "kaimingUniform" or .*, got "he"/);
    expect(() => new nn.Conv2d(1, 1, 1, { padding: 2 ** 32 })).toThrow(/^nn\.Conv2d: padding must be ≤ 2147483647/);
    expect(() => new nn.LogSoftmax('1' as never)).toThrow(/^nn\.LogSoftmax: dim must be an integer, got "1"/);
    expect(() => new nn.Reshape([2 ** 53])).toThrow(/^nn\.Reshape: every size in shape must be a positive integer or −1 \(at most 2\^30\)/);
  });
});

describe('layer methods given wrong types', () => {
  it('name the layer and the argument', () => {
    const conv = new nn.Conv2d(3, 4, 3, { name: 'c1' });
    expect(() => conv.forward(5 as never)).toThrow(/^layer 'c1' \(Conv2d\)\.forward: inputs must be an array of Tensors, got 5/);
    expect(() => conv.forward([null] as never)).toThrow(/^layer 'c1' \(Conv2d\)\.forward: inputs\[0\] must be a Tensor, got null/);
    expect(() => conv.forward([], true)).toThrow(/inputs must hold 1 tensor, got 0/);
    expect(() => conv.backward({} as never)).toThrow(/^layer 'c1' \(Conv2d\)\.backward: dy must be a Tensor, got an object/);
    expect(() => conv.outputShape(null as never)).toThrow(/^layer 'c1' \(Conv2d\)\.outputShape: inputs must be an array of shapes/);
    expect(() => conv.outputShape([46341] as never)).toThrow(/^layer 'c1' \(Conv2d\)\.outputShape: inputs\[0\] must be an array/);
    expect(() => conv.outputShape([[Symbol('s')]] as never)).toThrow(/has dimension 0 = a symbol Symbol\(s\)/);
    const drop = new nn.Dropout(0);
    expect(() => drop.backward('dy' as never)).toThrow(/^layer 'Dropout' \(Dropout\)\.backward: dy must be a Tensor, got "dy"/);
    const add = new nn.Add();
    const x = x4();
    expect(() => add.forward([x] as never)).toThrow(/^layer 'Add' \(Add\)\.forward: inputs must hold 2 … 64 tensors, got 1/);
    x.dispose();
    expect(() => add.outputShape([[1, 2]])).toThrow(/it takes 2 … 64 inputs/);
    conv.dispose();
    for (const l of [drop, add]) l.dispose();
  });

  it('the clamped ops take numbers and name themselves', () => {
    const x = x4(), w = Tensor.zeros([3, 3, 1, 1]), lx = Tensor.zeros([2, 3]), lw = Tensor.zeros([2, 3]);
    expect(() => ops.conv2dClamped(x, w, null, undefined, null as never, 6)).toThrow(/^conv2dClamped: clamp bounds must be numbers with min ≤ max, got \[null, 6\]/);
    expect(() => ops.linearClamped(lx, lw, null, 1, 0)).toThrow(/^linearClamped: clamp bounds/);
    for (const t of [x, w, lx, lw]) t.dispose();
  });
});

describe('dispose() frees what a training forward saved', () => {
  it.each([
    ['MaxPool2d', () => new nn.MaxPool2d(2)],
    ['BatchNorm2d', () => new nn.BatchNorm2d(3)],
  ] as const)('%s', (_name, make) => {
    const layer = make();
    const x = x4();
    const y = layer.forward([x], true);
    y.dispose();
    x.dispose();
    layer.dispose();
  });
});

describe('maxPool2dBackward', () => {
  it('refuses indices outside the input plane', () => {
    const x = x4();
    const { output, indices } = ops.maxPool2dWithIndices(x, { kernelSize: 2 });
    const dy = Tensor.zeros(output.shape);
    const ok = ops.maxPool2dBackward(dy, x, { kernelSize: 2, indices });
    ok.dispose();
    for (const bad of [1e9, -5, 36]) {
      const data = indices.toInt32Array();
      data[4] = bad;
      const idx = Tensor.from(data, indices.shape);
      expect(() => ops.maxPool2dBackward(dy, x, { kernelSize: 2, indices: idx })).toThrow(
        new RegExp(`^maxPool2dBackward: indices\\[4\\] = ${bad} is outside the 6×6 input plane`),
      );
      idx.dispose();
    }
    for (const t of [x, output, indices, dy]) t.dispose();
  });
});

describe('the public ops namespace', () => {
  it('holds checked functions only', () => {
    const names = Object.keys(ops);
    for (const raw of ['denseRun', 'denseBackwardData', 'denseBackwardWeight', 'window2d', 'paramBlock', 'runOnce', 'prepared', 'withScratch']) {
      expect(names, raw).not.toContain(raw);
    }
    expect(names.filter((n) => n.startsWith('prepare'))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['conv2d', 'linear', 'maxPool2dBackward', 'outputSize', 'indexSelect', 'adamUpdate']));
  });
});
