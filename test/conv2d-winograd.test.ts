// Winograd convolution (src/ops/conv2d-winograd.ts, assembly/conv2d-winograd.ts): every tile size
// against the float64 reference over sweeps around tile and panel edges, the accuracy bound at a
// few depths (the full table: bench/winograd.mjs --accuracy), the channel slices of the
// transformed-domain sums, the backward-data pass, the choice of algorithm and compiled plans' info.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, compile, nn, ops, Sequential } from '../src/index.js';
import { conv2dClamped, conv2dBackwardData, prepareConv2d, type Conv2dOptions } from '../src/ops/conv2d.js';
import { setWinogradBlockBytes, setWinogradSlice } from '../src/ops/conv2d-winograd.js';
import { bytesInUse, expectCanariesIntact, fdCheck, randArray, ready } from './helpers.js';
import { refClamp, refConv2d, refConv2dBackwardData } from './ref/conv2d.js';

beforeAll(ready);

const TILES = ['winograd-2x2', 'winograd-4x4', 'winograd-6x6'] as const;
/** max |Δ| ÷ max |y| allowed: the bound, for every tile size. */
const BOUND = { 'winograd-2x2': 1e-4, 'winograd-4x4': 1e-4, 'winograd-6x6': 1e-4 };

function relMax(a: ArrayLike<number>, r: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let i = 0; i < r.length; i++) {
    d = Math.max(d, Math.abs(a[i] - r[i]));
    m = Math.max(m, Math.abs(r[i]));
  }
  return m === 0 ? d : d / m;
}

interface Case { n?: number; c: number; o: number; h: number; w: number; pad: number | [number, number, number, number]; bias?: boolean; clamp?: [number, number] }

let seed = 7;
function check(alg: (typeof TILES)[number], k: Case): void {
  const n = k.n ?? 1;
  const xs = [n, k.c, k.h, k.w], ws = [k.o, k.c, 3, 3];
  const xd = randArray(n * k.c * k.h * k.w, seed++), wd = randArray(k.o * k.c * 9, seed++);
  const bd = k.bias === false ? null : randArray(k.o, seed++);
  const base = bytesInUse();
  const x = Tensor.from(xd, xs), w = Tensor.from(wd, ws), b = bd ? Tensor.from(bd, [k.o]) : null;
  const opts: Conv2dOptions = { padding: k.pad, algorithm: alg };
  const y = k.clamp ? conv2dClamped(x, w, b, opts, k.clamp[0], k.clamp[1]) : ops.conv2d(x, w, b, opts);
  const what = `${alg} ${JSON.stringify(k)}`;
  expectCanariesIntact(what);
  const p = typeof k.pad === 'number' ? [k.pad, k.pad, k.pad, k.pad] : k.pad;
  const r = refConv2d(xd, xs, wd, ws, bd, { padding: p as [number, number, number, number] });
  expect(y.shape, what).toEqual(r.shape);
  const ref = k.clamp ? refClamp(r.data, k.clamp[0], k.clamp[1]) : r.data;
  const e = relMax(y.toFloat32Array(), ref);
  if (!(e <= BOUND[alg])) throw new Error(`${what}: max |Δ| ÷ max |y| = ${e.toExponential(2)}`);
  for (const t of [x, w, b, y]) t?.dispose();
  expect(bytesInUse(), `${what}: bytes in use`).toBe(base);
}

const CH = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17];

