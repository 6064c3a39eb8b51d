// Where Tensor.fromPixels gets its RGBA bytes: an ImageData-like object (any runtime), or, in a
// browser, a canvas, an OffscreenCanvas, an ImageBitmap or a VideoFrame (drawn into a scratch
// canvas and read back with getImageData; a 2-d canvas is read directly). Every DOM global is
// feature-detected (`typeof X === 'function'` before any instanceof), so Node, Deno and workerd
// never touch one.
import { describe } from './wasm/engine.js';

/** RGBA bytes, row-major, 4 per pixel (a browser's ImageData is one). */
export interface ImageDataLike {
  readonly data: Uint8ClampedArray | Uint8Array;
  readonly width: number;
  readonly height: number;
}

// The browser types where the DOM library is loaded, `never` where it is not: the published
// declarations then compile in a Node-only TypeScript project too.
type Global<K extends string> = typeof globalThis extends Record<K, { prototype: infer P }> ? P : never;
/** HTMLCanvasElement, OffscreenCanvas, ImageBitmap or VideoFrame (browsers only). */
export type BrowserPixelSource = Global<'HTMLCanvasElement'> | Global<'OffscreenCanvas'> | Global<'ImageBitmap'> | Global<'VideoFrame'>;
export type PixelSource = ImageDataLike | BrowserPixelSource;

/** A rectangle of a source, in pixels. */
export interface Rect { x: number; y: number; w: number; h: number }

/** A source's bytes: pixel (x, y) at byte 4·(y·stride + x), 0 ≤ x < width, 0 ≤ y < height. */
export interface Pixels { data: Uint8Array; stride: number; width: number; height: number }

type Kind = 'image' | 'canvas' | 'offscreen' | 'bitmap' | 'frame';
/** A checked source; `bytes` is an ImageData-like's data, read once (as bytes of one type). */
export interface Opened { kind: Kind; source: unknown; width: number; height: number; bytes?: Uint8Array }

const WHERE = 'Tensor.fromPixels';

function isA(v: unknown, name: string): boolean {
  const c = (globalThis as Record<string, unknown>)[name];
  return typeof c === 'function' && v instanceof (c as new () => unknown);
}

/** Checks one source and returns its kind and size; `arg` names it in messages ('source', 'source[2]'). */
export function openSource(s: unknown, arg: string): Opened {
  if (s === null || typeof s !== 'object') throw notASource(s, arg);
  if ('data' in s) return openImageData(s as Partial<ImageDataLike>, arg);
  if (isA(s, 'HTMLCanvasElement')) return sized('canvas', s, (s as HTMLCanvasElement).width, (s as HTMLCanvasElement).height, arg);
  if (isA(s, 'OffscreenCanvas')) return sized('offscreen', s, (s as OffscreenCanvas).width, (s as OffscreenCanvas).height, arg);
  if (isA(s, 'ImageBitmap')) return sized('bitmap', s, (s as ImageBitmap).width, (s as ImageBitmap).height, arg);
  if (isA(s, 'VideoFrame')) return sized('frame', s, (s as VideoFrame).displayWidth, (s as VideoFrame).displayHeight, arg);
  throw notASource(s, arg);
}

function notASource(s: unknown, arg: string): TypeError {
  return new TypeError(
    `${WHERE}: ${arg} must be an ImageData-like { data: Uint8ClampedArray | Uint8Array, width, height } (RGBA), ` +
    `or in a browser an HTMLCanvasElement, OffscreenCanvas, ImageBitmap or VideoFrame; got ${describe(s)}` +
    (isA(s, 'HTMLImageElement') || isA(s, 'HTMLVideoElement') ? ' (draw it into a canvas, or pass createImageBitmap(it))' : ''),
  );
}

function openImageData(s: Partial<ImageDataLike>, arg: string): Opened {
  const { data, width, height } = s;
  if (!(data instanceof Uint8ClampedArray || data instanceof Uint8Array)) {
    throw new TypeError(`${WHERE}: ${arg}.data must be a Uint8ClampedArray or Uint8Array of RGBA bytes, got ${describe(data)}`);
  }
  const o = sized('image', s, width as number, height as number, arg);
  if (data.length !== 4 * o.width * o.height) {
    throw new RangeError(`${WHERE}: ${arg}.data has ${data.length} bytes, but RGBA at ${o.width}×${o.height} needs 4·${o.width}·${o.height} = ${4 * o.width * o.height}`);
  }
  // one byte type for the copies into wasm memory (setting a Uint8Array from a Uint8ClampedArray converts)
  o.bytes = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return o;
}

function sized(kind: Kind, source: unknown, width: number, height: number, arg: string): Opened {
  for (const [k, v] of [['width', width], ['height', height]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new RangeError(`${WHERE}: ${arg}.${k} must be a positive integer, got ${describe(v)}`);
    }
  }
  return { kind, source, width, height };
}

/** The bytes of rectangle r of an opened source (an ImageData-like is used in place, no copy). */
export function readRect(o: Opened, r: Rect): Pixels & { x: number; y: number } {
  if (o.bytes) return { data: o.bytes, stride: o.width, width: o.width, height: o.height, x: r.x, y: r.y };
  let ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null = null;
  if (o.kind === 'canvas' || o.kind === 'offscreen') {
    // A 2-d canvas is read directly; getContext('2d') is null for a WebGL/bitmaprenderer canvas,
    // which is drawn into a scratch canvas like the others.
    ctx = (o.source as OffscreenCanvas).getContext('2d') as OffscreenCanvasRenderingContext2D | null;
  }
  const x = ctx ? r.x : 0, y = ctx ? r.y : 0;
  if (!ctx) {
    ctx = scratchContext(r.w, r.h);
    ctx.drawImage(o.source as CanvasImageSource, r.x, r.y, r.w, r.h, 0, 0, r.w, r.h);
  }
  const img = ctx.getImageData(x, y, r.w, r.h);
  const d = img.data;
  return { data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength), stride: r.w, width: r.w, height: r.h, x: 0, y: 0 };
}

function scratchContext(w: number, h: number): OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D {
  let ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null = null;
  if (typeof OffscreenCanvas === 'function') {
    ctx = new OffscreenCanvas(w, h).getContext('2d', { willReadFrequently: true });
  } else if (typeof document !== 'undefined') {
    const c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    ctx = c.getContext('2d', { willReadFrequently: true });
  }
  if (!ctx) throw new Error(`${WHERE}: this runtime has no 2-d canvas to draw the source into (OffscreenCanvas or document)`);
  return ctx;
}
