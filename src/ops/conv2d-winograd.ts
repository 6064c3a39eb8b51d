// Winograd convolution F(m×m, 3×3) for 3×3 stride-1 convolutions (any padding, dilation 1, one
// group): the filter transformed once per prepare (U: α² matrices [out, in] in 8-row panels), then
// per block of tiles (its own scratch: the transformed input V and the GEMMs' result M) the input
// transform, the α² GEMMs M[ξ] = U[ξ]·V[ξ] (conv2d_winograd_gemm_f32_simd, the channel sum in
// slices) and the output transform with bias and clamp fused (assembly/conv2d-winograd.ts). The
// backward-data pass is the same schedule on dy with the filter rotated 180° and transposed.
// The choice between this and the GEMM path ('auto') is the cost model of conv2d-algorithm.ts.
import { heap, kernels } from '../wasm/engine.js';
import type { Kernels } from '../wasm/abi.js';
import { paramBlock, prepared, type Prepared } from './prepared.js';
import type { ConvGeom } from './conv2d-common.js';
import { evenRange, gemmNs, runTasks, taskCount, threadCount } from '../threads/parallel.js';

export type WinoTile = 2 | 4 | 6;

/** Why the Winograd path cannot run this geometry (a sentence), or null when it can. */
export function winogradUnsupported(p: ConvGeom): string | null {
  const { g } = p;
  if (g.kh !== 3 || g.kw !== 3) return `its kernel is ${g.kh}×${g.kw} (Winograd here is for 3×3 kernels)`;
  if (g.sh !== 1 || g.sw !== 1) return `its stride is [${g.sh}, ${g.sw}] (Winograd needs stride 1)`;
  if (g.dh !== 1 || g.dw !== 1) return `its dilation is [${g.dh}, ${g.dw}] (Winograd needs dilation 1)`;
  if (p.groups !== 1) return `it has groups = ${p.groups} (Winograd needs groups = 1)`;
  return null;
}

/** One convolution pass as the Winograd kernels see it: input [n, cin, h, w] → output [n, cout, oh, ow]. */
export interface WinoShape {
  n: number; cin: number; h: number; w: number;
  pt: number; pl: number; oh: number; ow: number; cout: number;
}

export const forwardShape = (p: ConvGeom): WinoShape => ({
  n: p.n, cin: p.c, h: p.h, w: p.wd, pt: p.g.padTop, pl: p.g.padLeft, oh: p.g.oh, ow: p.g.ow, cout: p.o,
});

/** dx = the 3×3 stride-1 convolution of dy padded by 2 − pad with the rotated, transposed filter. */
export const backwardDataShape = (p: ConvGeom): WinoShape => ({
  n: p.n, cin: p.o, h: p.g.oh, w: p.g.ow, pt: 2 - p.g.padTop, pl: 2 - p.g.padLeft, oh: p.h, ow: p.wd, cout: p.c,
});

/** Transform positions per tile size. */
export const positions = (m: WinoTile) => (m + 2) * (m + 2);

/**
 * Channels per slice of the transformed-domain sums (conv2d_winograd_gemm_f32_simd): each slice
 * summed from zero, then added to the running sum, which cuts the rounding error of deep layers
 * 2–3× at 512 channels (bench/README.md "Winograd accuracy"); about √512 is the optimum.
 */
let SLICE = 32;

/** Test and bench hook: the channel slice of the transformed-domain sums of ops prepared after it (undefined: the default). */
export function setWinogradSlice(channels: number | undefined): void {
  SLICE = channels ?? 32;
}

/** Tiles of a pass with m×m output tiles. */
export function tileCount(s: WinoShape, m: WinoTile): number {
  return s.n * Math.ceil(s.oh / m) * Math.ceil(s.ow / m);
}

/** Bytes of V and M for one block of tiles, about this much (L2-sized; see bench/README.md). */
let BLOCK_BYTES = 1 << 20;
const MIN_TILES = 16, MAX_TILES = 512;

/** Tiles per block: a multiple of 8 within [MIN_TILES, MAX_TILES], shapes only (never the thread count). */
export function blockTiles(s: WinoShape, m: WinoTile): number {
  const T = positions(m);
  const fit = Math.floor(BLOCK_BYTES / (T * (s.cin + s.cout) * 4) / 8) * 8;
  return Math.min(Math.ceil(tileCount(s, m) / 8) * 8, Math.max(MIN_TILES, Math.min(MAX_TILES, fit)));
}

/** Test and bench hook: the block budget in bytes (undefined: the default). */
export function setWinogradBlockBytes(bytes: number | undefined): void {
  BLOCK_BYTES = bytes ?? 1 << 20;
}

type K = keyof Kernels;
const FILTER: Record<WinoTile, K> = {
  2: 'conv2d_winograd_filter_f32_2x2_simd', 4: 'conv2d_winograd_filter_f32_4x4_simd', 6: 'conv2d_winograd_filter_f32_6x6_simd',
};
const INPUT: Record<WinoTile, K> = {
  2: 'conv2d_winograd_input_f32_2x2_simd', 4: 'conv2d_winograd_input_f32_4x4_simd', 6: 'conv2d_winograd_input_f32_6x6_simd',
};
const OUTPUT: Record<WinoTile, K> = {
  2: 'conv2d_winograd_output_f32_2x2_minmax_simd', 4: 'conv2d_winograd_output_f32_4x4_minmax_simd',
  6: 'conv2d_winograd_output_f32_6x6_minmax_simd',
};

