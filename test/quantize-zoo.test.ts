// quantize() on the torchvision architectures of the deployed-models issue and ResNet-18: the int8
// logits' signal-to-quantization-noise ratio against the f32 model, SQNR = 10·log10(Σy² / Σ(y − ŷ)²)
// over 8 test images, printed per model with its "ceiling": the SQNR of the f32 model itself when
// only its input is rounded to an int8 grid (how much this network amplifies a ~40 dB rounding of its
// input). Default options (method 'minmax'), 32 calibration images, batchSize 8.
//
// 1. Always: simdnet's builders with random weights made non-trivial as the deployed-models issue
//    asks (test/zoo-random.ts: random BatchNorm / LayerNorm affine parameters and ConvNeXt layer
//    scales, BatchNorm statistics measured on 4 standard-normal images; inputs standard-normal
//    1×3×96×96). Such networks are chaotic: the f32 model alone turns the input's int8 rounding into
//    a 13…30 dB logit error for six of the eight (the ceiling), and every int8 tensor adds its own
//    rounding, amplified the same way. ≥ 25 dB is asserted where it is reached (squeezenet1_1,
//    convnext_tiny); elsewhere a regression floor 1.5 dB under the measured figure and a ceiling
//    below 35 dB (the network, not quantize(), sets the limit: part 2 shows PyTorch's own int8 does
//    no better on the same weights).
// 2. With PyTorch (SIMDNET_TORCHVISION=generate runs scripts/sqnr-pytorch.py into test-artifacts/sqnr/,
//    or that folder already holds its output; else skipped with a message; .ci/run starts the script
//    in the background at its start and names in SIMDNET_SQNR_STATUS the file that says when it
//    ended, which this file waits for): torchvision's own models
//    under two recipes, imported from ONNX, quantized by quantize() and by PyTorch 1.13 (onednn int8,
//    FX graph mode, HistogramObserver activations, per-channel weights) on the same calibration and
//    test images, each against its own f32 logits:
//    - 'white': the recipe of part 1 on PyTorch's init: simdnet must be within PEER_MARGIN dB of
//      PyTorch (or above it) — the int8 engines are on par, the chaotic weights set the limit;
//    - 'trained': the same networks after 200 SGD steps on a synthetic 10-class task of smooth images
//      (the script's docstring has the recipe): ordered networks, ceilings ~60 dB; simdnet must reach
//      ≥ 25 dB (TRAINED_FLOOR lists where it cannot, and why) and be within PEER_MARGIN of PyTorch;
//      NOT_IN lists the models left out of a recipe (squeezenet1_1 does not train, convnext_tiny
//      trains too slowly for CI);
//    - 'randbn': torchvision's default initialisation with random BatchNorm running statistics and
//      affine parameters, not measured (the issue's "random weights, non-trivial BatchNorm" read
//      literally): not chaotic, every model must reach ≥ 25 dB and be within PEER_MARGIN of PyTorch.
// SIMDNET_QUANTIZE_OPTIONS='{"method":"mse","biasCorrection":false}' runs both parts with other
// quantize() options, to compare them (the floors are set for the defaults).
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, io, models, nn, quantize, type Graph } from '../src/index.js';
import { bytesInUse, ready } from './helpers.js';
import { PYTHON, awaitBackground, skipReasonFor } from './pytorch-exports.js';
import { RES, gaussianImages, randomizeNorms } from './zoo-random.js';

beforeAll(ready);
let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

const CAL = 32, TEST = 8;
const PT_ARCHS = ['resnet18', 'mobilenet_v2', 'mobilenet_v3_small', 'mobilenet_v3_large', 'efficientnet_b0', 'shufflenet_v2_x1_0', 'squeezenet1_1', 'convnext_tiny'];
/** Models left out of a recipe, and why. */
const NOT_IN: Record<string, Record<string, string>> = {
  trained: { squeezenet1_1: 'the 200 SGD steps do not train it: at lr 0.05 the loss turns NaN, at 0.025 the ReLU after its classifier convolution dies (loss ln 10, every logit 0: the SQNR is 0/0)',
    convnext_tiny: 'its 200 SGD steps take over 15 minutes of one core (PyTorch on CPU), too long for CI; its untrained (white) SQNR is 29 dB, past 25 already' },
};
/** simdnet's int8 SQNR may be this far under PyTorch's on the same weights (chaotic nets: ±1…2 dB from one rounding to another). */
const PEER_MARGIN = 1;
/** Recipe 'trained': the int8 SQNR required, 25 dB unless listed. */
const TRAINED_FLOOR: Record<string, number> = {
  // Below 25 dB and 1.5 dB under the measured figure (17.7 dB), as PyTorch's int8 is (15.0 dB) while
  // its ceiling is 49 dB: per-tensor int8 activations are the limit. EfficientNet-B0 loses ~1 dB on
  // each of many tensors (leaving any one convolution in f32 gains ≤ 2 dB): its squeeze-and-excite
  // gates' inputs (ranges like −127…23 quantized to a step of 0.6 before the sigmoid) and SiLU
  // inputs. quantize(…, { equalize: true }) reaches 20.9 dB on it (off by default: MobileNetV3-Small
  // loses 1.5 dB with it; test/quantize-equalize.test.ts).
  efficientnet_b0: 16.2,
};
const OPTIONS = JSON.parse(process.env.SIMDNET_QUANTIZE_OPTIONS ?? '{}') as Parameters<typeof quantize>[2];

