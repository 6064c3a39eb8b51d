import { beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { data, memoryInfo } from '../src/index.js';
import { ready } from './helpers.js';

beforeAll(ready);

function idx(type: number, shape: number[], values: number[]): Uint8Array {
  const size = { 8: 1, 12: 4 }[type as 8 | 12];
  const out = new Uint8Array(4 + 4 * shape.length + values.length * size);
  const dv = new DataView(out.buffer);
  out[2] = type;
  out[3] = shape.length;
  shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  values.forEach((v, i) => (type === 8 ? dv.setUint8(4 + 4 * shape.length + i, v) : dv.setInt32(4 + 4 * shape.length + 4 * i, v, false)));
  return out;
}

describe('IDX', () => {
  const images = idx(8, [3, 2, 2], [0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0]);
  const labels = idx(8, [3], [7, 0, 9]);
  it('reads image/label pairs, plain and gzipped, with padding and scaling', async () => {
    for (const [im, lb] of [[images, labels], [gzipSync(images), gzipSync(labels)]]) {
      const d = await data.fromIdx(new Uint8Array(im), new Uint8Array(lb), { pad: 1 });
      expect(d.imageShape).toEqual([1, 4, 4]);
      expect(Array.from(d.labels)).toEqual([7, 0, 9]);
      expect(d.classes).toBe(10);
      expect(d.images[5]).toBe(0);
      expect(d.images[6]).toBe(1);
      expect(d.images[9]).toBeCloseTo(0.2, 6);
    }
    const i32 = await data.readIdx(idx(12, [2], [-5, 70000]));
    expect(Array.from(i32.data)).toEqual([-5, 70000]);
  });
  it('refuses truncated and corrupt files with clear errors, allocating nothing', async () => {
    const before = memoryInfo().bytesInUse;
    await expect(data.fromIdx(images.subarray(0, 10), labels)).rejects.toThrow(/IDX images: truncated: the header needs 16 bytes, the file has 10/);
    await expect(data.fromIdx(images.subarray(0, images.length - 1), labels)).rejects.toThrow(/truncated: shape \[3, 2, 2\] of u8 needs 28 bytes, the file has 27/);
    await expect(data.fromIdx(images, idx(8, [2], [1, 2]))).rejects.toThrow(/3 images but 2 labels/);
    const bad = images.slice(); bad[0] = 7;
    await expect(data.fromIdx(bad, labels)).rejects.toThrow(/not an IDX file/);
    const gz = gzipSync(images);
    await expect(data.fromIdx(new Uint8Array(gz.subarray(0, gz.length - 6)), labels)).rejects.toThrow(/gzip data is truncated or corrupt/);
    const t2 = images.slice(); t2[2] = 0x42;
    await expect(data.readIdx(t2)).rejects.toThrow(/unknown IDX element type 0x42/);
    expect(memoryInfo().bytesInUse).toBe(before);
  });
});

describe('CIFAR binary', () => {
  it('reads records into NCHW with labels', () => {
    const rec = new Uint8Array(2 * 3073);
    rec[0] = 3;
    rec[1] = 255; // R plane, pixel 0
    rec[1 + 1024] = 51; // G plane, pixel 0
    rec[3073] = 9;
    rec[3073 + 1 + 2048 + 1023] = 255; // B plane, last pixel
    const d = data.fromCifar(rec);
    expect(d.imageShape).toEqual([3, 32, 32]);
    expect(Array.from(d.labels)).toEqual([3, 9]);
    expect(d.images[0]).toBe(1);
    expect(d.images[1024]).toBeCloseTo(0.2, 6);
    expect(d.images[3072 + 3071]).toBe(1);
    expect(() => data.fromCifar(rec.subarray(0, 5000))).toThrow(/not a whole number of 3073-byte records/);
    const badLabel = rec.slice(); badLabel[0] = 12;
    expect(() => data.fromCifar(badLabel)).toThrow(/record 0 has label 12/);
    expect(() => data.fromCifar(new Uint8Array(0))).toThrow(/empty/);
  });
});

describe('the mnist package', () => {
  it('splits deterministically, about 80/20 per class, padded to 32×32', async () => {
    const a = await data.loadMnistPackage();
    const b = await data.loadMnistPackage();
    expect(a.train.imageShape).toEqual([1, 32, 32]);
    expect(a.train.labels.length + a.test.labels.length).toBe(10000);
    expect(a.test.labels.length).toBeGreaterThan(1900);
    const same = a.train.images.length === b.train.images.length && a.train.images.every((v, i) => v === b.train.images[i]);
    expect(same).toBe(true);
    expect(Array.from(a.test.labels.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
    for (let d = 0; d < 10; d++) expect(a.test.labels.filter((l) => l === d).length).toBeGreaterThan(150);
    data.checkDataset(a.train);
  });
});

describe('dataset utilities', () => {
  const d: data.Dataset = { images: Float32Array.from({ length: 5 * 4 }, (_, i) => i), imageShape: [1, 2, 2], labels: Int32Array.from([0, 1, 2, 1, 0]), classes: 3 };
  it('permutes with a seed, splits, batches', () => {
    expect(Array.from(data.permutation(5, 1)).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(data.permutation(50, 1)).toEqual(data.permutation(50, 1));
    expect(data.permutation(50, 1)).not.toEqual(data.permutation(50, 2));
    const [tr, va] = data.split(d, 0.4);
    expect([tr.labels.length, va.labels.length]).toEqual([3, 2]);
    const { x, y } = data.batchTensor(d, [4, 0]);
    expect(x.shape).toEqual([2, 1, 2, 2]);
    expect(Array.from(x.toFloat32Array())).toEqual([16, 17, 18, 19, 0, 1, 2, 3]);
    expect(Array.from(y)).toEqual([0, 0]);
    x.dispose();
  });
  it('checks datasets: empty, bad labels, wrong sizes', () => {
    expect(() => data.checkDataset({ ...d, labels: new Int32Array(0), images: new Float32Array(0) })).toThrow(/empty/);
    expect(() => data.checkDataset({ ...d, labels: Int32Array.from([0, 1, 2, 3, 0]) })).toThrow(/label 3 of image 3 is outside 0 … 2/);
    expect(() => data.checkDataset({ ...d, images: new Float32Array(7) })).toThrow(/5 labels but 7 floats/);
  });
  it('augments with seeded crops and flips', () => {
    const img = Float32Array.from({ length: 9 }, (_, i) => i + 1);
    const a = img.slice(), b = img.slice();
    data.augmentBatch(a, 1, [1, 3, 3], { flip: true, cropPadding: 1, seed: 5 });
    data.augmentBatch(b, 1, [1, 3, 3], { flip: true, cropPadding: 1, seed: 5 });
    expect(a).toEqual(b);
    const f = img.slice();
    // find a seed that flips without shifting: with cropPadding 0 only flips happen
    let flipped = false;
    for (let s = 0; s < 20 && !flipped; s++) {
      const t = img.slice();
      data.augmentBatch(t, 1, [1, 3, 3], { flip: true, seed: s });
      if (t[0] === 3) { expect(Array.from(t)).toEqual([3, 2, 1, 6, 5, 4, 9, 8, 7]); flipped = true; }
    }
    expect(flipped).toBe(true);
    expect(f).toEqual(img);
  });
});
