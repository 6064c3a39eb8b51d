// io.toONNX of nn.Upsample (Resize with scales, and with sizes built from Shape/Slice/Concat),
// nn.ConvTranspose2d and nn.Pad (constant with a value, reflect, replicate as edge), run by
// onnxruntime-web: its outputs must equal ours.
import { beforeAll, describe, expect, it } from 'vitest';
import { io, nn, Sequential, Tensor } from '../src/index.js';
import type { Layer } from '../src/nn/layer.js';
import { randArray, ready } from './helpers.js';
import { relError } from './onnx-fixtures.js';

beforeAll(ready);

describe('toONNX of the dense-prediction layers, run by onnxruntime-web', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let ort: any;
  beforeAll(async () => {
    ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
  });

  const cases: [string, () => Layer[], number[]][] = [
    ['nearest 2×', () => [new nn.Upsample({ scaleFactor: 2 })], [3, 5, 7]],
    ['nearest size', () => [new nn.Upsample({ size: [9, 4] })], [3, 5, 7]],
    ['nearest half_pixel 0.75/1.5', () => [new nn.Upsample({ scaleFactor: [0.75, 1.5], coordinateMode: 'half_pixel', nearestMode: 'round_prefer_ceil' })], [2, 8, 6]],
    ['bilinear 1.5', () => [new nn.Upsample({ scaleFactor: 1.5, mode: 'bilinear' })], [3, 5, 7]],
    ['bilinear align_corners size', () => [new nn.Upsample({ size: [11, 6], mode: 'bilinear', alignCorners: true })], [3, 5, 7]],
    ['convtranspose', () => [new nn.ConvTranspose2d(3, 4, 3, { stride: 2, padding: 1, outputPadding: 1 })], [3, 5, 7]],
    ['convtranspose groups dilation', () => [new nn.ConvTranspose2d(4, 6, [3, 2], { stride: [1, 3], padding: [1, 0], dilation: [2, 1], groups: 2 })], [4, 5, 7]],
    ['pad constant', () => [new nn.Pad([1, 2, 3, 0], { value: -0.5 })], [3, 5, 7]],
    ['pad reflect', () => [new nn.Pad([1, 2, 3, 0], { mode: 'reflect' })], [3, 5, 7]],
    ['pad replicate', () => [new nn.Pad([4, 2, 0, 5], { mode: 'replicate' })], [3, 5, 7]],
  ];

  for (const [what, layers, shape] of cases) {
    it(what, async () => {
      const g = new Sequential(layers(), { inputShape: shape, seed: 5 });
      const full = [2, ...shape];
      const xs = randArray(full.reduce((a, b) => a * b, 1), 3);
      const x = Tensor.from(xs, full);
      const y = g.predict(x);
      const ours = y.toFloat32Array();
      const bytes = io.toONNX(g);
      const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      const r = await s.run({ [g.inputNames[0]]: new ort.Tensor('float32', xs, full) });
      const theirs = r[s.outputNames[0]];
      await s.release();
      expect(Array.from(theirs.dims)).toEqual(y.shape);
      expect(relError(theirs.data as Float32Array, ours), what).toBeLessThanOrEqual(1e-5);
      x.dispose(); y.dispose(); g.dispose();
    });
  }
});
