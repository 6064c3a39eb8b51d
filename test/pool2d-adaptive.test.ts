// Adaptive average pooling (PyTorch's AdaptiveAvgPool2d) and its backward.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { refAdaptiveAvgPool2d, refAdaptiveAvgPool2dBackward, refAvgPool2d } from './ref/pool2d.js';

beforeAll(ready);

let baseline = 0;
beforeEach(() => { baseline = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use back to baseline').toBe(baseline); });

const CHANNELS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17];
// input size → output size along one axis: divisible or not, equal, down to 1, and up (oh > H)
const AXIS: [number, number][] = [[7, 3], [13, 6], [6, 6], [5, 1], [1, 1], [14, 7], [9, 4], [3, 5], [2, 7], [32, 7], [10, 3]];

function forward(shape: number[], out: [number, number], data: Float32Array): Float32Array {
  const x = Tensor.from(data, shape);
  const y = ops.adaptiveAvgPool2d(x, out);
  expectCanariesIntact(`adaptive ${shape.join('x')} → ${out.join('x')}`);
  expect(y.shape).toEqual([...shape.slice(0, -2), ...out]);
  const res = y.toFloat32Array();
  x.dispose();
  y.dispose();
  return res;
}

function backward(shape: number[], out: [number, number], dyData: Float32Array): Float32Array {
  const dy = Tensor.from(dyData, [...shape.slice(0, -2), ...out]);
  const dx = ops.adaptiveAvgPool2dBackward(dy, shape);
  expectCanariesIntact(`adaptive backward ${shape.join('x')} → ${out.join('x')}`);
  expect(dx.shape).toEqual(shape);
  const res = dx.toFloat32Array();
  dy.dispose();
  dx.dispose();
  return res;
}

function check(shape: number[], out: [number, number], seed: number): void {
  const what = `${shape.join('x')} → ${out.join('x')}`;
  const data = randArray(sizeOf(shape), seed);
  const ref = refAdaptiveAvgPool2d(data, shape, out[0], out[1]);
  expectClose(forward(shape, out, data), ref.y, ref.shape, `forward ${what}`);
  const dyData = randArray(ref.y.length, seed + 1);
  expectClose(backward(shape, out, dyData), refAdaptiveAvgPool2dBackward(dyData, shape, out[0], out[1]), shape, `backward ${what}`);
}

describe('adaptiveAvgPool2d and adaptiveAvgPool2dBackward', () => {
  it('hand-computed: 5 → 3 windows [0, 2), [1, 4), [3, 5) overlap; 2 → 3 repeats the middle', () => {
    const x = Tensor.from([1, 2, 3, 4, 5], [1, 1, 1, 5]);
    const y = ops.adaptiveAvgPool2d(x, [1, 3]);
    expect(Array.from(y.toFloat32Array())).toEqual([1.5, 3, 4.5]);
    const dy = Tensor.from([2, 3, 4], [1, 1, 1, 3]);
    const dx = ops.adaptiveAvgPool2dBackward(dy, [1, 1, 1, 5]);
    expect(Array.from(dx.toFloat32Array())).toEqual([1, 2, 1, 3, 2]);
    const two = Tensor.from([1, 3], [1, 1, 2]);
    const up = ops.adaptiveAvgPool2d(two, [1, 3]); // windows [0, 1), [0, 2), [1, 2)
    expect(Array.from(up.toFloat32Array())).toEqual([1, 2, 3]);
    const one = ops.adaptiveAvgPool2d(x, 1);
    expect(Array.from(one.toFloat32Array())).toEqual([3]);
    for (const t of [x, y, dy, dx, two, up, one]) t.dispose();
  });

  it('matches the reference for H divisible and not by oh (7→3, 13→6, 6→6, 5→1, 3→5, …) on both axes', () => {
    let seed = 1;
    for (const [h, oh] of AXIS) {
      for (const [w, ow] of AXIS) check([2, 3, h, w], [oh, ow], (seed += 2));
    }
  });

  it('sweeps widths (every remainder mod 4 of W and of ow), channels and batch', () => {
    let seed = 1000;
    for (let w = 1; w <= 14; w++) {
      for (const ow of [1, 2, 3, 4, 5, 6, 7, 9, 12]) check([2, 2, 5, w], [3, ow], (seed += 2));
    }
    for (const w of [31, 34, 55]) for (const ow of [5, 6, 7, 8]) check([1, 2, 6, w], [4, ow], (seed += 2));
    for (const c of CHANNELS) check([3, c, 7, 9], [3, 4], (seed += 2));
    check([4, 7, 7], [2, 3], (seed += 2)); // rank 3
  });

  it('equals avgPool2d when the sizes divide (14 → 7 is 2×2 stride 2; VGG 7 → 7 is the identity)', () => {
    const shape = [2, 5, 14, 21];
    const data = randArray(sizeOf(shape), 5);
    expectClose(forward(shape, [7, 7], data), refAvgPool2d(data, shape, { kernelSize: [2, 3] }).y, [2, 5, 7, 7], '14x21 → 7x7');
    const id = [1, 3, 7, 7];
    const d7 = randArray(sizeOf(id), 6);
    expect(Array.from(forward(id, [7, 7], d7))).toEqual(Array.from(d7));
    expect(Array.from(backward(id, [7, 7], d7))).toEqual(Array.from(d7));
  });

  it('central differences over overlapping and upsampling windows', () => {
    let seed = 2000;
    for (const [shape, out] of [[[2, 3, 7, 13], [3, 6]], [[1, 4, 5, 5], [1, 1]], [[2, 2, 3, 6], [5, 4]], [[1, 17, 6, 6], [6, 6]]] as [number[], [number, number]][]) {
      const data = randArray(sizeOf(shape), seed++);
      const r = randArray(sizeOf(shape.slice(0, -2)) * out[0] * out[1], seed++);
      fdCheck({
        x: data, shape, r, analytic: backward(shape, out, r), samples: 60, what: `adaptive fd ${shape.join('x')} → ${out.join('x')}`,
        forward: (xp) => {
          const x = Tensor.from(xp, shape);
          const y = ops.adaptiveAvgPool2d(x, out);
          const o = y.toFloat32Array();
          x.dispose();
          y.dispose();
          return o;
        },
      });
    }
  });

  it('rejects bad arguments with specific messages, before running anything', () => {
    const x = Tensor.zeros([1, 2, 4, 4]);
    const empty = Tensor.zeros([1, 2, 0, 4]);
    const dy = Tensor.zeros([1, 2, 2, 2]);
    const before = bytesInUse();
    expect(() => ops.adaptiveAvgPool2d(x, 0)).toThrow(/adaptiveAvgPool2d: outputSize must be ≥ 1, got 0/);
    expect(() => ops.adaptiveAvgPool2d(x, [2, 1.5] as never)).toThrow(/adaptiveAvgPool2d: outputSize\[1\] must be an integer, got 1.5/);
    expect(() => ops.adaptiveAvgPool2d(x, [2, 2, 2] as never)).toThrow(/adaptiveAvgPool2d: outputSize must be a number or \[h, w\]/);
    expect(() => ops.adaptiveAvgPool2d(x, undefined as never)).toThrow(/adaptiveAvgPool2d: outputSize must be an integer, got undefined/);
    expect(() => ops.adaptiveAvgPool2d(empty, 2)).toThrow(/adaptiveAvgPool2d: x has shape \[1, 2, 0, 4\]: an empty 0×4 plane has no mean/);
    const r2 = Tensor.zeros([4, 4]);
    expect(() => ops.adaptiveAvgPool2d(r2, 2)).toThrow(/adaptiveAvgPool2d: x must have rank 3 or 4 .*got shape \[4, 4\]/);
    r2.dispose();
    expect(() => ops.adaptiveAvgPool2dBackward(dy, [1, 3, 4, 4])).toThrow(
      /adaptiveAvgPool2dBackward: dy has shape \[1, 2, 2, 2\] but x has shape \[1, 3, 4, 4\]: dy must be \[1, 3, oh, ow\]/,
    );
    expect(() => ops.adaptiveAvgPool2dBackward(dy, [2, 4, 4])).toThrow(/dy must be \[2, oh, ow\]/);
    expect(() => ops.adaptiveAvgPool2dBackward(dy, [1, 2, 4, 0])).toThrow(/adaptiveAvgPool2dBackward: xShape \[1, 2, 4, 0\] has an empty 4×0 plane/);
    expect(() => ops.adaptiveAvgPool2dBackward(dy, 'x' as never)).toThrow(/adaptiveAvgPool2dBackward: xShape must be an array of dims/);
    const gone = Tensor.zeros([1, 2, 2, 2]);
    gone.dispose();
    expect(() => ops.adaptiveAvgPool2dBackward(gone, [1, 2, 4, 4])).toThrow(/adaptiveAvgPool2dBackward: dy was disposed/);
    expect(bytesInUse()).toBe(before);
    for (const t of [x, empty, dy]) t.dispose();
  });
});
