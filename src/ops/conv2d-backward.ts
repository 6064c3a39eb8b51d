// Kernel schedules of the convolution's backward passes. The public ops, their validation and
// the forward pass live in conv2d.ts, the geometry they share in conv2d-common.ts; this file only
// runs kernels on checked geometry.
//
// Data gradient, per image and group, in blocks of output rows: dcol = Wᵀ·dy (the GEMM reads W
// transposed, packed once per call; the dy block is packed into 8-column panels), then col2im
// scatter-adds dcol into dx (zeroed first). A 1×1 stride-1 unpadded convolution writes Wᵀ·dy
// straight into dx.
// Filter gradient: dW += dy·colᵀ, i.e. the GEMM computes col·dyᵀ with C stored transposed and
// accumulated, over row-major im2col blocks (the reduction over pixels runs down the GEMM's k
// loop against packed dy rows; the pointwise case reads x in place). Unpadded convolutions skip
// im2col: a direct kernel with output pixels in the lanes (stride 1 along the width, long rows),
// else the GEMM's tile reading x through a table of tap offsets. Depthwise: direct kernels. A
// window that is the whole input runs the dense layer's backward (linear.ts) for both.
import type { Tensor } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { paramBlock, releaseAll, withScratch } from './prepared.js';
import { depthwiseBlock, im2colBlock, isDepthwise, isPointwise, unpadded, wholeInput, type ConvGeom } from './conv2d-common.js';
import { evenRange, gemmNs, runTasks, taskCount, threadCount, type Tasks } from '../threads/parallel.js';
import { denseBackwardData, denseBackwardWeight } from './linear.js';

/** Column scratch per block of output rows (L2-sized, so a block stays warm between its kernels). */
const COL_BYTES = 512 * 1024;

/**
 * The direct filter gradient (conv2d_bwd_filter_f32_s1_2x4_simd) instead of im2col + GEMM:
 * stride 1 along the width, no padding, and output rows long enough to fill its 4-lane vectors
 * (ow ≥ 12, or a multiple of 4), where it beats building the im2col matrix.
 */
function directFilter(p: ConvGeom): boolean {
  const { g } = p;
  return g.sw === 1 && unpadded(g) && (g.ow >= 12 || g.ow % 4 === 0) && !isPointwise(g) && !isDepthwise(p);
}

function rowsPerBlock(p: ConvGeom, floatsPerPixel: number): number {
  return Math.max(1, Math.min(p.g.oh, Math.floor(COL_BYTES / (floatsPerPixel * p.g.ow * 4))));
}

/** Bytes rounded up to whole cache lines, plus a line: pieces of one thread's scratch never share one. */
const lines = (bytes: number) => Math.ceil(bytes / 64) * 64 + 64;


/**
 * dx [N, C, H, W] = the data gradient of dy [N, O, oh, ow] through weights w (overwrites dx).
 * One task per run of consecutive (image, group) pairs: each writes only its own planes of dx,
 * with its own packing and column buffers, so any thread may run it.
 */
