// One check for a layer type, run on a small graph holding it: eager predict vs the compiled plan,
// io.save → io.load, io.toONNX → io.fromONNX (all equal to eager), and the backward pass (the
// input's gradient and every trainable parameter's) by central differences on L = Σ y ⊙ r; bytes
// in use return to the baseline.
import { expect } from 'vitest';
import { io, compile, Tensor, type Graph } from '../src/index.js';
import { bytesInUse, distinctArray, expectClose, fdCheck, randArray, sizeOf } from './helpers.js';

export interface LayerCheck {
  /** Per-sample input shape. */
  shape: number[];
  batch?: number;
  /** Distinct input values (max reductions, so the argmax is stable under ±eps). */
  distinct?: boolean;
  /** Central-difference samples per tensor (default 24). */
  samples?: number;
  eps?: number;
  /** Layer types the ONNX round trip must bring back (default: the graph's own types). */
  onnxTypes?: string[];
}

const out = (g: Graph, x: Float32Array, shape: number[]) => {
  const t = Tensor.from(x, shape);
  const y = g.predict(t);
  const a = y.toFloat32Array();
  t.dispose();
  y.dispose();
  return a;
};

export function checkLayer(what: string, build: () => Graph, c: LayerCheck): void {
  const base = bytesInUse();
  const g = build();
  g.seed(7);
  // non-trivial parameters (ones and zeros hide mistakes)
  g.parameters().forEach((p, i) => p.assign(randArray(sizeOf(p.shape), 300 + i, 0.5, 1.5)));
  const shape = [c.batch ?? 2, ...c.shape];
  const n = sizeOf(shape);
  const xd = c.distinct ? distinctArray(n, 11) : randArray(n, 11);
  const eager = out(g, xd, shape);
  const yShape = [shape[0], ...g.outputShape];

  const x = Tensor.from(xd, shape);
  const plan = compile(g, { batchSize: shape[0] });
  const y = plan.run(x);
  expect(y.shape, `${what}: compiled shape`).toEqual(yShape);
  expectClose(y.toFloat32Array(), eager, yShape, `${what}: compiled vs eager`);
  plan.dispose();

  const back = io.load(io.save(g));
  expectClose(out(back, xd, shape), eager, yShape, `${what}: io.load(io.save())`);
  back.dispose();

  const onnx = io.fromONNX(io.toONNX(g));
  const types = onnx.layers.map((l) => l.type).sort();
  expect(types, `${what}: layer types after the ONNX round trip`).toEqual((c.onnxTypes ?? g.layers.map((l) => l.type)).slice().sort());
  expectClose(out(onnx, xd, shape), eager, yShape, `${what}: io.fromONNX(io.toONNX())`);
  onnx.dispose();

  // backward: dL/dx and each parameter's gradient against central differences
  const r = randArray(eager.length, 12);
  g.zeroGrad();
  const f = g.forward(x, { training: true, inputGrads: true });
  expectClose(f.output.toFloat32Array(), eager, yShape, `${what}: training forward`);
  const dy = Tensor.from(r, yShape);
  const grads = g.backward(dy, { inputGrads: true });
  const dx = Object.values(grads)[0];
  const analytic = dx.toFloat32Array();
  for (const t of Object.values(grads)) t.dispose();
  dy.dispose();
  g.releaseActivations();
  const opts = { r, eps: c.eps ?? 1e-2, samples: c.samples ?? 24, rtol: 2e-2 };
  fdCheck({ ...opts, x: xd, shape, analytic, forward: (a) => out(g, a, shape), what: `${what}: dL/dx` });
  for (const p of g.parameters()) {
    if (!p.trainable) continue;
    const pd = p.value.toFloat32Array();
    const pa = p.grad!.toFloat32Array();
    fdCheck({ ...opts, x: pd, shape: p.shape, analytic: pa, what: `${what}: dL/d${p.name}`, forward: (a) => {
      p.assign(a);
      const o = out(g, xd, shape);
      p.assign(pd);
      return o;
    } });
  }
  x.dispose();
  g.dispose();
  expect(bytesInUse(), `${what}: bytes in use`).toBe(base);
}
