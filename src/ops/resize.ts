// Resizing of [N, C, H, W] images as F.interpolate (nearest, bilinear) and ONNX Resize: the
// output size, the coordinate tables (resize-coords.ts) packed once per shape, and the kernels of
// assembly/resize.ts (a 2× nearest kernel when the tables say ⌊d/2⌋ on both axes). Backward is
// the adjoint: each output's gradient scatter-added into the inputs it read, with its weights.
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { elementCount, fmtShape, knownOptions, rankArg, describe, boolArg, xShapeArg } from './validate.js';
import { paramBlock, prepared, runOnce, type Prepared } from './prepared.js';
import { evenRange, runTasks, taskCount, threadCount } from '../threads/parallel.js';
import {
  axisTable, choice, isBilinearDouble, repeatFactor, tableBlock, COORDINATE_MODES, NEAREST_MODES,
  type CoordinateMode, type InterpolateMode, type NearestMode,
} from './resize-coords.js';

export type { CoordinateMode, InterpolateMode, NearestMode } from './resize-coords.js';

export interface InterpolateOptions {
  /** The output [H, W] (or one number for both); exactly one of size and scaleFactor. */
  size?: number | readonly [number, number];
  /** The scale [h, w] (or one number): output ⌊in·scale⌋, and the coordinate map uses this scale (recompute_scale_factor=False). */
  scaleFactor?: number | readonly [number, number];
  /** 'nearest' (default) or 'bilinear' (on the last two dims). */
  mode?: InterpolateMode;
  /** Bilinear only: corner pixels aligned (PyTorch's align_corners; ONNX's 'align_corners' mode). */
  alignCorners?: boolean;
  /** The coordinate rule: 'pytorch' (default) or an ONNX coordinate_transformation_mode. */
  coordinateMode?: CoordinateMode;
  /** How nearest rounds a coordinate (ONNX nearest_mode): 'floor' (default, PyTorch's). */
  nearestMode?: NearestMode;
}

export const INTERPOLATE_KEYS = ['size', 'scaleFactor', 'mode', 'alignCorners', 'coordinateMode', 'nearestMode'];

/** Checked interpolation options: one of size / scale, the modes resolved. */
export interface InterpolateSpec {
  size: [number, number] | null;
  scale: [number, number] | null;
  mode: InterpolateMode;
  coord: CoordinateMode;
  nearest: NearestMode;
}

function pairOf(op: string, name: string, v: unknown, check: (x: unknown, n: string) => number): [number, number] {
  if (Array.isArray(v)) {
    if (v.length !== 2) throw new RangeError(`${op}: ${name} must be a number or [h, w], got ${describe(v)}`);
    return [check(v[0], `${name}[0]`), check(v[1], `${name}[1]`)];
  }
  const n = check(v, name);
  return [n, n];
}

/** Validates interpolation options (the layer calls it at construction). */
export function interpolateSpec(op: string, options: InterpolateOptions | undefined): InterpolateSpec {
  const o = knownOptions(op, options, INTERPOLATE_KEYS) as InterpolateOptions;
  if ((o.size === undefined) === (o.scaleFactor === undefined)) {
    throw new TypeError(`${op}: give exactly one of size and scaleFactor (got ${o.size === undefined ? 'neither' : 'both'})`);
  }
  const size = o.size === undefined ? null : pairOf(op, 'size', o.size, (x, n) => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 1 || x > 1 << 20) throw new RangeError(`${op}: ${n} must be an integer in [1, 2^20], got ${describe(x)}`);
    return x;
  });
  const scale = o.scaleFactor === undefined ? null : pairOf(op, 'scaleFactor', o.scaleFactor, (x, n) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0 || x > 4096) throw new RangeError(`${op}: ${n} must be a number in (0, 4096], got ${describe(x)}`);
    return x;
  });
  const mode = choice<InterpolateMode>(op, 'mode', o.mode, ['nearest', 'bilinear'], 'nearest');
  const align = boolArg(op, 'alignCorners', o.alignCorners, false);
  let coord = choice(op, 'coordinateMode', o.coordinateMode, COORDINATE_MODES, 'pytorch');
  if (align) {
    if (mode === 'nearest') throw new TypeError(`${op}: alignCorners applies to mode 'bilinear' only (as in PyTorch); mode is 'nearest'`);
    if (o.coordinateMode !== undefined && coord !== 'align_corners') throw new TypeError(`${op}: alignCorners true contradicts coordinateMode '${coord}'`);
    coord = 'align_corners';
  }
  const nearest = choice(op, 'nearestMode', o.nearestMode, NEAREST_MODES, 'floor');
  const spec: InterpolateSpec = { size, scale, mode, coord, nearest };
  SPECS.add(spec);
  return spec;
}

