// The ONNX handlers of onnx-dense-ops.ts on hand-written models: Resize (opsets 11, 13, 18 with
// axes; scales or sizes; every coordinate and nearest mode), Upsample (opsets 7 and 9),
// ConvTranspose (pads, output_shape, auto_pad) and Pad (reflect, edge, constant values), each
// against the float64 references; the refusals; and the zero Pad before a Conv still folded.
import { beforeAll, describe, expect, it } from 'vitest';
import { io, Tensor, memoryInfo } from '../src/index.js';
import { expectClose, randArray, ready, sizeOf } from './helpers.js';
import { floats, model, node } from './onnx-fixtures.js';
import { refResize } from './ref/resize.js';
import { refPad } from './ref/pad.js';
import { refConvTranspose2d } from './ref/conv-transpose2d.js';
import type { AttrOut, TensorOut } from '../src/io/onnx-write.js';

beforeAll(ready);

const f = (name: string, values: number[]): TensorOut => ({ name, dims: [values.length], floats: new Float32Array(values) });
const i64 = (name: string, values: number[]): TensorOut => ({ name, dims: [values.length], int64s: values });
const s = (name: string, v: string): AttrOut => ({ name, s: v });

function exec(bytes: Uint8Array, xs: Float32Array, shape: number[]): { y: Float32Array; shape: number[]; types: string[] } {
  const g = io.fromONNX(bytes);
  const x = Tensor.from(xs, shape);
  const y = g.predict(x);
  const out = { y: y.toFloat32Array(), shape: y.shape.slice(), types: g.layers.map((l) => l.type) };
  x.dispose(); y.dispose(); g.dispose();
  return out;
}

const refuse = (bytes: Uint8Array, re: RegExp) => expect(() => io.fromONNX(bytes).dispose()).toThrow(re);

describe('ONNX Resize and Upsample', () => {
  const shape = [2, 3, 5, 7];
  const xs = randArray(sizeOf(shape), 1);

  it('scales (opset 13, roi empty) in every coordinate and nearest mode', () => {
    for (const coord of ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'])
      for (const mode of ['nearest', 'linear'])
        for (const nearest of mode === 'nearest' ? ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] : ['floor']) {
          const attrs = [s('mode', mode), s('coordinate_transformation_mode', coord), s('nearest_mode', nearest)];
          const bytes = model(shape.slice(1), [node('Resize', ['x', '', 'sc'], attrs)], [f('sc', [1, 1, 1.5, 0.75])]);
          const got = exec(bytes, xs, shape);
          const want = refResize(xs, shape, { mode: mode === 'nearest' ? 'nearest' : 'bilinear', coord, nearest, scale: [1.5, 0.75] });
          expect(got.types).toEqual(['Upsample']);
          expectClose(got.y, want.data, want.shape, `${mode} ${coord} ${nearest}`, 1e-6, 1e-5);
        }
  });

  it('sizes (opset 11 with roi and an empty scales) and axes (opset 18)', () => {
    const b11 = model(shape.slice(1), [node('Resize', ['x', 'roi', 'sc', 'sz'], [s('mode', 'linear')])], [f('roi', []), f('sc', []), i64('sz', [2, 3, 8, 4])], { opset: 11 });
    const w11 = refResize(xs, shape, { mode: 'bilinear', coord: 'half_pixel', size: [8, 4] });
    const g11 = exec(b11, xs, shape);
    expectClose(g11.y, w11.data, w11.shape, 'opset 11 sizes', 1e-6, 1e-5);
    const b18 = model(shape.slice(1), [node('Resize', ['x', '', 'sc'], [{ name: 'axes', ints: [2, 3] }])], [f('sc', [2, 2])], { opset: 18 });
    const w18 = refResize(xs, shape, { mode: 'nearest', coord: 'half_pixel', nearest: 'round_prefer_floor', scale: [2, 2] });
    expectClose(exec(b18, xs, shape).y, w18.data, w18.shape, 'opset 18 axes', 0, 0);
  });

  it('Upsample-7 (scales attribute) and Upsample-9 (scales input): asymmetric, floor', () => {
    const b7 = model(shape.slice(1), [node('Upsample', ['x'], [s('mode', 'nearest'), { name: 'scales', floats: [1, 1, 2, 3] }])], [], { opset: 7 });
    const w7 = refResize(xs, shape, { mode: 'nearest', coord: 'asymmetric', nearest: 'floor', scale: [2, 3] });
    expectClose(exec(b7, xs, shape).y, w7.data, w7.shape, 'Upsample-7', 0, 0);
    const b9 = model(shape.slice(1), [node('Upsample', ['x', 'sc'], [s('mode', 'linear')])], [f('sc', [1, 1, 2, 1.5])], { opset: 9 });
    const w9 = refResize(xs, shape, { mode: 'bilinear', coord: 'asymmetric', scale: [2, 1.5] });
    expectClose(exec(b9, xs, shape).y, w9.data, w9.shape, 'Upsample-9', 1e-6, 1e-5);
  });

  it('refuses what it cannot express, saying why', () => {
    const one = (attrs: AttrOut[], opset = 13, inits = [f('sc', [1, 1, 2, 2])]) =>
      model([3, 4, 4], [node('Resize', ['x', '', 'sc'], attrs, 'y', 'up')], inits, { opset });
    refuse(one([s('coordinate_transformation_mode', 'tf_crop_and_resize')]), /node 'up' \(Resize, opset 13\): coordinate_transformation_mode 'tf_crop_and_resize' \(resizing a region of interest\) is not supported/);
    refuse(one([s('mode', 'cubic')]), /mode 'cubic' is not supported/);
    refuse(one([{ name: 'antialias', i: 1 }], 18), /antialias = 1 is not supported/);
    refuse(one([], 13, [f('sc', [1, 2, 2, 2])]), /resize the batch or channel axis/);
    refuse(model([3, 4, 4], [node('Resize', ['x'], [], 'y', 'up')]), /node 'up' \(Resize, opset 13\): neither scales nor sizes is given/);
  });
});