describe.each(TILES)('%s against the float64 reference', (alg) => {
  it('input and output channels across tile edges', () => {
    for (const c of CH) for (const o of [1, 4, 5, 9, 17]) check(alg, { c, o, h: 7, w: 9, pad: 1 });
    for (const o of CH) check(alg, { c: 3, o, h: 6, w: 5, pad: 1, n: 2 });
  });
  it('odd, even and sub-tile sizes, padding 0, 1, 2, asymmetric padding', () => {
    for (const pad of [0, 1, 2]) {
      for (const h of [1, 2, 3, 4, 5, 7, 8, 9, 13]) {
        for (const w of [1, 3, 6, 8, 11, 14]) {
          if (h + 2 * pad < 3 || w + 2 * pad < 3) continue;
          check(alg, { c: 3, o: 5, h, w, pad });
        }
      }
    }
    check(alg, { c: 4, o: 6, h: 10, w: 12, pad: [0, 2, 1, 0] });
    check(alg, { c: 4, o: 6, h: 9, w: 7, pad: [2, 0, 0, 1] });
  });
  it('batch 3, no bias, fused clamps', () => {
    check(alg, { n: 3, c: 5, o: 7, h: 11, w: 10, pad: 1 });
    check(alg, { n: 3, c: 8, o: 9, h: 9, w: 17, pad: 0, bias: false });
    check(alg, { n: 3, c: 6, o: 5, h: 13, w: 13, pad: 1, clamp: [0, Infinity] });
    check(alg, { n: 1, c: 6, o: 5, h: 12, w: 12, pad: 2, clamp: [-0.3, 0.4] });
  });
  it('many blocks of tiles (small blocks forced), and the same bits as one block', () => {
    const xs = [2, 9, 21, 19], ws = [7, 9, 3, 3];
    const x = Tensor.from(randArray(2 * 9 * 21 * 19, 3), xs), w = Tensor.from(randArray(7 * 81, 4), ws), b = Tensor.from(randArray(7, 5), [7]);
    const one = ops.conv2d(x, w, b, { padding: 1, algorithm: alg }).toFloat32Array();
    setWinogradBlockBytes(1);
    try {
      const many = ops.conv2d(x, w, b, { padding: 1, algorithm: alg }).toFloat32Array();
      expect(many).toEqual(one);
    } finally {
      setWinogradBlockBytes(undefined);
    }
    for (const t of [x, w, b]) t.dispose();
  });
});

describe('F(2×2) register transforms (assembly/conv2d-winograd-f2.ts)', () => {
  // groups of four tiles side by side inside the input, reaching into the padding (masked), across
  // two tile rows (gathered lane by lane; tiles per row not a multiple of 4), the last group cut by
  // the end of a block or of the batch; outputs whole or cut at the edge; forward and backward data
  it('widths of 2–15 tiles a row, padding 0–3, batch 2, and the backward pass with padding 0 and 3', () => {
    for (const pad of [0, 1, 2, 3]) {
      for (const w of [10, 16, 23, 30]) check('winograd-2x2', { n: 2, c: 3, o: 4, h: w === 16 ? 12 : 5, w, pad });
    }
    for (const pad of [0, 3]) {
      const xs = [2, 5, 9, 22], ws = [6, 5, 3, 3];
      const oh = 9 + 2 * pad - 2, ow = 22 + 2 * pad - 2;
      const dyd = randArray(2 * 6 * oh * ow, seed++), wd = randArray(6 * 5 * 9, seed++);
      const dy = Tensor.from(dyd, [2, 6, oh, ow]), wt = Tensor.from(wd, ws);
      const dx = conv2dBackwardData(dy, wt, xs, { padding: pad, algorithm: 'winograd-2x2' });
      const r = refConv2dBackwardData(dyd, wd, ws, xs, { padding: [pad, pad, pad, pad] });
      expect(relMax(dx.toFloat32Array(), r.data), `padding ${pad}`).toBeLessThanOrEqual(1e-5);
      for (const t of [dy, wt, dx]) t.dispose();
    }
  });
});

describe('accuracy against float64 at depth (the bound the issue sets)', () => {
  // the full table over 16…512 channels is bench/winograd.mjs --accuracy; here the deep end, with
  // inputs in [−1, 1] and in [0, 1] (post-ReLU), against the 1e-4 and against the bound each
  // tile size keeps since F(4×4) moved to the points 0, ±2/3, ±3/2 and the channel sums to slices
  // (measured 2–4× below it; F(4×4) on 0, ±1, ±2 with one long sum was at 1e-5)
  const TIGHT = { 'winograd-2x2': 1e-6, 'winograd-4x4': 3e-6, 'winograd-6x6': 2e-5 };
  it.each([
    ['winograd-2x2', 512, -1], ['winograd-4x4', 256, -1], ['winograd-4x4', 512, -1], ['winograd-4x4', 512, 0], ['winograd-6x6', 512, -1],
  ] as const)('%s at %i channels, inputs from %i to 1', (alg, c, lo) => {
    for (const seed of [11, 12]) {
      const xs = [1, c, 8, 8], ws = [4, c, 3, 3];
      const xd = randArray(c * 64, seed, lo, 1), wd = randArray(4 * c * 9, seed + 100);
      const x = Tensor.from(xd, xs), w = Tensor.from(wd, ws);
      const y = ops.conv2d(x, w, null, { padding: 1, algorithm: alg });
      const r = refConv2d(xd, xs, wd, ws, null, { padding: [1, 1, 1, 1] });
      const e = relMax(y.toFloat32Array(), r.data);
      expect(e).toBeLessThanOrEqual(1e-4);
      expect(e, `${alg} seed ${seed}`).toBeLessThanOrEqual(TIGHT[alg]);
      for (const t of [x, w, y]) t.dispose();
    }
  });
});

