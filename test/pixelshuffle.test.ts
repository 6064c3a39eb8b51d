// nn.PixelShuffle / nn.PixelUnshuffle and ops.pixelShuffle / pixelUnshuffle (ONNX DepthToSpace /
// SpaceToDepth, both channel orders) against a plain index reference over odd sizes, factors 1–4
// and row tails; backward by central differences; compiled = eager, native and ONNX round trips
// (PixelUnshuffle in PyTorch's order goes out as Reshape → Transpose → Reshape and comes back as
// one layer), and the PyTorch-made networks (scripts/make-pixelshuffle-fixture.py).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, Tensor, compile, io, memoryInfo, nn, ops } from '../src/index.js';
import { fdCheck, layerForward, randArray, ready } from './helpers.js';
import { f32, model, node, readFixtures, relError, run } from './onnx-fixtures.js';

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

/**
 * Layer l's backward at a seeded x of `shape` against central differences (both modes' tests);
 * returns x, y and dy and dx of the training pass for further checks (the caller disposes them).
 */
function checkBackward(l: nn.Layer, shape: number[], seed: number, what: string): { x: Tensor; y: Tensor; dy: Tensor; dx: Tensor } {
  const size = shape.reduce((a, b) => a * b, 1);
  const xs = randArray(size, seed), r = randArray(size, seed + 1);
  const x = Tensor.from(xs, shape);
  const y = l.forward([x], true);
  const dy = Tensor.from(r, y.shape);
  const [dx] = l.backward(dy) as Tensor[];
  expect(dx.shape).toEqual(shape);
  fdCheck({ x: xs, shape, r, forward: layerForward(l, shape), analytic: dx.toFloat32Array(), what });
  return { x, y, dy, dx };
}

/**
 * m's output on x is the same compiled, saved and loaded, and through io.toONNX → io.fromONNX
 * (whose layers, when given, are onnxLayers); disposes m and x, and memory returns.
 */
function checkRoundTrips(m: Sequential, x: Tensor, base: number, onnxLayers?: string[]): void {
  const want = m.predict(x);
  const plan = compile(m, { batchSize: x.shape[0] });
  expect(Array.from(plan.run(x).toFloat32Array())).toEqual(Array.from(want.toFloat32Array()));
  const back = io.load(io.save(m));
  const onnx = io.fromONNX(io.toONNX(m));
  if (onnxLayers) expect(onnx.nodes.map((n) => n.layer.type)).toEqual(onnxLayers);
  for (const g of [back, onnx]) {
    const y = g.predict(x);
    expect(Array.from(y.toFloat32Array())).toEqual(Array.from(want.toFloat32Array()));
    y.dispose();
  }
  for (const d of [plan, back, onnx, m]) d.dispose();
  want.dispose(); x.dispose();
  expect(memoryInfo().bytesInUse).toBe(base);
}

/** The PyTorch-made network `name` (scripts/make-pixelshuffle-fixture.py) at every opset: layers checked by `layers`, eager and compiled within 1e-5. */
function checkFixture(name: string, layers: (types: string[]) => void): void {
  const dir = fileURLToPath(new URL('./fixtures/onnx-ops/', import.meta.url));
  const fx = readFixtures(dir).find((f) => f.model === name)!;
  for (const opset of fx.opsets) {
    const g = io.fromONNX(readFileSync(`${dir}${name}.opset${opset}.onnx`));
    layers(g.nodes.map((n) => n.layer.type));
    expect(relError(run(g, fx), f32(fx.output.data))).toBeLessThanOrEqual(1e-5);
    const x = Tensor.from(f32(fx.input.data), fx.input.shape);
    const plan = compile(g, { batchSize: fx.input.shape[0] });
    expect(relError(plan.run(x).toFloat32Array(), f32(fx.output.data))).toBeLessThanOrEqual(1e-5);
    plan.dispose(); x.dispose(); g.dispose();
  }
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
      const l = new nn.PixelShuffle(2, { mode });
      const { x, y, dy, dx } = checkBackward(l, [2, 8, 3, 2], 5, `PixelShuffle ${mode} dx`);
      for (const t of [x, y, dy, dx]) t.dispose();
      l.dispose();
    }
  });

  it('compiles, saves, loads and exports to ONNX with the same outputs; refuses channels not divisible by r²', () => {
    const base = memoryInfo().bytesInUse;
    const m = new Sequential([new nn.Conv2d(2, 12, 3, { padding: 1 }), new nn.PixelShuffle(2, { mode: 'DCR' })], { inputShape: [2, 4, 5], seed: 3 });
    checkRoundTrips(m, Tensor.from(randArray(2 * 2 * 20, 9), [2, 2, 4, 5]), base);
    expect(() => new Sequential([new nn.PixelShuffle(2)], { inputShape: [6, 2, 2] })).toThrow(/channels a multiple of upscaleFactor² = 4/);
    expect(() => new nn.PixelShuffle(2, { mode: 'XYZ' as never })).toThrow(/mode must be 'CRD'/);
  });

  it("imports PyTorch's pixel-shuffle network (DepthToSpace CRD) and matches it, eager and compiled", () => {
    checkFixture('pixel_shuffle', (types) => expect(types).toContain('PixelShuffle'));
  });
});

