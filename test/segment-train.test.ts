// The segment-shapes example's training script, as a user runs it (node examples/segment-shapes/
// train.mjs on the built package), kept tiny: it generates scenes, trains the U-Net with fit() on
// per-pixel labels, reports pixel accuracy and mean IoU on held-out scenes, and saves a model
// whose output is a class per pixel, with the metadata the page reads. The committed model's
// quality is checked in Chromium by test/demo-segment.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, Tensor } from '../src/index.js';
import { ready } from './helpers.js';
import { CLASS_NAMES, SIZE, argmaxChannels, makeDataset, segmentationScores } from '../examples/segment-shapes/shapes.js';

beforeAll(ready);

describe('examples/segment-shapes/train.mjs', () => {
  it('trains, reports pixel accuracy and mean IoU on held-out scenes, and saves a loadable per-pixel classifier', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-segment-'));
    try {
      const out = join(dir, 'unet.simdnet');
      const log = execFileSync(process.execPath, ['examples/segment-shapes/train.mjs', '--train', '48', '--test', '12', '--epochs', '2', '--out', out], {
        encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
      });
      const m = log.match(/test: pixel accuracy ([\d.]+)%, mean IoU ([\d.]+)% on 12 held-out scenes/);
      expect(m, log).not.toBeNull();
      expect(log).toMatch(/epoch 2\/2 loss [\d.]+ acc [\d.]+ val_loss/);
      expect(log).toMatch(/IoU per class: background [\d.]+%, circle/);
      const model = io.load(new Uint8Array(readFileSync(out)));
      expect(model.outputShape).toEqual([CLASS_NAMES.length, SIZE, SIZE]);
      expect(model.metadata).toMatchObject({
        task: 'segmentation', classNames: CLASS_NAMES, preprocess: { size: [SIZE, SIZE], channels: 3 }, testScenes: 12, trainScenes: 48,
      });
      expect(model.metadata.testPixelAccuracy).toBeCloseTo(Number(m![1]) / 100, 4);
      // the reported scores are the saved model's on the same held-out scenes (seeds 2 000 000 …)
      const test = makeDataset(12, 2_000_000);
      const x = Tensor.from(test.x, [12, 3, SIZE, SIZE]);
      const y = model.predict(x);
      const logits = y.toFloat32Array(), plane = SIZE * SIZE, k = CLASS_NAMES.length;
      const pred = new Uint8Array(12 * plane);
      for (let i = 0; i < 12; i++) pred.set(argmaxChannels(logits.subarray(i * k * plane, (i + 1) * k * plane), k, plane), i * plane);
      const scores = segmentationScores(pred, test.y);
      expect(scores.pixelAccuracy).toBeCloseTo(model.metadata.testPixelAccuracy as number, 6);
      expect(scores.meanIoU).toBeCloseTo(model.metadata.testMeanIoU as number, 6);
      for (const t of [x, y]) t.dispose();
      model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
