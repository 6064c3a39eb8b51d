// ONNX export: models written by io.toONNX (the zoo's LeNet-5, residual and inception graphs
// built with GraphBuilder, and every imported fixture) run in onnxruntime-web (wasm, one thread,
// with and without its graph rewrites) and give our predict()'s numbers, or PyTorch's.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, models, nn, Tensor, Graph, GraphBuilder } from '../src/index.js';
import { ready, randArray } from './helpers.js';
import { DIR, fixtures, f32, relError, run, report, randomizeBatchNorms } from './onnx-fixtures.js';

beforeAll(ready);

const measured: Record<string, number> = {};
afterAll(() => report(measured));

function residualGraph(): Graph {
  const b = new GraphBuilder({ image: [3, 11, 11] });
  const x = b.chain('image', [
    ['conv1', new nn.Conv2d(3, 8, 3, { padding: 1, bias: false })], ['bn1', new nn.BatchNorm2d(8)], ['relu1', new nn.ReLU()],
    ['conv2', new nn.Conv2d(8, 8, 3, { padding: 'same' })], ['bn2', new nn.BatchNorm2d(8)],
  ]);
  const s = b.chain('image', [['short', new nn.Conv2d(3, 8, 1)], ['bns', new nn.BatchNorm2d(8)]]);
  const y = b.chain(b.add('add', new nn.Add(), [x, s]), [
    ['relu2', new nn.ReLU()], ['max', new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true })],
    ['avg', new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: true })],
    ['gap', new nn.GlobalAvgPool2d()], ['flat', new nn.Flatten()], ['drop', new nn.Dropout(0.4)],
    ['fc', new nn.Linear(8, 5)], ['prob', new nn.Softmax(1)],
  ]);
  const g = b.build(y, 11);
  randomizeBatchNorms(g, 100);
  return g;
}

function inceptionGraph(): Graph {
  const b = new GraphBuilder({ x: [6, 12, 12] });
  const b1 = b.add('b1', new nn.Conv2d(6, 4, 1), 'x');
  const b2 = b.chain('x', [['b2a', new nn.Conv2d(6, 4, 1)], ['b2r', new nn.LeakyReLU(0.1)], ['b2b', new nn.Conv2d(4, 6, 3, { padding: [0, 1, 2, 1] })]]);
  const b3 = b.chain('x', [['b3a', new nn.Conv2d(6, 2, 1)], ['b3r', new nn.Tanh()], ['b3b', new nn.Conv2d(2, 4, 5, { padding: 4, dilation: 2 })]]);
  const b4 = b.chain('x', [['b4p', new nn.MaxPool2d(3, { stride: 1, padding: 1 })], ['b4c', new nn.Conv2d(6, 2, 1)]]);
  const y = b.chain(b.add('cat', new nn.Concat(1), [b1, b2, b3, b4]), [
    ['lrn', new nn.LocalResponseNorm(5, { alpha: 1e-3, k: 2 })],
    ['g', new nn.Conv2d(16, 8, 3, { stride: 2, groups: 4, padding: 'same' })], ['sig', new nn.Sigmoid()],
    ['avg', new nn.AvgPool2d(2, { ceilMode: true, countIncludePad: false })], ['ada', new nn.AdaptiveAvgPool2d(3)],
    ['id', new nn.Identity()], ['flat', new nn.Flatten(2, 3)], ['re', new nn.Reshape([-1])], ['fc', new nn.Linear(72, 6)],
    ['logp', new nn.LogSoftmax(1)],
  ]);
  return b.build(y, 12);
}

