import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { conv2dClamped, type Conv2dOptions } from '../src/ops/conv2d.js';
import type { Padding2d } from '../src/ops/shape.js';
import { bytesInUse, expectCanariesIntact, expectClose, randArray, ready } from './helpers.js';
import { refClamp, refConv2d, refSamePad } from './ref/conv2d.js';

beforeAll(ready);

const vectors = JSON.parse(readFileSync(new URL('./fixtures/lecture-vectors.json', import.meta.url), 'utf8'));

type Pair = number | [number, number];
interface Case {
  n?: number; c: number; h: number; w: number; o: number; kh: number; kw?: number;
  stride?: Pair; padding?: Padding2d; dilation?: Pair; groups?: number; bias?: boolean;
  clamp?: [number, number];
}

const pair = (v: Pair | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);

/** The reference's own reading of the padding argument (independent of window2d). */
function refPadding(c: Case): [number, number, number, number] {
  const p = c.padding ?? 0;
  const [sh, sw] = pair(c.stride, 1);
  const [dh, dw] = pair(c.dilation, 1);
  if (p === 'valid') return [0, 0, 0, 0];
  if (p === 'same') {
    const [t, b] = refSamePad(c.h, c.kh, sh, dh);
    const [l, r] = refSamePad(c.w, c.kw ?? c.kh, sw, dw);
    return [t, l, b, r];
  }
  if (typeof p === 'number') return [p, p, p, p];
  if (p.length === 2) return [p[0], p[1], p[0], p[1]];
  return [p[0], p[1], p[2], p[3]];
}

let seed = 1;
function check(c: Case, what = JSON.stringify(c)): void {
  const n = c.n ?? 1, g = c.groups ?? 1, kw = c.kw ?? c.kh;
  const xs = [n, c.c, c.h, c.w], ws = [c.o, c.c / g, c.kh, kw];
  const xd = randArray(xs.reduce((a, b) => a * b, 1), seed++);
  const wd = randArray(ws.reduce((a, b) => a * b, 1), seed++);
  const bd = c.bias === false ? null : randArray(c.o, seed++);
  const base = bytesInUse();
  const x = Tensor.from(xd, xs), w = Tensor.from(wd, ws), b = bd ? Tensor.from(bd, [c.o]) : null;
  // the GEMM path at elementwise tolerance; Winograd (whose error is bounded relative to max |y|,
  // not per element) is swept in conv2d-winograd.test.ts
  const opts: Conv2dOptions = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups, algorithm: 'gemm' };
  const y = c.clamp ? conv2dClamped(x, w, b, opts, c.clamp[0], c.clamp[1]) : ops.conv2d(x, w, b, opts);
  expectCanariesIntact(what);
  const r = refConv2d(xd, xs, wd, ws, bd, { stride: pair(c.stride, 1), dilation: pair(c.dilation, 1), padding: refPadding(c), groups: g });
  expect(y.shape, what).toEqual(r.shape);
  expectClose(y.toFloat32Array(), c.clamp ? refClamp(r.data, c.clamp[0], c.clamp[1]) : r.data, r.shape, what);
  for (const t of [x, w, b, y]) t?.dispose();
  expect(bytesInUse(), `${what}: bytes in use`).toBe(base);
}

const CH = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17];

