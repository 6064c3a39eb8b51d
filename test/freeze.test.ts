// Freezing and graph surgery: frozen parameters are bitwise unchanged by fit and keep no gradient,
// backward skips a frozen stem, unfreezing gives the same step as a fresh copy; replace and
// truncate re-run shape inference and share parameters.
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphError, Sequential, Tensor, fit, io, memoryInfo, models, nn, optim, type Graph } from '../src/index.js';
import { randArray, ready, rng } from './helpers.js';

beforeAll(ready);

function net(seed = 3) {
  return new Sequential(
    [
      new nn.Conv2d(1, 4, 3, { padding: 1, name: 'conv' }), new nn.BatchNorm2d(4, { name: 'bn' }), new nn.ReLU({ name: 'relu' }),
      new nn.MaxPool2d(2, { name: 'pool' }), new nn.Dropout(0.3, { name: 'drop' }), new nn.Flatten(1, -1, { name: 'flat' }),
      new nn.Linear(64, 3, { name: 'head' }),
    ],
    { inputShape: [1, 8, 8], seed },
  );
}

function data(n: number, seed: number) {
  const r = rng(seed);
  const y = Int32Array.from({ length: n }, (_, i) => i % 3);
  const x = Float32Array.from({ length: n * 64 }, (_, j) => 0.3 * (r() - 0.5) + (Math.floor(j / 8) % 8 === y[Math.floor(j / 64)] * 2 ? 1 : 0));
  return { x: Tensor.from(x, [n, 1, 8, 8]), y };
}

const snapshot = (m: Graph) => new Map(m.namedParams().map((p) => [p.name, new Uint32Array(p.param.value.toFloat32Array().buffer)]));

describe('freezing', () => {
  it('frozen layers keep every parameter and running statistic bit for bit, and no .grad', async () => {
    const m = net();
    m.build();
    const d = data(24, 1);
    m.freeze((_l, name) => name !== 'head');
    expect(m.node('conv').layer.trainable).toBe(false);
    expect(m.parameters().map((p) => p.name)).toEqual(['weight', 'bias']); // the head's
    const before = snapshot(m);
    await fit(m, d, { epochs: 3, batchSize: 8, optimizer: 'adam', learningRate: 0.05, seed: 1 });
    const after = snapshot(m);
    for (const [k, v] of before) {
      if (k.startsWith('head.')) expect(after.get(k)).not.toEqual(v);
      else expect(after.get(k), k).toEqual(v);
    }
    for (const p of m.namedParams()) if (!p.name.startsWith('head.')) expect(p.param.grad, p.name).toBeNull();
    const s = m.summaryData();
    expect(s.frozenParams).toBe(4 * 9 + 4 + 4 + 4);
    expect(s.trainableParams).toBe(64 * 3 + 3);
    expect(m.summary()).toMatch(/conv\s+Conv2d \(frozen\)/);
    expect(m.summary()).toMatch(/Non-trainable params: 56 \(48 frozen, 8 running statistics\)/);
    d.x.dispose();
    m.dispose();
  });

  it('backward runs no frozen layer before the first trainable one, and skips its input gradient', () => {
    const m = net();
    m.freeze(['conv']);
    const calls: string[] = [];
    for (const n of m.nodes) {
      const l = n.layer;
      const orig = l.backward.bind(l);
      l.backward = (dy, needs) => {
        calls.push(`${n.name}:${needs?.[0] === false ? 'no-dx' : 'dx'}`);
        return orig(dy, needs);
      };
    }
    const d = data(4, 2);
    const { output } = m.forward(d.x, { training: true });
    const g = Tensor.from(randArray(12, 3), output.shape);
    m.backward(g);
    // bn is the first trainable layer: it is not asked for dx, and the frozen conv never runs backward
    expect(calls).toEqual(['head:dx', 'flat:dx', 'drop:dx', 'pool:dx', 'relu:dx', 'bn:no-dx']);
    g.dispose();
    // everything but the head frozen: only the head runs, without its input gradient
    calls.length = 0;
    m.freeze().unfreeze('head');
    const y = m.forward(d.x, { training: true }).output;
    const g2 = Tensor.from(randArray(12, 4), y.shape);
    m.backward(g2);
    expect(calls).toEqual(['head:no-dx']);
    g2.dispose(); d.x.dispose(); m.dispose();
  });

  it('an optimizer over some parameters leaves no stale sums on the others (fit zeroes every gradient)', async () => {
    const m = net();
    const d = data(24, 4);
    const head = m.node('head').layer.params();
    const opt = new optim.SGD(head as nn.Param[], { lr: 0.1 });
    await fit(m, d, { epochs: 2, batchSize: 8, optimizer: opt, seed: 2 });
    for (const p of m.namedParams()) {
      const g = p.param.grad;
      if (g !== null) expect(Math.max(...Array.from(g.toFloat32Array(), Math.abs)), p.name).toBe(0);
    }
    opt.dispose(); d.x.dispose(); m.dispose();
  });

  it('unfreeze, then one SGD step equals the same step on a fresh copy', async () => {
    const a = net(7);
    const d = data(16, 5);
    a.freeze();
    a.unfreeze('head');
    await fit(a, d, { epochs: 1, batchSize: 8, optimizer: 'sgd', learningRate: 0.1, seed: 4 });
    a.unfreeze();
    const b = io.load(io.save(a));
    for (const m of [a, b]) {
      const opt = new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0 });
      m.zeroGrad();
      m.seed(11); // the same dropout masks in both
      const { output } = m.forward(d.x, { training: true });
      const g = Tensor.from(randArray(48, 6), output.shape);
      m.backward(g);
      opt.step();
      g.dispose(); opt.dispose();
      m.releaseActivations();
    }
    const sa = snapshot(a), sb = snapshot(b);
    for (const [k, v] of sa) expect(sb.get(k), k).toEqual(v);
    d.x.dispose(); a.dispose(); b.dispose();
  });

  it('a frozen batch norm above a trainable layer passes gradients as at inference (dy·γ/√(var + eps))', () => {
    const m = new Sequential([new nn.Conv2d(1, 2, 1, { name: 'c' }), new nn.BatchNorm2d(2, { name: 'bn' })], { inputShape: [1, 2, 2], seed: 1 });
    const bn = m.node('bn').layer as nn.BatchNorm2d;
    bn.runningVar.assign(Float32Array.of(4, 0.25));
    bn.weight!.assign(Float32Array.of(2, 3));
    m.freeze('bn');
    const x = Tensor.from(randArray(8, 1), [2, 1, 2, 2]);
    const { output } = m.forward(x, { training: true });
    const dy = Tensor.from(new Float32Array(16).fill(1), output.shape);
    const { input: dx } = m.backward(dy, { inputGrads: true });
    const w = (m.node('c').layer as nn.Conv2d).weight.value.toFloat32Array();
    const s = [2 / Math.sqrt(4 + 1e-5), 3 / Math.sqrt(0.25 + 1e-5)];
    const want = w[0] * s[0] + w[1] * s[1];
    for (const v of dx.toFloat32Array()) expect(v).toBeCloseTo(want, 5);
    expect(Array.from(bn.runningMean.value.toFloat32Array())).toEqual([0, 0]); // kept
    for (const t of [x, dy, dx]) t.dispose();
    m.dispose();
  });

  it('freeze names an unknown node clearly', () => {
    const m = net();
    expect(() => m.freeze(['conv', 'nope'])).toThrow(/freeze: no node named "nope"/);
    expect(() => m.freeze(42 as never)).toThrow(/freeze: give node names/);
    m.dispose();
  });
});

