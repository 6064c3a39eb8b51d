// The resize kernels one by one, forward and backward against the float64 references of
// test/ref/resize.ts (refResize and its adjoint refResizeBackward) over tile-edge sweeps: the 2×
// bilinear half-pixel kernel (every width mod 4, heights 1–5, the four ways of asking for it), the
// integer-factor nearest kernel (factors 1–8, mixed), the general table kernels (pairs of 8-byte
// loads for the columns before the right edge, scratch rows per thread) at upsampling,
// downsampling and non-integer scales with align_corners both ways; central differences for the
// backward of each kernel family.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, memoryInfo, ops } from '../src/index.js';
import { expectClose, expectCanariesIntact, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { refResize, refResizeBackward, type RefResize } from './ref/resize.js';

beforeAll(ready);

type Case = { opts: ops.InterpolateOptions; ref: RefResize };

function check(shape: number[], c: Case, what: string): void {
  const xs = randArray(sizeOf(shape), shape[2] * 31 + shape[3]);
  const x = Tensor.from(xs, shape);
  const y = ops.interpolate(x, c.opts);
  const want = refResize(xs, shape, c.ref);
  expect(y.shape, what).toEqual(want.shape);
  expectClose(y.toFloat32Array(), want.data, want.shape, `${what} forward`, 1e-6, 1e-5);
  const r = randArray(y.size, shape[3] + 7);
  const dy = Tensor.from(r, y.shape);
  const dx = ops.interpolateBackward(dy, shape, c.opts);
  expectClose(dx.toFloat32Array(), refResizeBackward(r, shape, c.ref), shape, `${what} backward`, 1e-5, 1e-5);
  expectCanariesIntact(what);
  for (const t of [x, y, dy, dx]) t.dispose();
}

const WIDTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 16, 17];

