// ops.interpolate / nn.Upsample (nearest, bilinear; PyTorch's rules and every ONNX coordinate and
// nearest mode) against the float64 reference of test/ref/resize.ts over odd sizes and scales 2,
// 1.5, 0.75 and sizes; the adjoint by central differences; the 2× nearest kernel; compiled = eager,
// io.save/io.load and toONNX → fromONNX through test/layer-check.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, Tensor, memoryInfo, nn, ops } from '../src/index.js';
import { expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { checkLayer } from './layer-check.js';
import { refResize, type RefResize } from './ref/resize.js';

beforeAll(ready);

const SHAPES = [[1, 1, 1, 1], [2, 3, 5, 7], [1, 2, 4, 4], [1, 1, 3, 9], [2, 1, 6, 2]];
const COORDS = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'] as const;
const NEAREST = ['floor', 'ceil', 'round_prefer_floor', 'round_prefer_ceil'] as const;

type Case = { opts: ops.InterpolateOptions; ref: RefResize };

function cases(): Case[] {
  const out: Case[] = [];
  const sizing: { size?: [number, number]; scale?: [number, number] }[] = [
    { scale: [2, 2] }, { scale: [1.5, 1.5] }, { scale: [0.75, 2] }, { scale: [3, 1] }, { size: [7, 5] }, { size: [3, 11] },
  ];
  for (const s of sizing) {
    const sz = s.size ? { size: s.size } : { scaleFactor: s.scale };
    out.push({ opts: { ...sz, mode: 'nearest' }, ref: { mode: 'nearest', coord: 'pytorch', ...s } });
    for (const align of [false, true]) out.push({ opts: { ...sz, mode: 'bilinear', alignCorners: align }, ref: { mode: 'bilinear', coord: align ? 'align_corners' : 'pytorch', ...s } });
    for (const coord of COORDS) {
      out.push({ opts: { ...sz, mode: 'bilinear', coordinateMode: coord }, ref: { mode: 'bilinear', coord, ...s } });
      for (const nearest of NEAREST) out.push({ opts: { ...sz, mode: 'nearest', coordinateMode: coord, nearestMode: nearest }, ref: { mode: 'nearest', coord, nearest, ...s } });
    }
  }
  return out;
}

describe('ops.interpolate', () => {
  it('matches the float64 reference over shapes, scales, sizes and every mode', () => {
    let count = 0;
    for (const shape of SHAPES) {
      const xs = randArray(sizeOf(shape), shape[2] * 7 + shape[3]);
      const x = Tensor.from(xs, shape);
      for (const c of cases()) {
        if (c.ref.scale && (Math.floor(shape[2] * c.ref.scale[0]) < 1 || Math.floor(shape[3] * c.ref.scale[1]) < 1)) continue;
        const want = refResize(xs, shape, c.ref);
        const y = ops.interpolate(x, c.opts);
        expect(y.shape).toEqual(want.shape);
        expectClose(y.toFloat32Array(), want.data, want.shape, `[${shape}] ${JSON.stringify(c.opts)}`, 1e-6, 1e-5);
        y.dispose();
        count++;
      }
      x.dispose();
    }
    expect(count).toBeGreaterThan(400);
  });

  it('2× nearest (the block-writing kernel) equals the reference at widths of every remainder mod 4', () => {
    for (const w of [1, 2, 3, 4, 5, 6, 7, 8, 9, 13]) {
      const shape = [2, 3, 3, w];
      const xs = randArray(sizeOf(shape), w);
      const x = Tensor.from(xs, shape);
      for (const opts of [{ scaleFactor: 2 }, { size: [6, 2 * w] as [number, number] }, { scaleFactor: 2, coordinateMode: 'half_pixel' as const, nearestMode: 'round_prefer_ceil' as const }]) {
        const y = ops.interpolate(x, opts);
        const want = refResize(xs, shape, { mode: 'nearest', coord: 'pytorch', size: [6, 2 * w] });
        expect(Array.from(y.toFloat32Array()), `w=${w} ${JSON.stringify(opts)}`).toEqual(Array.from(want.data, Math.fround));
        y.dispose();
      }
      x.dispose();
    }
  });

  it('backward is the adjoint: central differences for nearest and bilinear', () => {
    const shape = [2, 2, 3, 5];
    const xs = randArray(sizeOf(shape), 3);
    const all: ops.InterpolateOptions[] = [
      { scaleFactor: 2 }, { scaleFactor: 1.5, mode: 'bilinear' }, { size: [4, 9], mode: 'bilinear', alignCorners: true },
      { scaleFactor: [0.75, 1.5], mode: 'nearest', coordinateMode: 'half_pixel', nearestMode: 'round_prefer_floor' },
      { size: [2, 3], mode: 'bilinear', coordinateMode: 'half_pixel' },
    ];
    for (const opts of all) {
      const x = Tensor.from(xs, shape);
      const y = ops.interpolate(x, opts);
      const r = randArray(y.size, 4);
      const dy = Tensor.from(r, y.shape);
      const dx = ops.interpolateBackward(dy, shape, opts);
      const fwd = (v: Float32Array) => {
        const t = Tensor.from(v, shape);
        const o = ops.interpolate(t, opts);
        const a = o.toFloat32Array();
        t.dispose(); o.dispose();
        return a;
      };
      fdCheck({ x: xs, shape, r, forward: fwd, analytic: dx.toFloat32Array(), what: `interpolate ${JSON.stringify(opts)}` });
      for (const t of [x, y, dy, dx]) t.dispose();
    }
  });

  it('refuses bad options with the numbers', () => {
    const x = Tensor.zeros([1, 1, 2, 2]);
    expect(() => ops.interpolate(x, {})).toThrow(/exactly one of size and scaleFactor \(got neither\)/);
    expect(() => ops.interpolate(x, { size: 3, scaleFactor: 2 })).toThrow(/got both/);
    expect(() => ops.interpolate(x, { scaleFactor: 2, alignCorners: true })).toThrow(/alignCorners applies to mode 'bilinear' only/);
    expect(() => ops.interpolate(x, { scaleFactor: 0.2 })).toThrow(/empty output 0×0/);
    expect(() => ops.interpolate(x, { scaleFactor: 2, mode: 'bicubic' as never })).toThrow(/mode must be 'nearest', 'bilinear'/);
    expect(() => ops.interpolate(x, { scaleFactor: 2, coordinateMode: 'tf_crop_and_resize' as never })).toThrow(/coordinateMode must be/);
    x.dispose();
  });
});

describe('nn.Upsample', () => {
  it('nearest 2×: compiled, saved, exported and trained as eager', () => {
    checkLayer('Upsample nearest', () => new Sequential([new nn.Conv2d(2, 3, 3, { padding: 1 }), new nn.Upsample({ scaleFactor: 2 })], { inputShape: [2, 3, 5] }), { shape: [2, 3, 5] });
  });
  it('bilinear with a size and alignCorners, and scale 1.5', () => {
    checkLayer('Upsample bilinear size', () => new Sequential([new nn.Upsample({ size: [5, 7], mode: 'bilinear', alignCorners: true })], { inputShape: [2, 3, 4] }), { shape: [2, 3, 4] });
    checkLayer('Upsample bilinear 1.5', () => new Sequential([new nn.Upsample({ scaleFactor: 1.5, mode: 'bilinear' }), new nn.Conv2d(2, 2, 1)], { inputShape: [2, 4, 5] }), { shape: [2, 4, 5] });
  });
  it('ONNX coordinate modes survive the round trip', () => {
    checkLayer('Upsample half_pixel nearest', () => new Sequential([new nn.Upsample({ scaleFactor: [0.75, 1.5], coordinateMode: 'half_pixel', nearestMode: 'round_prefer_ceil' })], { inputShape: [1, 4, 6] }), { shape: [1, 4, 6] });
  });
  it('says which input it cannot take', () => {
    const base = memoryInfo().bytesInUse;
    expect(() => new Sequential([new nn.Upsample({ scaleFactor: 2 })], { inputShape: [4] })).toThrow(/needs a \[C, H, W\] image/);
    expect(() => new nn.Upsample({ scaleFactor: 2, foo: 1 } as never)).toThrow(/unknown option 'foo'/);
    expect(memoryInfo().bytesInUse).toBe(base);
  });
});
