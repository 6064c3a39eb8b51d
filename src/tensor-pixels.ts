// Tensor.fromPixels: RGBA bytes → one normalised NCHW float32 tensor, in one SIMD pass
// (assembly/pixels.ts). This file checks the options, works out the crop and the sampling
// tables (PyTorch's F.interpolate arithmetic, in float32 as PyTorch computes it for float
// input), copies into wasm memory only the source rows the output samples, and runs the kernel.
//
// Why tensor.ts imports this file and not the other way round: Tensor.fromPixels must be a
// static of Tensor, and check-core forbids import cycles of any kind (type-only included). So
// this file knows nothing of Tensor: tensor.ts hands it an allocator (`(shape) => Tensor.empty
// (shape)`) and gets back what the allocator made. The edge runs tensor.ts → tensor-pixels.ts
// → tensor-pixels-read.ts → wasm, one way only.
import { heap, kernels, describe } from './wasm/engine.js';
import { openSource, readRect, type Opened, type PixelSource, type Rect } from './tensor-pixels-read.js';

export type { PixelSource, ImageDataLike, BrowserPixelSource } from './tensor-pixels-read.js';

export interface FromPixelsOptions {
  /** Output [height, width]. Without it, no resize: every source must have the same size. */
  size?: readonly [number, number];
  /**
   * 'bilinear' (default): F.interpolate(mode='bilinear', align_corners=False, antialias=False),
   * half-pixel centres. 'nearest': F.interpolate(mode='nearest'), src = floor(dst·in/out).
   */
  resize?: 'bilinear' | 'nearest';
  /**
   * 'none' (default): the whole source is stretched to `size`. 'center': the largest centred
   * region with the aspect ratio of `size` (its other side rounded to the nearest pixel, halves
   * up), offset by round(leftover / 2) with Python's round (halves to even, as torchvision's
   * center_crop: leftover 1 → 0, 3 → 2, 5 → 2, 7 → 4), then resized.
   */
  crop?: 'center' | 'none';
  /** 3 (default): R, G, B planes. 1: grey = 0.299 R + 0.587 G + 0.114 B (BT.601), kept in float. */
  channels?: 1 | 3;
  /** Per channel on the 0…1 scale (torchvision's Normalize): (x/255 − mean) / std. Default 0. */
  mean?: number | readonly number[];
  /** Per channel on the 0…1 scale; no zeros. Default 1. */
  std?: number | readonly number[];
}

const WHERE = 'Tensor.fromPixels';
const KEYS = ['size', 'resize', 'crop', 'channels', 'mean', 'std'];
const LUMA = [0.299, 0.587, 0.114];
const f = Math.fround;

interface Settings { size: [number, number] | null; nearest: boolean; center: boolean; channels: number; scale: number[]; bias: number[] }

/**
 * The body of Tensor.fromPixels: `alloc(shape)` makes the output (a Tensor, in tensor.ts).
 * Scratch is freed on every path; the output too when something fails after it was made.
 */
export function fromPixels<T extends { readonly ptr: number; dispose(): void }>(
  source: PixelSource | readonly PixelSource[], options: FromPixelsOptions | undefined, alloc: (shape: number[]) => T,
): T {
  const o = settings(options);
  const list = Array.isArray(source) ? (source as readonly unknown[]) : [source];
  if (list.length === 0) throw new RangeError(`${WHERE}: source is an empty array; pass one source or an array of at least one`);
  const opened = list.map((s, i) => openSource(s, Array.isArray(source) ? `source[${i}]` : 'source'));
  let oh: number, ow: number;
  if (o.size) [oh, ow] = o.size;
  else {
    ({ height: oh, width: ow } = opened[0]);
    opened.forEach((s, i) => {
      if (s.width !== ow || s.height !== oh) {
        throw new RangeError(`${WHERE}: source[${i}] is ${s.width}×${s.height} but source[0] is ${ow}×${oh}; without options.size every source must have the same width and height`);
      }
    });
  }
  const c = o.channels;
  const out = alloc([list.length, c, oh, ow]);
  try {
    for (let n = 0; n < opened.length; n++) convert(opened[n], o, oh, ow, out.ptr + n * c * oh * ow * 4);
  } catch (e) {
    out.dispose();
    throw e;
  }
  return out;
}