/** [arch, builder, the int8 SQNR floor in dB: 25, or a measured figure − 1.5 where 25 is out of reach] */
const ARCHS: [string, () => Graph, number][] = [
  ['resnet18', () => models.resnet18({ inputSize: RES }), 23.4],
  ['mobilenet_v2', () => models.mobilenetV2({ inputSize: RES }), 7.2],
  ['mobilenet_v3_small', () => models.mobilenetV3Small({ inputSize: RES }), 13.4],
  ['mobilenet_v3_large', () => models.mobilenetV3Large({ inputSize: RES }), 7.1],
  ['efficientnet_b0', () => models.efficientnetB0({ inputSize: RES }), 5.6],
  ['shufflenet_v2_x1_0', () => models.shufflenetV2({ inputSize: RES }), 8.6],
  ['squeezenet1_1', () => models.squeezenet1_1({ inputSize: RES }), 25],
  ['convnext_tiny', () => models.convnextTiny({ inputSize: RES }), 25],
];

function sqnr(y: Float32Array, yq: Float32Array): number {
  let s = 0, e = 0;
  for (let i = 0; i < y.length; i++) { s += y[i] * y[i]; e += (y[i] - yq[i]) ** 2; }
  return 10 * Math.log10(s / e);
}

/** x rounded to the int8 grid of `q` and back. */
function rounded(x: Tensor, q: { scale: number; zeroPoint: number }): Tensor {
  const v = x.toFloat32Array().map((a) => (Math.max(-128, Math.min(127, Math.round(a / q.scale) + q.zeroPoint)) - q.zeroPoint) * q.scale);
  return Tensor.from(v, x.shape);
}

const table: string[] = [];
afterAll(() => {
  console.log(`int8 SQNR of the logits against f32 (input 1×3×${RES}×${RES}, ${CAL} calibration images, ${TEST} test images, standard normal; ${JSON.stringify(OPTIONS)})\n`
    + `| model | int8 nodes | f32 nodes | int8 SQNR (dB) | ceiling: f32 on int8-rounded input (dB) |\n|---|---|---|---|---|\n${table.join('\n')}`);
});

describe(`quantize(): int8 logits of the deployed torchvision architectures at ${RES}×${RES}`, () => {
  ARCHS.forEach(([arch, build, floor], k) => {
    it(arch, () => {
      const m = build();
      randomizeNorms(m, k + 1);
      const cal = gaussianImages(CAL, 100 + k), x = gaussianImages(TEST, 200 + k);
      const q = quantize(m, cal, { batchSize: 8, ...OPTIONS });
      try {
        // every convolution and dense layer runs in int8
        const f32Compute = q.nodes.filter((n) => n.layer instanceof nn.Conv2d || n.layer instanceof nn.Linear).map((n) => n.name);
        expect(f32Compute, 'convolutions / dense layers left in f32').toEqual([]);
        const y = m.predict(x), yq = q.predict(x);
        const db = sqnr(y.toFloat32Array(), yq.toFloat32Array());
        const first = q.nodes[0].layer;
        expect(first).toBeInstanceOf(nn.QuantizeLinear);
        const xr = rounded(x, first.config() as { scale: number; zeroPoint: number }), yr = m.predict(xr);
        const ceiling = sqnr(y.toFloat32Array(), yr.toFloat32Array());
        y.dispose(); yq.dispose(); xr.dispose(); yr.dispose();
        const int8 = q.nodes.filter((n) => n.layer.type.startsWith('Q')).length;
        const f32 = q.nodes.filter((n) => !n.layer.type.startsWith('Q') && n.layer.type !== 'DequantizeLinear').length;
        table.push(`| ${arch} | ${int8} | ${f32} | ${db.toFixed(1)} | ${ceiling.toFixed(1)} |`);
        expect(db).toBeGreaterThanOrEqual(floor);
        if (floor < 25) expect(ceiling, 'a model exempted from 25 dB must be one whose f32 amplifies input rounding').toBeLessThan(35);
      } finally {
        q.dispose(); m.dispose(); cal.dispose(); x.dispose();
      }
    }, 300_000);
  });
});

