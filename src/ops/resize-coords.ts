// The coordinate rules of resizing: where output pixel d of an axis reads in the input, under
// PyTorch's F.interpolate and under each ONNX Resize coordinate_transformation_mode and
// nearest_mode. The kernels (assembly/resize.ts) only read the tables built here.
import { describe } from './validate.js';

export type InterpolateMode = 'nearest' | 'bilinear';
/**
 * 'pytorch': F.interpolate's own rules (nearest ⌊d·r⌋ in float32 with r = 1/scaleFactor, or in/out
 * when a size is given; bilinear max((d + ½)·r − ½, 0), or align_corners); the others are ONNX
 * Resize's coordinate_transformation_mode with x = d / scale in float32 (scale = out/in when sizes
 * are given).
 */
export type CoordinateMode = 'pytorch' | 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric';
/** ONNX Resize's nearest_mode (PyTorch's nearest is 'floor'). */
export type NearestMode = 'floor' | 'ceil' | 'round_prefer_floor' | 'round_prefer_ceil';

export const COORDINATE_MODES: readonly CoordinateMode[] = ['pytorch', 'half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];
export const NEAREST_MODES: readonly NearestMode[] = ['floor', 'ceil', 'round_prefer_floor', 'round_prefer_ceil'];

/** One axis's table: source indices i0, i1 and the weight w of i1 (nearest: i0 only). */
export interface AxisTable {
  i0: Int32Array;
  i1: Int32Array;
  w: Float32Array;
}

export interface AxisRule {
  mode: InterpolateMode;
  coord: CoordinateMode;
  nearest: NearestMode;
  /** The given scale factor (out/in) of this axis, or null when the size was given. */
  scale: number | null;
}

const f = Math.fround;

/** The unrounded source coordinate of output index d. */
function coordinate(d: number, n: number, out: number, r: AxisRule): number {
  if (r.coord === 'align_corners') return out > 1 ? f(f(d * (n - 1)) / (out - 1)) : 0;
  if (r.coord === 'pytorch') {
    const inv = f(r.scale !== null ? 1 / r.scale : n / out);
    return r.mode === 'nearest' ? f(d * inv) : Math.max(f(f(inv * (d + 0.5)) - 0.5), 0);
  }
  const s = f(r.scale ?? out / n);
  if (r.coord === 'asymmetric') return f(d / s);
  if (r.coord === 'pytorch_half_pixel' && out <= 1) return 0;
  return f(f(f(d + 0.5) / s) - 0.5);
}

function round(x: number, m: NearestMode): number {
  switch (m) {
    case 'floor': return Math.floor(x);
    case 'ceil': return Math.ceil(x);
    case 'round_prefer_floor': return x - Math.floor(x) === 0.5 ? Math.floor(x) : Math.round(x);
    case 'round_prefer_ceil': return x - Math.floor(x) === 0.5 ? Math.ceil(x) : Math.round(x);
  }
}

/** The table of an axis resized from n to out under rule r. */
export function axisTable(n: number, out: number, r: AxisRule): AxisTable {
  const t: AxisTable = { i0: new Int32Array(out), i1: new Int32Array(out), w: new Float32Array(out) };
  for (let d = 0; d < out; d++) {
    const x = coordinate(d, n, out, r);
    if (r.mode === 'nearest') {
      const i = Math.min(Math.max(round(x, r.nearest), 0), n - 1);
      t.i0[d] = t.i1[d] = i;
      continue;
    }
    const c = Math.min(Math.max(x, 0), n - 1);
    const i = Math.floor(c);
    t.i0[d] = i;
    t.i1[d] = Math.min(i + 1, n - 1);
    t.w[d] = c - i;
  }
  return t;
}

/** The i32 table block of assembly/resize.ts: [H, W, OH, OW, iy0, iy1, wy, ix0, ix1, wx]. */
export function tableBlock(h: number, w: number, rows: AxisTable, cols: AxisTable): number[] {
  const bits = (a: Float32Array) => Array.from(new Int32Array(a.buffer, a.byteOffset, a.length));
  return [h, w, rows.i0.length, cols.i0.length, ...rows.i0, ...rows.i1, ...bits(rows.w), ...cols.i0, ...cols.i1, ...bits(cols.w)];
}

/** True when the table is ⌊d/2⌋ onto an axis of half the length: the 2× nearest kernel applies. */
export function isHalving(n: number, t: AxisTable): boolean {
  if (t.i0.length !== 2 * n) return false;
  for (let d = 0; d < t.i0.length; d++) if (t.i0[d] !== d >> 1) return false;
  return true;
}

/** A choice among `allowed`, or a TypeError naming the option. */
export function choice<T extends string>(op: string, name: string, v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T)) throw new TypeError(`${op}: ${name} must be ${allowed.map((a) => `'${a}'`).join(', ')}; got ${describe(v)}`);
  return v as T;
}