/** One image into the planes at dst. */
function convert(src: Opened, o: Settings, oh: number, ow: number, dst: number): void {
  const r = o.center ? centerCrop(src.width, src.height, oh, ow) : { x: 0, y: 0, w: src.width, h: src.height };
  const px = readRect(src, r);
  const xs = axis(r.w, ow, o.nearest);
  const ys = axis(r.h, oh, o.nearest);
  // the source rows the output samples, in order, and where each lands in the compact copy
  const slot = new Int32Array(r.h).fill(-1);
  let rows = 0;
  for (let i = 0; i < oh; i++) {
    for (const y of ys.w1[i] !== 0 ? [ys.i0[i], ys.i0[i] + 1] : [ys.i0[i]]) if (slot[y] < 0) slot[y] = rows++;
  }
  const rowBytes = r.w * 4;
  const tableBytes = 32 + 16 * ow + 16 * oh;
  const h = heap();
  const scratch = h.alloc(tableBytes + rows * rowBytes);
  try {
    const base = scratch + tableBytes;
    const i32 = h.i32view(), f32 = h.f32view(), u8 = h.u8view();
    let t = scratch >>> 2;
    for (let k = 0; k < 4; k++) f32[t + k] = o.scale[k] ?? 0;
    for (let k = 0; k < 4; k++) f32[t + 4 + k] = o.bias[k] ?? 0;
    t += 8;
    for (let x = 0; x < ow; x++, t += 4) {
      i32[t] = xs.i0[x] * 4;
      f32[t + 1] = xs.w0[x];
      f32[t + 2] = xs.w1[x];
      i32[t + 3] = 0;
    }
    for (let y = 0; y < oh; y++, t += 4) {
      const y0 = ys.i0[y];
      i32[t] = slot[y0] * rowBytes;
      i32[t + 1] = slot[ys.w1[y] !== 0 ? y0 + 1 : y0] * rowBytes;
      f32[t + 2] = ys.w0[y];
      f32[t + 3] = ys.w1[y];
    }
    // Copy the sampled rows of the crop; consecutive source rows that are whole image rows go
    // in one copy (the no-resize case is one copy of the whole image).
    const whole = px.stride === r.w;
    for (let y = 0; y < r.h;) {
      if (slot[y] < 0) { y++; continue; }
      let end = y + 1;
      if (whole) while (end < r.h && slot[end] === slot[end - 1] + 1) end++;
      const from = ((px.y + y) * px.stride + px.x) * 4;
      u8.set(px.data.subarray(from, from + (end - y - 1) * px.stride * 4 + rowBytes), base + slot[y] * rowBytes);
      y = end;
    }
    kernels().pixels_rgba8_to_nchw_f32_simd(base, scratch, dst, oh, ow, o.channels);
  } finally {
    h.release(scratch);
  }
}

/**
 * Per output index along one axis: the first tap i0 and the weights of i0 and i0 + 1, as
 * PyTorch's CPU upsampling computes them for float32 input (scale = in/out and the source
 * coordinate in float32). bilinear: src = max(0, scale·(dst + 0.5) − 0.5), i0 = min(⌊src⌋,
 * in − 1), w1 = src − i0; at the last pixel PyTorch's second tap is the first again, which
 * is w0 = 1, w1 = 0 here. nearest: i0 = min(⌊dst·scale⌋, in − 1), w0 = 1, w1 = 0.
 */
