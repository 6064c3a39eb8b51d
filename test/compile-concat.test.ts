// Concatenations written in place by compiled plans (src/compile/joins.ts): producers write their
// outputs straight into their slices of the concat's output. Each plan is checked against the
// eager forward pass and against the same plan compiled with concatInPlace: false (the same
// kernels, so the same bits), with the canaries after every allocation intact, at batch 1 (every
// producer placed) and batch > 1 (only producers that take an output image stride, read by the
// concat alone); nested concats, a value concatenated twice or by two concats, the plan's input
// and output in a concat, fan-out, concats along other axes.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, compile, memoryInfo, nn, GraphBuilder, type Graph } from '../src/index.js';
import { ready, randArray, expectClose, expectCanariesIntact } from './helpers.js';

beforeAll(ready);

function check(m: Graph, shape: number[], batch: number, what: string) {
  const x = Tensor.from(randArray(batch * shape.reduce((a, b) => a * b, 1), 7, -1, 1), [batch, ...shape]);
  const eager = m.predict(x);
  const before = memoryInfo().bytesInUse;
  const plan = compile(m, { batchSize: batch });
  const copying = compile(m, { batchSize: batch, concatInPlace: false });
  const y = plan.run(x).toFloat32Array();
  expectClose(y, eager.toFloat32Array(), eager.shape, what, 1e-5, 1e-4);
  expect(Array.from(y), `${what}: in place = copying, bit for bit`).toEqual(Array.from(copying.run(x).toFloat32Array()));
  const again = memoryInfo().bytesInUse;
  expect(Array.from(plan.run(x).toFloat32Array())).toEqual(Array.from(y));
  expect(memoryInfo().bytesInUse, 'a run allocates nothing').toBe(again);
  expectCanariesIntact(what);
  const info = plan.info, other = copying.info;
  expect(info.arenaBytes, `${what}: arena`).toBeLessThanOrEqual(other.arenaBytes);
  expect(other.slices).toEqual([]);
  plan.dispose();
  copying.dispose();
  expect(memoryInfo().bytesInUse).toBe(before);
  eager.dispose();
  x.dispose();
  return info;
}

/** A small U-Net level: skip, pooled branch upsampled 2× (nearest or bilinear), concat, conv. */
function unet(mode: 'nearest' | 'bilinear', c: number, hw: number): Graph {
  const b = new GraphBuilder({ x: [3, hw, hw] });
  const enc = b.add('enc', new nn.Conv2d(3, c, 3, { padding: 1 }), 'x');
  const act = b.add('act', new nn.ReLU(), enc);
  const down = b.add('down', new nn.MaxPool2d(2), act);
  const mid = b.add('mid', new nn.Conv2d(c, 2 * c, 3, { padding: 1 }), down);
  const up = b.add('up', new nn.Upsample({ scaleFactor: 2, mode }), mid);
  const cat = b.add('cat', new nn.Concat(1), [act, up]);
  return b.build(b.add('dec', new nn.Conv2d(3 * c, 2, 3, { padding: 1 }), cat), 3);
}