/** The output [OH, OW] of an h × w input. */
export function interpolateSize(op: string, s: InterpolateSpec, h: number, w: number): [number, number] {
  if (s.size) return s.size;
  const [sh, sw] = s.scale!;
  const oh = Math.floor(h * sh), ow = Math.floor(w * sw);
  if (oh < 1 || ow < 1) throw new RangeError(`${op}: scaleFactor ${fmtShape(s.scale!)} makes an empty output ${oh}×${ow} of a ${h}×${w} input`);
  return [oh, ow];
}

/**
 * How a resize runs: a specialised kernel when the tables say so (nearest by integer factors,
 * bilinear 2× with half-pixel centres), else the table block for the general kernels.
 */
type Plan = { kind: 'repeat'; sh: number; sw: number } | { kind: 'double' } | { kind: 'table'; block: number[] };

/** The plan; `repeats` says which integer factors have a kernel (the backward has one for 2 × 2 only). */
function planOf(s: InterpolateSpec, h: number, w: number, oh: number, ow: number, repeats: (sh: number, sw: number) => boolean): Plan {
  const rule = (i: number) => ({ mode: s.mode, coord: s.coord, nearest: s.nearest, scale: s.scale ? s.scale[i] : null });
  const rows = axisTable(h, oh, rule(0)), cols = axisTable(w, ow, rule(1));
  if (s.mode === 'nearest') {
    const sh = repeatFactor(h, rows), sw = repeatFactor(w, cols);
    if (sh > 0 && sw > 0 && repeats(sh, sw)) return { kind: 'repeat', sh, sw };
  } else if (isBilinearDouble(h, rows) && isBilinearDouble(w, cols)) {
    return { kind: 'double' };
  }
  return { kind: 'table', block: tableBlock(h, w, rows, cols, s.mode === 'bilinear') };
}

/** Specs made by interpolateSpec (a user's options object is never taken for one). */
const SPECS = new WeakSet<object>();

function specOf(op: string, options: InterpolateOptions | InterpolateSpec): InterpolateSpec {
  return typeof options === 'object' && options !== null && SPECS.has(options) ? (options as InterpolateSpec) : interpolateSpec(op, options as InterpolateOptions);
}

type TableKernel = 'resize_bilinear_f32_simd' | 'resize_nearest_bwd_f32_simd' | 'resize_bilinear_bwd_f32_simd';

/**
 * A table kernel that needs scratch rows (`rows` rows of ow floats per thread), run as tasks of
 * consecutive planes (each thread with its own rows); nsPerPlane sizes the tasks.
 */
function tableJob(name: TableKernel, block: number[], outShape: number[], planes: number, rows: number, ow: number, nsPerPlane: number): Prepared {
  const tab = paramBlock(block);
  const threads = threadCount();
  const rowBytes = (rows * Math.ceil(ow / 4) * 4 + 4) * 4;
  const workNs = planes * nsPerPlane;
  const count = taskCount(workNs, planes, threads);
  const at = evenRange(planes, count);
  return prepared(outShape, rowBytes * threads, [tab], (ins, out, scratch) => {
    runTasks(name, count, workNs, threads, scratch, rowBytes, (t) => {
      for (let i = 0; i < count; i++) {
        t.task();
        // argument 3 (the scratch rows) is relocated to the running thread's scratch
        t.scratchCall(name, 0b1000, ins[0], out, tab, 0, at(i), at(i + 1));
      }
    });
  });
}