describe('ONNX ConvTranspose', () => {
  const xShape = [2, 4, 3, 5];
  const xs = randArray(sizeOf(xShape), 2);
  const ws = randArray(4 * 3 * 3 * 3, 3);
  const inits = [{ name: 'w', dims: [4, 3, 3, 3], floats: ws }, f('b', [0.1, -0.2, 0.3])];

  it('pads and output_padding, output_shape and auto_pad SAME_UPPER / SAME_LOWER', () => {
    const cases: [AttrOut[], { padding: [number, number, number, number]; outputPadding?: [number, number] }][] = [
      [[{ name: 'strides', ints: [2, 2] }, { name: 'pads', ints: [1, 0, 0, 1] }, { name: 'output_padding', ints: [1, 0] }], { padding: [1, 0, 0, 1], outputPadding: [1, 0] }],
      [[{ name: 'strides', ints: [2, 2] }, { name: 'output_shape', ints: [6, 10] }], { padding: [1, 1, 0, 0] }],
      [[{ name: 'strides', ints: [2, 2] }, s('auto_pad', 'SAME_UPPER')], { padding: [0, 0, 1, 1] }],
      [[{ name: 'strides', ints: [2, 2] }, s('auto_pad', 'SAME_LOWER')], { padding: [1, 1, 0, 0] }],
      [[{ name: 'strides', ints: [2, 2] }, { name: 'output_shape', ints: [8, 12] }], { padding: [0, 0, 0, 0], outputPadding: [1, 1] }],
    ];
    for (const [attrs, o] of cases) {
      const got = exec(model(xShape.slice(1), [node('ConvTranspose', ['x', 'w', 'b'], attrs)], inits), xs, xShape);
      const want = refConvTranspose2d(xs, xShape, ws, [4, 3, 3, 3], [0.1, -0.2, 0.3], { stride: [2, 2], ...o });
      expect(got.types).toEqual(['ConvTranspose2d']);
      expectClose(got.y, want.data, want.shape, JSON.stringify(attrs));
    }
  });
});

describe('ONNX Pad on activations', () => {
  const shape = [2, 3, 4, 5];
  const xs = randArray(sizeOf(shape), 4);

  it('reflect, edge and constant (with a value) become nn.Pad; opset 9 attributes too', () => {
    for (const [mode, torch] of [['reflect', 'reflect'], ['edge', 'replicate'], ['constant', 'constant']]) {
      const ins = mode === 'constant' ? ['x', 'p', 'v'] : ['x', 'p'];
      const bytes = model(shape.slice(1), [node('Pad', ins, [s('mode', mode)])], [i64('p', [0, 0, 1, 3, 0, 0, 2, 1]), { name: 'v', dims: [], floats: new Float32Array([0.75]) }]);
      const got = exec(bytes, xs, shape);
      const want = refPad(xs, shape, [3, 1, 1, 2], torch, 0.75);
      expect(got.types).toEqual(['Pad']);
      expectClose(got.y, want.data, want.shape, mode, 0, 0);
    }
    const b2 = model(shape.slice(1), [node('Pad', ['x'], [s('mode', 'constant'), { name: 'pads', ints: [0, 0, 0, 1, 0, 0, 0, 2] }, { name: 'value', f: -1 } as never])], [], { opset: 9 });
    const w2 = refPad(xs, shape, [1, 2], 'constant', -1);
    expectClose(exec(b2, xs, shape).y, w2.data, w2.shape, 'Pad-2 (opset 9)', 0, 0);
  });

  it('keeps folding a zero Pad into the Conv that reads it', () => {
    const bytes = model(shape.slice(1), [node('Pad', ['x', 'p'], [], 'xp', 'pad'), node('Conv', ['xp', 'w'], [], 'y', 'conv')], [i64('p', [0, 0, 1, 1, 0, 0, 1, 1]), floats('w', [2, 3, 3, 3])]);
    expect(exec(bytes, xs, shape).types).toEqual(['Conv2d']);
  });

  it('refuses cropping, batch pads and wrap', () => {
    const base = memoryInfo().bytesInUse;
    refuse(model(shape.slice(1), [node('Pad', ['x', 'p'], [s('mode', 'reflect')])], [i64('p', [0, 0, -1, 0, 0, 0, 0, 0])]), /negative pads .* \(cropping\) are not supported/);
    refuse(model(shape.slice(1), [node('Pad', ['x', 'p'], [s('mode', 'edge')])], [i64('p', [1, 0, 0, 0, 0, 0, 0, 0])]), /pad the batch axis, which is not supported/);
    refuse(model(shape.slice(1), [node('Pad', ['x', 'p'], [s('mode', 'wrap')])], [i64('p', [0, 0, 1, 0, 0, 0, 0, 0])], { opset: 19 }), /mode 'wrap' is not supported/);
    expect(memoryInfo().bytesInUse).toBe(base);
  });
});
