// Random-weight torchvision architectures with non-trivial norms for the int8 SQNR tests
// (test/quantize-zoo.test.ts): see randomizeNorms.
import { Tensor, nn, type Graph } from '../src/index.js';
import { rng, randArray } from './helpers.js';

export const RES = 96;

/** Seeded standard-normal images [n, 3, RES, RES] (Box–Muller). */
export function gaussianImages(n: number, seed: number): Tensor {
  const r = rng(seed), a = new Float32Array(n * 3 * RES * RES);
  for (let i = 0; i < a.length; i += 2) {
    const u = 1 - r(), v = r(), m = Math.sqrt(-2 * Math.log(u));
    a[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < a.length) a[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return Tensor.from(a, [n, 3, RES, RES]);
}

/** Random norms and layer scales, then BatchNorm statistics measured on 4 random images. */
export function randomizeNorms(m: Graph, seed: number): void {
  let s = seed * 1000;
  const u = (p: { size: number; assign(v: Float32Array): void }, lo: number, hi: number) => p.assign(randArray(p.size, s++, lo, hi));
  const bns: nn.BatchNorm2d[] = [];
  for (const { layer: l, name } of m.nodes) {
    if (l instanceof nn.BatchNorm2d) {
      bns.push(l);
      if (l.weight && l.bias) { u(l.weight, 0.6, 1.2); u(l.bias, -0.2, 0.2); }
    } else if ((l instanceof nn.LayerNorm2d || l instanceof nn.LayerNorm) && l.weight && l.bias) {
      u(l.weight, 0.6, 1.4); u(l.bias, -0.3, 0.3);
    } else if (l instanceof nn.Mul && name.endsWith('layer_scale')) {
      u(l.params()[0], 0.2, 0.6);
    }
  }
  // one training-mode pass with momentum 1: the running statistics become the 4 images' (as
  // make-torchvision-fixtures.py's calibrate; averaging 8 such batches leaves the f32 networks'
  // amplification of input noise as it is)
  const saved = bns.map((b) => b.momentum);
  for (const b of bns) (b as { momentum: number }).momentum = 1;
  const x = gaussianImages(4, seed + 2);
  try {
    const r = m.forward(x, { training: true });
    for (const t of new Set(Object.values(r.outputs))) t.dispose();
  } finally {
    bns.forEach((b, i) => { (b as { momentum: number }).momentum = saved[i]; });
    x.dispose();
  }
}
