import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, Tensor, nn, fit, evaluate, predict, optim, ops, models, memoryInfo } from '../src/index.js';
import { ready, randArray, rng } from './helpers.js';

beforeAll(ready);

function tinyNet(seed = 1) {
  return new Sequential(
    [new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(4 * 4 * 4, 3)],
    { inputShape: [1, 8, 8], seed },
  );
}

/** Three classes of 8×8 images: a bright row, column or diagonal, plus noise. */
function toyData(n: number, seed: number) {
  const r = rng(seed);
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    const k = Math.floor(r() * 8);
    for (let j = 0; j < 64; j++) x[i * 64 + j] = 0.3 * (r() - 0.5);
    for (let t = 0; t < 8; t++) {
      const at = c === 0 ? k * 8 + t : c === 1 ? t * 8 + k : t * 8 + t;
      x[i * 64 + at] += 1;
    }
  }
  return { x: Tensor.from(x, [n, 1, 8, 8]), y };
}

describe('training sanity', () => {
  it('one SGD step raises the true-class probability', () => {
    const m = tinyNet();
    const { x, y } = toyData(6, 1);
    const prob = () => {
      const out = m.predict(x);
      const p = ops.softmax(out, -1);
      const d = p.toFloat32Array();
      out.dispose();
      p.dispose();
      return Array.from(y, (c, i) => d[i * 3 + c]).reduce((a, b) => a + b, 0);
    };
    const before = prob();
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    const { output } = m.forward(x, { training: true });
    const { grad } = ops.softmaxCrossEntropy(output, y);
    m.backward(grad);
    grad.dispose();
    opt.step();
    expect(prob()).toBeGreaterThan(before);
    opt.dispose();
    x.dispose();
    m.dispose();
  });

  it('a small net overfits a tiny set to 100% accuracy', async () => {
    const m = tinyNet(2);
    const d = toyData(24, 2);
    const h = await fit(m, d, { epochs: 60, batchSize: 8, optimizer: 'adam', learningRate: 0.01, seed: 3 });
    expect(h.epochs.length).toBe(60);
    expect(evaluate(m, d).accuracy).toBe(1);
    expect(h.epochs[59].loss).toBeLessThan(h.epochs[0].loss);
    d.x.dispose();
    m.dispose();
  });

  it('the same seed gives bit-identical weights; another seed differs', async () => {
    const run = async (seed: number) => {
      const m = tinyNet(4);
      const d = toyData(30, 4);
      await fit(m, d, { epochs: 2, batchSize: 7, optimizer: 'sgd', learningRate: 0.05, seed });
      const w = m.namedParams().map((p) => Array.from(new Uint32Array(p.param.value.toFloat32Array().buffer)));
      d.x.dispose();
      m.dispose();
      return JSON.stringify(w);
    };
    const a = await run(9), b = await run(9), c = await run(10);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('1,000 training steps leave bytes in use where they were after the first step', async () => {
    const m = tinyNet(5);
    const d = toyData(16, 5);
    let afterFirst = -1;
    let last = -1;
    await fit(m, d, {
      epochs: 500, batchSize: 8, optimizer: 'adam', seed: 1,
      callbacks: {
        onBatchEnd: (l) => {
          if (l.step === 1) afterFirst = memoryInfo().bytesInUse;
          last = memoryInfo().bytesInUse;
        },
      },
    });
    expect(afterFirst).toBeGreaterThan(0);
    expect(last).toBe(afterFirst);
    d.x.dispose();
    m.dispose();
  });
});

describe('fit: validation, metrics, callbacks, early stopping', () => {
  it('reports validation loss/accuracy/top-k and stops early', async () => {
    const m = tinyNet(6);
    const d = toyData(30, 6);
    const epochs: number[] = [];
    const h = await fit(m, d, {
      epochs: 50, batchSize: 10, learningRate: 0.01, validationSplit: 0.2, seed: 2,
      earlyStopping: { monitor: 'valLoss', patience: 1, minDelta: 10 }, // impossible improvement: stops after 2 more epochs
      callbacks: { onEpochEnd: (l) => void epochs.push(l.epoch) },
    });
    expect(h.stoppedEarly).toBe(true);
    expect(h.epochs.length).toBe(3);
    expect(epochs).toEqual([0, 1, 2]);
    expect(h.epochs[0].valAccuracy).toBeGreaterThanOrEqual(0);
    expect(h.epochs[0].valTopK).toBe(1); // top-3 of 3 classes
    d.x.dispose();
    m.dispose();
  });

  it('predict batches and concatenates', () => {
    const m = tinyNet(7);
    const d = toyData(10, 7);
    const all = predict(m, d.x, { batchSize: 3 });
    const direct = m.predict(d.x);
    expect(all.shape).toEqual([10, 3]);
    const a = all.toFloat32Array(), b = direct.toFloat32Array();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    all.dispose();
    direct.dispose();
    d.x.dispose();
    m.dispose();
  });
});

describe('fit: bad input is refused before training', () => {
  it('labels out of range, mismatched shapes, empty data, NaN loss', async () => {
    const m = tinyNet(8);
    const d = toyData(6, 8);
    await expect(fit(m, { x: d.x, y: Int32Array.from([0, 1, 2, 3, 0, 1]) })).rejects.toThrow(/label 3 at index 3 of the training data.y is outside 0 … 2 \(the model has 3 outputs\)/);
    await expect(fit(m, { x: d.x, y: new Int32Array(5) })).rejects.toThrow(/has 6 images but the training data.y has 5 labels/);
    const wrong = Tensor.zeros([6, 1, 9, 9]);
    await expect(fit(m, { x: wrong, y: d.y })).rejects.toThrow(/the training data.x has shape \[6, 1, 9, 9\], the model takes \[N, 1, 8, 8\]/);
    const empty = Tensor.zeros([0, 1, 8, 8]);
    await expect(fit(m, { x: empty, y: new Int32Array(0) })).rejects.toThrow(/empty \(N = 0\)/);
    await expect(fit(m, d, { epochs: 0 })).rejects.toThrow(/epochs must be ≥ 1/);
    await expect(fit(m, d, { optimizer: 'rmsprop' as never })).rejects.toThrow(/optimizer must be 'sgd', 'adam', 'adamw'/);
    const nan = Tensor.from(new Float32Array(6 * 64).fill(NaN), [6, 1, 8, 8]);
    m.build(); // parameters allocated now, so bytes in use compare like with like
    const before = memoryInfo().bytesInUse;
    await expect(fit(m, { x: nan, y: d.y }, { batchSize: 3 })).rejects.toThrow(/the loss became NaN at epoch 1, step 1 \(batch 1 of 2\)/);
    expect(memoryInfo().bytesInUse).toBe(before);
    for (const t of [wrong, empty, nan, d.x]) t.dispose();
    m.dispose();
  });
});

describe('the zoo runs', () => {
  it('LeNet-5 trains a few steps', async () => {
    const m = models.lenet5({ seed: 1 });
    const x = Tensor.from(randArray(16 * 32 * 32, 3), [16, 1, 32, 32]);
    const y = Int32Array.from({ length: 16 }, (_, i) => i % 10);
    const h = await fit(m, { x, y }, { epochs: 3, batchSize: 8 });
    expect(Number.isFinite(h.epochs[2].loss)).toBe(true);
    x.dispose();
    m.dispose();
  });
});
