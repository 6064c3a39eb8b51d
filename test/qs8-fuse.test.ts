// The int8 fusions of compiled plans (src/compile/qs8-fuse.ts): the direct kernels with the 2×2
// stride-2 max pool folded into their store and the short one with QuantizeLinear folded into its
// padding, against the plain integer reference (test/ref/qs8.ts) over tile-edge sweeps (channels
// across the blocks of 3 and 16, odd sizes whose pool drops a row / column, 8-pixel steps and their
// tails, padding, stride, batch, zero points at both ends, saturation); then whole plans compiled
// with and without the fusions give the same bytes (LeNet-5, and graphs where a pattern must not
// fuse: pool stride ≠ kernel, a padded pool, a convolution output with a second reader).
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Graph, Tensor, compile, io, nn, quantize } from '../src/index.js';
import { qclamp } from '../src/ops/qs8.js';
import { prepareConv2dQs8 } from '../src/ops/gemm-qs8.js';
import { directFusionRuns, type DirectFusion } from '../src/ops/conv2d-direct-qs8.js';
import { geometry } from '../src/ops/conv2d-common.js';
import { runOnce } from '../src/ops/prepared.js';
import { bytesInUse, ready, rng } from './helpers.js';
import { convQs8Ref, ints, quantizeRef, type ConvQs8Case } from './ref/qs8.js';

beforeAll(ready);
let inUse = 0;
beforeEach(() => { inUse = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(inUse); });

/** 2×2 stride-2 max pooling (floor) of y [n, o, oh, ow]. */
function pool2Ref(y: Int8Array, n: number, o: number, oh: number, ow: number): Int8Array {
  const ph = oh >> 1, pw = ow >> 1, out = new Int8Array(n * o * ph * pw);
  for (let q = 0; q < n * o; q++) for (let i = 0; i < ph; i++) for (let j = 0; j < pw; j++) {
    const at = (a: number, b: number) => y[(q * oh + 2 * i + a) * ow + 2 * j + b];
    out[(q * ph + i) * pw + j] = Math.max(at(0, 0), at(0, 1), at(1, 0), at(1, 1));
  }
  return out;
}

/** Case p through prepareConv2dQs8 with fusion f (quantize: x float32, quantized with qin), every byte against the reference. */
function fusedCase(p: ConvQs8Case, f: { pool: boolean; quantize: boolean }, seed: number, zx: number, zy: number, clamp?: { min?: number; max?: number }, xRange: [number, number] = [-128, 127]): void {
  const opts = { stride: [p.sh, p.sw] as [number, number], dilation: [p.dh, p.dw] as [number, number], padding: [p.pt, p.pl, p.pb, p.pr] as [number, number, number, number], groups: 1 };
  const xs = [p.n, p.c, p.h, p.w];
  const qin = { scale: 0.03, zeroPoint: zx === 127 ? 120 : zx - 3 }; // the QuantizeLinear's own zero point need not be the conv's
  const fusion: DirectFusion = { pool: f.pool, quantize: f.quantize ? qin : undefined };
  const what = `${JSON.stringify(p)} ${JSON.stringify(f)} zx ${zx} zy ${zy}`;
  expect(directFusionRuns(geometry('t', xs, 'x', [p.o, p.c, p.kh, p.kw], 'w', opts), fusion), what).toBe(true);
  const K = p.c * p.kh * p.kw;
  const n = p.n * p.c * p.h * p.w;
  const r = rng(seed + 2);
  // the float input spans the quantizer's range and past it (saturation), with exact ties and a NaN
  const xf = Float32Array.from({ length: n }, (_, i) => (i % 17 === 5 ? (Math.round(r() * 20) + 0.5) * qin.scale : (r() - 0.5) * 12));
  if (n > 3) xf[3] = NaN;
  const x = f.quantize ? quantizeRef(xf, qin.scale, qin.zeroPoint) : ints(n, seed, ...xRange);
  const wt = ints(p.o * K, seed + 1, -127, 127);
  const scales = Float32Array.from({ length: p.o }, () => 0.01 + r() * 0.02);
  const bias = Float32Array.from({ length: p.o }, () => (r() - 0.5) * 4);
  const qx = { scale: 0.05, zeroPoint: zx }, qy = { scale: 0.02 * Math.sqrt(K), zeroPoint: zy };
  const bq = Int32Array.from(bias, (b, o) => Math.round(b / (qx.scale * scales[o])));
  const sc = Float32Array.from(scales, (s) => (qx.scale * s) / qy.scale);
  const [lo, hi] = qclamp(qy, clamp);
  const ref = convQs8Ref(p, x, wt, bq, sc, zx, zy, lo, hi);
  const want = f.pool ? pool2Ref(ref.y, p.n, p.o, ref.oh, ref.ow) : ref.y;
  const xt = f.quantize ? Tensor.from(xf, xs) : Tensor.from(x, xs);
  const prep = prepareConv2dQs8(xs, { data: wt, shape: [p.o, p.c, p.kh, p.kw], scales, bias }, opts, { x: qx, y: qy, clamp }, fusion);
  expect(prep.outShape, what).toEqual(f.pool ? [p.n, p.o, ref.oh >> 1, ref.ow >> 1] : [p.n, p.o, ref.oh, ref.ow]);
  const y = runOnce(prep, [xt.ptr], (s) => Tensor.empty(s, 'int8'));
  const got = y.toInt8Array();
  xt.dispose(); y.dispose();
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) throw new Error(`${what}: element ${i} got ${got[i]}, want ${want[i]}`);
}

