// quantize(): post-training int8 of whole models. LeNet-5 on the mnist package (the committed
// model) and on Fashion-MNIST (test/fixtures) keep their accuracy within half a point; batch norm folding, ReLU / ReLU6 clamps, int8
// residual adds and pooling match the f32 model closely; the quantized graph predicts, compiles
// (same bits as eager), summarises with dtypes, saves with int8 weights and loads back.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Graph, Tensor, compile, data, evaluate, io, nn, quantize } from '../src/index.js';
import { bytesInUse, randArray, ready } from './helpers.js';
import { leastSquaresRange } from '../src/quantize/calibrate.js';
import { activeRange } from '../src/quantize/active-range.js';
import { correctedBias, quantizeWeights } from '../src/quantize/quantize.js';

beforeAll(ready);
let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

const types = (g: Graph) => g.nodes.map((n) => n.layer.type);

/**
 * A trained LeNet-5 quantized with the first 500 training images, both evaluated on the test set:
 * int8 within 0.5 accuracy points of f32 (printed). The caller disposes what it gets back.
 */
function quantizedAccuracy(what: string, f32: Graph, train: data.Dataset, test: data.Dataset) {
  const norm = f32.metadata.normalize as { mean: number; std: number };
  const px = 32 * 32;
  const cal = Tensor.from(train.images.subarray(0, 500 * px).map((v) => (v - norm.mean) / norm.std), [500, 1, 32, 32]);
  const x = Tensor.from(test.images.map((v) => (v - norm.mean) / norm.std), [test.labels.length, 1, 32, 32]);
  const q = quantize(f32, cal);
  try {
    expect(types(q)).toEqual([
      'QuantizeLinear', 'QConv2d', 'QMaxPool2d', 'QConv2d', 'QMaxPool2d', 'QConv2d', 'Flatten', 'QLinear', 'QLinear',
    ]);
    // the logits come out of the last dense layer in float32 (no output rounding)
    expect((q.node(q.outputNames[0]).layer as nn.QLinear).output).toBe('float32');
    const a32 = evaluate(f32, { x, y: test.labels }).accuracy;
    const a8 = evaluate(q, { x, y: test.labels }).accuracy;
    console.log(`${what} (${test.labels.length} test images, 500 calibration images): f32 ${(100 * a32).toFixed(2)}%, int8 ${(100 * a8).toFixed(2)}%`);
    expect(a32 - a8).toBeLessThanOrEqual(0.005);
  } catch (e) {
    q.dispose(); cal.dispose(); x.dispose(); f32.dispose();
    throw e;
  }
  return { q, x, cal, norm };
}