export function runBackwardData(p: ConvGeom, dy: Tensor, w: Tensor, dx: Tensor): void {
  const k = kernels();
  const { g } = p;
  const P = g.oh * g.ow, hw = p.h * p.wd, K = p.cg * g.kh * g.kw;
  const dyp = dy.ptr, wp = w.ptr, dxp = dx.ptr;
  if (wholeInput(p)) return withScratch((alloc) => denseBackwardData(p.n, K, p.o, dyp, wp, dxp, alloc));
  const params = paramBlock(isDepthwise(p) ? depthwiseBlock(p) : im2colBlock(p));
  const workNs = gemmNs(2 * p.n * p.o * P * K);
  let scratch = 0, packedW = 0;
  try {
    if (isDepthwise(p)) {
      const count = taskCount(workNs, p.n);
      const at = evenRange(p.n, count);
      runTasks('conv2dBackwardData (depthwise)', count, workNs, threadCount(), 0, 0, (t) => {
        for (let i = 0; i < count; i++) {
          t.task();
          for (let n = at(i); n < at(i + 1); n++) t.call('dwconv2d_bwd_data_f32_simd', dyp + n * p.o * P * 4, wp, dxp + n * p.c * hw * 4, params);
        }
      });
      return;
    }
    // Wᵀ is read in row tiles of 4 columns of W: packed once into 8-column panels, each row tile
    // reads contiguous memory however long W's rows are
    const wPanels = Math.ceil(K / 8) * 8 * p.og;
    packedW = heap().alloc(p.groups * wPanels * 4);
    for (let gi = 0; gi < p.groups; gi++) k.gemm_pack_f32_p8_simd(wp + gi * p.og * K * 4, K, packedW + gi * wPanels * 4, p.og, K);
    const pointwise = isPointwise(g);
    const rows = rowsPerBlock(p, pointwise ? p.og : K + p.og);
    // per thread: the dy block packed into panels, then (unless 1×1) the column block
    const packedBytes = lines(Math.ceil((rows * g.ow) / 8) * 8 * p.og * 4);
    const stride = packedBytes + (pointwise ? 0 : lines(K * rows * g.ow * 4));
    const threads = threadCount();
    scratch = heap().alloc(stride * threads);
    const units = p.n * p.groups;
    const count = taskCount(workNs, units, threads);
    const at = evenRange(units, count);
    runTasks('conv2dBackwardData', count, workNs, threads, scratch, stride, (t) => {
      for (let i = 0; i < count; i++) {
        t.task();
        for (let u = at(i); u < at(i + 1); u++) {
          const n = Math.floor(u / p.groups), gi = u % p.groups;
          const dyg = dyp + (n * p.o + gi * p.og) * P * 4;
          const wg = packedW + gi * wPanels * 4;
          const dxg = dxp + (n * p.c + gi * p.cg) * hw * 4;
          if (!pointwise) t.call('fill_f32_simd', dxg, p.cg * hw, 0);
          for (let oy = 0; oy < g.oh; oy += rows) {
            const r = Math.min(rows, g.oh - oy);
            const p0 = oy * g.ow, cnt = r * g.ow;
            // offsets into the thread's scratch: packed dy at 0, the column block after it
            t.scratchCall('gemm_pack_f32_p8_simd', 0b100, dyg + p0 * 4, P, 0, p.og, cnt);
            if (pointwise) {
              t.scratchCall('gemm_f32_ta_4x8_simd', 0b1000, wg, 8, 8 * p.og, 0, 8, 8 * p.og, dxg + p0 * 4, P, K, cnt, p.og);
            } else {
              t.scratchCall('gemm_f32_ta_4x8_simd', 0b1001000, wg, 8, 8 * p.og, 0, 8, 8 * p.og, packedBytes, cnt, K, cnt, p.og);
              t.scratchCall('conv2d_col2im_f32_simd', 0b1, packedBytes, dxg, params, oy, oy + r);
            }
          }
        }
      }
    });
  } finally {
    heap().release(params);
    if (scratch !== 0) heap().release(scratch);
    if (packedW !== 0) heap().release(packedW);
  }
}

/** Partial filter gradients at most this many bytes in all (beyond that, one sum over the batch). */
const PARTIAL_BYTES = 4 << 20;
/** Partial sums of the filter gradient at most. */
const MAX_CHUNKS = 16;
/** Single-thread ns a chunk of images should hold at least. */
let CHUNK_NS = 40_000;

/** Test hook: chunks of this many ns (0: as many chunks as images allow; undefined: the default). */
export function setGradChunkNs(ns: number | undefined): void {
  CHUNK_NS = ns ?? 40_000;
}

/**
 * How many chunks of images the filter gradient of a batch is summed in: each chunk into a
 * partial gradient of its own (so the chunks can run on any threads at once), the partials then
 * added into dW in chunk order. A function of the shapes only, never of the thread count, so the
 * result is the same on any number of threads. 1: every image straight into dW, in order.
 */
