// The deployed-model builders (MobileNetV2/V3, EfficientNet-B0, ShuffleNetV2, SqueezeNet 1.1,
// ConvNeXt-Tiny) against torchvision 0.14:
//  - parameter counts equal torchvision's (sum of p.numel() over model.parameters());
//  - the qualified parameter names, through models.torchvisionName, are exactly the state_dict keys
//    (without num_batches_tracked), with the same shapes: test/fixtures/torchvision-keys.json,
//    written by scripts/make-zoo-weights.py;
//  - a forward pass at 64×64 gives [1, classes]; three of them (channel split and shuffle, squeeze-
//    and-excitation, layer scale) survive io.save/io.load and io.toONNX/io.fromONNX;
//  - when test-artifacts/zoo-weights/index.json exists (make-zoo-weights.py writes it; not committed,
//    SIMDNET_ZOO_WEIGHTS_DIR overrides the folder), PyTorch's random state_dict loads through
//    models.loadStateDict and the logits, eager and compiled, match PyTorch's within
//    1e-4 × max |logit|. Otherwise those tests are skipped.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, compile, io, memoryInfo, models, type Graph } from '../src/index.js';
import { ready, randArray } from './helpers.js';

beforeAll(ready);

const ARCHS: [string, (o?: { numClasses?: number; inputSize?: number }) => Graph, number][] = [
  ['mobilenet_v2', models.mobilenetV2, 3_504_872],
  ['mobilenet_v3_small', models.mobilenetV3Small, 2_542_856],
  ['mobilenet_v3_large', models.mobilenetV3Large, 5_483_032],
  ['efficientnet_b0', models.efficientnetB0, 5_288_548],
  ['shufflenet_v2_x1_0', models.shufflenetV2, 2_278_604],
  ['squeezenet1_1', models.squeezenet1_1, 1_235_496],
  ['convnext_tiny', models.convnextTiny, 28_589_128],
];

interface KeyFixture { torchvision: string; models: Record<string, { params: number; keys: [string, number[]][] }> }
const fixture: KeyFixture = JSON.parse(readFileSync(new URL('./fixtures/torchvision-keys.json', import.meta.url), 'utf8'));

describe("torchvision's parameter counts and state_dict names", () => {
  for (const [arch, build, count] of ARCHS) {
    it(arch, () => {
      const m = build();
      expect(m.paramCount).toBe(count);
      expect(fixture.models[arch].params).toBe(count);
      const ours = new Map(m.namedParams().map((p) => [models.torchvisionName(p.name), p.param.shape]));
      const theirs = new Map(fixture.models[arch].keys);
      expect([...ours.keys()].filter((k) => !theirs.has(k)), 'names torchvision lacks').toEqual([]);
      expect([...theirs.keys()].filter((k) => !ours.has(k)), 'torchvision names we lack').toEqual([]);
      for (const [k, shape] of theirs) expect(ours.get(k), k).toEqual(shape);
    });
  }

  it('torchvisionName renames running statistics and constants, nothing else', () => {
    expect(models.torchvisionName('features.0.1.runningMean')).toBe('features.0.1.running_mean');
    expect(models.torchvisionName('stage2.0.branch1.1.runningVar')).toBe('stage2.0.branch1.1.running_var');
    expect(models.torchvisionName('features.1.0.layer_scale.constant')).toBe('features.1.0.layer_scale');
    expect(models.torchvisionName('classifier.1.weight')).toBe('classifier.1.weight');
  });

  it('loadStateDict: strict by default, names the missing and unexpected keys', () => {
    const m = models.squeezenet1_1({ numClasses: 10, inputSize: 64 });
    const entries = m.namedParams().map((p) => [models.torchvisionName(p.name), new Float32Array(p.param.size).fill(0.5)] as const);
    expect(() => models.loadStateDict(m, entries.slice(1))).toThrow(/1 parameter\(s\) missing \(features\.0\.weight\), 0 unexpected/);
    expect(() => models.loadStateDict(m, [...entries, ['extra.weight', new Float32Array(1)]])).toThrow(/1 unexpected key\(s\) \(extra\.weight\)/);
    expect(() => models.loadStateDict(m, [['features.0.weight', new Float32Array(3)]], { strict: false })).toThrow(/has 3 values/);
    const r = models.loadStateDict(m, Object.fromEntries([...entries.slice(1), ['features.0.num_batches_tracked', new Float32Array(1)]]), { strict: false });
    expect(r.missing).toEqual(['features.0.weight']);
    expect(r.unexpected).toEqual([]);
    expect(r.loaded.length).toBe(entries.length - 1);
    expect(m.namedParams()[2].param.value.toFloat32Array()[0]).toBe(0.5);
    m.dispose();
  });
});

