// Sixteen torchvision classifiers exported by scripts/make-torchvision-fixtures.py (random seeded
// weights, non-trivial BatchNorm statistics, opsets 13 and 17): each file imports with io.fromONNX
// and its logits, eager (model.predict) and compiled (compile(model, { batchSize: 1 }).run), match
// PyTorch's: max |Δ| ≤ 1e-4 × max |logit| against PyTorch's float32 or float64 logits (both are
// reported), with the same top-1 class; memory returns to its baseline. Prints a table.
//
// Not run by default (the exports are hundreds of MB and are not committed). It runs when
//  - the folder (SIMDNET_TORCHVISION_DIR, default test-artifacts/torchvision/) holds an index.json, or
//  - SIMDNET_TORCHVISION=generate and /usr/bin/python3 imports torch, torchvision and onnx: the
//    script first writes the exports there at SIMDNET_TORCHVISION_RES (default 96; inception_v3 at
//    least 75), unless the folder already holds all of them at that resolution.
// Otherwise the tests are skipped with a message.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryInfo } from '../src/index.js';
import { ready } from './helpers.js';
import { f32, f64, type Fixture } from './onnx-fixtures.js';
import { PYTHON, maxRelError, runImported, skipReasonFor } from './pytorch-exports.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIR = (process.env.SIMDNET_TORCHVISION_DIR ?? `${ROOT}test-artifacts/torchvision`).replace(/\/?$/, '/');
const SCRIPT = `${ROOT}scripts/make-torchvision-fixtures.py`;
const RES = Number(process.env.SIMDNET_TORCHVISION_RES ?? 96);
const GENERATE = process.env.SIMDNET_TORCHVISION === 'generate';
const ARCHS = ['resnet18', 'resnet50', 'alexnet', 'vgg11_bn', 'squeezenet1_1', 'densenet121', 'googlenet', 'inception_v3',
  'mobilenet_v2', 'mobilenet_v3_small', 'mobilenet_v3_large', 'efficientnet_b0', 'regnet_y_400mf',
  'shufflenet_v2_x1_0', 'mnasnet1_0', 'convnext_tiny'];
const OPSETS = [13, 17];
const TOLERANCE = 1e-4;

interface Index { resolution: number; models: Record<string, { opsets: number[]; params: number; failed?: Record<string, string> }> }
const readIndex = (): Index | null => (existsSync(`${DIR}index.json`) ? JSON.parse(readFileSync(`${DIR}index.json`, 'utf8')) : null);

const skipReason = skipReasonFor('test/torchvision.test.ts', DIR, SCRIPT, GENERATE);
const argmax = (a: ArrayLike<number>) => { let k = 0; for (let i = 1; i < a.length; i++) if (a[i] > a[k]) k = i; return k; };

interface Row { model: string; opset: number; res?: number; eager32?: number; eager64?: number; plan32?: number; plan64?: number; top1?: boolean; seconds?: number; error?: string }
const rows: Row[] = [];

describe.skipIf(skipReason !== null)('torchvision classifiers exported by PyTorch: import, eager and compiled logits', () => {
  beforeAll(async () => {
    await ready();
    const index = readIndex();
    const complete = index?.resolution === RES && ARCHS.every((a) => index.models[a]);
    if (GENERATE && !complete) {
      const t0 = Date.now();
      const r = spawnSync('nice', [PYTHON, SCRIPT, '--out', DIR, '--res', String(RES)], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
      if (r.status !== 0) throw new Error(`${SCRIPT} failed: ${r.stderr.split('\n').filter((l) => !/warn/i.test(l)).slice(-5).join('\n')}`);
      console.log(r.stderr.split('\n').filter((l) => /params|models x/.test(l)).join('\n'));
      console.log(`exports written in ${((Date.now() - t0) / 1e3).toFixed(0)} s`);
    }
  }, 60 * 60_000);

  afterAll(() => {
    const e = (v?: number) => (v === undefined ? '' : v.toExponential(1));
    const lines = ['| model | opset | input | eager vs f32 | eager vs f64 | compiled vs f32 | compiled vs f64 | top-1 | s |', '|---|---:|---:|---:|---:|---:|---:|:-:|---:|'];
    for (const r of rows) {
      lines.push(r.error !== undefined
        ? `| ${r.model} | ${r.opset} | ${r.res ?? ''} | refused: ${r.error.replace(/\|/g, '\\|').slice(0, 160)} | | | | | ${r.seconds?.toFixed(1) ?? ''} |`
        : `| ${r.model} | ${r.opset} | ${r.res} | ${e(r.eager32)} | ${e(r.eager64)} | ${e(r.plan32)} | ${e(r.plan64)} | ${r.top1 ? 'same' : 'DIFFERS'} | ${r.seconds!.toFixed(1)} |`);
    }
    console.log(`max |Δ| ÷ max |PyTorch logit| (tolerance ${TOLERANCE})\n${lines.join('\n')}`);
  });

  for (const arch of ARCHS) {
    for (const opset of OPSETS) {
      const file = `${arch}.opset${opset}.onnx`;
      it(`${file}: logits match PyTorch within ${TOLERANCE} × max |logit|, eager and compiled`, (ctx) => {
        if (!existsSync(DIR + file)) {
          const failed = readIndex()?.models[arch]?.failed?.[opset];
          if (failed) throw new Error(`the exporter failed on ${file}: ${failed}`);
          ctx.skip(`${file} is not in ${DIR}`);
        }
        const fx: Fixture = JSON.parse(readFileSync(`${DIR}${arch}.json`, 'utf8'));
        const row: Row = { model: arch, opset, res: fx.input.shape[2] };
        rows.push(row);
        const base = memoryInfo().bytesInUse;
        const { eager, compiled } = runImported(readFileSync(DIR + file), fx, row);
        const want32 = f32(fx.output.data), want64 = f64(fx.output64!.data);
        Object.assign(row, {
          eager32: maxRelError(eager, want32), eager64: maxRelError(eager, want64),
          plan32: maxRelError(compiled, want32), plan64: maxRelError(compiled, want64),
        });
        const top = [argmax(want32), argmax(want64)];
        row.top1 = top.includes(argmax(eager)) && top.includes(argmax(compiled));
        expect(Math.min(row.eager32!, row.eager64!), 'eager').toBeLessThanOrEqual(TOLERANCE);
        expect(Math.min(row.plan32!, row.plan64!), 'compiled').toBeLessThanOrEqual(TOLERANCE);
        expect(row.top1, 'top-1').toBe(true);
        expect(memoryInfo().bytesInUse).toBe(base);
      }, 15 * 60_000);
    }
  }
});