export function gradChunks(n: number, workNs: number, dwBytes: number): number {
  return Math.max(1, Math.min(n, MAX_CHUNKS, CHUNK_NS > 0 ? Math.floor(workNs / CHUNK_NS) : n, Math.floor(PARTIAL_BYTES / dwBytes)));
}

/**
 * Sums a filter gradient over the batch: `images(t, n0, n1, into)` writes the calls that add
 * images [n0, n1) into the gradient at `into` (dW itself or a zeroed partial) as task t's. With one
 * chunk the images run in order into dW; else each chunk is a task into its own partial, and the
 * partials are added into dW in order.
 */
function sumOverBatch(
  label: string, n: number, workNs: number, dwp: number, dwFloats: number, threads: number, base: number, stride: number,
  images: (t: Tasks, n0: number, n1: number, into: number) => void,
): void {
  const chunks = gradChunks(n, workNs, dwFloats * 4);
  if (chunks === 1) {
    runTasks(label, 1, workNs, threads, base, stride, (t) => { t.task(); images(t, 0, n, dwp); });
    return;
  }
  const partBytes = lines(dwFloats * 4);
  const partials = heap().alloc(chunks * partBytes);
  try {
    kernels().fill_f32_simd(partials, (chunks * partBytes) / 4, 0);
    const at = evenRange(n, chunks);
    runTasks(label, chunks, workNs, threads, base, stride, (t) => {
      for (let c = 0; c < chunks; c++) {
        t.task();
        images(t, at(c), at(c + 1), partials + c * partBytes);
      }
    });
    const k = kernels();
    for (let c = 0; c < chunks; c++) k.add_inc_f32_simd(partials + c * partBytes, dwp, dwFloats);
  } finally {
    heap().release(partials);
  }
}

