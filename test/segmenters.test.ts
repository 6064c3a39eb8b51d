// torchvision's segmenters (fcn_resnet50, deeplabv3_mobilenet_v3_large, lraspp_mobilenet_v3_large)
// exported by scripts/make-segmenter-fixtures.py (random seeded weights, non-trivial BatchNorm
// statistics, the dict output's 'out', opsets 11, 13 and 17, at 224×224 and 160×224; the two
// MobileNet ones also with H and W dynamic in the file, imported with options.inputShapes at 97×131):
// each file imports with io.fromONNX and its class scores, eager (model.predict) and compiled
// (compile(model, { batchSize: 1 }).run), match PyTorch's: max |Δ| ≤ 1e-4 × max |y| against
// PyTorch's float32 or float64 output (both are reported) and ≥ 99.9 % of pixels with PyTorch's
// argmax over the 21 classes; memory returns to its baseline. Prints a table.
//
// Not run by default (the exports are about 1 GB and are not committed). It runs when
//  - the folder (SIMDNET_SEGMENTERS_DIR, default test-artifacts/segmenters/) holds an index.json, or
//  - SIMDNET_TORCHVISION=generate and /usr/bin/python3 imports torch, torchvision and onnx: the
//    script first writes the exports there (about three minutes), unless the folder holds them all.
// Otherwise the tests are skipped with a message.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryInfo } from '../src/index.js';
import { ready } from './helpers.js';
import { f32, f64, type Fixture } from './onnx-fixtures.js';
import { PYTHON, maxRelError, runImported, skipReasonFor } from './pytorch-exports.js';
import { argmaxAgreement } from './argmax-agreement.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIR = (process.env.SIMDNET_SEGMENTERS_DIR ?? `${ROOT}test-artifacts/segmenters`).replace(/\/?$/, '/');
const SCRIPT = `${ROOT}scripts/make-segmenter-fixtures.py`;
const GENERATE = process.env.SIMDNET_TORCHVISION === 'generate';
const ARCHS = ['fcn_resnet50', 'deeplabv3_mobilenet_v3_large', 'lraspp_mobilenet_v3_large'];
const SIZES = ['224x224', '160x224'];
const DYNAMIC = ['deeplabv3_mobilenet_v3_large', 'lraspp_mobilenet_v3_large'];
const OPSETS = [11, 13, 17];
const TOLERANCE = 1e-4;
const AGREEMENT = 0.999;

interface Index { models: Record<string, { sizes: Record<string, { opsets: number[]; failed?: Record<string, string> }> }> }
const readIndex = (): Index | null => (existsSync(`${DIR}index.json`) ? JSON.parse(readFileSync(`${DIR}index.json`, 'utf8')) : null);

const skipReason = skipReasonFor('test/segmenters.test.ts', DIR, SCRIPT, GENERATE);

interface Row {
  model: string; size: string; opset: number;
  eager32?: number; eager64?: number; plan32?: number; plan64?: number; agreeEager?: number; agreePlan?: number;
  seconds?: number; error?: string;
}
const rows: Row[] = [];
const cases = ARCHS.flatMap((arch) => [...SIZES, ...(DYNAMIC.includes(arch) ? ['dynamic'] : [])].flatMap((size) => OPSETS.map((opset) => ({ arch, size, opset }))));