describe('forward pass at 64×64', () => {
  for (const [arch, build] of ARCHS) {
    it(arch, () => {
      const m = build({ inputSize: 64, numClasses: 10 });
      const x = Tensor.from(randArray(3 * 64 * 64, 1, 0, 1), [1, 3, 64, 64]);
      const y = m.predict(x);
      expect(y.shape).toEqual([1, 10]);
      expect(y.toFloat32Array().every(Number.isFinite)).toBe(true);
      y.dispose();
      x.dispose();
      m.dispose();
    }, 60_000);
  }
});

describe('the new layers of the zoo survive the model file and ONNX', () => {
  const cases: [string, () => Graph, number][] = [
    ['shufflenetV2', () => models.shufflenetV2({ inputSize: 64 }), 64],
    ['mobilenetV3Small', () => models.mobilenetV3Small({ inputSize: 64 }), 64],
    ['convnextTiny', () => models.convnextTiny({ inputSize: 32, layerScale: 0.5 }), 32],
  ];
  for (const [name, build, size] of cases) {
    it(name, () => {
      const m = build();
      const x = Tensor.from(randArray(3 * size * size, 2, 0, 1), [1, 3, size, size]);
      const run = (g: Graph) => {
        const y = g.predict(x);
        const d = y.toFloat32Array();
        y.dispose();
        g.dispose();
        return d;
      };
      const reloaded = io.load(io.save(m)), onnx = io.fromONNX(io.toONNX(m));
      const want = run(m);
      expect(run(reloaded)).toEqual(want);
      const got = run(onnx), scale = Math.max(...Array.from(want, Math.abs));
      expect(got.reduce((mx, v, i) => Math.max(mx, Math.abs(v - want[i])), 0)).toBeLessThanOrEqual(1e-4 * scale);
      x.dispose();
    }, 60_000);
  }
});

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIR = (process.env.SIMDNET_ZOO_WEIGHTS_DIR ?? `${ROOT}test-artifacts/zoo-weights`).replace(/\/?$/, '/');
interface WeightIndex {
  resolution: number;
  models: Record<string, { file: string; tensors: [string, number[], number][]; input: [number, number[]]; logits: [number, number[]]; maxAbsLogit: number }>;
}
const index: WeightIndex | null = existsSync(`${DIR}index.json`) ? JSON.parse(readFileSync(`${DIR}index.json`, 'utf8')) : null;
const TOLERANCE = 1e-4;

describe.skipIf(index === null)(`PyTorch's logits with its state_dict loaded (${DIR})`, () => {
  for (const [arch, build] of ARCHS) {
    it.skipIf(!index?.models[arch])(arch, () => {
      const e = index!.models[arch];
      const buf = readFileSync(DIR + e.file);
      const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const base = memoryInfo().bytesInUse;
      const m = build({ inputSize: index!.resolution });
      const r = models.loadStateDict(m, e.tensors.map(([k, s, o]) => [k, all.subarray(o, o + size(s))] as const));
      expect(r.loaded.length).toBe(e.tensors.length);
      const x = Tensor.from(all.slice(e.input[0], e.input[0] + size(e.input[1])), e.input[1]);
      const want = all.subarray(e.logits[0], e.logits[0] + size(e.logits[1]));
      const y = m.predict(x);
      const eager = y.toFloat32Array();
      y.dispose();
      const plan = compile(m, { batchSize: 1 });
      const compiled = plan.run(x).toFloat32Array();
      plan.dispose();
      const scale = Math.max(...Array.from(want, Math.abs));
      const err = (a: Float32Array) => a.reduce((mx, v, i) => Math.max(mx, Math.abs(v - want[i])), 0) / scale;
      const argmax = (a: ArrayLike<number>) => Array.from(a).reduce((best, v, i, arr) => (v > arr[best] ? i : best), 0);
      console.log(`${arch.padEnd(20)} max|logit| ${scale.toPrecision(3)}  eager ${err(eager).toExponential(1)}  compiled ${err(compiled).toExponential(1)}`);
      expect(err(eager)).toBeLessThanOrEqual(TOLERANCE);
      expect(err(compiled)).toBeLessThanOrEqual(TOLERANCE);
      expect(argmax(eager)).toBe(argmax(want));
      x.dispose();
      m.dispose();
      expect(memoryInfo().bytesInUse).toBe(base);
    }, 300_000);
  }
});