describe('channel slices of the transformed-domain sums', () => {
  // conv2d_winograd_gemm_f32_simd cuts the sum over input channels into equal slices of ≤ 32 (the
  // filter kernels lay U out slice by slice): channel counts around the cuts, and small slices forced
  it.each(TILES)('%s: 31, 33, 65, 100 input channels; 33 output channels', (alg) => {
    for (const c of [31, 33, 65, 100]) check(alg, { c, o: 6, h: 6, w: 7, pad: 1 });
    check(alg, { c: 40, o: 33, h: 5, w: 9, pad: 1, n: 2 });
  });
  it.each(TILES)('%s: slices of 8 and of 1 (every channel its own slice)', (alg) => {
    for (const slice of [8, 1]) {
      setWinogradSlice(slice);
      try {
        for (const c of [7, 9, 17, 23]) check(alg, { c, o: 5, h: 7, w: 6, pad: 1 });
      } finally {
        setWinogradSlice(undefined);
      }
    }
  });
  it('backward data with more than one slice over the output channels (the flipped filter)', () => {
    for (const alg of TILES) {
      const xs = [1, 36, 7, 9], ws = [41, 36, 3, 3];
      const dyd = randArray(41 * 63, seed++), wd = randArray(41 * 36 * 9, seed++);
      const dy = Tensor.from(dyd, [1, 41, 7, 9]), wt = Tensor.from(wd, ws);
      const dx = conv2dBackwardData(dy, wt, xs, { padding: 1, algorithm: alg });
      const r = refConv2dBackwardData(dyd, wd, ws, xs, { padding: [1, 1, 1, 1] });
      expect(relMax(dx.toFloat32Array(), r.data), alg).toBeLessThanOrEqual(1e-5);
      for (const t of [dy, wt, dx]) t.dispose();
    }
  });
});

describe('backward data by Winograd', () => {
  it.each([[0, 'winograd-2x2'], [1, 'winograd-4x4'], [2, 'winograd-4x4'], [1, 'winograd-6x6'], [1, 'winograd']] as const)(
    'padding %i, %s: the reference and the GEMM path', (pad, alg) => {
      for (const [n, c, o, h, w] of [[1, 3, 5, 7, 9], [3, 8, 4, 10, 6], [2, 17, 9, 5, 13]]) {
        const xs = [n, c, h, w], ws = [o, c, 3, 3];
        const oh = h + 2 * pad - 2, ow = w + 2 * pad - 2;
        const dyd = randArray(n * o * oh * ow, seed++), wd = randArray(o * c * 9, seed++);
        const dy = Tensor.from(dyd, [n, o, oh, ow]), wt = Tensor.from(wd, ws);
        const base = bytesInUse();
        const dx = conv2dBackwardData(dy, wt, xs, { padding: pad, algorithm: alg });
        const viaGemm = conv2dBackwardData(dy, wt, xs, { padding: pad, algorithm: 'gemm' });
        const r = refConv2dBackwardData(dyd, wd, ws, xs, { padding: [pad, pad, pad, pad] });
        const bound = 1e-4;
        expect(relMax(dx.toFloat32Array(), r.data), `${alg} ${xs}`).toBeLessThanOrEqual(bound);
        expect(relMax(dx.toFloat32Array(), viaGemm.toFloat32Array())).toBeLessThanOrEqual(bound);
        dx.dispose(); viaGemm.dispose();
        expect(bytesInUse()).toBe(base);
        dy.dispose(); wt.dispose();
      }
    });

  it('central differences of L = Σ y ⊙ r through the Winograd forward', () => {
    const xs = [2, 3, 6, 7], ws = [4, 3, 3, 3];
    const xd = randArray(2 * 3 * 42, 21), wd = randArray(4 * 27, 22);
    const w = Tensor.from(wd, ws);
    const ys = [2, 4, 6, 7];
    const r = randArray(2 * 4 * 42, 23);
    const forward = (xv: Float32Array) => {
      const x = Tensor.from(xv, xs);
      const y = ops.conv2d(x, w, null, { padding: 1, algorithm: 'winograd-4x4' });
      const out = y.toFloat32Array();
      x.dispose(); y.dispose();
      return out;
    };
    const dy = Tensor.from(r, ys);
    const dx = conv2dBackwardData(dy, w, xs, { padding: 1, algorithm: 'winograd-4x4' });
    fdCheck({ x: xd, shape: xs, r, forward, analytic: dx.toFloat32Array(), samples: 40, what: 'winograd dx' });
    for (const t of [w, dy, dx]) t.dispose();
  });
});