const base = { n: 1, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pl: 0, pb: 0, pr: 0, groups: 1 };

describe('the direct int8 kernels with a pool / quantize folded in', () => {
  it("LeNet-5's c1 (quantize + pool) and c3 (pool), zero points at both ends, saturation, ReLU", () => {
    let s = 9700;
    for (const [zx, zy] of [[-128, 127], [127, -128], [3, -5]]) {
      fusedCase({ ...base, c: 1, o: 6, h: 32, w: 32, kh: 5, kw: 5 }, { pool: true, quantize: true }, s++, zx, zy, { min: 0 });
      fusedCase({ ...base, c: 1, o: 6, h: 32, w: 32, kh: 5, kw: 5 }, { pool: false, quantize: true }, s++, zx, zy);
      fusedCase({ ...base, c: 1, o: 6, h: 32, w: 32, kh: 5, kw: 5 }, { pool: true, quantize: false }, s++, zx, zy);
      fusedCase({ ...base, c: 6, o: 16, h: 14, w: 14, kh: 5, kw: 5 }, { pool: true, quantize: false }, s++, zx, zy, { min: 0 });
    }
    fusedCase({ ...base, c: 6, o: 16, h: 14, w: 14, kh: 5, kw: 5 }, { pool: true, quantize: false }, s++, 0, 0, undefined, [127, 127]);
    fusedCase({ ...base, c: 6, o: 16, h: 14, w: 14, kh: 5, kw: 5 }, { pool: true, quantize: false }, s++, 0, 0, undefined, [-128, -128]);
  });

  it('short kernel: channels across the blocks of 3, widths across the 8-pixel steps and tails, odd sizes, padding, stride, batch', () => {
    let s = 9800;
    for (let w = 2; w <= 27; w++) {
      const k = [2, 3, 5][w % 3], c = 1 + (w % 3), o = 1 + (w % 8), pad = w % 4 === 1 ? 1 : 0, sh = w % 5 === 0 ? 2 : 1;
      if (c * k * k > 32) continue;
      const h = k + 1 + (w % 6);
      const p = { ...base, n: 1 + (w % 2), c, o, h, w: w + k - 1, kh: k, kw: k, sh, pt: pad, pl: pad, pb: pad, pr: w % 2 };
      const zx = [-128, 127, 9][w % 3], zy = [127, -128, -7][w % 3];
      fusedCase(p, { pool: true, quantize: w % 2 === 0 }, s++, zx, zy, w % 4 === 0 ? { min: 0, max: 6 } : undefined);
      fusedCase(p, { pool: false, quantize: true }, s++, zx, zy);
    }
  });

  it('lanes kernel: output channels 1…40 across the blocks of 16, odd output sizes (the pool drops a row / column), padding, stride', () => {
    let s = 9900;
    for (let o = 1; o <= 40; o++) {
      const c = 3 + (o % 6), k = [2, 3, 5][o % 3], w = k + 1 + (o % 5), h = k + 2 + ((o >> 2) % 4), pad = o % 3 === 0 ? 1 : 0;
      fusedCase({ ...base, n: 1 + (o % 2), c, o, h, w, kh: k, kw: k, sh: o % 7 === 0 ? 2 : 1, pt: pad, pl: pad, pb: pad, pr: pad }, { pool: true, quantize: false },
        s++, [-128, 127, 9][o % 3], [127, -128, -7][o % 3], o % 4 === 0 ? { min: 0 } : undefined);
    }
  });
});

/** A float input with exact quantization ties and a NaN. */
function input(shape: number[], seed: number): Tensor {
  const r = rng(seed), n = shape.reduce((a, b) => a * b, 1);
  const v = Float32Array.from({ length: n }, () => (r() - 0.5) * 4);
  v[1] = NaN;
  return Tensor.from(v, shape);
}