describe('graph surgery', () => {
  it('replace swaps the head in place, re-runs shape inference, and refuses a layer that does not fit', () => {
    const m = net();
    const old = m.replace('head', new nn.Linear(64, 5));
    expect(old.type).toBe('Linear');
    old.dispose();
    expect(m.outputShape).toEqual([5]);
    expect(m.node('head').layer.name).toBe('head');
    expect(() => m.replace('head', new nn.Linear(10, 5))).toThrow(GraphError);
    expect(() => m.replace('head', new nn.Linear(10, 5))).toThrow(/replace: the new Linear layer does not fit in place of node 'head'.*64/);
    expect(m.outputShape).toEqual([5]); // unchanged
    const x = Tensor.from(randArray(64, 2), [1, 1, 8, 8]);
    const y = m.predict(x);
    expect(y.shape).toEqual([1, 5]);
    y.dispose(); x.dispose(); m.dispose();
  });

  it('truncate gives a feature extractor that shares parameters, on a DAG (ResNet-18)', () => {
    const base = memoryInfo().bytesInUse;
    const m = models.resnet18({ numClasses: 10, inputSize: 32 });
    m.metadata = { classNames: ['a'], preprocess: { size: [32, 32] } };
    const cut = m.truncate('avgpool');
    expect(cut.outputNames).toEqual(['avgpool']);
    expect(cut.nodes.length).toBeLessThan(m.nodes.length);
    expect(cut.metadata).toEqual({ preprocess: { size: [32, 32] } });
    const x = Tensor.from(randArray(3 * 32 * 32 * 2, 9), [2, 3, 32, 32]);
    const full = m.forward(x, { keep: ['avgpool'] });
    const f = cut.predict(x);
    expect(Array.from(f.toFloat32Array())).toEqual(Array.from(full.kept.avgpool.toFloat32Array()));
    expect(cut.node('conv1').layer).toBe(m.node('conv1').layer);
    for (const t of [x, f, full.output, full.kept.avgpool]) t.dispose();
    m.dispose(); // shared layers: disposing one frees them
    expect(memoryInfo().bytesInUse).toBe(base);
  });
});
