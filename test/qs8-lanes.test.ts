// The lanes kernel of small int8 convolutions (assembly/conv2d-lanes-qs8.ts: output channels in the
// lanes, input copied channels-last; LeNet's c3 and c5) against the plain integer reference
// (test/ref/qs8.ts) through ops.conv2dQs8: output channels across the blocks of 16, odd pixel
// counts (the two-pixel step's tail), window rows of kw·C taps off the pairs / quads, padding,
// stride, dilation down the height, batch; saturation at −128 / 127 and zero points at both ends.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { qclamp } from '../src/ops/qs8.js';
import { lanesQs8Runs } from '../src/ops/conv2d-direct-qs8.js';
import { geometry } from '../src/ops/conv2d-common.js';
import { bytesInUse, ready, rng } from './helpers.js';
import { convQs8Ref, ints, type ConvQs8Case } from './ref/qs8.js';

beforeAll(ready);
let inUse = 0;
beforeEach(() => { inUse = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(inUse); });

/** Runs case p through conv2dQs8 (which must pick the lanes kernel) and compares every byte with the reference. */
function lanesCase(p: ConvQs8Case, seed: number, zx: number, zy: number, clamp?: { min?: number; max?: number }, xRange: [number, number] = [-128, 127]): void {
  const opts = { stride: [p.sh, p.sw] as [number, number], dilation: [p.dh, p.dw] as [number, number], padding: [p.pt, p.pl, p.pb, p.pr] as [number, number, number, number], groups: 1 };
  expect(lanesQs8Runs(geometry('t', [p.n, p.c, p.h, p.w], 'x', [p.o, p.c, p.kh, p.kw], 'w', opts)), JSON.stringify(p)).toBe(true);
  const K = p.c * p.kh * p.kw;
  const x = ints(p.n * p.c * p.h * p.w, seed, ...xRange), wt = ints(p.o * K, seed + 1, -127, 127);
  const r = rng(seed + 2);
  const scales = Float32Array.from({ length: p.o }, () => 0.01 + r() * 0.02);
  const bias = Float32Array.from({ length: p.o }, () => (r() - 0.5) * 4);
  const qx = { scale: 0.05, zeroPoint: zx }, qy = { scale: 0.02 * Math.sqrt(K), zeroPoint: zy };
  const bq = Int32Array.from(bias, (b, o) => Math.round(b / (qx.scale * scales[o])));
  const sc = Float32Array.from(scales, (s) => (qx.scale * s) / qy.scale);
  const [lo, hi] = qclamp(qy, clamp);
  const ref = convQs8Ref(p, x, wt, bq, sc, zx, zy, lo, hi);
  const xt = Tensor.from(x, [p.n, p.c, p.h, p.w]);
  const y = ops.conv2dQs8(xt, { data: wt, shape: [p.o, p.c, p.kh, p.kw], scales, bias }, opts, { x: qx, y: qy, clamp });
  const got = y.toInt8Array();
  xt.dispose(); y.dispose();
  expect(got.length).toBe(ref.y.length);
  for (let i = 0; i < got.length; i++) if (got[i] !== ref.y[i]) throw new Error(`${JSON.stringify(p)} zx ${zx} zy ${zy}: element ${i} got ${got[i]}, want ${ref.y[i]}`);
}

const base = { n: 1, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pl: 0, pb: 0, pr: 0, groups: 1 };

describe('conv2dQs8: the lanes kernel (output channels in the lanes)', () => {
  it("LeNet-5's c3 shape, c5's on two pixels, zero points at both ends, saturation, ReLU", () => {
    let s = 9100;
    for (const [zx, zy] of [[-128, 127], [127, -128], [3, -5]]) {
      lanesCase({ ...base, c: 6, o: 16, h: 14, w: 14, kh: 5, kw: 5 }, s++, zx, zy);
      lanesCase({ ...base, c: 6, o: 16, h: 14, w: 14, kh: 5, kw: 5 }, s++, zx, zy, { min: 0 });
      lanesCase({ ...base, c: 16, o: 120, h: 6, w: 5, kh: 5, kw: 5 }, s++, zx, zy, { min: 0 });
    }
    // every input at an extreme: sums far past the int8 range saturate
    lanesCase({ ...base, c: 6, o: 16, h: 14, w: 14, kh: 5, kw: 5 }, s++, 0, 0, undefined, [127, 127]);
    lanesCase({ ...base, c: 6, o: 16, h: 14, w: 14, kh: 5, kw: 5 }, s++, 0, 0, undefined, [-128, -128]);
  });

  it('output channels 1…40 across the blocks of 16, pixel counts odd and even, taps off the pairs / quads', () => {
    let s = 9200;
    for (let o = 1; o <= 40; o++) {
      const c = 2 + (o % 5), k = [2, 3, 5][o % 3], w = k + (o % 4), h = k + 1 + ((o >> 2) % 3);
      lanesCase({ ...base, n: 1 + (o % 2), c, o, h, w, kh: k, kw: k + (o % 2) }, s++, [-128, 127, 9][o % 3], [127, -128, -7][o % 3], o % 4 === 0 ? { min: 0, max: 6 } : undefined);
    }
  });

  it('padding, stride and dilation down the height', () => {
    let s = 9300;
    for (let w = 2; w <= 13; w++) for (const [sh, sw] of [[1, 1], [2, 1], [1, 2], [2, 3]]) {
      const k = [2, 3, 4, 5][w % 4], pad = [0, 1, 2][w % 3], dh = w % 5 === 0 ? 2 : 1;
      if (w + 2 * pad < k || 9 + 2 * pad < dh * (k - 1) + 1) continue;
      lanesCase({ ...base, c: 3 + (w % 4), o: 5 + w, h: 9, w, kh: k, kw: k, sh, sw, dh, pt: pad, pl: pad, pb: w % 2, pr: pad }, s++, [-128, 127, 2][s % 3], [127, -128, 1][s % 3]);
    }
  });
});
