// Random crops from zero-padded images and horizontal flips of an image batch (the augmentation
// AlexNet used), moved inside wasm memory so that fit's batches never leave it. The op takes the
// per-image draws; src/data/augment.ts makes them with the seeded Rng.
import { Tensor } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { describe, rankArg } from './validate.js';

const MAX_SHIFT = 2 ** 30;

/**
 * A new [N, C, H, W] tensor: y[i, c, r, q] = x[i, c, r + dy, s], s = q + dx, or W − 1 − (q + dx)
 * where image i is flipped, 0 outside the image. draws: Int32Array [N, 3] of (dy, dx, flip) per
 * image (a shift past the image's size crops only zeros; |dy|, |dx| ≤ 2³⁰ keeps the kernel's
 * index arithmetic in i32), flip 0 or 1. x is unchanged.
 */
export function cropFlip(x: Tensor, draws: Int32Array): Tensor {
  const op = 'cropFlip';
  const t = rankArg(op, 'x', x, 4, 'N, C, H, W');
  const [n, c, h, w] = t.shape as [number, number, number, number];
  if (!(draws instanceof Int32Array)) throw new TypeError(`${op}: draws must be an Int32Array of (dy, dx, flip) per image, got ${describe(draws)}`);
  if (draws.length !== 3 * n) throw new RangeError(`${op}: draws must hold 3 values per image (3·${n} = ${3 * n}), got ${draws.length}`);
  for (let i = 0; i < n; i++) {
    const dy = draws[3 * i]!, dx = draws[3 * i + 1]!, f = draws[3 * i + 2]!;
    if (Math.abs(dy) > MAX_SHIFT || Math.abs(dx) > MAX_SHIFT || (f !== 0 && f !== 1)) {
      throw new RangeError(`${op}: draws of image ${i} are (dy ${dy}, dx ${dx}, flip ${f}); need |dy|, |dx| ≤ ${MAX_SHIFT}, flip 0 or 1`);
    }
  }
  const y = Tensor.empty(t.shape);
  if (y.size === 0) return y;
  const hp = heap();
  const params = hp.alloc(draws.byteLength);
  try {
    hp.i32view().set(draws, params >>> 2);
    kernels().augment_crop_flip_f32_simd(t.ptr, y.ptr, n, c, h, w, params);
  } catch (e) {
    y.dispose();
    throw e;
  } finally {
    hp.release(params);
  }
  return y;
}
