// Window arithmetic shared by the convolution and pooling layers: output shape and the rows or
// columns that floor rounding silently drops.
import { window2d, type Window2d, type Rounding } from '../ops/shape.js';
import type { Shape } from '../tensor.js';

export interface WindowLayerOpts {
  kernelSize: [number, number];
  stride: unknown;
  padding: unknown;
  dilation: unknown;
  rounding: Rounding;
}

/** Resolves the window for a per-sample [C, H, W] input, rethrowing with the layer's words. */
export function layerWindow(fail: (need: string) => Error, s: Shape, o: WindowLayerOpts): Window2d {
  try {
    return window2d('window', s[1], s[2], o);
  } catch (e) {
    throw fail((e as Error).message.replace(/^window: /, 'the window does not fit: '));
  }
}

/** "drops 1 input row and 2 input columns" when floor rounding leaves input uncovered. */
export function floorDrops(s: Shape, w: Window2d, rounding: Rounding): string[] {
  if (rounding !== 'floor') return [];
  const left = (n: number, k: number, st: number, d: number, p0: number, p1: number) =>
    (n + p0 + p1 - (d * (k - 1) + 1)) % st;
  const rows = left(s[1], w.kh, w.sh, w.dh, w.padTop, w.padBottom);
  const cols = left(s[2], w.kw, w.sw, w.dw, w.padLeft, w.padRight);
  const parts: string[] = [];
  if (rows > 0) parts.push(`${rows} row${rows > 1 ? 's' : ''}`);
  if (cols > 0) parts.push(`${cols} column${cols > 1 ? 's' : ''}`);
  return parts.length ? [`window does not fit exactly: floor rounding drops the last ${parts.join(' and ')} of the padded input`] : [];
}