/**
 * The prepared resize of x [N, C, H, W] to [N, C, OH, OW]: kernels resize_nearest_f32_nx_simd
 * (integer factors), resize_bilinear_f32_2x_simd (2× half-pixel), resize_nearest_f32_simd and
 * resize_bilinear_f32_simd (any tables).
 */
export function prepareInterpolate(xShape: Shape, options: InterpolateOptions | InterpolateSpec): Prepared {
  const op = 'interpolate';
  const xs = xShapeArg(op, xShape, [4], 'N, C, H, W');
  const s = specOf(op, options);
  const [n, c, h, w] = xs;
  if (h < 1 || w < 1) throw new RangeError(`${op}: x ${fmtShape(xs)} has an empty plane`);
  const [oh, ow] = interpolateSize(op, s, h, w);
  elementCount(op, 'the output', [n, c, oh, ow]);
  const planes = n * c;
  const out = [n, c, oh, ow];
  const k = kernels();
  const plan = planOf(s, h, w, oh, ow, () => true);
  if (plan.kind === 'repeat') return prepared(out, 0, [], (ins, y) => k.resize_nearest_f32_nx_simd(ins[0], y, h, w, plan.sh, plan.sw, 0, planes));
  if (plan.kind === 'double') return prepared(out, 0, [], (ins, y) => k.resize_bilinear_f32_2x_simd(ins[0], y, h, w, 0, planes));
  if (s.mode === 'bilinear') return tableJob('resize_bilinear_f32_simd', plan.block, out, planes, 2, ow, oh * ow * 0.4);
  const tab = paramBlock(plan.block);
  return prepared(out, 0, [tab], (ins, y) => k.resize_nearest_f32_simd(ins[0], y, tab, 0, planes));
}

/** y = F.interpolate(x, options) for x [N, C, H, W] (see InterpolateOptions). */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  const t = rankArg('interpolate', 'x', x, 4, 'N, C, H, W');
  return runOnce(prepareInterpolate(t.shape, options), [t.ptr], (s) => Tensor.empty(s));
}

/**
 * dx [N, C, H, W] of interpolate(x, options) given dy [N, C, OH, OW]: the adjoint (kernels
 * resize_nearest_bwd_f32_2x_simd, resize_bilinear_bwd_f32_2x_simd, resize_nearest_bwd_f32_simd,
 * resize_bilinear_bwd_f32_simd).
 */
export function interpolateBackward(dy: Tensor, xShape: Shape, options: InterpolateOptions | InterpolateSpec): Tensor {
  const op = 'interpolateBackward';
  const d = rankArg(op, 'dy', dy, 4, 'N, C, OH, OW');
  const xs = xShapeArg(op, xShape, [4], 'N, C, H, W');
  const s = specOf(op, options);
  const [n, c, h, w] = xs;
  if (h < 1 || w < 1) throw new RangeError(`${op}: xShape ${fmtShape(xs)} has an empty plane`);
  const [oh, ow] = interpolateSize(op, s, h, w);
  const want = [n, c, oh, ow];
  if (d.shape.some((v, i) => v !== want[i])) throw new RangeError(`${op}: dy ${fmtShape(d.shape)} must be the output shape ${fmtShape(want)} of x ${fmtShape(xs)}`);
  const k = kernels();
  const planes = n * c;
  const plan = planOf(s, h, w, oh, ow, (sh, sw) => sh === 2 && sw === 2);
  let p: Prepared;
  if (plan.kind === 'repeat') p = prepared(xs, 0, [], (ins, y) => k.resize_nearest_bwd_f32_2x_simd(ins[0], y, h, w, 0, planes));
  else if (plan.kind === 'double') p = prepared(xs, 0, [], (ins, y) => k.resize_bilinear_bwd_f32_2x_simd(ins[0], y, h, w, 0, planes));
  else if (s.mode === 'nearest') p = tableJob('resize_nearest_bwd_f32_simd', plan.block, xs, planes, 1, ow, oh * ow * 0.4);
  else p = tableJob('resize_bilinear_bwd_f32_simd', plan.block, xs, planes, 2, ow, oh * ow * 1.2);
  return runOnce(p, [d.ptr], (sh) => Tensor.empty(sh));
}