describe('quantize', () => {
  it('LeNet-5 on mnist: int8 loses at most 0.5 accuracy points with 500 calibration images; compile, summary, save/load', async () => {
    const f32 = io.load(new Uint8Array(readFileSync(new URL('../models/lenet5-mnist.simdnet', import.meta.url))));
    const { train, test } = await data.loadMnistPackage({ pad: 2 });
    const { q, x, cal, norm } = quantizedAccuracy('LeNet-5 mnist', f32, train, test);
    const px = 32 * 32;
    try {
      expect(q.metadata.normalize).toEqual(norm);
      expect(q.outputNames).toEqual(f32.outputNames);
      expect(q.nodes.at(-1)!.name).toBe(q.outputNames[0]);

      // a compiled plan gives the eager int8 model's bits
      const xb = Tensor.from(x.toFloat32Array().subarray(0, 8 * px), [8, 1, 32, 32]);
      const plan = compile(q, { batchSize: 8 });
      const eager = q.predict(xb);
      expect(Array.from(plan.run(xb).toFloat32Array())).toEqual(Array.from(eager.toFloat32Array()));
      // int8 activations take a byte each in the arena
      const plan32 = compile(f32, { batchSize: 8 });
      expect(plan.info.arenaBytes).toBeLessThan(plan32.info.arenaBytes / 2);
      plan.dispose(); plan32.dispose();

      const text = q.summary();
      expect(text).toMatch(/c1\s+QConv2d int8/);
      expect(text).toMatch(/QLinear float32/);

      // int8 weights are stored as int8: the file is about a quarter of the f32 one
      const bytes = io.save(q), bytes32 = io.save(f32);
      console.log(`model file: f32 ${bytes32.length} bytes, int8 ${bytes.length} bytes (${(bytes.length / bytes32.length).toFixed(3)})`);
      expect(bytes.length / bytes32.length).toBeLessThan(0.3);
      const back = io.load(bytes);
      const again = back.predict(xb);
      expect(Array.from(again.toFloat32Array())).toEqual(Array.from(eager.toFloat32Array()));
      expect(types(back)).toEqual(types(q));
      back.dispose(); again.dispose(); eager.dispose(); xb.dispose();
    } finally {
      q.dispose(); f32.dispose(); cal.dispose(); x.dispose();
    }
  }, 120_000);

  // Fashion-MNIST: Debian's dataset-fashion-mnist (60k/10k IDX files; .ci/run installs it). The model
  // is test/fixtures/lenet5-fashion-mnist.simdnet, trained by
  //   node examples/train-lenet.mjs --dataset fashion-mnist --epochs 5 --out test/fixtures/lenet5-fashion-mnist.simdnet
  const FASHION = process.env.SIMDNET_FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
  const fashionFiles = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']
    .map((f) => [join(FASHION, `${f}.gz`), join(FASHION, f)].find(existsSync));
  const fashionMissing = fashionFiles.some((f) => f === undefined);
  if (fashionMissing) console.log(`test/quantize.test.ts: the Fashion-MNIST test is skipped: no IDX files in ${FASHION} (apt-get install dataset-fashion-mnist, or set SIMDNET_FASHION_MNIST_DIR)`);
  it.skipIf(fashionMissing)('LeNet-5 on Fashion-MNIST: int8 loses at most 0.5 accuracy points with 500 calibration images', async () => {
    const f32 = io.load(new Uint8Array(readFileSync(new URL('./fixtures/lenet5-fashion-mnist.simdnet', import.meta.url))));
    const [tri, trl, tei, tel] = fashionFiles.map((f) => new Uint8Array(readFileSync(f!)));
    const train = await data.fromIdx(tri, trl, { pad: 2 }), test = await data.fromIdx(tei, tel, { pad: 2 });
    expect([train.labels.length, test.labels.length]).toEqual([60000, 10000]);
    const { q, x, cal } = quantizedAccuracy('LeNet-5 Fashion-MNIST', f32, train, test);
    q.dispose(); f32.dispose(); cal.dispose(); x.dispose();
  }, 120_000);

  function residualNet(): Graph {
    const g = new Graph({
      inputs: { x: [3, 12, 12] },
      nodes: [
        { name: 'stem', layer: new nn.Conv2d(3, 8, 3, { padding: 1 }), inputs: 'x' },
        { name: 'stem_bn', layer: new nn.BatchNorm2d(8), inputs: 'stem' },
        { name: 'stem_act', layer: new nn.ReLU6(), inputs: 'stem_bn' },
        { name: 'pool', layer: new nn.MaxPool2d(2), inputs: 'stem_act' },
        { name: 'a', layer: new nn.Conv2d(8, 8, 3, { padding: 1, bias: false }), inputs: 'pool' },
        { name: 'a_bn', layer: new nn.BatchNorm2d(8), inputs: 'a' },
        { name: 'a_act', layer: new nn.ReLU(), inputs: 'a_bn' },
        { name: 'dw', layer: new nn.Conv2d(8, 8, 3, { padding: 1, groups: 8 }), inputs: 'a_act' },
        { name: 'sum', layer: new nn.Add(), inputs: ['dw', 'pool'] },
        { name: 'sum_act', layer: new nn.ReLU(), inputs: 'sum' },
        { name: 'gap', layer: new nn.GlobalAvgPool2d(), inputs: 'sum_act' },
        { name: 'flat', layer: new nn.Flatten(), inputs: 'gap' },
        { name: 'fc', layer: new nn.Linear(8, 5), inputs: 'flat' },
        { name: 'prob', layer: new nn.Softmax(), inputs: 'fc' },
      ],
      outputs: 'prob',
      seed: 7,
    });
    // running statistics that make the folding matter
    for (const bn of ['stem_bn', 'a_bn']) {
      const l = g.node(bn).layer as nn.BatchNorm2d;
      const [w, b, mean, v] = l.params();
      w.assign(randArray(8, 1, 0.5, 1.5)); b.assign(randArray(8, 2, -0.2, 0.2));
      mean.assign(randArray(8, 3, -0.3, 0.3)); v.assign(randArray(8, 4, 0.5, 2));
    }
    return g;
  }

  it('folds batch norm, fuses ReLU / ReLU6, keeps residual add and pooling in int8, and stays close to f32', () => {
    const f32 = residualNet();
    const cal = Tensor.from(randArray(64 * 3 * 144, 11), [64, 3, 12, 12]);
    const x = Tensor.from(randArray(16 * 3 * 144, 12), [16, 3, 12, 12]);
    const q = quantize(f32, cal, { batchSize: 16 });
    expect(types(q)).toEqual([
      'QuantizeLinear', 'QConv2d', 'QMaxPool2d', 'QConv2d', 'QConv2d', 'QAdd', 'QGlobalAvgPool2d', 'Flatten', 'QLinear', 'DequantizeLinear', 'Softmax',
    ]);
    expect((q.node('stem').layer as nn.QConv2d).clamp).toEqual({ min: 0, max: 6 });
    expect(q.outputNames).toEqual(['prob']);
    expect((q.node('sum').layer as nn.QAdd).clamp).toEqual({ min: 0 });
    const y32t = f32.predict(x), y32 = y32t.toFloat32Array(), y8t = q.predict(x);
    const y8 = y8t.toFloat32Array();
    let worst = 0;
    for (let i = 0; i < y32.length; i++) worst = Math.max(worst, Math.abs(y32[i] - y8[i]));
    expect(worst).toBeLessThan(0.03);
    // compiled = eager, bit for bit
    const plan = compile(q, { batchSize: 16 });
    expect(Array.from(plan.run(x).toFloat32Array())).toEqual(Array.from(y8));
    plan.dispose();
    // exclude keeps a layer f32 with the boundaries around it; percentile calibration runs too
    const qe = quantize(f32, cal, { exclude: ['a'], method: 'percentile', percentile: 99.9 });
    expect(qe.node('a').layer.type).toBe('Conv2d');
    expect(qe.node('a_bn').layer.type).toBe('BatchNorm2d');
    expect(qe.nodes.map((n) => n.name)).toContain('pool.dequantize');
    const ye = qe.predict(x);
    const ye8 = ye.toFloat32Array();
    for (let i = 0; i < y32.length; i++) expect(Math.abs(y32[i] - ye8[i])).toBeLessThan(0.05);
    ye.dispose(); y8t.dispose(); y32t.dispose(); qe.dispose(); q.dispose(); f32.dispose(); cal.dispose(); x.dispose();
  });

  it('a Linear on channels-last values (ConvNeXt\'s MLP) becomes an N-D QLinear, a Permute of int8 stays int8; an AdaptiveAvgPool2d(1) a QGlobalAvgPool2d', () => {
    const f32 = new Graph({
      inputs: { x: [4, 5, 6] },
      nodes: [
        { name: 'nhwc', layer: new nn.Permute([0, 2, 3, 1]), inputs: 'x' },
        { name: 'fc1', layer: new nn.Linear(4, 16), inputs: 'nhwc' },
        { name: 'act', layer: new nn.ReLU(), inputs: 'fc1' },
        { name: 'fc2', layer: new nn.Linear(16, 8), inputs: 'act' },
        { name: 'nchw', layer: new nn.Permute([0, 3, 1, 2]), inputs: 'fc2' },
        { name: 'conv', layer: new nn.Conv2d(8, 8, 1), inputs: 'nchw' },
        { name: 'pool', layer: new nn.AdaptiveAvgPool2d(1), inputs: 'conv' },
      ],
      outputs: 'pool',
      seed: 3,
    });
    const cal = Tensor.from(randArray(32 * 120, 21), [32, 4, 5, 6]);
    const x = Tensor.from(randArray(3 * 120, 22), [3, 4, 5, 6]);
    const q = quantize(f32, cal);
    // the second Permute moves the int8 bytes (no dequantize / quantize around it)
    expect(types(q)).toEqual(['Permute', 'QuantizeLinear', 'QLinear', 'QLinear', 'Permute', 'QConv2d', 'QGlobalAvgPool2d', 'DequantizeLinear']);
    expect(q.node('fc1').outputShape).toEqual([5, 6, 16]);
    const y32t = f32.predict(x), y8t = q.predict(x);
    const y32 = y32t.toFloat32Array(), y8 = y8t.toFloat32Array();
    expect(y8t.shape).toEqual([3, 8, 1, 1]);
    for (let i = 0; i < y32.length; i++) expect(Math.abs(y32[i] - y8[i])).toBeLessThan(0.02);
    const plan = compile(q, { batchSize: 3 });
    expect(Array.from(plan.run(x).toFloat32Array())).toEqual(Array.from(y8));
    expect(() => new nn.QLinear(4, 2, { x: { scale: 1, zeroPoint: 0 }, y: { scale: 1, zeroPoint: 0 } }).outputShape([[5, 3]])).toThrow(/takes \[4\] or \[\.\.\., 4\]/);
    plan.dispose(); y32t.dispose(); y8t.dispose(); q.dispose(); f32.dispose(); cal.dispose(); x.dispose();
  });

  it("method 'mse': the range whose int8 grid leaves the least squared error, clipping a far outlier of a Gaussian bulk", () => {
    const r = randArray(120000, 8, 0, 1), bulk: number[] = [];
    for (let i = 0; i < r.length; i += 2) bulk.push(Math.sqrt(-2 * Math.log(1 - r[i])) * Math.cos(2 * Math.PI * r[i + 1]));
    const lo = Math.min(...bulk);
    const err = (a: number, b: number) => {
      const s = (b - a) / 255, z = Math.round(-128 - a / s);
      return bulk.reduce((e, v) => e + ((Math.max(-128, Math.min(127, Math.round(v / s) + z)) - z) * s - v) ** 2, 0) + (40 - Math.min(40, b)) ** 2;
    };
    const [l, h] = leastSquaresRange(lo, 40, [...bulk, 40]);
    expect(h).toBeLessThan(38);
    expect(h).toBeGreaterThan(10);
    expect(l / h).toBeCloseTo(lo / 40, 6);
    expect(err(l, h)).toBeLessThan(err(lo, 40));
    const even = Array.from({ length: 2551 }, (_, i) => -1 + (3 * i) / 2550);
    expect(leastSquaresRange(-1, 2, even)).toEqual([-1, 2]);
  });

  it('biasCorrection: the bias absorbs Σ (ŵ − w)·E[x] per output channel (grouped convolution, float64 reference)', () => {
    const O = 6, groups = 2, cin = 4, k = 9, per = (cin / groups) * k;
    const w = randArray(O * per, 3), b = randArray(O, 4);
    const mean = Float64Array.from(randArray(cin, 5, 0, 2));
    const q = quantizeWeights(w, O);
    const got = correctedBias(w, q, b, mean, groups);
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / (O / groups));
      let e = 0;
      for (let i = 0; i < cin / groups; i++) for (let t = 0; t < k; t++) {
        const j = o * per + i * k + t;
        e += (q.data[j] * q.scales[o] - w[j]) * mean[g * (cin / groups) + i];
      }
      expect(Math.abs(got[o] - (b[o] - e))).toBeLessThan(1e-6);
    }
    expect(Array.from(correctedBias(w, q, null, mean, groups))).toEqual(Array.from(got).map((v, o) => Math.fround(v - b[o])).map((v) => expect.closeTo(v, 6)));
    // in a model: the corrected int8 convolution's mean output error is smaller than the uncorrected one's
    const f32 = new Graph({ inputs: { x: [4, 10, 10] }, nodes: [{ name: 'c', layer: new nn.Conv2d(4, 6, 3, { groups: 2 }), inputs: 'x' }], outputs: ['c'] });
    const x = Tensor.from(randArray(16 * 400, 6, 0.5, 1.5), [16, 4, 10, 10]);
    const yt = f32.predict(x), y = yt.toFloat32Array();
    yt.dispose();
    const meanError = (opt: boolean) => {
      const m = quantize(f32, x, { biasCorrection: opt });
      const t = m.predict(x), v = t.toFloat32Array();
      t.dispose(); m.dispose();
      let worst = 0;
      for (let c = 0; c < 6; c++) {
        let s = 0;
        for (let n = 0; n < 16; n++) for (let i = 0; i < 64; i++) { const j = (n * 6 + c) * 64 + i; s += v[j] - y[j]; }
        worst = Math.max(worst, Math.abs(s / (16 * 64)));
      }
      return worst;
    };
    expect(meanError(true)).toBeLessThan(meanError(false));
    f32.dispose(); x.dispose();
  });

  it('a value read only by a Hardswish / Hardsigmoid gets no grid below −3 (nor above 3): its f32 output is unchanged', () => {
    expect(activeRange(-10, 5, new nn.Hardswish())).toEqual([-3, 5]);
    expect(activeRange(-1, 5, new nn.Hardswish())).toEqual([-1, 5]);
    expect(activeRange(-10, 5, new nn.Hardsigmoid())).toEqual([-3, 3]);
    expect(activeRange(-10, 5, new nn.Hardsigmoid({ alpha: 0.2, beta: 0.5 }))).toEqual([-2.5, 2.5]);
    expect(activeRange(-10, 5, new nn.SiLU())).toEqual([-10, 5]);
    const f32 = new Graph({ inputs: { x: [2, 6, 6] }, nodes: [
      { name: 'c', layer: new nn.Conv2d(2, 3, 3, { padding: 1 }), inputs: 'x' },
      { name: 'h', layer: new nn.Hardswish(), inputs: 'c' },
      { name: 'd', layer: new nn.Conv2d(3, 2, 1), inputs: 'h' },
    ], outputs: ['d'] });
    (f32.node('c').layer as nn.Conv2d).bias!.assign(new Float32Array([-8, 0, 2]));
    const x = Tensor.from(randArray(8 * 72, 9, -2, 2), [8, 2, 6, 6]);
    const r = f32.forward(x, { keep: ['c'] });
    const v = r.kept.c.toFloat32Array();
    for (const t of new Set([...Object.values(r.kept), ...Object.values(r.outputs)])) t.dispose();
    const hi = Math.max(...v);
    expect(Math.min(...v)).toBeLessThan(-4);
    const q = quantize(f32, x);
    const y = (q.node('c').layer.config() as { y: { scale: number } }).y;
    expect(y.scale).toBeCloseTo((hi + 3) / 255, 6);
    q.dispose(); f32.dispose(); x.dispose();
  });

  it('refuses bad options with the reason', () => {
    const f32 = residualNet();
    const cal = Tensor.from(randArray(2 * 3 * 144, 1), [2, 3, 12, 12]);
    expect(() => quantize(f32, cal, { method: 'kl' as 'minmax' })).toThrow(/method must be 'minmax', 'percentile' or 'mse'/);
    expect(() => quantize(f32, cal, { biasCorrection: 1 as unknown as boolean })).toThrow(/biasCorrection/);
    expect(() => quantize(f32, cal, { exclude: ['nope'] })).toThrow(/exclude names 'nope'/);
    expect(() => quantize(f32, [] as Tensor[])).toThrow(/no samples/);
    expect(() => (f32.node('fc').layer as nn.Linear).weight && new nn.QLinear(2, 2, { x: { scale: 0, zeroPoint: 0 }, y: { scale: 1, zeroPoint: 0 } })).toThrow(/x.scale must be a number > 0/);
    f32.dispose(); cal.dispose();
  });
});