describe('conv2d against the reference', () => {
  it('every in/out channel count, 3×3 pad 1', () => {
    for (const ci of CH) for (const co of CH) check({ c: ci, o: co, h: 5, w: 6, kh: 3, padding: 1, bias: (ci + co) % 2 === 0 });
  });

  it('output widths with every remainder mod 8, and odd heights', () => {
    for (let ow = 1; ow <= 17; ow++) {
      check({ c: 3, o: 5, h: 4, w: ow + 2, kh: 3 });
      check({ c: 2, o: 9, h: 3, w: ow, kh: 3, padding: 1, bias: false });
      check({ c: 1, o: 4, h: 2, w: ow + 1, kh: 2, kw: 2 }); // P = ow, every remainder of the pixel count
    }
  });

  it('strides 1–3 with symmetric, [h, w] and asymmetric padding', () => {
    for (const s of [1, 2, 3] as const) {
      for (const k of [1, 2, 3, 5]) {
        check({ c: 3, o: 4, h: 11, w: 13, kh: k, stride: s, padding: Math.floor(k / 2) });
        check({ c: 2, o: 3, h: 12, w: 9, kh: k, stride: [s, 4 - s], padding: [k - 1, 0] });
        check({ c: 4, o: 6, h: 10, w: 23, kh: k, stride: s, padding: [0, 2, 1, 3] });
      }
    }
    check({ c: 3, o: 8, h: 9, w: 30, kh: 3, stride: [1, 2], padding: [2, 0, 0, 1] });
  });

  it("'same' (odd and even kernels, stride 1 and 2) and 'valid'", () => {
    for (const s of [1, 2]) {
      for (const k of [1, 2, 3, 4, 5]) {
        check({ c: 3, o: 5, h: 9, w: 10, kh: k, stride: s, padding: 'same' });
        check({ c: 2, o: 3, h: 8, w: 11, kh: k, kw: k + 1, stride: s, padding: 'same', dilation: 2 });
      }
    }
    check({ c: 3, o: 4, h: 7, w: 9, kh: 3, padding: 'valid' });
  });

  it('dilation 2 (and mixed)', () => {
    check({ c: 3, o: 5, h: 12, w: 14, kh: 3, dilation: 2 });
    check({ c: 4, o: 7, h: 13, w: 20, kh: 3, dilation: 2, padding: 2 });
    check({ c: 2, o: 3, h: 12, w: 25, kh: 3, kw: 2, dilation: [2, 3], stride: 2, padding: [1, 2, 0, 3] });
  });

  it('groups 2 and 3', () => {
    check({ c: 4, o: 6, h: 7, w: 9, kh: 3, groups: 2, padding: 1 });
    check({ c: 6, o: 9, h: 8, w: 8, kh: 3, groups: 3, stride: 2 });
    check({ c: 16, o: 8, h: 5, w: 12, kh: 1, groups: 2 }); // 1×1 grouped: each group's columns packed into panels
    check({ c: 10, o: 4, h: 3, w: 3, kh: 1, groups: 2, bias: false }); // 1×1 grouped, 9 pixels: a 1-column tail panel
  });

  it('depthwise (groups = channels), multiplier 1 and 2, strides, padding, dilation', () => {
    for (const c of [1, 3, 8, 17]) {
      for (const mult of [1, 2]) {
        for (const s of [1, 2, 3]) {
          check({ c, o: c * mult, groups: c, h: 9, w: 29, kh: 3, stride: s, padding: 1, bias: s !== 2 });
        }
      }
    }
    for (let w = 1; w <= 17; w++) check({ c: 2, o: 2, groups: 2, h: 3, w, kh: 3, padding: [1, 2, 0, 1] });
    check({ c: 4, o: 8, groups: 4, h: 20, w: 40, kh: 5, kw: 3, dilation: 2, padding: 'same', n: 2 });
    check({ c: 3, o: 3, groups: 3, h: 6, w: 6, kh: 7, padding: 1 }); // kernel wider than the input
    check({ c: 5, o: 5, groups: 5, h: 16, w: 37, kh: 3, stride: [2, 1], padding: 'same' });
  });

  it('general depthwise at stride 1 (masked vector loads): dilations 1–4, widths 1–13, windows wider than the input, ASPP shapes', () => {
    for (const d of [1, 2, 3, 4]) {
      for (let w = 1; w <= 13; w++) {
        check({ c: 3, o: 3, groups: 3, h: 5, w, kh: 5, dilation: d, padding: 2 * d, bias: w % 2 === 0 }); // 'same'
        check({ c: 2, o: 4, groups: 2, h: 4, w, kh: 3, kw: 5, dilation: [1, d], padding: [0, 2 * d, 1, 2 * d + 1] });
      }
    }
    check({ c: 8, o: 8, groups: 8, h: 14, w: 14, kh: 5, dilation: 2, padding: 4 }); // MobileNetV3's dilated last stage
    check({ c: 4, o: 4, groups: 4, h: 7, w: 9, kh: 3, dilation: 6, padding: 6 }); // side taps outside for most columns
    check({ c: 3, o: 3, groups: 3, h: 6, w: 7, kh: 3, dilation: [2, 5], stride: [2, 1], padding: [2, 5] });
    check({ c: 4, o: 4, groups: 4, h: 9, w: 10, kh: 3, dilation: 2, padding: 2, clamp: [0, 6] });
  });

  it('batch 3', () => {
    check({ n: 3, c: 3, o: 5, h: 8, w: 9, kh: 3, padding: 1 });
    check({ n: 3, c: 8, o: 4, h: 4, w: 4, kh: 1 });
    check({ n: 3, c: 2, o: 4, groups: 2, h: 6, w: 11, kh: 3, stride: 2 });
  });

  it('1×1 kernels with and without stride and padding (x packed into panels, or through im2col)', () => {
    for (const [h, w] of [[4, 4], [3, 5], [2, 3], [3, 3], [1, 7], [5, 5], [1, 1]]) {
      check({ c: 5, o: 7, h, w, kh: 1 }); // P mod 8 = 0, 7, 6, 1, 7, 1, 1
      check({ c: 3, o: 4, h, w, kh: 1, stride: 2 });
      check({ c: 3, o: 4, h, w, kh: 1, padding: 1, n: 2 });
    }
  });

  it('kernel equal to the input (1×1 output), non-square kernels', () => {
    check({ c: 3, o: 5, h: 5, w: 5, kh: 5 });
    check({ c: 2, o: 9, h: 4, w: 7, kh: 4, kw: 7, n: 2 });
    check({ c: 3, o: 4, h: 9, w: 12, kh: 1, kw: 5, padding: [0, 2] });
    check({ c: 3, o: 4, h: 12, w: 9, kh: 5, kw: 1, stride: [2, 1] });
    check({ c: 2, o: 3, h: 10, w: 10, kh: 2, kw: 4, stride: [3, 2], padding: [1, 0, 2, 3] });
  });

  it('the direct stride-1 kernel (no padding): every channel count, row tails of 1–7 columns, dilation, stride along the height, groups, batch, clamp', () => {
    for (const co of CH) check({ c: 2, o: co, h: 5, w: 13, kh: 3, bias: co % 2 === 0 }); // ow = 11: 8 + a 3-column tile
    for (const ow of [4, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 21, 28]) {
      check({ n: 2, c: 3, o: 6, h: 4 + (ow % 3), w: ow + 4, kh: 2 + (ow % 2), kw: 5 });
    }
    for (const ci of CH) check({ c: ci, o: 5, h: 6, w: 19, kh: 2, kw: 4 }); // ow = 16
    check({ n: 3, c: 3, o: 7, h: 11, w: 24, kh: 3, dilation: [2, 3] }); // ow = 18
    check({ n: 2, c: 2, o: 9, h: 13, w: 21, kh: 3, kw: 2, stride: [2, 1] });
    check({ n: 2, c: 2, o: 5, h: 11, w: 13, kh: 3, stride: [2, 1] }); // 3 + 2 channels; rows of 11, 5 of them: 1-3 tails paired, the last alone
    check({ n: 2, c: 6, o: 8, h: 7, w: 20, kh: 3, groups: 2 });
    check({ n: 2, c: 1, o: 6, h: 32, w: 32, kh: 5, clamp: [0, Infinity] }); // LeNet-5 C1 with its ReLU
    check({ n: 2, c: 6, o: 12, h: 14, w: 14, kh: 5, clamp: [-0.5, 0.5] }); // rows of 10, 12 channels: im2col + GEMM
  });

  it('the direct stride-1 kernel with channels in the lanes (full panels, rows that fill 8-column tiles poorly): pixel and channel tails', () => {
    for (const o of [7, 8, 14, 15, 16, 24]) {
      for (const ow of [1, 2, 3, 5, 6, 9, 10]) check({ n: 2, c: 2, o, h: 4, w: ow + 2, kh: 2, kw: 3, bias: (o + ow) % 3 !== 0 });
    }
    check({ n: 3, c: 3, o: 16, h: 11, w: 14, kh: 3, dilation: [2, 2] }); // ow = 10
    check({ n: 2, c: 4, o: 16, h: 9, w: 13, kh: 3, kw: 4, stride: [2, 1], clamp: [0, Infinity] });
    check({ n: 2, c: 6, o: 32, h: 8, w: 9, kh: 3, groups: 2 }); // 16 channels per group, ow = 7
    check({ n: 3, c: 6, o: 16, h: 14, w: 14, kh: 5, clamp: [0, Infinity] }); // LeNet-5 C3 with its ReLU
  });

  it('window = whole input (a dense layer over the batch): GEMV at batch 1, panels of images, chunks of 320 images', () => {
    for (const n of [1, 2, 3, 7, 8, 9, 17]) {
      for (const [c, h, w, o] of [[16, 5, 5, 120], [1, 1, 1, 3], [3, 2, 3, 9], [5, 3, 1, 17]]) {
        check({ n, c, o, h, w, kh: h, kw: w, bias: (n + c) % 2 === 0 });
      }
    }
    check({ n: 5, c: 16, o: 12, h: 5, w: 5, kh: 5, clamp: [0, Infinity] });
    check({ n: 1, c: 16, o: 12, h: 5, w: 5, kh: 5, clamp: [-0.25, 0.25] });
    check({ n: 3, c: 2, o: 7, h: 4, w: 4, kh: 4, stride: 3, padding: [0, 0, 2, 1] }); // padding past the window: unused
    check({ n: 333, c: 16, o: 10, h: 5, w: 5, kh: 5 }); // K = 400: 320 images per GEMM call, then 13
  });

  it('large K, M and P: K chunks, row blocks and pixel blocks of the GEMM', () => {
    check({ c: 32, o: 133, h: 18, w: 18, kh: 3 }); // K = 288, M = 133, P = 256
    check({ c: 300, o: 7, h: 4, w: 4, kh: 1 }); // K = 300, one block of packed columns
    check({ c: 70, o: 9, h: 40, w: 3, kh: 3, kw: 1, padding: [1, 0] }); // K = 210, P = 120
    check({ c: 130, o: 5, h: 12, w: 12, kh: 3, n: 2 }); // K = 1170: blocks of 7 output rows, P = 100
    check({ c: 130, o: 6, h: 30, w: 9, kh: 3, stride: [2, 1], padding: [1, 2, 2, 0] }); // 8 + 7 rows, padded top and bottom
    check({ c: 3, o: 5, h: 10, w: 18, kh: 3, n: 2 }); // 128 pixels: col rows padded to 136 floats (cache sets)
    check({ c: 5, o: 9, h: 8, w: 32, kh: 1 }); // 1×1 over 256 pixels (a row stride of 1 KB)
    check({ c: 300, o: 9, h: 17, w: 17, kh: 1, n: 2 }); // 1×1, K = 300, 289 pixels: one block of packed columns
    check({ c: 300, o: 9, h: 25, w: 25, kh: 1, n: 2 }); // 1×1, K = 300, 625 pixels: blocks of 216, 216, 193 columns
    check({ c: 1100, o: 6, h: 24, w: 25, kh: 1, groups: 2 }); // 1×1, K = 550, 600 pixels: 5 blocks of 104 columns and 80
  });

  it('fused clamp (ReLU and [lo, hi]) applies after the whole sum', () => {
    check({ c: 32, o: 9, h: 6, w: 7, kh: 3, padding: 1, clamp: [0, Infinity] });
    check({ c: 4, o: 5, h: 6, w: 9, kh: 3, clamp: [-0.5, 0.5] });
    check({ c: 3, o: 6, groups: 3, h: 6, w: 19, kh: 3, clamp: [0, 1] });
    check({ c: 300, o: 5, h: 4, w: 4, kh: 1, clamp: [0, Infinity] });
  });
});