function axis(inSize: number, outSize: number, nearest: boolean): { i0: Int32Array; w0: Float32Array; w1: Float32Array } {
  const i0 = new Int32Array(outSize), w0 = new Float32Array(outSize), w1 = new Float32Array(outSize);
  const scale = f(inSize / outSize);
  for (let d = 0; d < outSize; d++) {
    if (nearest) {
      i0[d] = Math.min(Math.floor(f(d * scale)), inSize - 1);
      w0[d] = 1;
      continue;
    }
    let src = f(f(scale * f(d + 0.5)) - 0.5);
    if (src < 0) src = 0;
    const i = Math.min(Math.floor(src), inSize - 1);
    const l1 = Math.min(Math.max(f(src - i), 0), 1);
    i0[d] = i;
    if (i === inSize - 1 || l1 === 0) w0[d] = 1;
    else {
      w0[d] = f(1 - l1);
      w1[d] = l1;
    }
  }
  return { i0, w0, w1 };
}

/** The largest centred rectangle of a W×H source with the aspect ratio of oh×ow (see crop). */
export function centerCrop(W: number, H: number, oh: number, ow: number): Rect {
  let w = W, h = H;
  // integer comparisons and rounding (halves up): exact for any image size
  if (W * oh > H * ow) w = Math.min(W, Math.max(1, Math.floor((2 * H * ow + oh) / (2 * oh))));
  else if (W * oh < H * ow) h = Math.min(H, Math.max(1, Math.floor((2 * W * oh + ow) / (2 * ow))));
  return { x: halfToEven(W - w), y: halfToEven(H - h), w, h };
}

/** Python's round(d / 2) for an integer d ≥ 0: halves go to the even neighbour. */
function halfToEven(d: number): number {
  const k = d >> 1;
  return d % 2 === 0 || k % 2 === 0 ? k : k + 1;
}

function settings(options: FromPixelsOptions | undefined): Settings {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${WHERE}: options must be an object, got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!KEYS.includes(k)) throw new TypeError(`${WHERE}: unknown option ${JSON.stringify(k)}; the options are ${KEYS.join(', ')}`);
  }
  const { size, resize = 'bilinear', crop = 'none', channels = 3, mean = 0, std = 1 } = options;
  if (size !== undefined) {
    if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 1)) {
      throw new RangeError(`${WHERE}: options.size must be [height, width], two positive integers, got ${describe(size)}`);
    }
  }
  if (resize !== 'bilinear' && resize !== 'nearest') throw new TypeError(`${WHERE}: options.resize must be 'bilinear' or 'nearest', got ${describe(resize)}`);
  if (crop !== 'center' && crop !== 'none') throw new TypeError(`${WHERE}: options.crop must be 'center' or 'none', got ${describe(crop)}`);
  if (channels !== 1 && channels !== 3) throw new RangeError(`${WHERE}: options.channels must be 1 or 3, got ${describe(channels)}`);
  const m = perChannel(mean, 'mean', channels);
  const s = perChannel(std, 'std', channels);
  s.forEach((v, i) => {
    if (v === 0) throw new RangeError(`${WHERE}: options.std${typeof std === 'number' ? '' : `[${i}]`} is 0; every std must be non-zero`);
  });
  // (x/255 − mean)/std = x · 1/(255·std) + (−mean/std): one multiply-add per lane in the kernel
  const scale = channels === 3 ? s.map((v) => 1 / (255 * v)) : LUMA.map((l) => l / (255 * s[0]));
  const bias = m.map((v, i) => -v / s[i]);
  return { size: size ? [size[0], size[1]] : null, nearest: resize === 'nearest', center: crop === 'center', channels, scale, bias };
}

function perChannel(v: unknown, name: string, channels: number): number[] {
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (ok(v)) return new Array<number>(channels).fill(v);
  if (Array.isArray(v) && v.length === channels && v.every(ok)) return v.slice();
  throw new TypeError(`${WHERE}: options.${name} must be a finite number or an array of ${channels} (one per channel), got ${describe(v)}`);
}