// ---- Same weights as PyTorch: its own int8 (scripts/sqnr-pytorch.py) against quantize() ----
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SQ_DIR = (process.env.SIMDNET_SQNR_DIR ?? `${ROOT}test-artifacts/sqnr`).replace(/\/?$/, '/');
const SQ_SCRIPT = `${ROOT}scripts/sqnr-pytorch.py`;
const GENERATE = process.env.SIMDNET_TORCHVISION === 'generate';
const RECIPES = ['white', 'trained', 'randbn'];
interface SqIndex { res: number; calibration: number; test: number; models: Record<string, { pytorchInt8: number; ceiling: number; qengine: string }> }
const sqIndex = (recipe: string): SqIndex | null => (existsSync(`${SQ_DIR}${recipe}/index.json`) ? JSON.parse(readFileSync(`${SQ_DIR}${recipe}/index.json`, 'utf8')) : null);
const sqSkip = skipReasonFor('test/quantize-zoo.test.ts (PyTorch int8 on the same weights)', `${SQ_DIR}white/`, SQ_SCRIPT, GENERATE);
const peer: string[] = [];

describe.skipIf(sqSkip !== null)('quantize() against PyTorch int8 (onednn, FX graph mode) on the same torchvision weights and inputs', () => {
  beforeAll(async () => {
    await awaitBackground(process.env.SIMDNET_SQNR_STATUS, SQ_SCRIPT);
    const complete = RECIPES.every((r) => { const i = sqIndex(r); return i?.res === RES && PT_ARCHS.every((a) => NOT_IN[r]?.[a] || (i.models[a] && existsSync(`${SQ_DIR}${r}/${a}.onnx`))); });
    if (GENERATE && !complete) {
      const r = spawnSync('nice', [PYTHON, SQ_SCRIPT, '--out', SQ_DIR, '--res', String(RES), '--recipe', RECIPES.join(',')], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
      if (r.status !== 0) throw new Error(`${SQ_SCRIPT} failed: ${r.stderr.split('\n').filter((l) => !/warn/i.test(l)).slice(-5).join('\n')}`);
    }
  }, 30 * 60_000);
  afterAll(() => {
    console.log(`int8 logits' SQNR against each engine's own f32 model, same weights and inputs (scripts/sqnr-pytorch.py; ${RES}×${RES})\n`
      + `options ${JSON.stringify(OPTIONS)}\n| recipe | model | simdnet int8 (dB) | PyTorch onednn int8 (dB) | ceiling (dB) |\n|---|---|---|---|---|\n${peer.join('\n')}\n`
      + Object.entries(NOT_IN).flatMap(([r, m]) => Object.entries(m).map(([a, why]) => `not in '${r}': ${a}: ${why}`)).join('\n'));
  });
  for (const recipe of RECIPES) {
    for (const arch of PT_ARCHS.filter((a) => !NOT_IN[recipe]?.[a])) {
      const floor = recipe === 'trained' ? TRAINED_FLOOR[arch] ?? 25 : recipe === 'randbn' ? 25 : -Infinity;
      it(`${recipe}: ${arch}: simdnet's int8 is no more than ${PEER_MARGIN} dB below PyTorch's${floor > -Infinity ? ` and ≥ ${floor} dB` : ''}`, (ctx) => {
        const index = sqIndex(recipe);
        const e = index?.models[arch];
        if (!index || !e || !existsSync(`${SQ_DIR}${recipe}/${arch}.onnx`)) return ctx.skip();
        const m = io.fromONNX(readFileSync(`${SQ_DIR}${recipe}/${arch}.onnx`));
        const all = new Float32Array(readFileSync(`${SQ_DIR}${recipe}/${arch}.bin`).buffer.slice(0));
        const per = 3 * index.res * index.res;
        const cal = Tensor.from(all.subarray(0, index.calibration * per), [index.calibration, 3, index.res, index.res]);
        const x = Tensor.from(all.subarray(index.calibration * per), [index.test, 3, index.res, index.res]);
        const q = quantize(m, cal, { batchSize: 8, ...OPTIONS });
        try {
          const y = m.predict(x), yq = q.predict(x);
          const db = sqnr(y.toFloat32Array(), yq.toFloat32Array());
          y.dispose(); yq.dispose();
          peer.push(`| ${recipe} | ${arch} | ${db.toFixed(1)} | ${e.pytorchInt8.toFixed(1)} | ${e.ceiling.toFixed(1)} |`);
          expect(db, 'against PyTorch').toBeGreaterThanOrEqual(e.pytorchInt8 - PEER_MARGIN);
          expect(db).toBeGreaterThanOrEqual(floor);
        } finally {
          q.dispose(); m.dispose(); cal.dispose(); x.dispose();
        }
      }, 300_000);
    }
  }
});
