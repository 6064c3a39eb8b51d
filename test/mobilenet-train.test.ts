// A deployed architecture trains end to end: MobileNetV2 (torchvision's layout, from the zoo
// builder) written to ONNX, imported back as any exported model would be, and fitted with `fit`
// on a small labelled set: the loss falls. Small images keep it quick.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, fit, io, memoryInfo, models } from '../src/index.js';
import { ready, rng } from './helpers.js';

beforeAll(ready);

describe('MobileNetV2 imported from ONNX trains with fit', () => {
  it('loss falls on a small labelled set', async () => {
    const base = memoryInfo().bytesInUse;
    const built = models.mobilenetV2({ numClasses: 3, inputSize: 32, seed: 1 });
    const m = io.fromONNX(io.toONNX(built));
    built.dispose();
    const r = rng(7);
    const n = 24;
    const y = Int32Array.from({ length: n }, (_, i) => i % 3);
    // three classes: bright left third, middle third, right third of the image, plus noise
    const x = Float32Array.from({ length: n * 3 * 32 * 32 }, (_, j) => {
      const i = Math.floor(j / (3 * 32 * 32)), col = j % 32;
      return 0.3 * (r() - 0.5) + (Math.floor(col / 11) === y[i] ? 1 : 0);
    });
    const xt = Tensor.from(x, [n, 3, 32, 32]);
    const h = await fit(m, { x: xt, y }, { epochs: 6, batchSize: 8, optimizer: 'adam', learningRate: 2e-3, seed: 3 });
    const losses = h.epochs.map((e) => e.loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.7);
    xt.dispose();
    m.dispose();
    expect(memoryInfo().bytesInUse).toBe(base);
  }, 120_000);
});
