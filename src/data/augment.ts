// The augmentations AlexNet used, seeded: random crops from zero-padded images and horizontal
// flips. The draws are made here, in image order (dy, dx, then flip) from one Rng(seed); the
// pixels move in wasm (ops/augment.ts), on fit's batches without leaving wasm memory.
import type { Dataset } from './dataset.js';
import { Tensor } from '../tensor.js';
import { Rng } from '../random.js';
import { cropFlip } from '../ops/augment.js';

export interface AugmentOptions {
  /** Zero-pad by this much, then crop back to the original size at a random offset. */
  cropPadding?: number;
  /** Mirror left–right with probability 0.5. */
  flip?: boolean;
  seed: number;
}

/** Per image (dy, dx, flip as 0/1) for n images. */
export function cropFlipDraws(n: number, o: AugmentOptions): Int32Array {
  const rng = new Rng(o.seed);
  const p = o.cropPadding ?? 0;
  const out = new Int32Array(3 * n);
  for (let i = 0; i < n; i++) {
    out[3 * i] = p > 0 ? rng.int(2 * p + 1) - p : 0;
    out[3 * i + 1] = p > 0 ? rng.int(2 * p + 1) - p : 0;
    out[3 * i + 2] = o.flip === true && rng.next() < 0.5 ? 1 : 0;
  }
  return out;
}

/** An augmented copy of an image batch x [N, C, H, W] (x is unchanged). */
export function augmentImages(x: Tensor, o: AugmentOptions): Tensor {
  return cropFlip(x, cropFlipDraws(x.shape[0] ?? 0, o));
}

/** Augments images [0, n) of `images` (NCHW, each `shape` [C, H, W]) in place (needs init()). */
export function augmentBatch(images: Float32Array, n: number, shape: readonly [number, number, number], o: AugmentOptions): void {
  const [c, h, w] = shape;
  if (n * c * h * w === 0) return;
  const x = Tensor.from(images.subarray(0, n * c * h * w), [n, c, h, w]);
  try {
    const y = augmentImages(x, o);
    images.set(y.toFloat32Array());
    y.dispose();
  } finally {
    x.dispose();
  }
}

/** A dataset whose images are augmented copies (for one epoch of a training set). */
export function augment(d: Dataset, o: AugmentOptions): Dataset {
  const images = d.images.slice();
  augmentBatch(images, d.labels.length, d.imageShape, o);
  return { ...d, images };
}