describe('concat inputs written in place', () => {
  it('a U-Net level: at batch 1 the skip and the upsampling write into the concat (no concat step); at batch 3 the upsampling only', () => {
    for (const mode of ['nearest', 'bilinear'] as const) {
      for (const [c, hw] of [[4, 8], [3, 6], [5, 10]]) {
        const m = unet(mode, c, hw);
        const one = check(m, [3, hw, hw], 1, `unet ${mode} ${c}@${hw} b1`);
        expect(one.slices).toEqual([{ name: 'enc', concat: 'cat' }, { name: 'up', concat: 'cat' }]);
        expect(one.steps.some((s) => s.name === 'cat'), 'the concat step is gone').toBe(false);
        const three = check(m, [3, hw, hw], 3, `unet ${mode} ${c}@${hw} b3`);
        // enc's output (fused with its ReLU) is also read by the pooling: at batch 3 it stays a block of its own
        expect(three.slices).toEqual([{ name: 'up', concat: 'cat' }]);
        expect(three.steps.some((s) => s.name === 'cat'), 'the concat copies the skip').toBe(true);
        m.dispose();
      }
    }
  });

  it('nested concats, a value twice, a value in two concats, the input and the output', () => {
    const b = new GraphBuilder({ x: [2, 5, 7] });
    const a = b.add('a', new nn.Conv2d(2, 3, 3, { padding: 1 }), 'x');
    const f = b.add('f', new nn.Conv2d(3, 2, 1), a);
    const c1 = b.add('c1', new nn.Concat(1), [a, f]); // 5 channels
    const g = b.add('g', new nn.Conv2d(5, 4, 3, { padding: 1 }), c1);
    const c2 = b.add('c2', new nn.Concat(1), [c1, g, g]); // 13: c1 nested, g twice
    const h = b.add('h', new nn.Conv2d(13, 3, 1), c2);
    const c3 = b.add('c3', new nn.Concat(1), ['x', f, h]); // the input (copied), f again (placed in c1 already: copied)
    const m = b.build(c3, 5);
    for (const batch of [1, 2]) {
      const info = check(m, [2, 5, 7], batch, `nested b${batch}`);
      if (batch === 1) {
        expect(info.slices).toEqual([
          { name: 'a', concat: 'c1' }, { name: 'f', concat: 'c1' }, { name: 'c1', concat: 'c2' }, { name: 'g', concat: 'c2' }, { name: 'h', concat: 'c3' },
        ]);
        expect(info.steps.map((s) => s.name)).toEqual(['a', 'f', 'g', 'c2', 'h', 'c3']);
      } else {
        expect(info.slices).toEqual([]);
      }
    }
    m.dispose();
  });

  it('upsampling feeding two concats and a concat along the height or width stays a copy where it must', () => {
    const b = new GraphBuilder({ x: [3, 4, 6] });
    const u = b.add('u', new nn.Upsample({ scaleFactor: 2 }), 'x');
    const v = b.add('v', new nn.Upsample({ scaleFactor: [2, 2], mode: 'bilinear', alignCorners: true }), 'x');
    const c1 = b.add('c1', new nn.Concat(1), [u, v]); // [6, 8, 12]
    const c2 = b.add('c2', new nn.Concat(2), [u, u]); // [3, 16, 12]: u read three times
    const k = b.add('k', new nn.Conv2d(6, 3, 1), c1);
    const c3 = b.add('c3', new nn.Concat(2), [k, c2]); // along the height: slices are not one run per image
    const c4 = b.add('c4', new nn.Concat(-1), [c3, c3]); // along the width
    const m = b.build(b.add('out', new nn.Conv2d(3, 2, 1), b.add('r', new nn.ReLU(), c4)), 6);
    for (const batch of [1, 2]) {
      const info = check(m, [3, 4, 6], batch, `axes b${batch}`);
      expect(info.slices).toEqual(batch === 1 ? [{ name: 'u', concat: 'c1' }, { name: 'v', concat: 'c1' }] : [{ name: 'v', concat: 'c1' }]);
    }
    m.dispose();
  });

  it('the plan output as a concat whose inputs come from upsampling and padding', () => {
    const b = new GraphBuilder({ x: [2, 3, 5] });
    const u = b.add('u', new nn.Upsample({ scaleFactor: 3 }), 'x');
    const p = b.add('p', new nn.Pad([5, 5, 3, 3], { mode: 'replicate' }), b.add('c', new nn.Conv2d(2, 2, 1), 'x'));
    const u2 = b.add('u2', new nn.Upsample({ size: [9, 15], mode: 'bilinear' }), 'x');
    const m = b.build(b.add('cat', new nn.Concat(1), [u, p, u2]), 6);
    for (const batch of [1, 4]) {
      const info = check(m, [2, 3, 5], batch, `output concat b${batch}`);
      expect(info.slices.map((s) => s.name)).toEqual(batch === 1 ? ['u', 'p', 'u2'] : ['u', 'u2']);
    }
    m.dispose();
  });
});