/** dw [O, C/groups, kh, kw] += the filter gradient of dy [N, O, oh, ow] for input x. */
export function runBackwardFilter(p: ConvGeom, x: Tensor, dy: Tensor, dw: Tensor): void {
  const { g } = p;
  const P = g.oh * g.ow, hw = p.h * p.wd, K = p.cg * g.kh * g.kw;
  const xp = x.ptr, dyp = dy.ptr, dwp = dw.ptr;
  if (wholeInput(p)) return withScratch((alloc) => denseBackwardWeight(p.n, K, p.o, dyp, xp, dwp, alloc));
  const workNs = gemmNs(2 * p.n * p.o * P * K);
  const dwFloats = p.o * K;
  const owned: number[] = [];
  const block = (values: number[]) => { const b = paramBlock(values); owned.push(b); return b; };
  try {
    if (directFilter(p)) {
      // no im2col: one call per group and chunk of images (its own block: the image count)
      const blocks = new Map<number, number>();
      const blockFor = (count: number) => {
        let b = blocks.get(count);
        if (b === undefined) {
          b = block([p.cg, p.h, p.wd, p.og, g.kh, g.kw, g.sh, g.dh, g.dw, g.oh, g.ow, count, p.c * hw, p.o * P]);
          blocks.set(count, b);
        }
        return b;
      };
      sumOverBatch('conv2dBackwardFilter', p.n, workNs, dwp, dwFloats, threadCount(), 0, 0, (t, n0, n1, into) => {
        if (n1 <= n0) return;
        const b = blockFor(n1 - n0);
        for (let gi = 0; gi < p.groups; gi++) {
          t.call('conv2d_bwd_filter_f32_s1_2x4_simd', xp + (n0 * p.c + gi * p.cg) * hw * 4, dyp + (n0 * p.o + gi * p.og) * P * 4, into + gi * p.og * K * 4, b);
        }
      });
      return;
    }
    if (isDepthwise(p)) {
      const params = block(depthwiseBlock(p));
      sumOverBatch('conv2dBackwardFilter (depthwise)', p.n, workNs, dwp, dwFloats, threadCount(), 0, 0, (t, n0, n1, into) => {
        for (let n = n0; n < n1; n++) t.call('dwconv2d_bwd_filter_f32_simd', xp + n * p.c * hw * 4, dyp + n * p.o * P * 4, into, params);
      });
      return;
    }
    const threads = threadCount();
    const panelsBytes = lines(Math.ceil(p.og / 8) * 8 * P * 4);
    if (!isPointwise(g) && unpadded(g)) {
      // no im2col either: taps read from x through a table of their offsets
      const offsets: number[] = [];
      for (let c = 0; c < p.cg; c++) {
        for (let ki = 0; ki < g.kh; ki++) for (let kj = 0; kj < g.kw; kj++) offsets.push(((c * p.h + ki * g.dh) * p.wd + kj * g.dw) * 4);
      }
      const params = block([p.cg, p.h, p.wd, p.og, g.kh, g.kw, g.sh, g.sw, g.oh, g.ow]);
      const table = block(offsets);
      const scratch = heap().alloc(panelsBytes * threads);
      owned.push(scratch);
      sumOverBatch('conv2dBackwardFilter', p.n, workNs, dwp, dwFloats, threads, scratch, panelsBytes, (t, n0, n1, into) => {
        for (let n = n0; n < n1; n++) {
          for (let gi = 0; gi < p.groups; gi++) {
            // dy's channels as 8-channel panels in the thread's scratch (offset 0)
            t.scratchCall('gemm_pack_f32_t_p8_simd', 0b100, dyp + (n * p.o + gi * p.og) * P * 4, P, 0, p.og, P);
            t.scratchCall('conv2d_bwd_filter_f32_ct_4x8_simd', 0b10, xp + (n * p.c + gi * p.cg) * hw * 4, 0, into + gi * p.og * K * 4, table, params);
          }
        }
      });
      return;
    }
    const params = block(im2colBlock(p));
    const pointwise = isPointwise(g);
    const rows = pointwise ? g.oh : rowsPerBlock(p, K);
    // per thread: dy packed (8-channel panels, one row per pixel), then (unless 1×1) a column block
    const stride = panelsBytes + (pointwise ? 0 : lines(K * rows * g.ow * 4));
    const scratch = heap().alloc(stride * threads);
    owned.push(scratch);
    sumOverBatch('conv2dBackwardFilter', p.n, workNs, dwp, dwFloats, threads, scratch, stride, (t, n0, n1, into) => {
      for (let n = n0; n < n1; n++) {
        for (let gi = 0; gi < p.groups; gi++) {
          const dyg = dyp + (n * p.o + gi * p.og) * P * 4;
          const xg = xp + (n * p.c + gi * p.cg) * hw * 4;
          const dwg = into + gi * p.og * K * 4;
          // panels of 8 output channels, one row per pixel: B[p, o] = dy[o, p]
          t.scratchCall('gemm_pack_f32_t_p8_simd', 0b100, dyg, P, 0, p.og, P);
          for (let oy = 0; oy < g.oh; oy += rows) {
            const r = Math.min(rows, g.oh - oy);
            const p0 = oy * g.ow, cnt = r * g.ow;
            if (pointwise) {
              t.scratchCall('gemm_f32_ct_4x8_inc_simd', 0b100, xg + p0 * 4, P, p0 * 32, 8, 8 * P, dwg, K, K, p.og, cnt);
            } else {
              t.scratchCall('conv2d_im2col_f32_simd', 0b10, xg, panelsBytes, cnt, params, oy, oy + r);
              t.scratchCall('gemm_f32_ct_4x8_inc_simd', 0b101, panelsBytes, cnt, p0 * 32, 8, 8 * P, dwg, K, K, p.og, cnt);
            }
          }
        }
      }
    });
  } finally {
    releaseAll(owned);
  }
}