/** compile(q) and compile(q, { fuse: false }) on a few inputs: the same bytes; returns the fused plan's step names. */
function sameAsUnfused(q: Graph, shape: number[], batchSize = 1): string[] {
  const a = compile(q, { batchSize }), b = compile(q, { batchSize, fuse: false });
  try {
    for (let seed = 1; seed <= 3; seed++) {
      const x = input([batchSize, ...shape], seed);
      const ya = Array.from(a.run(x).toFloat32Array()), yb = Array.from(b.run(x).toFloat32Array());
      x.dispose();
      expect(ya).toEqual(yb);
    }
    return a.info.steps.map((s) => [s.name, ...s.fused].join('+'));
  } finally {
    a.dispose(); b.dispose();
  }
}

function quantized(nodes: { name: string; layer: nn.Layer; inputs: string | string[] }[], shape: number[], output: string): Graph {
  const f32 = new Graph({ inputs: { x: shape }, nodes, outputs: output, seed: 5 });
  const cal = input([4, ...shape], 11);
  const q = quantize(f32, cal);
  cal.dispose(); f32.dispose();
  return q;
}

describe('compile: int8 fusions give the unfused plan’s bytes', () => {
  it('LeNet-5 (mnist): quantize + c1 + pool, c3 + pool, at batch 1 and 3 (the logits: the last dense layer\'s float32 output)', () => {
    const f32 = io.load(new Uint8Array(readFileSync(new URL('../models/lenet5-mnist.simdnet', import.meta.url))));
    const cal = input([4, 1, 32, 32], 3);
    const q = quantize(f32, cal);
    cal.dispose(); f32.dispose();
    try {
      expect(sameAsUnfused(q, [1, 32, 32])).toEqual(['input.quantize+c1+s2', 'c3+s4', 'c5', 'f6', 'output']);
      expect(sameAsUnfused(q, [1, 32, 32], 3)).toEqual(['input.quantize+c1+s2', 'c3+s4', 'c5', 'f6', 'output']);
    } finally {
      q.dispose();
    }
  });

  it('odd sizes fuse (floor pooling); a pool of stride ≠ kernel, a padded pool or a second reader does not; dense + dequantize', () => {
    const conv = (cin: number, cout: number) => new nn.Conv2d(cin, cout, 3);
    // 1×21×21 → conv 19×19 (odd) → pool 2/2 → 9×9 (fuses); → conv 7×7 → pool 2 stride 1 (no)
    const a = quantized([
      { name: 'c1', layer: conv(1, 5), inputs: 'x' }, { name: 'r1', layer: new nn.ReLU(), inputs: 'c1' },
      { name: 'p1', layer: new nn.MaxPool2d(2), inputs: 'r1' },
      { name: 'c2', layer: conv(5, 7), inputs: 'p1' }, { name: 'p2', layer: new nn.MaxPool2d(2, { stride: 1 }), inputs: 'c2' },
      { name: 'c3', layer: conv(7, 4), inputs: 'p2' }, { name: 'p3', layer: new nn.MaxPool2d(2, { padding: 1 }), inputs: 'c3' },
      { name: 'flat', layer: new nn.Flatten(), inputs: 'p3' }, { name: 'fc', layer: new nn.Linear(4 * 3 * 3, 3), inputs: 'flat' },
      { name: 'sm', layer: new nn.Softmax(), inputs: 'fc' },
    ], [1, 21, 21], 'sm');
    try {
      // fc's int8 output is dequantized for the softmax: one step
      expect(sameAsUnfused(a, [1, 21, 21])).toEqual(['x.quantize+c1+p1', 'c2', 'p2', 'c3', 'p3', 'fc+fc.dequantize', 'sm']);
    } finally {
      a.dispose();
    }
    // c2's output is read by the pool and by the add: not fused; a 3×3 pool of stride 2 is not either
    const b = quantized([
      { name: 'c1', layer: new nn.Conv2d(2, 6, 3, { padding: 1 }), inputs: 'x' },
      { name: 'p0', layer: new nn.MaxPool2d(3, { stride: 2 }), inputs: 'c1' },
      { name: 'c2', layer: new nn.Conv2d(6, 6, 3, { padding: 1 }), inputs: 'p0' },
      { name: 'p1', layer: new nn.MaxPool2d(2), inputs: 'c2' },
      { name: 'up', layer: new nn.Conv2d(6, 6, 3, { padding: 1 }), inputs: 'c2' },
      { name: 'p2', layer: new nn.MaxPool2d(2), inputs: 'up' },
      { name: 'add', layer: new nn.Add(), inputs: ['p1', 'p2'] },
      { name: 'gap', layer: new nn.GlobalAvgPool2d(), inputs: 'add' },
    ], [2, 15, 15], 'gap');
    try {
      const steps = sameAsUnfused(b, [2, 15, 15], 2);
      expect(steps).toContain('c2');
      expect(steps).toContain('p1');
      expect(steps).toContain('p0');
      expect(steps).toContain('up+p2');
    } finally {
      b.dispose();
    }
  });
});
