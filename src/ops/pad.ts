// Padding as F.pad: constant (any value), reflect (mirror without the edge) and replicate (ONNX's
// edge) of any number of trailing dims, with the adjoint (reflect / replicate borders add their
// gradients onto the positions they copied). Pads in F.pad's order, last dim first:
// [left, right], [left, right, top, bottom], then a pair per further dim (channels, batch…).
// The last two dims are the kernels' planes (SIMD row copies); pads of the dims before them map
// whole planes (a plane of a constant pad is filled). Kernels: assembly/pad.ts.
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { describe, elementCount, fmtShape, knownOptions, numberArg, rankArg, shapeArg } from './validate.js';
import { paramBlock, prepared, runOnce, type Prepared } from './prepared.js';
import { choice } from './resize-coords.js';

export type PadMode = 'constant' | 'reflect' | 'replicate';

export interface PadOptions {
  /** 'constant' (default), 'reflect' or 'replicate'. */
  mode?: PadMode;
  /** The constant mode's value (default 0). */
  value?: number;
}

const MODES: readonly PadMode[] = ['constant', 'reflect', 'replicate'];

/** Checked pads (F.pad order) and options. */
export function padSpec(op: string, pads: unknown, options: PadOptions | undefined): { pads: number[]; mode: PadMode; value: number } {
  const o = knownOptions(op, options, ['mode', 'value']) as PadOptions;
  if (!Array.isArray(pads) || pads.length === 0 || pads.length % 2 !== 0 || pads.length > 12) {
    throw new TypeError(`${op}: pads must be [left, right], [left, right, top, bottom] or more (begin, end) pairs, one pair per dim from the last (F.pad's order; at most 6 dims), got ${describe(pads)}`);
  }
  for (const [i, p] of pads.entries()) {
    if (typeof p !== 'number' || !Number.isInteger(p)) throw new TypeError(`${op}: pads[${i}] must be an integer, got ${describe(p)}`);
    if (p < 0) throw new RangeError(`${op}: pads[${i}] is ${p}; negative pads (cropping) are not supported`);
    if (p > 1 << 20) throw new RangeError(`${op}: pads[${i}] ${p} is too large`);
  }
  const mode = choice(op, 'mode', o.mode, MODES, 'constant');
  const value = o.value === undefined ? 0 : numberArg(op, 'value', o.value);
  if (mode !== 'constant' && o.value !== undefined && o.value !== 0) throw new TypeError(`${op}: value applies to mode 'constant' only (mode is '${mode}')`);
  return { pads: pads.slice(), mode, value };
}

/**
 * The padded shape of x's shape: the last pads.length / 2 dims padded. `keep` leading dims may not
 * be padded (nn.Pad keeps the batch: 1; ops.pad pads any dim, as F.pad).
 */
export function padShape(op: string, xs: Shape, pads: readonly number[], mode: PadMode, keep = 0): number[] {
  const k = pads.length / 2;
  if (xs.length < k + keep) {
    throw new RangeError(`${op}: pads ${fmtShape(pads)} pad ${k} dims, but x ${fmtShape(xs)} has rank ${xs.length}${keep ? ' (the batch is never padded)' : ''}`);
  }
  const out = xs.slice();
  for (let i = 0; i < k; i++) {
    const a = xs.length - 1 - i, n = xs[a], p0 = pads[2 * i], p1 = pads[2 * i + 1];
    if (n < 1) throw new RangeError(`${op}: x ${fmtShape(xs)} has an empty dim ${a}`);
    if (mode === 'reflect' && (p0 >= n || p1 >= n)) {
      throw new RangeError(`${op}: reflect pads ${p0}, ${p1} of dim ${a} must be less than its size ${n} (x ${fmtShape(xs)})`);
    }
    out[a] = n + p0 + p1;
  }
  elementCount(op, 'the padded output', out);
  return out;
}

/**
 * The kernels' geometry: planes of y and of x, and the block [H, W, OH, OW, top, left, mode, L,
 * (n, on, begin) × L] — L = 0 unless a dim before the last two is padded (then every leading dim).
 */
function geometry(xs: Shape, pads: readonly number[], mode: PadMode): { yPlanes: number; xPlanes: number; block: number[] } {
  const r = xs.length, k = pads.length / 2;
  const at = (d: number): [number, number] => { // pads of dim d (F.pad order counts from the last dim)
    const i = r - 1 - d;
    return i < k ? [pads[2 * i], pads[2 * i + 1]] : [0, 0];
  };
  const w = xs[r - 1], h = r >= 2 ? xs[r - 2] : 1;
  const [l, rt] = at(r - 1), [t, b] = r >= 2 ? at(r - 2) : [0, 0];
  const lead = xs.slice(0, Math.max(0, r - 2));
  const padded = lead.some((_, d) => at(d)[0] + at(d)[1] > 0);
  const dims = padded ? lead.flatMap((n, d) => [n, n + at(d)[0] + at(d)[1], at(d)[0]]) : [];
  const xPlanes = lead.reduce((a, v) => a * v, 1);
  const yPlanes = padded ? lead.reduce((a, n, d) => a * (n + at(d)[0] + at(d)[1]), 1) : xPlanes;
  return { yPlanes, xPlanes, block: [h, w, h + t + b, w + l + rt, t, l, MODES.indexOf(mode), padded ? lead.length : 0, ...dims] };
}

/** The prepared pad of x (shape xShape) by pads (F.pad order) — kernel pad_f32_simd. */
export function preparePad(xShape: Shape, pads: readonly number[], options?: PadOptions): Prepared {
  const op = 'pad';
  const s = padSpec(op, pads, options);
  const out = padShape(op, xShape, s.pads, s.mode);
  const g = geometry(xShape, s.pads, s.mode);
  const params = paramBlock(g.block);
  const k = kernels();
  return prepared(out, 0, [params], (ins, y) => k.pad_f32_simd(ins[0], y, params, s.value, 0, g.yPlanes));
}

/**
 * y = F.pad(x, pads, mode, value): pads ≥ 0 in pairs from the last dim ([left, right, top, bottom,
 * front, back, …]), on any dims (the batch too, as F.pad), in every mode.
 */
export function pad(x: Tensor, pads: readonly number[], options?: PadOptions): Tensor {
  const t = rankArg('pad', 'x', x, [1, 2, 3, 4, 5, 6], 'N, …');
  return runOnce(preparePad(t.shape, pads, options), [t.ptr], (sh) => Tensor.empty(sh));
}

/** dx (shape xShape) of pad(x, pads, options) given dy: the adjoint — kernel pad_bwd_f32_simd. */
export function padBackward(dy: Tensor, xShape: Shape, pads: readonly number[], options?: PadOptions): Tensor {
  const op = 'padBackward';
  const d = rankArg(op, 'dy', dy, [1, 2, 3, 4, 5, 6], 'N, …');
  xShape = shapeArg(op, 'xShape', xShape);
  const s = padSpec(op, pads, options);
  const want = padShape(op, xShape, s.pads, s.mode);
  if (d.rank !== want.length || d.shape.some((v, i) => v !== want[i])) {
    throw new RangeError(`${op}: dy ${fmtShape(d.shape)} must be the padded shape ${fmtShape(want)} of x ${fmtShape(xShape)}`);
  }
  const g = geometry(xShape, s.pads, s.mode);
  const params = paramBlock(g.block);
  const k = kernels();
  const p = prepared([...xShape], 0, [params], (ins, y) => k.pad_bwd_f32_simd(ins[0], y, params, 0, g.xPlanes));
  return runOnce(p, [d.ptr], (sh) => Tensor.empty(sh));
}
