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

/**
 * The i32 table block of assembly/resize-common.ts: [H, W, OH, OW, pairCols, groups, 0, 0, iy0,
 * iy1, wy, ix0, ix1, wx, base[groups], mask[groups]]. pairCols counts the leading output columns
 * with ix0 ≤ W − 2 (their two source columns are adjacent inside the row); groups (bilinear only)
 * the leading groups of 4 of those columns whose ix0 lie within 4 adjacent inputs from base, with
 * the byte shuffle that picks each column's input out of x[base .. base + 3].
 */
export function tableBlock(h: number, w: number, rows: AxisTable, cols: AxisTable, bilinear: boolean): number[] {
  const bits = (a: Float32Array) => Array.from(new Int32Array(a.buffer, a.byteOffset, a.length));
  const ix = cols.i0;
  let pairs = 0;
  while (pairs < ix.length && ix[pairs] <= w - 2) pairs++;
  const bases: number[] = [], masks: number[] = [];
  for (let g = 0; bilinear && 4 * g + 4 <= pairs && ix[4 * g + 3] - ix[4 * g] <= 3; g++) {
    const base = ix[4 * g];
    bases.push(base);
    // lane l's 4 bytes are the bytes of input base + d, d = ix0 − base: 4d, 4d + 1, 4d + 2, 4d + 3 (little-endian i32)
    for (let l = 0; l < 4; l++) masks.push((4 * (ix[4 * g + l] - base)) * 0x01010101 + 0x03020100);
  }
  return [
    h, w, rows.i0.length, ix.length, pairs, bases.length, 0, 0,
    ...rows.i0, ...rows.i1, ...bits(rows.w), ...ix, ...cols.i1, ...bits(cols.w), ...bases, ...masks,
  ];
}

/** s when the table is ⌊d/s⌋ onto an axis s times as long (nearest by an integer factor), else 0. */
export function repeatFactor(n: number, t: AxisTable): number {
  const out = t.i0.length;
  if (out % n !== 0) return 0;
  const s = out / n;
  for (let d = 0; d < out; d++) if (t.i0[d] !== Math.floor(d / s)) return 0;
  return s;
}

/**
 * True when bilinear table t maps n inputs onto 2n outputs as 2× with half-pixel centres: output
 * 2k = ¼·x[k − 1] + ¾·x[k], 2k + 1 = ¾·x[k] + ¼·x[k + 1], indices outside clamped to the edge
 * (the kernel resize_bilinear_f32_2x_simd). Compared weight by weight, exactly.
 */
export function isBilinearDouble(n: number, t: AxisTable): boolean {
  if (t.i0.length !== 2 * n) return false;
  const clamp = (i: number) => Math.min(Math.max(i, 0), n - 1);
  for (let d = 0; d < 2 * n; d++) {
    const k = d >> 1;
    const want = new Map<number, number>();
    const add = (m: Map<number, number>, i: number, v: number) => { if (v !== 0) m.set(i, (m.get(i) ?? 0) + v); };
    add(want, clamp(d % 2 === 0 ? k - 1 : k + 1), 0.25);
    add(want, k, 0.75);
    const got = new Map<number, number>();
    add(got, t.i0[d], 1 - t.w[d]);
    add(got, t.i1[d], t.w[d]);
    if (got.size !== want.size) return false;
    for (const [i, v] of want) if (got.get(i) !== v) return false;
  }
  return true;
}

/** A choice among `allowed`, or a TypeError naming the option. */
export function choice<T extends string>(op: string, name: string, v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T)) throw new TypeError(`${op}: ${name} must be ${allowed.map((a) => `'${a}'`).join(', ')}; got ${describe(v)}`);
  return v as T;
}
