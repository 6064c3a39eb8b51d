import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, memoryInfo, type FromPixelsOptions } from '../src/index.js';
import { ready, rng, expectCanariesIntact } from './helpers.js';
import { pixelsRef, centerCropRef, type PixelsRefOptions } from './ref/pixels.js';
import { centerCrop } from '../src/tensor-pixels.js';

beforeAll(ready);

const fixture = JSON.parse(readFileSync(new URL('./fixtures/pixels.json', import.meta.url), 'utf8')) as {
  cases: { width: number; height: number; data: number[]; options: PixelsRefOptions; expected: number[] }[];
};

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

function image(w: number, h: number, seed: number, clamped = false): { data: Uint8Array | Uint8ClampedArray; width: number; height: number } {
  const r = rng(seed);
  const data = clamped ? new Uint8ClampedArray(4 * w * h) : new Uint8Array(4 * w * h);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
  return { data, width: w, height: h };
}

/** Runs fromPixels, checks memory returns to baseline once the result is disposed, returns the data. */
function run(src: Parameters<typeof Tensor.fromPixels>[0], o?: FromPixelsOptions): { shape: readonly number[]; data: Float32Array } {
  const before = memoryInfo();
  const t = Tensor.fromPixels(src, o);
  expectCanariesIntact('fromPixels');
  const res = { shape: t.shape, data: t.toFloat32Array() };
  t.dispose();
  const after = memoryInfo();
  expect([after.bytesInUse, after.liveBlocks, after.liveTensors]).toEqual([before.bytesInUse, before.liveBlocks, before.liveTensors]);
  return res;
}

function expectNear(got: Float32Array, want: ArrayLike<number>, what: string, tol = 1e-5): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol)) throw new Error(`${what}: mismatch at flat ${i}: got ${got[i]}, expected ${want[i]}`);
  }
}