describe('io.toONNX, run by onnxruntime-web', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let ort: any;
  beforeAll(async () => {
    ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
  });

  /** The first output from onnxruntime, run both as written (no graph rewrites) and optimised; they must agree. */
  async function ortRun(bytes: Uint8Array, name: string, x: Float32Array, shape: number[]): Promise<Float32Array> {
    const outs: Float32Array[] = [];
    for (const level of ['disabled', 'all']) {
      const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: level });
      try {
        const r = await s.run({ [name]: new ort.Tensor('float32', x, shape) });
        outs.push(r[s.outputNames[0]].data as Float32Array);
      } finally {
        await s.release();
      }
    }
    expect(relError(outs[1], outs[0]), 'onnxruntime optimised vs as written').toBeLessThanOrEqual(1e-5);
    return outs[0];
  }

  async function check(g: Graph, batch: number, seed: number, what: string): Promise<void> {
    const name = g.inputNames[0];
    const shape = [batch, ...g.inputShapes[name]];
    const xs = randArray(shape.reduce((a, b) => a * b, 1), seed);
    const x = Tensor.from(xs, shape);
    const y = g.predict(x);
    const ours = y.toFloat32Array();
    const bytes = io.toONNX(g);
    const theirs = await ortRun(bytes, name, xs, shape);
    const err = relError(theirs, ours);
    measured[`toONNX ${what} vs onnxruntime-web`] = err;
    expect(err, what).toBeLessThanOrEqual(1e-4);
    // and back: the exported file imports to the same numbers
    const back = io.fromONNX(bytes);
    const y2 = back.predict(x);
    expect(relError(y2.toFloat32Array(), ours), `${what} re-imported`).toBeLessThanOrEqual(1e-5);
    [x, y, y2].forEach((t) => t.dispose());
    back.dispose();
  }

  it('the zoo LeNet-5', async () => {
    const g = models.lenet5({ seed: 3 });
    await check(g, 3, 1, 'lenet5');
    g.dispose();
    const c = models.lenet5({ seed: 4, style: 'classic' });
    await check(c, 2, 2, 'lenet5 classic');
    c.dispose();
  });

  it('a residual block (batch norm, ceil pooling with counted padding, dropout, softmax)', async () => {
    const g = residualGraph();
    await check(g, 2, 3, 'residual graph');
    g.dispose();
  });

  it('an inception block (asymmetric, dilated, grouped convs, LRN, adaptive pooling, reshapes)', async () => {
    const g = inceptionGraph();
    await check(g, 2, 4, 'inception graph');
    g.dispose();
  });

  it('every imported fixture, exported again', async () => {
    for (const fx of fixtures) {
      const file = `${fx.model}.opset${fx.opsets[0]}.onnx`;
      const g = io.fromONNX(readFileSync(DIR + file));
      const bytes = io.toONNX(g);
      // onnxruntime refuses even LRN sizes (lrn.h: size_ % 2 == 1), which ONNX allows: those
      // files are checked by importing them again instead
      const evenLrn = g.layers.some((l) => l instanceof nn.LocalResponseNorm && l.size % 2 === 0);
      let out: Float32Array;
      if (evenLrn) {
        const back = io.fromONNX(bytes);
        out = run(back, fx);
        back.dispose();
      } else out = await ortRun(bytes, g.inputNames[0], f32(fx.input.data), fx.input.shape);
      const err = relError(out, f32(fx.output.data));
      measured[`${file} → toONNX → ${evenLrn ? 'fromONNX' : 'onnxruntime-web'} vs PyTorch`] = err;
      expect(err, file).toBeLessThanOrEqual(1e-4);
      g.dispose();
    }
  });

  it('refuses layers ONNX cannot express', () => {
    const g = new Graph({ inputs: { x: [8, 5, 5] }, nodes: [{ name: 'lrn', layer: new nn.LocalResponseNorm(4), inputs: 'x' }], outputs: 'lrn' });
    expect(() => io.toONNX(g)).toThrow(/layer 'lrn' \(LocalResponseNorm\) cannot be exported: its window \[2, 1\] differs from ONNX LRN's \[1, 2\] for size 4/);
    const a = new Graph({ inputs: { x: [2, 5, 5] }, nodes: [{ name: 'ada', layer: new nn.AdaptiveAvgPool2d(3), inputs: 'x' }], outputs: 'ada' });
    expect(() => io.toONNX(a)).toThrow(io.OnnxError);
    expect(() => io.toONNX({} as never)).toThrow(TypeError);
    [g, a].forEach((m) => m.dispose());
  });
});