/** The inverse index map: x [*, C, H·r, W·r] → y [*, C·r², H, W] (CRD: c·r² + i·r + j; DCR: (i·r + j)·C + c). */
function refUnshuffle(x: Float32Array, shape: number[], r: number, mode: 'CRD' | 'DCR'): Float32Array {
  const k = shape.length, c = shape[k - 3], H = shape[k - 2], W = shape[k - 1], h = H / r, w = W / r;
  const lead = x.length / (c * H * W);
  const y = new Float32Array(x.length);
  for (let b = 0; b < lead; b++)
    for (let ch = 0; ch < c; ch++)
      for (let yy = 0; yy < H; yy++)
        for (let xx = 0; xx < W; xx++) {
          const i = yy % r, j = xx % r;
          const d = mode === 'CRD' ? ch * r * r + i * r + j : (i * r + j) * c + ch;
          y[((b * c * r * r + d) * h + Math.floor(yy / r)) * w + Math.floor(xx / r)] = x[((b * c + ch) * H + yy) * W + xx];
        }
  return y;
}

describe('ops.pixelShuffle / ops.pixelUnshuffle and nn.PixelUnshuffle', () => {
  it('match the index references over factors 1–4, odd planes, row tails, ranks 3–5; each inverts the other', () => {
    const base = memoryInfo().bytesInUse;
    for (const mode of ['CRD', 'DCR'] as const)
      for (const r of [1, 2, 3, 4])
        for (const sp of [[1, 1, 1], [2, 3, 5], [1, 2, 9], [3, 1, 8], [2, 4, 13]]) {
          for (const lead of [[], [2], [2, 1]]) {
            const [c, h, w] = sp;
            const shape = [...lead, c, h * r, w * r];
            const xs = randArray(shape.reduce((a, b) => a * b, 1), r * 7 + c + w);
            const x = Tensor.from(xs, shape);
            const y = ops.pixelUnshuffle(x, r, { mode });
            expect(y.shape).toEqual([...lead, c * r * r, h, w]);
            expect(Array.from(y.toFloat32Array()), `${mode} r=${r} [${shape}]`).toEqual(Array.from(refUnshuffle(xs, shape, r, mode)));
            const back = ops.pixelShuffle(y, r, { mode });
            expect(Array.from(back.toFloat32Array())).toEqual(Array.from(xs));
            if (lead.length === 1) {
              const want = reference(y.toFloat32Array(), [lead[0], c * r * r, h, w], r, mode);
              expect(Array.from(back.toFloat32Array())).toEqual(Array.from(want));
            }
            for (const t of [x, y, back]) t.dispose();
          }
        }
    expect(memoryInfo().bytesInUse).toBe(base);
  });

  it('backward ops and nn.PixelUnshuffle backward match central differences; arguments are checked', () => {
    for (const mode of ['CRD', 'DCR'] as const) {
      const l = new nn.PixelUnshuffle(2, { mode });
      const { x, y, dy, dx } = checkBackward(l, [2, 3, 4, 6], 15, `PixelUnshuffle ${mode} dx`);
      expect(y.shape).toEqual([2, 12, 2, 3]);
      const dx2 = ops.pixelUnshuffleBackward(dy, 2, { mode });
      expect(Array.from(dx2.toFloat32Array())).toEqual(Array.from(dx.toFloat32Array()));
      const dz = ops.pixelShuffleBackward(x, 2, { mode });
      expect(Array.from(dz.toFloat32Array())).toEqual(Array.from(ops.pixelUnshuffle(x, 2, { mode }).toFloat32Array()));
      for (const t of [x, y, dy, dx, dx2, dz]) t.dispose();
      l.dispose();
    }
    const x = Tensor.zeros([1, 3, 5, 4]);
    expect(() => ops.pixelUnshuffle(x, 2)).toThrow(/pixelUnshuffle: x \[1, 3, 5, 4\] has H × W = 5 × 4, not multiples of r = 2/);
    expect(() => ops.pixelShuffle(x, 2)).toThrow(/pixelShuffle: x \[1, 3, 5, 4\] has 3 channels, not a multiple of r² = 4/);
    expect(() => ops.pixelShuffle(x, 0)).toThrow(/pixelShuffle: upscaleFactor must be ≥ 1/);
    expect(() => ops.pixelUnshuffle(x, 1, { mode: 'crd' as never })).toThrow(/pixelUnshuffle: mode must be/);
    expect(() => new Sequential([new nn.PixelUnshuffle(2)], { inputShape: [3, 4, 5] })).toThrow(/H and W multiples of downscaleFactor = 2/);
    x.dispose();
  });

  it('compiles, saves, loads and round-trips ONNX (SpaceToDepth; PyTorch\'s Reshape → Transpose → Reshape fused back)', () => {
    const base = memoryInfo().bytesInUse;
    for (const mode of ['CRD', 'DCR'] as const) {
      const m = new Sequential([new nn.Conv2d(2, 3, 3, { padding: 1 }), new nn.PixelUnshuffle(2, { mode }), new nn.Conv2d(12, 4, 1)], { inputShape: [2, 6, 10], seed: 4 });
      checkRoundTrips(m, Tensor.from(randArray(2 * 2 * 60, 9), [2, 2, 6, 10]), base, ['Conv2d', 'PixelUnshuffle', 'Conv2d']);
    }
  });

  it('imports ONNX SpaceToDepth and the hand-written DepthToSpace pattern (Reshape → Transpose → Reshape, DCR)', () => {
    const xs = randArray(2 * 8 * 16, 21);
    const x = Tensor.from(xs, [2, 8, 4, 4]);
    const s2d = io.fromONNX(model([8, 4, 4], [node('SpaceToDepth', ['x'], [{ name: 'blocksize', i: 2 }])]));
    expect(s2d.nodes.map((n) => n.layer.type)).toEqual(['PixelUnshuffle']);
    const y = s2d.predict(x);
    expect(Array.from(y.toFloat32Array())).toEqual(Array.from(refUnshuffle(xs, [2, 8, 4, 4], 2, 'DCR')));
    const ints = (name: string, v: number[]) => ({ name, dims: [v.length], int64s: v });
    const d2s = io.fromONNX(model([8, 4, 4], [
      node('Reshape', ['x', 's1'], [], 'a', 'r1'), node('Transpose', ['a'], [{ name: 'perm', ints: [0, 3, 4, 1, 5, 2] }], 'b', 't'),
      node('Reshape', ['b', 's2'], [], 'y', 'r2'),
    ], [ints('s1', [0, 2, 2, 2, 4, 4]), ints('s2', [0, 2, 8, 8])]));
    expect(d2s.nodes.map((n) => n.layer.type)).toEqual(['PixelShuffle']);
    const z = d2s.predict(x);
    expect(Array.from(z.toFloat32Array())).toEqual(Array.from(reference(xs, [2, 8, 4, 4], 2, 'DCR')));
    for (const t of [x, y, z]) t.dispose();
    s2d.dispose(); d2s.dispose();
  });

  it("imports PyTorch's pixel-unshuffle network (both of the exporter's forms fused), eager and compiled", () => {
    checkFixture('pixel_unshuffle', (types) => expect(types).toEqual(['PixelUnshuffle', 'Conv2d', 'ReLU', 'PixelUnshuffle', 'Conv2d', 'PixelShuffle', 'Conv2d']));
  });
});