describe('resize kernels against the float64 reference, forward and adjoint', () => {
  it('bilinear 2× with half-pixel centres (the 0.25 / 0.75 kernel), asked four ways', () => {
    const base = memoryInfo().bytesInUse;
    for (const h of [1, 2, 3, 5]) {
      for (const w of WIDTHS) {
        const shape = [2, 2, h, w];
        const cases: Case[] = [
          { opts: { scaleFactor: 2, mode: 'bilinear' }, ref: { mode: 'bilinear', coord: 'pytorch', scale: [2, 2] } },
          { opts: { size: [2 * h, 2 * w], mode: 'bilinear' }, ref: { mode: 'bilinear', coord: 'pytorch', size: [2 * h, 2 * w] } },
          { opts: { scaleFactor: 2, mode: 'bilinear', coordinateMode: 'half_pixel' }, ref: { mode: 'bilinear', coord: 'half_pixel', scale: [2, 2] } },
          { opts: { size: [2 * h, 2 * w], mode: 'bilinear', coordinateMode: 'pytorch_half_pixel' }, ref: { mode: 'bilinear', coord: 'pytorch_half_pixel', size: [2 * h, 2 * w] } },
        ];
        cases.forEach((c, i) => check(shape, c, `2× bilinear [${shape}] case ${i}`));
      }
    }
    expect(memoryInfo().bytesInUse).toBe(base);
  });

  it('bilinear 2× with align_corners and the asymmetric rule (general tables), every width mod 4', () => {
    for (const h of [1, 2, 5]) {
      for (const w of WIDTHS) {
        const shape = [1, 3, h, w];
        check(shape, { opts: { scaleFactor: 2, mode: 'bilinear', alignCorners: true }, ref: { mode: 'bilinear', coord: 'align_corners', scale: [2, 2] } }, `2× align [${shape}]`);
        check(shape, { opts: { scaleFactor: 2, mode: 'bilinear', coordinateMode: 'asymmetric' }, ref: { mode: 'bilinear', coord: 'asymmetric', scale: [2, 2] } }, `2× asymmetric [${shape}]`);
      }
    }
  });

  it('bilinear through the tables: up 8× (the segmentation head), ×1.5, ×0.75, odd sizes, align_corners both ways', () => {
    const sizes: [number[], [number, number]][] = [
      [[1, 3, 3, 4], [24, 32]], [[1, 2, 7, 5], [56, 40]], [[2, 2, 6, 9], [9, 13]], [[1, 2, 8, 12], [6, 9]],
      [[1, 1, 5, 7], [11, 3]], [[1, 2, 1, 6], [4, 17]], [[1, 2, 9, 1], [13, 5]], [[1, 1, 13, 11], [7, 29]],
    ];
    for (const [shape, size] of sizes) {
      for (const align of [false, true]) {
        check(shape, { opts: { size, mode: 'bilinear', alignCorners: align }, ref: { mode: 'bilinear', coord: align ? 'align_corners' : 'pytorch', size } }, `bilinear [${shape}] → ${size} align ${align}`);
      }
    }
    for (const scale of [1.5, 0.75, 2.5, 3]) {
      for (const w of [3, 5, 8, 11]) {
        const shape = [1, 2, 6, w];
        for (const align of [false, true]) {
          check(shape, { opts: { scaleFactor: scale, mode: 'bilinear', alignCorners: align }, ref: { mode: 'bilinear', coord: align ? 'align_corners' : 'pytorch', scale: [scale, scale] } }, `bilinear [${shape}] ×${scale} align ${align}`);
        }
      }
    }
  });

  it('nearest by integer factors (1–8, mixed per axis) and through the tables (×1.5, ×0.75, sizes)', () => {
    for (const [sh, sw] of [[1, 2], [2, 1], [2, 2], [3, 3], [2, 3], [4, 4], [5, 5], [8, 8], [3, 7], [1, 1]]) {
      for (const w of [1, 3, 4, 5, 7, 9]) {
        const shape = [2, 2, 3, w];
        check(shape, { opts: { scaleFactor: [sh, sw] }, ref: { mode: 'nearest', coord: 'pytorch', scale: [sh, sw] } }, `nearest ×[${sh}, ${sw}] [${shape}]`);
      }
    }
    for (const w of [1, 2, 5, 8, 13]) {
      const shape = [1, 3, 4, w];
      check(shape, { opts: { scaleFactor: 1.5 }, ref: { mode: 'nearest', coord: 'pytorch', scale: [1.5, 1.5] } }, `nearest ×1.5 [${shape}]`);
      check(shape, { opts: { scaleFactor: [0.75, 2.5] }, ref: { mode: 'nearest', coord: 'pytorch', scale: [0.75, 2.5] } }, `nearest ×[0.75, 2.5] [${shape}]`);
      check(shape, { opts: { size: [9, 3 * w + 1], coordinateMode: 'half_pixel', nearestMode: 'round_prefer_ceil' }, ref: { mode: 'nearest', coord: 'half_pixel', nearest: 'round_prefer_ceil', size: [9, 3 * w + 1] } }, `nearest half_pixel [${shape}]`);
    }
  });
});

describe('resize backward by central differences', () => {
  it('each kernel family: 2× bilinear, 2× nearest, tables (bilinear, nearest), integer factors', () => {
    const shape = [1, 2, 5, 7];
    const xs = randArray(sizeOf(shape), 11);
    const all: ops.InterpolateOptions[] = [
      { scaleFactor: 2, mode: 'bilinear' }, { scaleFactor: 2 }, { scaleFactor: 3 }, { size: [40, 56], mode: 'bilinear' },
      { scaleFactor: 2, mode: 'bilinear', alignCorners: true }, { size: [3, 4], mode: 'bilinear' }, { scaleFactor: [1.5, 0.75] },
    ];
    for (const opts of all) {
      const fwd = (v: Float32Array) => {
        const t = Tensor.from(v, shape);
        const o = ops.interpolate(t, opts);
        const a = o.toFloat32Array();
        t.dispose(); o.dispose();
        return a;
      };
      const y = fwd(xs);
      const r = randArray(y.length, 12);
      const x = Tensor.from(xs, shape), yt = ops.interpolate(x, opts);
      const dy = Tensor.from(r, yt.shape);
      const dx = ops.interpolateBackward(dy, shape, opts);
      fdCheck({ x: xs, shape, r, forward: fwd, analytic: dx.toFloat32Array(), what: `interpolate ${JSON.stringify(opts)}` });
      for (const t of [x, yt, dy, dx]) t.dispose();
    }
  });
});
