// Compiled plans: the same outputs as the eager forward pass, no allocation per run, and activation
// memory shared by liveness.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, compile, models, memoryInfo, nn, Sequential, GraphBuilder, type Graph } from '../src/index.js';
import { ready, randArray, expectClose, expectCanariesIntact } from './helpers.js';

beforeAll(ready);

/** Gives batch-norm layers non-trivial running statistics so folding is really exercised. */
function perturbBatchNorm(m: Graph, seed: number) {
  let s = seed;
  for (const n of m.nodes) {
    const l = n.layer;
    if (l instanceof nn.BatchNorm2d) {
      const c = l.numFeatures;
      l.runningMean.assign(randArray(c, s++, -0.2, 0.2));
      l.runningVar.assign(randArray(c, s++, 0.5, 1.5));
      l.weight?.assign(randArray(c, s++, 0.5, 1.5));
      l.bias?.assign(randArray(c, s++, -0.2, 0.2));
    }
  }
}

function same(m: Graph, shape: number[], batch: number, what: string, tol = 1e-4) {
  const x = Tensor.from(randArray(batch * shape.reduce((a, b) => a * b, 1), 5, 0, 1), [batch, ...shape]);
  const eager = m.predict(x);
  const plan = compile(m, { batchSize: batch });
  const y = plan.run(x);
  expectClose(y.toFloat32Array(), eager.toFloat32Array(), eager.shape, what, 1e-4, tol);
  const before = memoryInfo().bytesInUse;
  const y2 = plan.run(x);
  expect(memoryInfo().bytesInUse, 'a run allocates nothing').toBe(before);
  expect(y2.toFloat32Array()).toEqual(y.toFloat32Array());
  expectCanariesIntact(what);
  const info = plan.info;
  plan.dispose();
  eager.dispose();
  x.dispose();
  return info;
}

describe('compiled plans match the eager forward pass', () => {
  it('LeNet-5 at batch 1 and 7, ReLU fused into the convolutions and linears', () => {
    const m = models.lenet5({ seed: 3 });
    const info = same(m, [1, 32, 32], 1, 'lenet5 b1');
    same(m, [1, 32, 32], 7, 'lenet5 b7');
    expect(info.steps.find((s) => s.name === 'c1')!.fused).toEqual(['c1_act']);
    expect(info.steps.some((s) => s.name === 'flatten')).toBe(false);
    m.dispose();
  });

  it('Hardswish and SiLU fused into the convolution before them, with the unfused plan\'s bits', () => {
    const m = new Sequential([
      new nn.Conv2d(3, 8, 3, { stride: 2, padding: 1, name: 'stem' }), new nn.Hardswish({ name: 'hs' }),
      new nn.Conv2d(8, 8, 3, { padding: 1, groups: 8, name: 'dw3' }), new nn.SiLU({ name: 'si' }),
      new nn.Conv2d(8, 8, 5, { stride: 2, padding: 2, groups: 8, name: 'dw5' }), new nn.Hardswish({ name: 'hs2' }),
      new nn.Conv2d(8, 12, 1, { name: 'pw' }), new nn.SiLU({ name: 'si2' }),
      new nn.Flatten(), new nn.Linear(12 * 5 * 5, 4, { name: 'fc' }), new nn.Hardswish({ name: 'hs3' }),
    ], { inputShape: [3, 19, 19], seed: 4 });
    for (const batch of [1, 3]) {
      const info = same(m, [3, 19, 19], batch, `hardswish/silu b${batch}`);
      const fused = Object.fromEntries(info.steps.map((s) => [s.name, s.fused]));
      expect(fused).toMatchObject({ stem: ['hs'], dw3: ['si'], dw5: ['hs2'], pw: ['si2'] });
      expect(info.steps.some((s) => s.name === 'hs3'), 'Linear takes no hardswish: its own step').toBe(true);
      const x = Tensor.from(randArray(batch * 3 * 19 * 19, 9, -2, 2), [batch, 3, 19, 19]);
      // fuse: false runs each activation as its own step (and folds nothing: there is no batch norm here)
      const a = compile(m, { batchSize: batch }), b = compile(m, { batchSize: batch, fuse: false });
      expect(a.run(x).toFloat32Array()).toEqual(b.run(x).toFloat32Array());
      a.dispose(); b.dispose(); x.dispose();
    }
    m.dispose();
  });

  it('a residual network (batch norm folded into the convolutions)', () => {
    const m = models.resnet18({ numClasses: 10, inputSize: 64, seed: 1 });
    perturbBatchNorm(m, 10);
    const info = same(m, [3, 64, 64], 2, 'resnet18@64', 1e-3);
    expect(info.steps.find((s) => s.name === 'conv1')!.fused).toEqual(['bn1', 'relu']);
    expect(info.steps.some((s) => s.name === 'layer1.0.bn1')).toBe(false);
    m.dispose();
  });

  it('an inception network (concat, ceil-mode pooling) and AlexNet with LRN and dropout', () => {
    const g = models.googlenet({ numClasses: 10, inputSize: 64, seed: 2 });
    perturbBatchNorm(g, 20);
    same(g, [3, 64, 64], 1, 'googlenet@64', 1e-3);
    g.dispose();
    const a = models.alexnet({ groups: 2, numClasses: 10, seed: 4 });
    same(a, [3, 227, 227], 1, 'alexnet groups 2');
    a.dispose();
  });

  it('a graph whose ReLU feeds two nodes is not fused; a batch norm after a shared conv is not folded', () => {
    const b = new GraphBuilder({ x: [3, 8, 8] });
    const c = b.add('c', new nn.Conv2d(3, 4, 3, { padding: 1 }), 'x');
    const bn = b.add('bn', new nn.BatchNorm2d(4), c);
    const r = b.add('r', new nn.ReLU(), bn);
    const s = b.add('s', new nn.Add(), [r, c]);
    const m = b.build(b.add('gap', new nn.GlobalAvgPool2d(), s), 1);
    perturbBatchNorm(m, 30);
    const info = same(m, [3, 8, 8], 2, 'shared');
    expect(info.steps.map((st) => st.name)).toEqual(['c', 'bn', 'r', 's', 'gap']);
    m.dispose();
  });

  it('refuses the wrong input shape and use after dispose', () => {
    const m = new Sequential([new nn.Linear(4, 2)], { inputShape: [4] });
    const plan = compile(m, { batchSize: 3 });
    const x = Tensor.zeros([2, 4]);
    expect(() => plan.run(x)).toThrow(/x must have shape \[3, 4\] \(the plan was compiled for it\), got \[2, 4\]/);
    plan.dispose();
    expect(() => plan.run(x)).toThrow(/disposed/);
    x.dispose();
    m.dispose();
  });
});