/** Floats per transform position of a pass's transformed filter (8-row panels, as the filter kernels lay it out). */
export const filterStride = (s: WinoShape) => Math.ceil(s.cout / 8) * 8 * s.cin + 16;

/**
 * The transformed filter of a pass: f32[α²·filterStride] on the heap (the caller releases it).
 * flip: the backward-data filter (w [O, C, 3, 3] rotated, rows = C). slice: as the run's (winogradRun).
 */
export function transformFilter(m: WinoTile, wp: number, o: number, c: number, flip: boolean, slice: number): number {
  const rows = flip ? c : o, cols = flip ? o : c;
  const u = heap().alloc(positions(m) * (Math.ceil(rows / 8) * 8 * cols + 16) * 4);
  const k = kernels() as unknown as Record<string, (...a: number[]) => void>;
  k[FILTER[m]]!(wp, u, o, c, flip ? 1 : 0, slice);
  return u;
}

/** A Winograd pass over a transformed filter u: scratch per thread and the run. */
export interface WinoRun {
  scratchBytes: number;
  run(xp: number, yp: number, scratch: number): void;
}

/**
 * The schedule of one pass: blocks of `nt` tiles over the whole batch, each a task (input
 * transform into the thread's V, α² GEMMs into its M, output transform into y). The blocks depend
 * on the shapes only, so every output has the same bits on any thread count.
 */
export function winogradRun(s: WinoShape, m: WinoTile, u: number, slice: number, bp: number, min: number, max: number, params: number): WinoRun {
  const T = positions(m);
  const tiles = tileCount(s, m);
  const nt = blockTiles(s, m);
  // each ξ's region padded by a cache line, so the α² regions do not map onto the same L1 sets
  const vStride = s.cin * nt + 16, ldm = nt, mStride = s.cout * ldm + 16;
  const vBytes = T * vStride * 4;
  const stride = Math.ceil((vBytes + T * mStride * 4 + 64) / 64) * 64;
  const threads = threadCount();
  const blocks = Math.ceil(tiles / nt);
  const workNs = gemmNs(2 * T * s.cout * s.cin * blocks * nt) * 1.3;
  const count = taskCount(workNs, blocks, threads);
  const at = evenRange(blocks, count);
  const uStride = filterStride(s);
  return {
    scratchBytes: stride * threads,
    run(xp, yp, scratch) {
      runTasks('conv2d (Winograd)', count, workNs, threads, scratch, stride, (t) => {
        for (let i = 0; i < count; i++) {
          t.task();
          for (let b = at(i); b < at(i + 1); b++) {
            const t0 = b * nt, t1 = Math.min(tiles, t0 + nt), cnt = t1 - t0;
            // scratch offsets: V at 0, M at vBytes
            t.scratchCall(INPUT[m], 0b10, xp, 0, vStride, params, t0, t1);
            t.scratchCall('conv2d_winograd_gemm_f32_simd', 0b10100, u, uStride, 0, vStride, vBytes, mStride, ldm, s.cout, s.cin, cnt, T, slice);
            t.scratchCall(OUTPUT[m], 0b1, vBytes, mStride, ldm, yp, bp, params, t0, t1, min, max);
          }
        }
      });
    },
  };
}

/** The kernels' parameter block of a pass. */
export function winoBlock(s: WinoShape, m: WinoTile): number {
  return paramBlock([s.cin, s.h, s.w, s.pt, s.pl, s.oh, s.ow, Math.ceil(s.ow / m), Math.ceil(s.oh / m), s.cout]);
}

/** The forward pass as a Prepared: the filter transformed now (prepare time), freed by dispose. */
export function winogradForward(p: ConvGeom, m: WinoTile, wp: number, bp: number, min: number, max: number): Prepared {
  const s = forwardShape(p);
  const params = winoBlock(s, m);
  const slice = SLICE;
  let u = 0;
  try {
    u = transformFilter(m, wp, p.o, p.c, false, slice);
  } catch (e) {
    heap().release(params);
    throw e;
  }
  const r = winogradRun(s, m, u, slice, bp, min, max, params);
  const out = prepared([p.n, p.o, p.g.oh, p.g.ow], r.scratchBytes, [params, u], (inputs, yp, scratch) => r.run(inputs[0], yp, scratch));
  return Object.assign(out, { algorithm: `winograd F(${m}×${m}, 3×3)` });
}

/** dx [N, C, H, W] = the data gradient of dy through w by Winograd (overwrites dx). */
export function winogradBackwardData(p: ConvGeom, m: WinoTile, dyp: number, wp: number, dxp: number): void {
  const s = backwardDataShape(p);
  const h = heap();
  const params = winoBlock(s, m);
  let u = 0, scratch = 0;
  try {
    u = transformFilter(m, wp, p.o, p.c, true, SLICE);
    const r = winogradRun(s, m, u, SLICE, 0, -Infinity, Infinity, params);
    scratch = h.alloc(r.scratchBytes);
    r.run(dyp, dxp, scratch);
  } finally {
    h.release(params);
    if (u !== 0) h.release(u);
    if (scratch !== 0) h.release(scratch);
  }
}
