// An in-memory labelled image set (NCHW float32 + int32 labels), splitting, seeded shuffling and
// batching into tensors.
import { Tensor } from '../tensor.js';
import { Rng } from '../random.js';

export interface Dataset {
  /** Images, NCHW, row-major: N × C × H × W floats. */
  images: Float32Array;
  /** [C, H, W] of one image. */
  imageShape: readonly [number, number, number];
  labels: Int32Array;
  /** Number of classes (labels are 0 … classes − 1). */
  classes: number;
}

export function datasetSize(d: Dataset): number {
  return d.labels.length;
}

/** Checks that a dataset is self-consistent; throws naming what is off. */
export function checkDataset(d: Dataset, where = 'dataset'): void {
  const [c, h, w] = d.imageShape;
  const per = c * h * w;
  const n = d.labels.length;
  if (n === 0) throw new RangeError(`${where}: the dataset is empty (0 images)`);
  if (d.images.length !== n * per) {
    throw new RangeError(`${where}: ${n} labels but ${d.images.length} floats of images (${n} × ${c}×${h}×${w} = ${n * per} expected)`);
  }
  for (let i = 0; i < n; i++) {
    const l = d.labels[i];
    if (!(l >= 0 && l < d.classes)) throw new RangeError(`${where}: label ${l} of image ${i} is outside 0 … ${d.classes - 1}`);
  }
}

/** Images [start, end) as a new dataset (copies). */
export function slice(d: Dataset, start: number, end: number): Dataset {
  const per = d.imageShape[0] * d.imageShape[1] * d.imageShape[2];
  return { ...d, images: d.images.slice(start * per, end * per), labels: d.labels.slice(start, end) };
}

/** The images at `idx` (in that order) as a new dataset. */
export function gather(d: Dataset, idx: ArrayLike<number>): Dataset {
  const per = d.imageShape[0] * d.imageShape[1] * d.imageShape[2];
  const images = new Float32Array(idx.length * per);
  const labels = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    images.set(d.images.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = d.labels[i];
  }
  return { ...d, images, labels };
}

/** A seeded Fisher–Yates permutation of 0 … n − 1. */
export function permutation(n: number, seed: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const rng = new Rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Splits off the last `fraction` (after a seeded shuffle when seed is given) as validation. */
export function split(d: Dataset, fraction: number, seed?: number): [Dataset, Dataset] {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`split: fraction must be in (0, 1), got ${fraction}`);
  const n = d.labels.length;
  const k = Math.round(n * (1 - fraction));
  if (k === 0 || k === n) throw new RangeError(`split: ${n} images cannot be split ${1 - fraction}/${fraction}`);
  const order = seed === undefined ? Uint32Array.from({ length: n }, (_, i) => i) : permutation(n, seed);
  return [gather(d, order.subarray(0, k)), gather(d, order.subarray(k))];
}

/** One batch as a tensor [B, C, H, W] plus its labels, from the images at idx. */
export function batchTensor(d: Dataset, idx: ArrayLike<number>, scratch?: Float32Array): { x: Tensor; y: Int32Array } {
  const per = d.imageShape[0] * d.imageShape[1] * d.imageShape[2];
  const buf = scratch && scratch.length >= idx.length * per ? scratch.subarray(0, idx.length * per) : new Float32Array(idx.length * per);
  const y = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    buf.set(d.images.subarray(idx[k] * per, (idx[k] + 1) * per), k * per);
    y[k] = d.labels[idx[k]];
  }
  return { x: Tensor.from(buf, [idx.length, ...d.imageShape]), y };
}