describe('Tensor.fromPixels', () => {
  it('matches PyTorch (F.interpolate, Normalize) on the committed fixture', () => {
    expect(fixture.cases.length).toBeGreaterThan(5);
    for (const [k, c] of fixture.cases.entries()) {
      const o = c.options as FromPixelsOptions;
      const { shape, data } = run({ data: Uint8Array.from(c.data), width: c.width, height: c.height }, o);
      expect(shape).toEqual([1, o.channels, o.size![0], o.size![1]]);
      expectNear(data, c.expected, `fixture case ${k} (${c.width}×${c.height} ${JSON.stringify(o)})`);
      // and the float64 reference agrees with PyTorch
      expectNear(Float32Array.from(pixelsRef(c.data, c.width, c.height, c.options)), c.expected, `reference on fixture case ${k}`);
    }
  });

  it('matches the float64 reference over sizes, scales, crops, modes, channels and normalisations', () => {
    const sources: [number, number][] = [[1, 1], [3, 5], [7, 4], [13, 9], [32, 17], [6, 40], [16, 16]];
    const sizes: [number, number][] = [[1, 1], [2, 3], [5, 7], [9, 4], [16, 16], [23, 11], [37, 50]];
    const norms: Pick<FromPixelsOptions, 'mean' | 'std'>[] = [{}, { mean: 0.5, std: 0.25 }, IMAGENET];
    let n = 0;
    for (const [si, [w, h]] of sources.entries()) {
      const img = image(w, h, 100 + si, si % 2 === 1);
      for (const size of sizes) {
        for (const resize of ['bilinear', 'nearest'] as const) {
          for (const crop of ['none', 'center'] as const) {
            for (const channels of [3, 1] as const) {
              const norm = norms[n % norms.length];
              const o: FromPixelsOptions = { size, resize, crop, channels, ...norm };
              if (channels === 1 && Array.isArray(norm.mean)) Object.assign(o, { mean: [0.449], std: [0.226] });
              const { shape, data } = run(img, o);
              expect(shape).toEqual([1, channels, size[0], size[1]]);
              expectNear(data, pixelsRef(img.data, w, h, o as PixelsRefOptions), `${w}×${h} → ${JSON.stringify(o)}`);
              n++;
            }
          }
        }
      }
    }
    expect(n).toBe(7 * 7 * 8);
  });

  it('without size keeps the pixels (a plain ToTensor + Normalize)', () => {
    for (const [w, h] of [[1, 1], [5, 3], [8, 8], [17, 2]]) {
      const img = image(w, h, w * 31 + h);
      const { shape, data } = run(img, IMAGENET);
      expect(shape).toEqual([1, 3, h, w]);
      const want = new Float64Array(3 * h * w);
      for (let c = 0; c < 3; c++) for (let i = 0; i < h * w; i++) want[c * h * w + i] = (img.data[4 * i + c] / 255 - IMAGENET.mean[c]) / IMAGENET.std[c];
      expectNear(data, want, `${w}×${h} unresized`);
      // center crop without size: the aspect is the image's own, nothing is cut
      expectNear(run(img, { ...IMAGENET, crop: 'center' }).data, want, `${w}×${h} center, no size`);
    }
  });

  it('grey is the BT.601 luma kept in float (not rounded to a byte as PIL does)', () => {
    const img = { data: new Uint8Array([10, 20, 31, 255]), width: 1, height: 1 };
    const { data } = run(img, { channels: 1 });
    // PIL's convert('L') would give round(19.877)/255 = 20/255 = 0.0784…; the float is 0.07795…
    expect(data[0]).toBeCloseTo((0.299 * 10 + 0.587 * 20 + 0.114 * 31) / 255, 7);
  });

  it('batches: an array of sources is [N, C, H, W], each converted as alone', () => {
    const imgs = [image(13, 9, 1), image(7, 11, 2, true), image(20, 20, 3)];
    const o: FromPixelsOptions = { size: [6, 5], crop: 'center', ...IMAGENET };
    const { shape, data } = run(imgs, o);
    expect(shape).toEqual([3, 3, 6, 5]);
    imgs.forEach((img, k) => {
      expectNear(data.subarray(k * 90, (k + 1) * 90), pixelsRef(img.data, img.width, img.height, o as PixelsRefOptions), `batch item ${k}`);
    });
    // without size, same-sized sources batch unresized
    const same = [image(4, 3, 7), image(4, 3, 8, true), image(4, 3, 9)];
    const b = run(same, { channels: 1 });
    expect(b.shape).toEqual([3, 1, 3, 4]);
    same.forEach((img, k) => expectNear(b.data.subarray(k * 12, (k + 1) * 12), pixelsRef(img.data, 4, 3, { channels: 1 }), `unresized batch item ${k}`));
  });

  it('a 1920×1080 frame → 224×224 center crop samples only the rows it needs', () => {
    const img = image(1920, 1080, 5);
    const o: FromPixelsOptions = { size: [224, 224], crop: 'center', ...IMAGENET };
    const { data } = run(img, o);
    const want = pixelsRef(img.data, 1920, 1080, o as PixelsRefOptions);
    // the coordinates carry float32 rounding at 1080 px, as PyTorch's do; the reference does the same
    expectNear(data, want, '1920×1080 → 224×224');
  });

  it('center crop: both orientations, odd leftovers split as torchvision (Python round)', () => {
    expect(centerCrop(1920, 1080, 224, 224)).toEqual({ x: 420, y: 0, w: 1080, h: 1080 });
    expect(centerCrop(1080, 1920, 224, 224)).toEqual({ x: 0, y: 420, w: 1080, h: 1080 });
    expect(centerCrop(10, 5, 1, 1)).toEqual({ x: 2, y: 0, w: 5, h: 5 }); // leftover 5 → 2 (2.5 to even)
    expect(centerCrop(8, 5, 1, 1)).toEqual({ x: 2, y: 0, w: 5, h: 5 }); // leftover 3 → 2 (1.5 to even)
    expect(centerCrop(6, 5, 1, 1)).toEqual({ x: 0, y: 0, w: 5, h: 5 }); // leftover 1 → 0
    expect(centerCrop(5, 12, 1, 1)).toEqual({ x: 0, y: 4, w: 5, h: 5 }); // leftover 7 → 4
    expect(centerCrop(9, 9, 2, 3)).toEqual({ x: 0, y: 2, w: 9, h: 6 }); // leftover 3 → 2
    expect(centerCrop(7, 3, 2, 2)).toEqual({ x: 2, y: 0, w: 3, h: 3 });
    for (const [W, H, oh, ow] of [[13, 9, 5, 7], [9, 13, 5, 7], [7, 10, 3, 2], [100, 3, 7, 11], [3, 100, 11, 7], [5, 5, 4, 4]]) {
      const r = centerCrop(W, H, oh, ow);
      expect([r.x, r.y, r.w, r.h], `${W}×${H} → ${oh}×${ow}`).toEqual(centerCropRef(W, H, oh, ow));
    }
  });

  it('rejects bad sources and options with messages that name the argument and the value', () => {
    const ok = image(4, 3, 1);
    const bad: [unknown, unknown, RegExp][] = [
      [null, undefined, /Tensor\.fromPixels: source must be an ImageData-like .* got null/],
      [{ width: 2, height: 2 }, undefined, /source must be an ImageData-like/],
      [{ data: [1, 2, 3, 4], width: 1, height: 1 }, undefined, /source\.data must be a Uint8ClampedArray or Uint8Array .* got an array/],
      [{ data: new Float32Array(4), width: 1, height: 1 }, undefined, /source\.data must be .* got a Float32Array/],
      [{ data: new Uint8Array(47), width: 4, height: 3 }, undefined, /source\.data has 47 bytes, but RGBA at 4×3 needs 4·4·3 = 48/],
      [{ data: new Uint8Array(0), width: 0, height: 3 }, undefined, /source\.width must be a positive integer, got 0/],
      [{ data: new Uint8Array(8), width: 2, height: 1.5 }, undefined, /source\.height must be a positive integer, got 1\.5/],
      [[], undefined, /source is an empty array/],
      [[ok, { data: new Uint8Array(4), width: 2, height: 2 }], undefined, /source\[1\]\.data has 4 bytes/],
      [[ok, image(3, 4, 2)], undefined, /source\[1\] is 3×4 but source\[0\] is 4×3; without options\.size/],
      [ok, { size: [0, 5] }, /options\.size must be \[height, width\], two positive integers, got an array \[0, 5\]/],
      [ok, { size: [2.5, 5] }, /options\.size must be .* got an array \[2\.5, 5\]/],
      [ok, { size: [4] }, /options\.size must be/],
      [ok, { size: 224 }, /options\.size must be .* got 224/],
      [ok, { resize: 'bicubic' }, /options\.resize must be 'bilinear' or 'nearest', got "bicubic"/],
      [ok, { crop: 'centre' }, /options\.crop must be 'center' or 'none', got "centre"/],
      [ok, { channels: 4 }, /options\.channels must be 1 or 3, got 4/],
      [ok, { std: 0 }, /options\.std is 0; every std must be non-zero/],
      [ok, { std: [1, 0, 1] }, /options\.std\[1\] is 0/],
      [ok, { mean: [0.5, 0.5] }, /options\.mean must be a finite number or an array of 3 \(one per channel\), got an array \[0\.5, 0\.5\]/],
      [ok, { channels: 1, std: [0.2, 0.2, 0.2] }, /options\.std must be .* array of 1/],
      [ok, { mean: NaN }, /options\.mean must be .* got NaN/],
      [ok, { sise: [2, 2] }, /unknown option "sise"; the options are size, resize, crop, channels, mean, std/],
      [ok, 'fast', /options must be an object, got "fast"/],
      [ok, { size: [40000, 40000] }, /Tensor\.fromPixels: shape \[1, 3, 40000, 40000\] has 4800000000 elements, more than a wasm32 memory holds/],
    ];
    const before = memoryInfo();
    for (const [src, o, re] of bad) {
      expect(() => Tensor.fromPixels(src as never, o as never), `${JSON.stringify(o)}`).toThrow(re);
    }
    expect(memoryInfo()).toEqual(before);
  });

  it('frees the output and the scratch when a copy fails midway through a batch', () => {
    class Failing extends Uint8Array {
      override subarray(): Uint8Array<ArrayBuffer> { throw new Error('read failed'); }
    }
    const bad = { data: new Failing(4 * 6 * 4), width: 6, height: 4 };
    const before = memoryInfo();
    expect(() => Tensor.fromPixels([image(6, 4, 1), bad, image(6, 4, 2)], { size: [3, 3] })).toThrow(/read failed/);
    expect(memoryInfo()).toEqual(before);
  });

  it.skipIf(typeof OffscreenCanvas === 'undefined')('reads canvases, ImageBitmaps and VideoFrames in a browser', async () => {
    const w = 9, h = 6;
    const img = image(w, h, 11, true);
    for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255; // opaque: canvases premultiply
    const canvas = new OffscreenCanvas(w, h);
    canvas.getContext('2d')!.putImageData(new ImageData(img.data as Uint8ClampedArray<ArrayBuffer>, w, h), 0, 0);
    const o: FromPixelsOptions = { size: [4, 4], crop: 'center', ...IMAGENET };
    const want = run(img, o).data;
    expectNear(run(canvas, o).data, want, 'OffscreenCanvas');
    const bitmap = await createImageBitmap(canvas);
    expectNear(run(bitmap, o).data, want, 'ImageBitmap');
    bitmap.close();
    if (typeof document !== 'undefined') {
      const el = document.createElement('canvas');
      el.width = w;
      el.height = h;
      el.getContext('2d')!.drawImage(canvas, 0, 0);
      expectNear(run(el, o).data, want, 'HTMLCanvasElement');
    }
    if (typeof VideoFrame === 'function') {
      const frame = new VideoFrame(canvas, { timestamp: 0 });
      expectNear(run(frame, o).data, want, 'VideoFrame');
      frame.close();
    }
    // a batch mixing kinds
    expectNear(run([img, canvas], o).data, Float32Array.from([...want, ...want]), 'batch of ImageData + canvas');
  });
});