describe('activation memory by liveness', () => {
  it('ResNet-50 at batch 1: the peak is far below the sum of all activations', () => {
    const m = models.resnet50();
    const s = m.summaryData({ batchSize: 1 });
    expect(s.peakActivationBytes).toBeLessThan(s.activationBytes / 4);
    const base = memoryInfo().bytesInUse;
    const plan = compile(m, { batchSize: 1 });
    expect(plan.info.arenaBytes).toBeLessThan(plan.info.unsharedBytes / 4);
    expect(plan.info.arenaBytes).toBeLessThanOrEqual(s.peakActivationBytes);
    console.log(`ResNet-50 batch 1: activations ${(s.activationBytes / 2 ** 20).toFixed(1)} MiB in all, ` +
      `summary peak ${(s.peakActivationBytes / 2 ** 20).toFixed(1)} MiB, compiled arena ${(plan.info.arenaBytes / 2 ** 20).toFixed(1)} MiB ` +
      `(fused plan would need ${(plan.info.unsharedBytes / 2 ** 20).toFixed(1)} MiB unshared)`);
    plan.dispose();
    m.dispose();
    expect(memoryInfo().bytesInUse).toBeLessThanOrEqual(base);
  });
});

describe('compiled plans of imported PyTorch models', async () => {
  const { fixtures, f32, relError, DIR } = await import('./onnx-fixtures.js');
  const { readFileSync } = await import('node:fs');
  const { io } = await import('../src/index.js');
  for (const fx of fixtures) {
    it(`${fx.model}: the plan reproduces PyTorch's output`, () => {
      const m = io.fromONNX(new Uint8Array(readFileSync(DIR + `${fx.model}.opset${fx.opsets[fx.opsets.length - 1]}.onnx`)));
      const x = Tensor.from(f32(fx.input.data), fx.input.shape);
      const plan = compile(m, { batchSize: fx.input.shape[0] });
      const y = plan.run(x).toFloat32Array();
      expect(relError(y, f32(fx.output.data))).toBeLessThan(1e-4);
      plan.dispose();
      x.dispose();
      m.dispose();
    });
  }
});
