// fit() and evaluate() on a dense classifier: a model whose output is [classes, H, W] with a label
// per pixel (segmentation), as PyTorch's cross_entropy on [N, C, H, W] logits and [N, H, W] targets.
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, Tensor, nn, fit, evaluate, ops, memoryInfo } from '../src/index.js';
import { ready, rng } from './helpers.js';

beforeAll(ready);

const H = 6, W = 7, P = H * W;

/** Pixels in [−2, 2]; each labelled by its value: < −0.5 → 0, > 0.5 → 2, else 1. */
function pixelData(n: number, seed: number) {
  const r = rng(seed);
  const x = new Float32Array(n * P);
  const y = new Int32Array(n * P);
  for (let i = 0; i < n * P; i++) {
    x[i] = 4 * r() - 2;
    y[i] = x[i] < -0.5 ? 0 : x[i] > 0.5 ? 2 : 1;
  }
  return { x: Tensor.from(x, [n, 1, H, W]), y };
}

/** One 1×1 convolution: per pixel, three logits linear in the value (enough for two thresholds). */
const pixelNet = (seed = 1) => new Sequential([new nn.Conv2d(1, 3, 1)], { inputShape: [1, H, W], seed });

describe('fit: a label per pixel for a [classes, H, W] output', () => {
  // fit shuffles the samples: labels gathered from another sample would leave the accuracy near chance
  it('learns per-pixel classes; accuracy is per pixel; evaluate agrees with the argmax and the loss op', async () => {
    const m = pixelNet();
    const train = pixelData(48, 1), test = pixelData(16, 2);
    const h = await fit(m, train, { epochs: 40, batchSize: 8, optimizer: 'adam', learningRate: 0.05, seed: 1, validationSplit: 0.25 });
    expect(h.epochs.at(-1)!.loss).toBeLessThan(h.epochs[0].loss);
    expect(h.epochs.at(-1)!.accuracy).toBeGreaterThan(0.95);
    expect(h.epochs.at(-1)!.valAccuracy).toBeGreaterThan(0.95);
    const r = evaluate(m, test, { topK: 2 });
    expect(r.count).toBe(16);
    expect(r.accuracy).toBeGreaterThan(0.95);
    // the accuracy is the fraction of the 16·42 pixels whose argmax over the channels is the label
    const out = m.predict(test.x);
    const o = out.toFloat32Array();
    let right = 0, top2 = 0;
    for (let i = 0; i < 16 * P; i++) {
      const n = Math.floor(i / P), j = i % P;
      const v = [0, 1, 2].map((c) => o[(n * 3 + c) * P + j]);
      const arg = v.indexOf(Math.max(...v));
      if (arg === test.y[i]) right++;
      // top-2: fewer than two classes above the label (ties count for the lower class)
      const above = v.filter((u, c) => u > v[test.y[i]] || (u === v[test.y[i]] && c < test.y[i])).length;
      if (above < 2) top2++;
    }
    expect(r.accuracy).toBeCloseTo(right / (16 * P), 12);
    expect(r.topK).toBeCloseTo(top2 / (16 * P), 12);
    expect(r.k).toBe(2);
    expect(evaluate(m, test, { topK: 3 }).topK).toBe(1);
    // and its loss is the mean over every pixel (evaluated in batches of 5: the loss is per pixel)
    const l = ops.softmaxCrossEntropy(out, test.y);
    expect(evaluate(m, test, { batchSize: 5 }).loss).toBeCloseTo(l.loss, 5);
    l.grad.dispose();
    out.dispose();
    for (const t of [train.x, test.x]) t.dispose();
    m.dispose();
  });

  it('refuses labels that do not cover every pixel, and augment (it would move the pixels, not the labels)', async () => {
    const m = pixelNet(3);
    const d = pixelData(4, 4);
    m.build();
    const before = memoryInfo().bytesInUse;
    await expect(fit(m, { x: d.x, y: new Int32Array(4) })).rejects.toThrow(
      /fit: the training data.y has 4 labels but the model outputs \[3, 6, 7\] per image: 4 images need 4·6·7 = 168 \(one per position\)/,
    );
    const bad = d.y.slice();
    bad[100] = 3;
    await expect(fit(m, { x: d.x, y: bad })).rejects.toThrow(/label 3 at index 100 of the training data.y is outside 0 … 2/);
    await expect(fit(m, d, { augment: { flip: true } })).rejects.toThrow(/fit: augment crops and flips the images but not per-position labels/);
    expect(() => evaluate(m, { x: d.x, y: d.y.subarray(1) })).toThrow(/evaluate: the data.y has 167 labels but the model outputs \[3, 6, 7\]/);
    expect(memoryInfo().bytesInUse).toBe(before);
    d.x.dispose();
    m.dispose();
  });
});
