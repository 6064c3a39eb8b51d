// Convolution backward ops: central differences of L = Σ conv2d(x, w, b) ⊙ r over the forward
// test's shape sweeps (which also prove the float64 reference), then the reference alone on
// larger shapes; accumulateInto, errors, canaries and the bytes-in-use baseline.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import type { Conv2dOptions } from '../src/ops/conv2d.js';
import { gradChunks, setGradChunkNs } from '../src/ops/conv2d-backward.js';
import type { Padding2d } from '../src/ops/shape.js';
import { bytesInUse, expectCanariesIntact, expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { refConv2dBackwardBias, refConv2dBackwardData, refConv2dBackwardFilter, refPadding } from './ref/conv2d.js';

beforeAll(ready);

type Pair = number | [number, number];
interface Case {
  n?: number; c: number; h: number; w: number; o: number; kh: number; kw?: number;
  stride?: Pair; padding?: Padding2d; dilation?: Pair; groups?: number;
}

const pair = (v: Pair | undefined): [number, number] => (v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : v);

/** Output size by the reference's own arithmetic. */
function outShape(c: Case, pad: number[]): number[] {
  const [sh, sw] = pair(c.stride), [dh, dw] = pair(c.dilation), kw = c.kw ?? c.kh;
  const oh = Math.floor((c.h + pad[0] + pad[2] - dh * (c.kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((c.w + pad[1] + pad[3] - dw * (kw - 1) - 1) / sw) + 1;
  return [c.n ?? 1, c.o, oh, ow];
}

let seed = 7000;

/**
 * Runs the three backward ops on one case and compares them with the reference; with `fd`, also
 * checks dx and dw (and db when fdBias) by central differences through ops.conv2d, sampling
 * `fd` coordinates of each.
 */
function check(c: Case, fd = 0, fdBias = false, what = JSON.stringify(c)): void {
  const n = c.n ?? 1, g = c.groups ?? 1, kw = c.kw ?? c.kh;
  const xs = [n, c.c, c.h, c.w], ws = [c.o, c.c / g, c.kh, kw];
  const stride = pair(c.stride), dilation = pair(c.dilation);
  const pad = refPadding(c.padding, c.h, c.w, c.kh, kw, stride, dilation);
  const ys = outShape(c, pad);
  const xd = randArray(sizeOf(xs), seed++), wd = randArray(sizeOf(ws), seed++), r = randArray(sizeOf(ys), seed++);
  // the GEMM path at elementwise tolerance; Winograd (whose error is bounded relative to max |y|,
  // not per element) is swept in conv2d-winograd.test.ts
  const opts: Conv2dOptions = { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups, algorithm: 'gemm' };
  const ro = { stride, dilation, padding: pad, groups: g };
  const base = bytesInUse();
  const x = Tensor.from(xd, xs), w = Tensor.from(wd, ws), dy = Tensor.from(r, ys);
  const dx = ops.conv2dBackwardData(dy, w, xs, opts);
  expectCanariesIntact(`${what} data`);
  const dw = ops.conv2dBackwardFilter(x, dy, ws, opts);
  expectCanariesIntact(`${what} filter`);
  const db = ops.conv2dBackwardBias(dy);
  expectCanariesIntact(`${what} bias`);
  expect(dx.shape, what).toEqual(xs);
  expect(dw.shape, what).toEqual(ws);
  expect(db.shape, what).toEqual([c.o]);
  const adx = dx.toFloat32Array(), adw = dw.toFloat32Array(), adb = db.toFloat32Array();
  expectClose(adx, refConv2dBackwardData(r, wd, ws, xs, ro).data, xs, `${what} dx vs reference`);
  expectClose(adw, refConv2dBackwardFilter(xd, xs, r, ws, ro).data, ws, `${what} dw vs reference`);
  expectClose(adb, refConv2dBackwardBias(r, ys), [c.o], `${what} db vs reference`);
  if (fd > 0) {
    const conv = (xa: Float32Array, wa: Float32Array, ba: Float32Array | null) => {
      const xt = Tensor.from(xa, xs), wt = Tensor.from(wa, ws), bt = ba ? Tensor.from(ba, [c.o]) : null;
      const y = ops.conv2d(xt, wt, bt, opts);
      const out = y.toFloat32Array();
      for (const t of [xt, wt, bt, y]) t?.dispose();
      return out;
    };
    const eps = 0.05; // the loss is linear in each argument: no truncation error, less rounding noise
    fdCheck({ x: xd, shape: xs, r, forward: (a) => conv(a, wd, null), analytic: adx, eps, samples: fd, what: `${what} dL/dx` });
    fdCheck({ x: wd, shape: ws, r, forward: (a) => conv(xd, a, null), analytic: adw, eps, samples: fd, what: `${what} dL/dw` });
    if (fdBias) {
      fdCheck({ x: randArray(c.o, seed++), shape: [c.o], r, forward: (a) => conv(xd, wd, a), analytic: adb, eps, what: `${what} dL/db` });
    }
  }
  for (const t of [x, w, dy, dx, dw, db]) t.dispose();
  expect(bytesInUse(), `${what}: bytes in use`).toBe(base);
}

const CH = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17];

describe('conv2d backward: central differences and the reference over the forward sweeps', () => {
  it('every in/out channel count, 3×3 pad 1', () => {
    for (const ci of CH) for (const co of CH) check({ c: ci, o: co, h: 5, w: 6, kh: 3, padding: 1 }, ci === co || ci + co === 18 ? 24 : 0);
    check({ c: 3, o: 4, h: 5, w: 6, kh: 3, padding: 1 }, 1000, true); // every coordinate of dx and dw
  });

  it('output widths with every remainder mod 8, and odd heights', () => {
    for (let ow = 1; ow <= 17; ow++) {
      check({ c: 3, o: 5, h: 4, w: ow + 2, kh: 3 }, ow % 3 === 0 ? 20 : 0);
      check({ c: 2, o: 9, h: 3, w: ow, kh: 3, padding: 1 }, ow % 3 === 1 ? 20 : 0);
      check({ c: 1, o: 4, h: 2, w: ow + 1, kh: 2, kw: 2 }, ow % 3 === 2 ? 20 : 0);
    }
  });

  it('strides 1–3 with odd sizes and symmetric, [h, w] and asymmetric padding', () => {
    for (const s of [1, 2, 3] as const) {
      for (const k of [1, 2, 3, 5]) {
        check({ c: 3, o: 4, h: 11, w: 13, kh: k, stride: s, padding: Math.floor(k / 2) }, 16);
        check({ c: 2, o: 3, h: 12, w: 9, kh: k, stride: [s, 4 - s], padding: [k - 1, 0] }, 16);
        check({ c: 4, o: 6, h: 10, w: 23, kh: k, stride: s, padding: [0, 2, 1, 3] }, 16);
      }
    }
    check({ c: 3, o: 8, h: 9, w: 30, kh: 3, stride: [1, 2], padding: [2, 0, 0, 1] }, 24);
    check({ c: 2, o: 3, h: 13, w: 27, kh: 3, stride: 2, padding: [0, 0, 0, 0] }, 24); // odd, last columns unread
  });

  it("'same' (odd and even kernels, stride 1 and 2) and 'valid'", () => {
    for (const s of [1, 2]) {
      for (const k of [1, 2, 3, 4, 5]) {
        check({ c: 3, o: 5, h: 9, w: 10, kh: k, stride: s, padding: 'same' }, 12);
        check({ c: 2, o: 3, h: 8, w: 11, kh: k, kw: k + 1, stride: s, padding: 'same', dilation: 2 }, 12);
      }
    }
    check({ c: 3, o: 4, h: 7, w: 9, kh: 3, padding: 'valid' }, 20);
  });

  it('dilation 2 (and mixed)', () => {
    check({ c: 3, o: 5, h: 12, w: 14, kh: 3, dilation: 2 }, 30);
    check({ c: 4, o: 7, h: 13, w: 20, kh: 3, dilation: 2, padding: 2 }, 30);
    check({ c: 2, o: 3, h: 12, w: 25, kh: 3, kw: 2, dilation: [2, 3], stride: 2, padding: [1, 2, 0, 3] }, 30);
  });

  it('groups 2 and 3', () => {
    check({ c: 4, o: 6, h: 7, w: 9, kh: 3, groups: 2, padding: 1 }, 40, true);
    check({ c: 6, o: 9, h: 8, w: 8, kh: 3, groups: 3, stride: 2 }, 40);
    check({ c: 16, o: 8, h: 5, w: 12, kh: 1, groups: 2 }, 40); // 1×1 grouped: pointwise path
    check({ c: 10, o: 4, h: 3, w: 3, kh: 1, groups: 2, padding: 1 }, 40); // 1×1 grouped with padding: im2col path
  });

  it('depthwise (groups = channels), multiplier 1 and 2, strides 1–3, padding, dilation', () => {
    for (const c of [1, 3, 8, 17]) {
      for (const mult of [1, 2]) {
        for (const s of [1, 2, 3]) check({ c, o: c * mult, groups: c, h: 9, w: 29, kh: 3, stride: s, padding: 1 }, c === 3 ? 30 : 0);
      }
    }
    for (let w = 1; w <= 17; w++) check({ c: 2, o: 2, groups: 2, h: 3, w, kh: 3, padding: [1, 2, 0, 1] }, w % 4 === 1 ? 20 : 0);
    for (let w = 1; w <= 17; w++) check({ c: 2, o: 4, groups: 2, h: 5, w: w + 2, kh: 3, stride: [1, 2] }, w % 4 === 2 ? 20 : 0);
    check({ c: 4, o: 8, groups: 4, h: 20, w: 40, kh: 5, kw: 3, dilation: 2, padding: 'same', n: 2 }, 40, true);
    check({ c: 3, o: 3, groups: 3, h: 6, w: 6, kh: 7, padding: 1 }, 40); // kernel wider than the input
    check({ c: 5, o: 5, groups: 5, h: 16, w: 37, kh: 3, stride: [2, 1], padding: 'same' }, 40);
    check({ c: 3, o: 6, groups: 3, h: 11, w: 19, kh: 3, stride: 3, padding: [0, 1, 2, 0], n: 2 }, 40);
  });

  it('batch 3', () => {
    check({ n: 3, c: 3, o: 5, h: 8, w: 9, kh: 3, padding: 1 }, 40, true);
    check({ n: 3, c: 8, o: 4, h: 4, w: 4, kh: 1 }, 40);
    check({ n: 3, c: 2, o: 4, groups: 2, h: 6, w: 11, kh: 3, stride: 2 }, 40);
  });

  it('1×1 kernels: the pointwise path and, with stride or padding, the im2col path', () => {
    for (const [h, w] of [[4, 4], [3, 5], [2, 3], [3, 3], [1, 7], [5, 5], [1, 1]]) {
      check({ c: 5, o: 7, h, w, kh: 1 }, 12); // P mod 8 = 0, 7, 6, 1, 7, 1, 1
      check({ c: 3, o: 4, h, w, kh: 1, stride: 2 }, 12);
      check({ c: 3, o: 4, h, w, kh: 1, padding: 1, n: 2 }, 12);
    }
  });

  it('kernel equal to the input (1×1 output), non-square kernels', () => {
    check({ c: 3, o: 5, h: 5, w: 5, kh: 5 }, 40, true);
    check({ c: 2, o: 9, h: 4, w: 7, kh: 4, kw: 7, n: 2 }, 40);
    check({ c: 3, o: 4, h: 9, w: 12, kh: 1, kw: 5, padding: [0, 2] }, 30);
    check({ c: 3, o: 4, h: 12, w: 9, kh: 5, kw: 1, stride: [2, 1] }, 30);
    check({ c: 2, o: 3, h: 10, w: 10, kh: 2, kw: 4, stride: [3, 2], padding: [1, 0, 2, 3] }, 30);
  });
});

describe('conv2d backward: the direct filter gradient (stride 1 along the width, no padding, ow ≥ 12 or a multiple of 4)', () => {
  it('kernel widths 1–9 (runs of 4 columns and the rest), odd and even output channel counts, row tails', () => {
    let i = 0;
    for (let kw = 1; kw <= 9; kw++) {
      for (const o of [1, 2, 3, 5]) {
        const ow = [4, 8, 12, 13, 14, 15, 16, 17][i++ % 8];
        check({ n: 2, c: 2, o, h: 3 + (kw % 3), w: ow + kw - 1, kh: 1 + (kw % 3), kw }, kw === 5 && o === 3 ? 30 : 0);
      }
    }
  });

  it('dilation, stride along the height, groups, batch, LeNet-5 conv1', () => {
    check({ n: 3, c: 3, o: 4, h: 9, w: 21, kh: 3, dilation: [2, 3] }, 30); // ow = 15, taps 3 floats apart
    check({ n: 2, c: 2, o: 5, h: 11, w: 16, kh: 2, kw: 6, dilation: 2 }, 30); // ow = 6: not direct (mixed in for contrast)
    check({ n: 2, c: 2, o: 3, h: 11, w: 17, kh: 3, kw: 2, stride: [2, 1] }, 30);
    check({ n: 2, c: 4, o: 6, h: 6, w: 19, kh: 3, groups: 2 }, 30);
    check({ n: 2, c: 1, o: 6, h: 32, w: 32, kh: 5 }, 20);
    check({ c: 2, o: 3, h: 40, w: 40, kh: 3 }, 20); // 38 × 38 pixels: runs of 26 rows
  });

  it('the tap-table kernel (unpadded, other strides or short rows): tap and channel tails, runs of 256 pixels', () => {
    for (const o of [1, 3, 6, 7, 8, 10, 13, 17]) check({ n: 2, c: 3, o, h: 7, w: 9, kh: 3, stride: [1, 2] }, o === 10 ? 30 : 0); // K = 27
    check({ c: 3, o: 10, h: 40, w: 39, kh: 3, stride: [1, 2] }, 30); // 38 × 19 pixels: runs of 13 rows
    check({ n: 2, c: 6, o: 16, h: 14, w: 14, kh: 5 }, 30); // LeNet-5 C3 (rows of 10)
    check({ n: 2, c: 2, o: 5, h: 12, w: 13, kh: 2, kw: 3, dilation: [3, 2], stride: 3 }, 30);
  });
});

describe('conv2d backward: window = whole input (the dense-layer schedule)', () => {
  it('batch 1 (transposed GEMV), batches of images, x and W read in place or packed, dy packed', () => {
    for (const n of [1, 2, 3, 8, 9, 17]) {
      check({ n, c: 16, o: 12, h: 5, w: 5, kh: 5 }, n === 3 ? 30 : 0, n === 3); // K = 400: in place
      check({ n, c: 3, o: 5, h: 5, w: 5, kh: 5 }, n === 2 ? 30 : 0); // K = 75: packed
      check({ n, c: 1, o: 3, h: 1, w: 1, kh: 1, stride: 2 }); // K = 1 (stride 2: not the pointwise path)
    }
    check({ n: 5, c: 2, o: 128, h: 3, w: 4, kh: 3, kw: 4 }, 20); // 128 outputs: dy packed for the filter gradient
    check({ n: 4, c: 48, o: 6, h: 5, w: 5, kh: 5 }, 20); // K = 1200: W packed in strips for dx
    check({ n: 3, c: 2, o: 7, h: 4, w: 4, kh: 4, stride: 3, padding: [0, 0, 2, 1] }, 20); // padding past the window
  });
});

describe('conv2d backward against the reference on larger shapes', () => {
  it('LeNet-5 conv1 and conv2 at batch 4', () => {
    check({ n: 4, c: 1, o: 6, h: 32, w: 32, kh: 5 });
    check({ n: 4, c: 6, o: 16, h: 14, w: 14, kh: 5 });
  });

  it('GEMM row blocks (K > 128), several column blocks (K·ow large), K chunks (O > 256), pixel chunks (P > 256)', () => {
    check({ n: 2, c: 32, o: 133, h: 18, w: 18, kh: 3 }); // K = 288, 133 output channels
    check({ n: 2, c: 130, o: 9, h: 12, w: 42, kh: 3 }); // K = 1170: blocks of 2 output rows
    check({ c: 4, o: 300, h: 6, w: 7, kh: 3, padding: 1 }); // the data gradient's reduction over 300 channels
    check({ n: 2, c: 8, o: 12, h: 20, w: 21, kh: 1 }); // pointwise, P = 420
    check({ n: 2, c: 16, o: 20, h: 24, w: 23, kh: 3, stride: 2, padding: 1, groups: 4 });
    check({ n: 2, c: 24, o: 48, groups: 24, h: 30, w: 33, kh: 3, padding: 1 }); // depthwise, multiplier 2
  });
});

describe('conv2d backward: filter gradients summed in chunks of images (partials added in order)', () => {
  it('every filter-gradient path with the batch cut into chunks (forced), groups, odd batches', () => {
    setGradChunkNs(0);
    try {
      check({ n: 5, c: 2, o: 5, h: 6, w: 17, kh: 3 }, 20); // direct (ow = 15)
      check({ n: 7, c: 4, o: 6, h: 6, w: 19, kh: 3, groups: 2 }, 20); // direct, groups
      check({ n: 6, c: 6, o: 16, h: 14, w: 14, kh: 5 }, 20); // tap table (LeNet-5 C3)
      check({ n: 3, c: 3, o: 10, h: 9, w: 11, kh: 3, stride: [1, 2] }, 20); // tap table, stride 2
      check({ n: 5, c: 3, o: 5, h: 8, w: 9, kh: 3, padding: 1 }, 20); // im2col + GEMM
      check({ n: 4, c: 6, o: 9, h: 8, w: 8, kh: 3, groups: 3, padding: 1 }, 20); // im2col, groups
      check({ n: 9, c: 8, o: 4, h: 4, w: 4, kh: 1 }, 20); // pointwise
      check({ n: 17, c: 3, o: 6, groups: 3, h: 11, w: 19, kh: 3, stride: 2, padding: 1 }, 20); // depthwise, 16 chunks
      // an image of 50 row blocks: a task of ~150 kernel calls (on threads, more than 2,000 doubles of program)
      check({ n: 2, c: 512, o: 4, h: 150, w: 8, kh: 3, padding: 1 });
    } finally {
      setGradChunkNs(undefined);
    }
  });

  it('chunks chosen by work alone (LeNet-5 C1 and C3 at batch 64), and added into accumulateInto', () => {
    expect(gradChunks(64, (2 * 64 * 16 * 100 * 150) / 40, 16 * 150 * 4)).toBeGreaterThan(1);
    check({ n: 64, c: 6, o: 16, h: 14, w: 14, kh: 5 });
    check({ n: 64, c: 1, o: 6, h: 32, w: 32, kh: 5 });
    const x = Tensor.from(randArray(64 * 6 * 14 * 14, 91), [64, 6, 14, 14]);
    const dy = Tensor.from(randArray(64 * 16 * 10 * 10, 92), [64, 16, 10, 10]);
    const init = randArray(16 * 6 * 5 * 5, 93);
    const into = Tensor.from(init, [16, 6, 5, 5]);
    const dw = ops.conv2dBackwardFilter(x, dy, [16, 6, 5, 5], { accumulateInto: into });
    expect(dw).toBe(into);
    const ref = refConv2dBackwardFilter(x.toFloat32Array(), [64, 6, 14, 14], dy.toFloat32Array(), [16, 6, 5, 5], { stride: [1, 1], dilation: [1, 1], padding: [0, 0, 0, 0], groups: 1 }).data;
    expectClose(dw.toFloat32Array(), Float64Array.from(ref, (v, i) => v + init[i]!), [16, 6, 5, 5], 'LeNet C3 dw accumulated');
    for (const t of [x, dy, into]) t.dispose();
  });
});

describe('accumulateInto', () => {
  it('adds the filter and bias gradients into the given tensors, which are returned', () => {
    const xs = [2, 4, 7, 8], ws = [6, 2, 3, 3], opts = { padding: 1, groups: 2 };
    const x = Tensor.from(randArray(sizeOf(xs), 1), xs);
    const dy = Tensor.from(randArray(2 * 6 * 7 * 8, 2), [2, 6, 7, 8]);
    const base = bytesInUse();
    const t1 = ops.conv2dBackwardFilter(x, dy, ws, opts), t2 = ops.conv2dBackwardBias(dy);
    const once = t1.toFloat32Array(), onceB = t2.toFloat32Array();
    t1.dispose();
    t2.dispose();
    const start = randArray(sizeOf(ws), 3), startB = randArray(6, 4);
    const acc = Tensor.from(start, ws), accB = Tensor.from(startB, [6]);
    expect(ops.conv2dBackwardFilter(x, dy, ws, { ...opts, accumulateInto: acc })).toBe(acc);
    expect(ops.conv2dBackwardFilter(x, dy, ws, { ...opts, accumulateInto: acc })).toBe(acc);
    expect(ops.conv2dBackwardBias(dy, { accumulateInto: accB })).toBe(accB);
    expect(ops.conv2dBackwardBias(dy, { accumulateInto: accB })).toBe(accB);
    expectCanariesIntact('accumulateInto');
    expectClose(acc.toFloat32Array(), start.map((v, i) => v + 2 * once[i]), ws, 'dw twice');
    expectClose(accB.toFloat32Array(), startB.map((v, i) => v + 2 * onceB[i]), [6], 'db twice');
    // depthwise and pointwise paths accumulate too
    for (const [wsh, o] of [[[4, 1, 3, 3], { padding: 1, groups: 4 }], [[5, 4, 1, 1], {}]] as const) {
      const d2 = Tensor.from(randArray(2 * wsh[0] * 56, 5), [2, wsh[0], 7, 8]);
      const one = ops.conv2dBackwardFilter(x, d2, wsh, o);
      const a = Tensor.from(start.subarray(0, sizeOf(wsh)), wsh);
      ops.conv2dBackwardFilter(x, d2, wsh, { ...o, accumulateInto: a });
      expectClose(a.toFloat32Array(), start.subarray(0, sizeOf(wsh)).map((v, i) => v + one.toFloat32Array()[i]), wsh, `accumulate ${wsh}`);
      for (const t of [one, d2, a]) t.dispose();
    }
    acc.dispose();
    accB.dispose();
    expect(bytesInUse()).toBe(base);
    x.dispose();
    dy.dispose();
  });
});

describe('conv2d backward errors (before any kernel runs)', () => {
  it('rejects bad arguments with messages naming the op, the argument and the shapes, and leaks nothing', () => {
    const base = bytesInUse();
    const x = Tensor.zeros([2, 4, 5, 5]), w = Tensor.zeros([6, 4, 3, 3]), dy = Tensor.zeros([2, 6, 3, 3]);
    const dyBad = Tensor.zeros([2, 6, 5, 5]), w2 = Tensor.zeros([6, 2, 3, 3]), dy3 = Tensor.zeros([2, 6, 3]);
    const acc = Tensor.zeros([6, 4, 3, 2]), accB = Tensor.zeros([5]), ints = Tensor.zeros([6, 4, 3, 3], 'int32');
    const call = (f: unknown, ...a: unknown[]) => () => (f as (...b: unknown[]) => unknown)(...a);
    const data = ops.conv2dBackwardData, filter = ops.conv2dBackwardFilter, bias = ops.conv2dBackwardBias;
    expect(call(data, dyBad, w, [2, 4, 5, 5])).toThrow(
      /conv2dBackwardData: dy has shape \[2, 6, 5, 5\] but the forward output of x \[2, 4, 5, 5\] with weight \[6, 4, 3, 3\] and these options is \[2, 6, 3, 3\]/,
    );
    expect(call(data, dy, w, [2, 4, 5, 5], { padding: 1 })).toThrow(/conv2dBackwardData: dy has shape \[2, 6, 3, 3\] .* is \[2, 6, 5, 5\]/);
    expect(call(data, dy, w, [3, 4, 5, 5])).toThrow(/conv2dBackwardData: dy has shape \[2, 6, 3, 3\] .* is \[3, 6, 3, 3\]/);
    expect(call(data, dy, w, [2, 3, 5, 5])).toThrow(
      /conv2dBackwardData: w \[6, 4, 3, 3\] expects 4 input channels per group × groups 1 = 4 channels, but xShape \[2, 3, 5, 5\] has 3/,
    );
    expect(call(data, dy, w, [2, 4, 5, 5], { groups: 2 })).toThrow(/conv2dBackwardData: w \[6, 4, 3, 3\] expects 4 input channels per group × groups 2 = 8 channels, but xShape \[2, 4, 5, 5\] has 4/);
    expect(call(data, dy, w2, [2, 4, 5, 5], { groups: 4 })).toThrow(/conv2dBackwardData: w has 6 output channels \(shape \[6, 2, 3, 3\]\), which groups = 4 does not divide/);
    expect(call(data, dy, w, [2, 4, 5])).toThrow(/conv2dBackwardData: xShape must be an array of 4 integers \(N, C, H, W\), got an array of length 3/);
    expect(call(data, dy, w, x)).toThrow(/conv2dBackwardData: xShape must be an array of 4 integers .*got a Tensor \(pass its \.shape\)/);
    expect(call(data, dy, w, [2, 4, 5.5, 5])).toThrow(/conv2dBackwardData: xShape\[2\] must be an integer, got 5.5/);
    expect(call(data, dy, w, [2, 4, -5, 5])).toThrow(/conv2dBackwardData: xShape\[2\] must be ≥ 0, got -5/);
    expect(call(data, dy3, w, [2, 4, 5, 5])).toThrow(/conv2dBackwardData: dy must have rank 4 \(N, O, oh, ow\), got shape \[2, 6, 3\]/);
    expect(call(data, dy, [1], [2, 4, 5, 5])).toThrow(/conv2dBackwardData: w must be a Tensor, got an array/);
    expect(call(data, dy, ints, [2, 4, 5, 5])).toThrow(/conv2dBackwardData: w must be a float32 tensor, got int32/);
    expect(call(data, dy, w, [2, 4, 5, 5], { strides: 1 })).toThrow(/conv2dBackwardData: unknown option 'strides'/);
    expect(call(data, dy, w, [2, 4, 5, 5], { accumulateInto: acc })).toThrow(/conv2dBackwardData: unknown option 'accumulateInto'/);
    expect(call(data, dy, w, [2, 4, 2, 2])).toThrow(/conv2dBackwardData: along the height the filter does not fit: F = 3 is larger than the padded input N \+ P = 2 \+ 0 = 2/);

    expect(call(filter, x, dyBad, [6, 4, 3, 3])).toThrow(
      /conv2dBackwardFilter: dy has shape \[2, 6, 5, 5\] but the forward output of x \[2, 4, 5, 5\] with weight \[6, 4, 3, 3\] and these options is \[2, 6, 3, 3\]/,
    );
    expect(call(filter, x, dy, [6, 3, 3, 3])).toThrow(
      /conv2dBackwardFilter: wShape \[6, 3, 3, 3\] expects 3 input channels per group × groups 1 = 3 channels, but x \[2, 4, 5, 5\] has 4/,
    );
    expect(call(filter, x, dy, [6, 2, 3, 3], { groups: 3 })).toThrow(/conv2dBackwardFilter: x has 4 channels \(shape \[2, 4, 5, 5\]\), which groups = 3 does not divide/);
    expect(call(filter, x, dy, [6, 0, 3, 3])).toThrow(/conv2dBackwardFilter: wShape \[6, 0, 3, 3\] must not have a zero dimension/);
    expect(call(filter, x, dy, [6, 4, 3, 3], { accumulateInto: acc })).toThrow(
      /conv2dBackwardFilter: accumulateInto has shape \[6, 4, 3, 2\] but the filter gradient \(wShape\) has shape \[6, 4, 3, 3\]/,
    );
    expect(call(filter, x, dy, [6, 4, 3, 3], { accumulateInto: [0] })).toThrow(/conv2dBackwardFilter: accumulateInto must be a Tensor/);
    expect(call(filter, dy3, dy, [6, 4, 3, 3])).toThrow(/conv2dBackwardFilter: x must have rank 4/);
    expect(call(filter, x, dy, '6,4,3,3')).toThrow(/conv2dBackwardFilter: wShape must be an array of 4 integers/);

    expect(call(bias, dy, { accumulateInto: accB })).toThrow(/conv2dBackwardBias: accumulateInto has shape \[5\] but the bias gradient \(\[O\] from dy\) has shape \[6\]/);
    expect(call(bias, dy3)).toThrow(/conv2dBackwardBias: dy must have rank 4 \(N, O, oh, ow\), got shape \[2, 6, 3\]/);
    expect(call(bias, dy, { into: accB })).toThrow(/conv2dBackwardBias: unknown option 'into'/);
    const gone = Tensor.zeros([2, 6, 3, 3]);
    gone.dispose();
    expect(call(bias, gone)).toThrow(/conv2dBackwardBias: dy was disposed/);
    for (const t of [x, w, dy, dyBad, w2, dy3, acc, accB, ints]) t.dispose();
    expectCanariesIntact('errors');
    expect(bytesInUse()).toBe(base);
  });

  it('an empty batch gives an empty dx and zero gradients', () => {
    const x = Tensor.zeros([0, 3, 5, 5]), w = Tensor.zeros([2, 3, 3, 3]), dy = Tensor.zeros([0, 2, 3, 3]);
    const dx = ops.conv2dBackwardData(dy, w, [0, 3, 5, 5]);
    const dw = ops.conv2dBackwardFilter(x, dy, [2, 3, 3, 3]);
    const db = ops.conv2dBackwardBias(dy);
    expect(dx.shape).toEqual([0, 3, 5, 5]);
    expect(Array.from(dw.toFloat32Array()).every((v) => v === 0)).toBe(true);
    expect(Array.from(db.toFloat32Array())).toEqual([0, 0]);
    for (const t of [x, w, dy, dx, dw, db]) t.dispose();
  });
});