describe.skipIf(skipReason !== null)('torchvision segmenters exported by PyTorch: import, eager and compiled class scores', () => {
  beforeAll(async () => {
    await ready();
    const index = readIndex();
    const complete = ARCHS.every((a) => SIZES.every((s) => index?.models[a]?.sizes[s]) && (!DYNAMIC.includes(a) || index?.models[a]?.sizes.dynamic));
    if (GENERATE && !complete) {
      const t0 = Date.now();
      const args = [PYTHON, SCRIPT, '--out', DIR, '--sizes', SIZES.join(','), '--opsets', OPSETS.join(','), '--models', ARCHS.join(',')];
      const r = spawnSync('nice', args, { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
      if (r.status !== 0) throw new Error(`${SCRIPT} failed: ${r.stderr.split('\n').filter((l) => !/warn/i.test(l)).slice(-5).join('\n')}`);
      console.log(r.stderr.split('\n').filter((l) => /params|dynamic|models x/.test(l)).join('\n'));
      console.log(`exports written in ${((Date.now() - t0) / 1e3).toFixed(0)} s`);
    }
  }, 30 * 60_000);

  afterAll(() => {
    const e = (v?: number) => (v === undefined ? '' : v.toExponential(1));
    const p = (v?: number) => (v === undefined ? '' : `${(100 * v).toFixed(3)} %`);
    const lines = ['| model | input | opset | eager vs f32 | eager vs f64 | compiled vs f32 | compiled vs f64 | argmax eager | argmax compiled | s |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
    for (const r of rows) {
      lines.push(r.error !== undefined
        ? `| ${r.model} | ${r.size} | ${r.opset} | refused: ${r.error.replace(/\|/g, '\\|').slice(0, 160)} | | | | | | ${r.seconds?.toFixed(1) ?? ''} |`
        : `| ${r.model} | ${r.size} | ${r.opset} | ${e(r.eager32)} | ${e(r.eager64)} | ${e(r.plan32)} | ${e(r.plan64)} | ${p(r.agreeEager)} | ${p(r.agreePlan)} | ${r.seconds?.toFixed(1) ?? ''} |`);
    }
    console.log(`max |Δ| ÷ max |PyTorch score| (tolerance ${TOLERANCE}); argmax: pixels with PyTorch's class (float64, or float32 where better; at least ${100 * AGREEMENT} %)\n${lines.join('\n')}`);
  });

  for (const { arch, size, opset } of cases) {
    const file = `${arch}.${size}.opset${opset}.onnx`;
    it(`${file}: scores within ${TOLERANCE} × max |y| and ≥ ${100 * AGREEMENT} % argmax agreement, eager and compiled`, (ctx) => {
      if (!existsSync(DIR + file)) {
        const failed = readIndex()?.models[arch]?.sizes[size]?.failed?.[opset];
        if (failed) throw new Error(`the exporter failed on ${file}: ${failed}`);
        ctx.skip(`${file} is not in ${DIR}`);
      }
      const fx: Fixture = JSON.parse(readFileSync(`${DIR}${arch}.${size}.json`, 'utf8'));
      const row: Row = { model: arch, size: fx.input.shape.slice(2).join('×') + (size === 'dynamic' ? ' (dynamic)' : ''), opset };
      rows.push(row);
      const base = memoryInfo().bytesInUse;
      const { eager, compiled } = runImported(readFileSync(DIR + file), fx, row, size === 'dynamic' ? { inputShapes: { input: fx.input.shape.slice(1) } } : {});
      const want32 = f32(fx.output.data), want64 = f64(fx.output64!.data);
      const agree = (a: Float32Array) => Math.max(argmaxAgreement(a, want64, fx.output.shape), argmaxAgreement(a, want32, fx.output.shape));
      Object.assign(row, {
        eager32: maxRelError(eager, want32), eager64: maxRelError(eager, want64),
        plan32: maxRelError(compiled, want32), plan64: maxRelError(compiled, want64),
        agreeEager: agree(eager), agreePlan: agree(compiled),
      });
      expect(Math.min(row.eager32!, row.eager64!), 'eager').toBeLessThanOrEqual(TOLERANCE);
      expect(Math.min(row.plan32!, row.plan64!), 'compiled').toBeLessThanOrEqual(TOLERANCE);
      expect(row.agreeEager, 'eager argmax').toBeGreaterThanOrEqual(AGREEMENT);
      expect(row.agreePlan, 'compiled argmax').toBeGreaterThanOrEqual(AGREEMENT);
      expect(memoryInfo().bytesInUse).toBe(base);
    }, 10 * 60_000);
  }
});
