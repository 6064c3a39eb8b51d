// The augmentation kernel (assembly/augment.ts, through ops/augment.ts and data.augmentBatch)
// against the JavaScript it replaced (test/ref/augment.ts): the same bits for odd sizes, paddings
// larger than the image, flips on and off, many seeds.
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, Tensor, data, fit, memoryInfo, nn } from '../src/index.js';
import { cropFlip } from '../src/ops/augment.js';
import { cropFlipDraws } from '../src/data/augment.js';
import { augmentBatchRef } from './ref/augment.js';
import { ready } from './helpers.js';

beforeAll(ready);

function images(len: number, seed: number): Float32Array {
  const a = new Float32Array(len);
  let s = seed;
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    a[i] = i % 11 === 5 ? -0 : (s / 2 ** 32) * 8 - 4;
  }
  return a;
}

/** The first differing element as [image, channel, row, column], or null. */
function firstMismatch(a: Float32Array, b: Float32Array, [c, h, w]: readonly number[]): string | null {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i]) {
      const q = i % w!, r = Math.floor(i / w!) % h!, ch = Math.floor(i / (w! * h!)) % c!, n = Math.floor(i / (w! * h! * c!));
      return `at [${n}, ${ch}, ${r}, ${q}]: kernel ${a[i]}, reference ${b[i]}`;
    }
  }
  return null;
}

describe('augment (random crop and flip)', () => {
  const shapes: [number, number, number, number][] = [
    [1, 1, 1, 1], [3, 1, 1, 5], [2, 3, 5, 7], [4, 2, 9, 13], [1, 1, 3, 17], [5, 3, 6, 4], [3, 2, 7, 8], [2, 1, 2, 9], [6, 1, 28, 28],
  ];
  it('matches the JavaScript reference bit for bit', () => {
    for (const [n, c, h, w] of shapes) {
      for (const cropPadding of [0, 1, 2, 4, 9]) {
        for (const flip of [false, true]) {
          for (const seed of [0, 7, 123456789, 4294967295]) {
            const src = images(n * c * h * w, seed + n + w);
            const got = src.slice(), want = src.slice();
            data.augmentBatch(got, n, [c, h, w], { cropPadding, flip, seed });
            augmentBatchRef(want, n, [c, h, w], { cropPadding, flip, seed });
            const bad = firstMismatch(got, want, [c, h, w]);
            expect(bad, `shape [${n}, ${c}, ${h}, ${w}], cropPadding ${cropPadding}, flip ${flip}, seed ${seed}`).toBeNull();
          }
        }
      }
    }
  });
  it('leaves x alone, frees its parameter block, and validates the draws', () => {
    const base = memoryInfo().bytesInUse;
    const x = Tensor.from(images(2 * 3 * 4 * 5, 1), [2, 3, 4, 5]);
    const before = x.toFloat32Array();
    const used = memoryInfo().bytesInUse;
    const y = cropFlip(x, cropFlipDraws(2, { cropPadding: 2, flip: true, seed: 3 }));
    y.dispose();
    expect(memoryInfo().bytesInUse).toBe(used);
    expect(x.toFloat32Array()).toEqual(before);
    expect(() => cropFlip(x, new Int32Array(5))).toThrow(/3 values per image \(3·2 = 6\), got 5/);
    expect(() => cropFlip(x, Int32Array.from([0, 0, 0, 0, -(2 ** 31), 0]))).toThrow(/image 1 are \(dy 0, dx -2147483648, flip 0\); need \|dy\|, \|dx\| ≤ 1073741824/);
    expect(() => cropFlip(x, Int32Array.from([0, 0, 2, 0, 0, 0]))).toThrow(/flip 0 or 1/);
    expect(() => cropFlip(x, [0, 0, 0, 0, 0, 0] as unknown as Int32Array)).toThrow(/must be an Int32Array/);
    const flat = Tensor.from(new Float32Array(6), [2, 3]);
    expect(() => cropFlip(flat, new Int32Array(6))).toThrow(/x must have rank 4/);
    flat.dispose();
    x.dispose();
    expect(memoryInfo().bytesInUse).toBe(base);
  });
  it('runs in fit: seeded, no memory growth across batches', async () => {
    const run = async () => {
      const m = new Sequential([new nn.Conv2d(1, 2, 3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(2 * 5 * 5, 3)], { inputShape: [1, 7, 7], seed: 2 });
      const x = Tensor.from(images(9 * 49, 4), [9, 1, 7, 7]);
      const sizes: number[] = [];
      await fit(m, { x, y: Int32Array.from({ length: 9 }, (_, i) => i % 3) }, {
        epochs: 2, batchSize: 4, seed: 11, augment: { cropPadding: 2, flip: true }, verbose: false,
        callbacks: { onBatchEnd: () => { sizes.push(memoryInfo().bytesInUse); } },
      });
      const w = m.namedParams().map((p) => p.param.value.toFloat32Array());
      x.dispose();
      m.dispose();
      return { w, sizes };
    };
    const a = await run(), b = await run();
    expect(a.w).toEqual(b.w);
    expect(new Set(a.sizes.slice(1)).size).toBe(1);
  });
});
