// Output-size arithmetic for sliding windows (convolution and pooling) and its error messages.
// The lecture's (N − F + 2P)/S + 1, with dilation: F becomes D·(F − 1) + 1.
import { describe, enumArg, I32_MAX, intArg, knownOptions, pairArg } from './validate.js';

export type Rounding = 'floor' | 'ceil' | 'exact';

export interface OutputSizeOptions {
  stride?: number;
  /** Zero-padding on both sides, or [before, after]. */
  padding?: number | readonly [number, number];
  dilation?: number;
  /** 'floor' (default, PyTorch/ONNX), 'ceil' (pooling's ceilMode) or 'exact' (throws when the filter does not fit). */
  rounding?: Rounding;
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/**
 * The number of window positions along one axis: floor/ceil((N + P₀ + P₁ − D·(F−1) − 1)/S) + 1.
 * With rounding 'exact' it throws when (N − F + 2P)/S + 1 is not a whole number, naming the numbers.
 * Ceil rounding follows PyTorch: the last window must start inside the input or left padding.
 */
export function outputSize(n: number, f: number, options?: OutputSizeOptions): number {
  const op = 'outputSize';
  const o = knownOptions(op, options, ['stride', 'padding', 'dilation', 'rounding']);
  intArg(op, 'N (input size)', n, 1);
  intArg(op, 'F (filter size)', f, 1);
  const s = intArg(op, 'stride', o.stride ?? 1, 1);
  const d = intArg(op, 'dilation', o.dilation ?? 1, 1);
  const pad = o.padding ?? 0;
  let p0: number, p1: number;
  if (Array.isArray(pad)) {
    if (pad.length !== 2) throw new RangeError(`${op}: padding must be a number or [before, after], got ${describe(pad)}`);
    p0 = intArg(op, 'padding[0]', pad[0], 0);
    p1 = intArg(op, 'padding[1]', pad[1], 0);
  } else {
    p0 = p1 = intArg(op, 'padding', pad, 0);
  }
  const rounding = enumArg(op, 'rounding', o.rounding, ['floor', 'ceil', 'exact'] as const, 'floor');
  const fe = d * (f - 1) + 1; // effective (dilated) filter size
  // the kernels index the padded input with i32 arithmetic: every window offset must fit
  if (fe > I32_MAX) throw new RangeError(`${op}: the dilated filter size D·(F − 1) + 1 = ${d}·${f - 1} + 1 = ${fe} is more than 2^31 − 1`);
  if (n + p0 + p1 > I32_MAX) {
    throw new RangeError(`${op}: the padded input size N + P = ${n} + ${p0 + p1} = ${n + p0 + p1} is more than 2^31 − 1 (the kernels index with 32-bit integers)`);
  }
  // the kernels find each tap's first and last window as (S − 1 + P − D·k)/S and (N + P)/S: in i32
  if (n + p0 + p1 + s > I32_MAX) {
    throw new RangeError(
      `${op}: the padded input size plus the stride N + P + S = ${n} + ${p0 + p1} + ${s} = ${n + p0 + p1 + s} is more than 2^31 − 1 ` +
        `(the kernels index with 32-bit integers)`,
    );
  }
  const span = n + p0 + p1 - fe;
  const padText = p0 === p1 ? `2·${p0}` : `${p0}+${p1}`;
  const fText = d === 1 ? `${f}` : `${fe}`;
  if (span < 0) {
    throw new RangeError(
      `${op}: the filter does not fit: F = ${f}${d > 1 ? ` (dilated to ${fe})` : ''} is larger than the padded input ` +
        `N + P = ${n} + ${p0 + p1} = ${n + p0 + p1}`,
    );
  }
  if (rounding === 'exact') {
    if (span % s !== 0) {
      const exact = span / s + 1;
      const formula = p0 === 0 && p1 === 0 ? `(${n} - ${fText})/${s} + 1` : `(${n} - ${fText} + ${padText})/${s} + 1`;
      throw new RangeError(
        `${op}: the filter does not fit exactly: (N - F + 2P)/S + 1 = ${formula} = ${fmt(exact)} is not a whole number ` +
          `(N = ${n}, F = ${f}${d > 1 ? `, dilation ${d}` : ''}, P = ${p0 === p1 ? p0 : `${p0}/${p1}`}, S = ${s}). ` +
          `Floor rounding would give ${Math.floor(exact)} and drop ${span % s} input ${span % s === 1 ? 'row/column' : 'rows/columns'}; ` +
          `change the padding or stride, or use rounding 'floor'.`,
      );
    }
    return span / s + 1;
  }
  if (rounding === 'floor') return Math.floor(span / s) + 1;
  let out = Math.ceil(span / s) + 1;
  if ((out - 1) * s >= n + p0) out--;
  return out;
}

/** Resolved 2-D window geometry: everything a conv or pooling kernel needs. */
export interface Window2d {
  kh: number; kw: number;
  sh: number; sw: number;
  dh: number; dw: number;
  padTop: number; padLeft: number; padBottom: number; padRight: number;
  oh: number; ow: number;
}

/** Padding as an op takes it: a number, [h, w], [top, left, bottom, right] (ONNX order), 'same' or 'valid'. */
export type Padding2d = number | readonly [number, number] | readonly [number, number, number, number] | 'same' | 'valid';

export interface WindowOptions {
  kernelSize: [number, number];
  stride?: unknown;
  padding?: unknown;
  dilation?: unknown;
  rounding?: Rounding;
}

/** A Padding2d, checked (numbers are integers in [0, 2^31 − 1]); returns it. */
export function padding2dArg(op: string, pad: unknown): Padding2d {
  if (pad === 'same' || pad === 'valid') return pad;
  if (Array.isArray(pad) && pad.length === 4) {
    pad.forEach((p, i) => intArg(op, `padding[${i}] (${['top', 'left', 'bottom', 'right'][i]})`, p, 0));
    return pad as unknown as Padding2d;
  }
  if (Array.isArray(pad) || typeof pad === 'number') {
    pairArg(op, 'padding', pad, 0);
    return pad as Padding2d;
  }
  throw new TypeError(`${op}: padding must be a number, [h, w], [top, left, bottom, right], 'same' or 'valid'; got ${describe(pad)}`);
}

/**
 * Resolves kernel/stride/padding/dilation against an input of h × w and computes the output size.
 * Errors name the op and the axis.
 */
export function window2d(op: string, h: number, w: number, o: WindowOptions): Window2d {
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: window options must be an object, got ${describe(o)}`);
  const [kh, kw] = pairArg(op, 'kernelSize', o.kernelSize, 1);
  const [sh, sw] = pairArg(op, 'stride', o.stride ?? 1, 1);
  const [dh, dw] = pairArg(op, 'dilation', o.dilation ?? 1, 1);
  const pad = padding2dArg(op, o.padding ?? 0);
  let pt: number, pl: number, pb: number, pr: number;
  if (pad === 'valid') {
    pt = pl = pb = pr = 0;
  } else if (pad === 'same') {
    // TensorFlow/ONNX SAME_UPPER: output ceil(N/S); any odd padding goes after (bottom/right)
    const same = (n: number, k: number, s: number, d: number) => {
      const total = Math.max((Math.ceil(n / s) - 1) * s + d * (k - 1) + 1 - n, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    [pt, pb] = same(h, kh, sh, dh);
    [pl, pr] = same(w, kw, sw, dw);
  } else if (Array.isArray(pad) && pad.length === 4) {
    pt = intArg(op, 'padding[0] (top)', pad[0], 0);
    pl = intArg(op, 'padding[1] (left)', pad[1], 0);
    pb = intArg(op, 'padding[2] (bottom)', pad[2], 0);
    pr = intArg(op, 'padding[3] (right)', pad[3], 0);
  } else if (Array.isArray(pad) || typeof pad === 'number') {
    const [ph, pw] = pairArg(op, 'padding', pad, 0);
    pt = pb = ph;
    pl = pr = pw;
  } else {
    throw new TypeError(
      `${op}: padding must be a number, [h, w], [top, left, bottom, right], 'same' or 'valid'; got ${describe(pad)}`,
    );
  }
  const axis = (name: string, n: number, k: number, s: number, d: number, p0: number, p1: number) => {
    try {
      return outputSize(n, k, { stride: s, dilation: d, padding: [p0, p1], rounding: o.rounding });
    } catch (e) {
      throw new RangeError(`${op}: along the ${name} ${(e as Error).message.replace(/^outputSize: /, '')}`);
    }
  };
  const oh = axis('height', h, kh, sh, dh, pt, pb);
  const ow = axis('width', w, kw, sw, dw, pl, pr);
  return { kh, kw, sh, sw, dh, dw, padTop: pt, padLeft: pl, padBottom: pb, padRight: pr, oh, ow };
}
