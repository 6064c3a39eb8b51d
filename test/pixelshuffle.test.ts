// nn.PixelShuffle (ONNX DepthToSpace, both modes) against a plain index reference over odd sizes,
// its backward by central differences, compiled = eager, native and ONNX round trips, and the
// PyTorch-made pixel-shuffle network fixture (scripts/make-pixelshuffle-fixture.py).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, Tensor, compile, io, memoryInfo, nn } from '../src/index.js';
import { fdCheck, randArray, ready } from './helpers.js';
import { f32, readFixtures, relError, run } from './onnx-fixtures.js';

beforeAll(ready);

/** y[n, c, h·r + i, w·r + j] = x[n, src(c, i, j), h, w]; CRD: c·r² + i·r + j, DCR: (i·r + j)·C + c. */
function reference(x: Float32Array, [n, cr, h, w]: number[], r: number, mode: 'CRD' | 'DCR'): Float32Array {
  const c = cr / (r * r), H = h * r, W = w * r;
  const y = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let k = 0; k < c; k++)
      for (let yy = 0; yy < H; yy++)
        for (let xx = 0; xx < W; xx++) {
          const i = yy % r, j = xx % r;
          const src = mode === 'CRD' ? k * r * r + i * r + j : (i * r + j) * c + k;
          y[((b * c + k) * H + yy) * W + xx] = x[((b * cr + src) * h + Math.floor(yy / r)) * w + Math.floor(xx / r)];
        }
  return y;
}

describe('nn.PixelShuffle', () => {
  it('matches the index reference in both modes over odd sizes and factors 1–3', () => {
    for (const mode of ['CRD', 'DCR'] as const)
      for (const r of [1, 2, 3])
        for (const [n, c, h, w] of [[1, 1, 1, 1], [2, 3, 5, 7], [1, 2, 4, 3]]) {
          const shape = [n, c * r * r, h, w];
          const xs = randArray(shape.reduce((a, b) => a * b, 1), r + c);
          const x = Tensor.from(xs, shape);
          const l = new nn.PixelShuffle(r, { mode });
          const y = l.forward([x], false);
          expect(y.shape).toEqual([n, c, h * r, w * r]);
          expect(Array.from(y.toFloat32Array()), `${mode} r=${r} [${shape}]`).toEqual(Array.from(reference(xs, shape, r, mode)));
          x.dispose(); y.dispose();
        }
  });

  it('backward matches central differences (both modes)', () => {
    for (const mode of ['CRD', 'DCR'] as const) {
      const shape = [2, 8, 3, 2];
      const xs = randArray(96, 5), r = randArray(96, 6);
      const l = new nn.PixelShuffle(2, { mode });
      const fwd = (v: Float32Array) => {
        const t = Tensor.from(v, shape);
        const y = l.forward([t], false);
        const o = y.toFloat32Array();
        t.dispose(); y.dispose();
        return o;
      };
      const x = Tensor.from(xs, shape);
      const y = l.forward([x], true);
      const dy = Tensor.from(r, y.shape);
      const [dx] = l.backward(dy);
      expect(dx.shape).toEqual(shape);
      fdCheck({ x: xs, shape, r, forward: fwd, analytic: dx.toFloat32Array(), what: `PixelShuffle ${mode} dx` });
      for (const t of [x, y, dy, dx]) t.dispose();
      l.dispose();
    }
  });

  it('compiles, saves, loads and exports to ONNX with the same outputs; refuses channels not divisible by r²', () => {
    const base = memoryInfo().bytesInUse;
    const m = new Sequential([new nn.Conv2d(2, 12, 3, { padding: 1 }), new nn.PixelShuffle(2, { mode: 'DCR' })], { inputShape: [2, 4, 5], seed: 3 });
    const x = Tensor.from(randArray(2 * 2 * 20, 9), [2, 2, 4, 5]);
    const want = m.predict(x);
    const plan = compile(m, { batchSize: 2 });
    expect(Array.from(plan.run(x).toFloat32Array())).toEqual(Array.from(want.toFloat32Array()));
    const back = io.load(io.save(m));
    const onnx = io.fromONNX(io.toONNX(m));
    for (const g of [back, onnx]) {
      const y = g.predict(x);
      expect(Array.from(y.toFloat32Array())).toEqual(Array.from(want.toFloat32Array()));
      y.dispose();
    }
    expect(() => new Sequential([new nn.PixelShuffle(2)], { inputShape: [6, 2, 2] })).toThrow(/channels a multiple of upscaleFactor² = 4/);
    expect(() => new nn.PixelShuffle(2, { mode: 'XYZ' as never })).toThrow(/mode must be 'CRD'/);
    for (const d of [plan, back, onnx, m]) d.dispose();
    want.dispose(); x.dispose();
    expect(memoryInfo().bytesInUse).toBe(base);
  });

  it("imports PyTorch's pixel-shuffle network (DepthToSpace CRD) and matches it, eager and compiled", () => {
    const dir = fileURLToPath(new URL('./fixtures/onnx-ops/', import.meta.url));
    const fx = readFixtures(dir).find((f) => f.model === 'pixel_shuffle')!;
    for (const opset of fx.opsets) {
      const g = io.fromONNX(readFileSync(`${dir}pixel_shuffle.opset${opset}.onnx`));
      expect(g.nodes.map((n) => n.layer.type)).toContain('PixelShuffle');
      expect(relError(run(g, fx), f32(fx.output.data))).toBeLessThanOrEqual(1e-5);
      const x = Tensor.from(f32(fx.input.data), fx.input.shape);
      const plan = compile(g, { batchSize: fx.input.shape[0] });
      expect(relError(plan.run(x).toFloat32Array(), f32(fx.output.data))).toBeLessThanOrEqual(1e-5);
      plan.dispose(); x.dispose(); g.dispose();
    }
  });
});