describe('the lecture', () => {
  it("5×5 image with the X filter gives [[4,3,4],[2,4,3],[2,3,4]]", () => {
    const v = vectors.conv2d[0];
    const x = Tensor.from(v.input.data, v.input.shape), w = Tensor.from(v.weight.data, v.weight.shape);
    const y = ops.conv2d(x, w, null, { stride: v.stride, padding: v.padding });
    expectCanariesIntact('X filter');
    expect(y.shape).toEqual(v.expected.shape);
    expect(Array.from(y.toFloat32Array())).toEqual(v.expected.data);
    expect(y.toArray()).toEqual([[[[4, 3, 4], [2, 4, 3], [2, 3, 4]]]]);
    for (const t of [x, w, y]) t.dispose();
  });

  it('edge detection gives 0 and emboss gives c away from the border of a constant image', () => {
    for (const f of vectors.filters) {
      const c = 2.5;
      const x = Tensor.full([1, 1, 9, 11], c), w = Tensor.from(f.weight.data, f.weight.shape);
      const y = ops.conv2d(x, w, null, { padding: 1 });
      expectCanariesIntact(f.name);
      expect(y.shape).toEqual([1, 1, 9, 11]);
      const d = y.toFloat32Array();
      const want = f.name.startsWith('edge') ? 0 : c;
      for (let i = 1; i < 8; i++) for (let j = 1; j < 10; j++) expect(d[i * 11 + j], `${f.name} at ${i},${j}`).toBeCloseTo(want, 5);
      if (want === 0) expect(d[0]).toBeCloseTo(-2 * c, 5); // the zero-padded corner sees only two neighbours
      for (const t of [x, w, y]) t.dispose();
    }
  });

  it('output sizes 5, 3, 7, 32, 28, 55 from conv2d shapes', () => {
    for (const v of vectors.outputSize) {
      if (v.out === null) continue;
      check({ c: 1, o: 2, h: v.N, w: v.N, kh: v.F, stride: v.stride, padding: v.pad });
      const x = Tensor.zeros([1, 1, v.N, v.N]), w = Tensor.zeros([1, 1, v.F, v.F]);
      const y = ops.conv2d(x, w, null, { stride: v.stride, padding: v.pad });
      expect(y.shape).toEqual([1, 1, v.out, v.out]);
      for (const t of [x, w, y]) t.dispose();
    }
    // 7×7, F = 3, stride 3 does not fit exactly: floor rounding gives 2
    const x = Tensor.zeros([1, 1, 7, 7]), w = Tensor.zeros([1, 1, 3, 3]);
    const y = ops.conv2d(x, w, null, { stride: 3 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    for (const t of [x, w, y]) t.dispose();
  });
});

describe('conv2d errors (before any kernel runs)', () => {
  it('rejects bad arguments with specific messages and leaks nothing', () => {
    const base = bytesInUse();
    const x = Tensor.zeros([1, 4, 5, 5]);
    const w = Tensor.zeros([2, 3, 3, 3]);
    const w4 = Tensor.zeros([2, 4, 3, 3]);
    const conv = (...a: unknown[]) => () => (ops.conv2d as (...b: unknown[]) => Tensor)(...a);
    expect(conv(x, w)).toThrow(/conv2d: weight \[2, 3, 3, 3\] expects 3 input channels per group × groups 1 = 3 channels, but x \[1, 4, 5, 5\] has 4/);
    const w3 = Tensor.zeros([3, 2, 3, 3]);
    expect(conv(x, w3, null, { groups: 2 })).toThrow(/conv2d: weight has 3 output channels \(shape \[3, 2, 3, 3\]\), which groups = 2 does not divide/);
    const x3 = Tensor.zeros([1, 3, 5, 5]), w1 = Tensor.zeros([4, 1, 3, 3]);
    expect(conv(x3, w1, null, { groups: 2 })).toThrow(/conv2d: x has 3 channels \(shape \[1, 3, 5, 5\]\), which groups = 2 does not divide/);
    const xr3 = Tensor.zeros([4, 5, 5]);
    expect(conv(xr3, w4)).toThrow(/conv2d: x must have rank 4 \(N, C, H, W\), got shape \[4, 5, 5\]/);
    const wr2 = Tensor.zeros([2, 36]);
    expect(conv(x, wr2)).toThrow(/conv2d: weight must have rank 4 .*got shape \[2, 36\]/);
    const b3 = Tensor.zeros([3]), b22 = Tensor.zeros([2, 2]);
    expect(conv(x, w4, b3)).toThrow(/conv2d: bias has shape \[3\] but weight \[2, 4, 3, 3\] has 2 output channels; bias must be \[2\]/);
    expect(conv(x, w4, b22)).toThrow(/conv2d: bias must have rank 1 \(out channels\), got shape \[2, 2\]/);
    const big = Tensor.zeros([2, 4, 7, 3]);
    expect(conv(x, big)).toThrow(/conv2d: along the height the filter does not fit: F = 7 is larger than the padded input N \+ P = 5 \+ 0 = 5/);
    const wide = Tensor.zeros([2, 4, 3, 8]);
    expect(conv(x, wide, null, { padding: [1, 1, 1, 1] })).toThrow(/conv2d: along the width the filter does not fit: F = 8 is larger than the padded input N \+ P = 5 \+ 2 = 7/);
    expect(conv(x, w4, null, { dilation: 3 })).toThrow(/conv2d: along the height the filter does not fit: F = 3 \(dilated to 7\)/);
    expect(conv(new Float32Array(100), w4)).toThrow(/conv2d: x must be a Tensor, got a Float32Array/);
    expect(conv(x, [1, 2])).toThrow(/conv2d: weight must be a Tensor, got an array \[1, 2\]/);
    expect(conv(x, w4, 3)).toThrow(/conv2d: bias must be a Tensor, got 3/);
    expect(conv(x, w4, null, { strides: 2 })).toThrow(/conv2d: unknown option 'strides'/);
    expect(conv(x, w4, null, 'same')).toThrow(/conv2d: options must be an object/);
    expect(conv(x, w4, null, { groups: 0 })).toThrow(/conv2d: groups must be ≥ 1, got 0/);
    expect(conv(x, w4, null, { groups: 1.5 })).toThrow(/conv2d: groups must be an integer, got 1.5/);
    expect(conv(x, w4, null, { stride: 0 })).toThrow(/conv2d: stride must be ≥ 1, got 0/);
    expect(conv(x, w4, null, { stride: NaN })).toThrow(/conv2d: stride must be an integer, got NaN/);
    expect(conv(x, w4, null, { padding: -1 })).toThrow(/conv2d: padding must be ≥ 0, got -1/);
    expect(conv(x, w4, null, { padding: [0, 1, 2] })).toThrow(/conv2d: padding must be a number or \[h, w\]/);
    expect(conv(x, w4, null, { padding: 'full' })).toThrow(/conv2d: padding must be a number, \[h, w\], \[top, left, bottom, right\], 'same' or 'valid'/);
    expect(() => conv2dClamped(x, w4, null, {}, 1, 0)).toThrow(/conv2dClamped: clamp bounds must be numbers with min ≤ max, got \[1, 0\]/);
    const gone = Tensor.zeros([1, 4, 5, 5]);
    gone.dispose();
    expect(conv(gone, w4)).toThrow(/conv2d: x was disposed/);
    const x0 = Tensor.zeros([1, 0, 5, 5]), w0 = Tensor.zeros([2, 0, 3, 3]);
    expect(conv(x0, w0)).toThrow(/conv2d: x \[1, 0, 5, 5\] must have at least one channel/);
    for (const t of [x, w, w4, w3, x3, w1, xr3, wr2, b3, b22, big, wide, x0, w0]) t.dispose();
    expectCanariesIntact('errors');
    expect(bytesInUse()).toBe(base);
  });

  it('an empty batch gives an empty output', () => {
    const x = Tensor.zeros([0, 3, 5, 5]), w = Tensor.zeros([2, 3, 3, 3]);
    const y = ops.conv2d(x, w);
    expect(y.shape).toEqual([0, 2, 3, 3]);
    for (const t of [x, w, y]) t.dispose();
  });
});