describe('choice of algorithm', () => {
  const mk = (shape: number[]) => Tensor.zeros(shape);
  it('rejects unknown values and shapes Winograd cannot run, naming why', () => {
    const w5 = mk([4, 3, 5, 5]), w3 = mk([4, 3, 3, 3]), w3g = mk([4, 1, 3, 3]);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => prepareConv2d([1, 3, 8, 8], w3, null, { algorithm: 'fast' as any })).toThrow(/algorithm must be one of 'auto', 'gemm', 'winograd'.*got 'fast'/);
    expect(() => prepareConv2d([1, 3, 8, 8], w5, null, { algorithm: 'winograd' })).toThrow(/algorithm 'winograd' cannot run this convolution: its kernel is 5×5/);
    expect(() => prepareConv2d([1, 3, 8, 8], w3, null, { algorithm: 'winograd', stride: 2 })).toThrow(/stride is \[2, 2\]/);
    expect(() => prepareConv2d([1, 3, 8, 8], w3, null, { algorithm: 'winograd-4x4', dilation: 2 })).toThrow(/dilation is \[2, 2\]/);
    expect(() => prepareConv2d([1, 3, 8, 8], w3g, null, { algorithm: 'winograd', groups: 3 })).toThrow(/groups = 3/);
    for (const t of [w5, w3, w3g]) t.dispose();
  });
  it("'auto' runs Winograd on a deep 3×3 layer, the GEMM path on a shallow or non-3×3 one; 'gemm' never Winograd", () => {
    const deep = mk([64, 64, 3, 3]), shallow = mk([4, 3, 3, 3]);
    const alg = (xs: number[], w: Tensor, o: Conv2dOptions) => {
      const p = prepareConv2d(xs, w, null, o);
      const a = p.algorithm;
      p.dispose();
      return a;
    };
    const wide = mk([256, 256, 3, 3]);
    expect(alg([1, 256, 28, 28], wide, { padding: 1 })).toBe('winograd F(4×4, 3×3)');
    wide.dispose();
    expect(alg([1, 64, 56, 56], deep, { padding: 1 })).toMatch(/^winograd F\(2×2, 3×3\)$/);
    expect(alg([1, 64, 56, 56], deep, { padding: 1, algorithm: 'gemm' })).toBe('gemm');
    expect(alg([1, 64, 56, 56], deep, { padding: 1, stride: 2 })).toBe('gemm');
    expect(alg([1, 3, 32, 32], shallow, { padding: 1 })).toBe('gemm');
    expect(alg([1, 3, 32, 32], shallow, { padding: 1, algorithm: 'winograd-2x2' })).toBe('winograd F(2×2, 3×3)');
    // fewer than 256 input channels: F(2×2) or the GEMM path, not F(4×4) (its error compounds through
    // the early and middle layers: FCN-ResNet50 passed 1e-4 of PyTorch's float64 output with it on ≥ 64)
    const thin = mk([128, 128, 3, 3]);
    expect(alg([1, 128, 28, 28], thin, { padding: 1 })).toMatch(/^(gemm|winograd F\(2×2, 3×3\))$/);
    expect(alg([1, 128, 28, 28], thin, { padding: 1, algorithm: 'winograd' })).toBe('winograd F(2×2, 3×3)');
    expect(alg([1, 128, 28, 28], thin, { padding: 1, algorithm: 'winograd-4x4' })).toBe('winograd F(4×4, 3×3)');
    deep.dispose(); shallow.dispose(); thin.dispose();
  });
  it("compile()'s plan.info names each convolution's algorithm, and matches the eager path", () => {
    const m = new Sequential([new nn.Conv2d(32, 32, 3, { padding: 1, algorithm: 'winograd-4x4' }), new nn.ReLU(), new nn.Conv2d(32, 8, 3, { padding: 1, algorithm: 'gemm' })], { inputShape: [32, 24, 24] });
    const plan = compile(m, { batchSize: 2 });
    const algs = plan.info.steps.map((s) => s.algorithm);
    expect(algs[0]).toMatch(/^winograd F\(/);
    expect(algs[1]).toBe('gemm');
    const x = Tensor.from(randArray(2 * 32 * 576, 31), [2, 32, 24, 24]);
    const a = plan.run(x).toFloat32Array(), b = m.predict(x).toFloat32Array();
    expect(relMax(a, b)).toBeLessThanOrEqual(1e-5);
    x.dispose(); plan.dispose(); m.dispose();
  });
});
