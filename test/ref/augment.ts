// Reference augmentation: the JavaScript fit used before the kernel (assembly/augment.ts), kept
// verbatim: seeded random crops from zero-padded images and horizontal flips, in place.
import { Rng } from '../../src/nn/init.js';

export interface AugmentRefOptions { cropPadding?: number; flip?: boolean; seed: number }

/** Augments images [0, n) of `images` (NCHW) in place. */
export function augmentBatchRef(images: Float32Array, n: number, shape: readonly [number, number, number], o: AugmentRefOptions): void {
  const [c, h, w] = shape;
  const rng = new Rng(o.seed);
  const p = o.cropPadding ?? 0;
  const tmp = new Float32Array(h * w);
  for (let i = 0; i < n; i++) {
    const dy = p > 0 ? rng.int(2 * p + 1) - p : 0;
    const dx = p > 0 ? rng.int(2 * p + 1) - p : 0;
    const flip = o.flip === true && rng.next() < 0.5;
    if (dy === 0 && dx === 0 && !flip) continue;
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * h * w;
      tmp.set(images.subarray(base, base + h * w));
      for (let y = 0; y < h; y++) {
        const sy = y + dy;
        for (let x = 0; x < w; x++) {
          const sx0 = x + dx;
          const sx = flip ? w - 1 - sx0 : sx0;
          images[base + y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? tmp[sy * w + sx] : 0;
        }
      }
    }
  }
}
