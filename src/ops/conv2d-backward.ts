// Kernel schedules of the convolution's backward passes. The public ops, their validation and
// the forward pass live in conv2d.ts; this file only runs kernels on checked geometry.
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
import type { Window2d } from './shape.js';
import { paramBlock } from './prepared.js';
import { denseBackwardData, denseBackwardWeight } from './linear.js';

/** A checked convolution geometry: input [n, c, h, wd], o output channels in `groups` groups. */
export interface ConvGeom {
  n: number; c: number; h: number; wd: number;
  o: number; groups: number; cg: number; og: number;
  g: Window2d;
}

/** Column scratch per block of output rows (L2-sized, so a block stays warm between its kernels). */
const COL_BYTES = 512 * 1024;

export function isDepthwise(p: ConvGeom): boolean {
  return p.cg === 1 && p.groups > 1;
}

/**
 * One group whose single output pixel's window is the whole input, read once in order (no
 * padding or dilation inside it): each image flattened is its im2col column, and the convolution
 * is a dense layer over the batch (LeNet's C5), forward and backward.
 */
export function wholeInput(p: ConvGeom): boolean {
  const { g } = p;
  return p.groups === 1 && g.oh === 1 && g.ow === 1 && g.kh === p.h && g.kw === p.wd && g.dh === 1 && g.dw === 1 &&
    g.padTop === 0 && g.padLeft === 0;
}

/**
 * The direct filter gradient (conv2d_bwd_filter_f32_s1_2x4_simd) instead of im2col + GEMM:
 * stride 1 along the width, no padding, and output rows long enough to fill its 4-lane vectors
 * (ow ≥ 12, or a multiple of 4), where it beats building the im2col matrix.
 */
function directFilter(p: ConvGeom): boolean {
  const { g } = p;
  return g.sw === 1 && unpadded(g) && (g.ow >= 12 || g.ow % 4 === 0) && !isPointwise(g) && !isDepthwise(p);
}

const unpadded = (g: Window2d) => g.padTop === 0 && g.padLeft === 0 && g.padBottom === 0 && g.padRight === 0;

/** 1×1, stride 1, no padding: the input already is the [C, H·W] column matrix. */
export function isPointwise(g: Window2d): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 &&
    g.padTop === 0 && g.padLeft === 0 && g.padBottom === 0 && g.padRight === 0;
}

/** Runs f with a scratch allocator whose blocks are freed afterwards. */
function withScratch(f: (alloc: (floats: number) => number) => void): void {
  const blocks: number[] = [];
  try {
    f((floats) => {
      const ptr = heap().alloc(floats * 4);
      blocks.push(ptr);
      return ptr;
    });
  } finally {
    for (const ptr of blocks) heap().release(ptr);
  }
}

function rowsPerBlock(p: ConvGeom, floatsPerPixel: number): number {
  return Math.max(1, Math.min(p.g.oh, Math.floor(COL_BYTES / (floatsPerPixel * p.g.ow * 4))));
}

/** The depthwise parameter block (see assembly/conv2d.ts): one input channel per group, multiplier og. */
export function depthwiseBlock(p: ConvGeom): number[] {
  const { g } = p;
  return [p.c, p.h, p.wd, p.og, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.oh, g.ow];
}

/** The im2col / col2im parameter block (one group's channels). */
export function im2colBlock(p: ConvGeom): number[] {
  const { g } = p;
  return [p.cg, p.h, p.wd, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.ow];
}

/** dx [N, C, H, W] = the data gradient of dy [N, O, oh, ow] through weights w (overwrites dx). */
export function runBackwardData(p: ConvGeom, dy: Tensor, w: Tensor, dx: Tensor): void {
  const k = kernels();
  const { g } = p;
  const P = g.oh * g.ow, hw = p.h * p.wd, K = p.cg * g.kh * g.kw;
  const dyp = dy.ptr, wp = w.ptr, dxp = dx.ptr;
  if (wholeInput(p)) return withScratch((alloc) => denseBackwardData(p.n, K, p.o, dyp, wp, dxp, alloc));
  const params = paramBlock(isDepthwise(p) ? depthwiseBlock(p) : im2colBlock(p));
  let packed = 0, dcol = 0, packedW = 0;
  try {
    if (isDepthwise(p)) {
      for (let n = 0; n < p.n; n++) k.dwconv2d_bwd_data_f32_simd(dyp + n * p.o * P * 4, wp, dxp + n * p.c * hw * 4, params);
      return;
    }
    // Wᵀ is read in row tiles of 4 columns of W: packed once into 8-column panels, each row tile
    // reads contiguous memory however long W's rows are
    const wPanels = Math.ceil(K / 8) * 8 * p.og;
    packedW = heap().alloc(p.groups * wPanels * 4);
    for (let gi = 0; gi < p.groups; gi++) k.gemm_pack_f32_p8_simd(wp + gi * p.og * K * 4, K, packedW + gi * wPanels * 4, p.og, K);
    const pointwise = isPointwise(g);
    const rows = rowsPerBlock(p, pointwise ? p.og : K + p.og);
    packed = heap().alloc(Math.ceil((rows * g.ow) / 8) * 8 * p.og * 4);
    if (!pointwise) dcol = heap().alloc(K * rows * g.ow * 4);
    for (let n = 0; n < p.n; n++) {
      for (let gi = 0; gi < p.groups; gi++) {
        const dyg = dyp + (n * p.o + gi * p.og) * P * 4;
        const wg = packedW + gi * wPanels * 4;
        const dxg = dxp + (n * p.c + gi * p.cg) * hw * 4;
        if (!pointwise) k.fill_f32_simd(dxg, p.cg * hw, 0);
        for (let oy = 0; oy < g.oh; oy += rows) {
          const r = Math.min(rows, g.oh - oy);
          const p0 = oy * g.ow, cnt = r * g.ow;
          k.gemm_pack_f32_p8_simd(dyg + p0 * 4, P, packed, p.og, cnt);
          if (pointwise) {
            k.gemm_f32_ta_4x8_simd(wg, 8, 8 * p.og, packed, 8, 8 * p.og, dxg + p0 * 4, P, K, cnt, p.og);
          } else {
            k.gemm_f32_ta_4x8_simd(wg, 8, 8 * p.og, packed, 8, 8 * p.og, dcol, cnt, K, cnt, p.og);
            k.conv2d_col2im_f32_simd(dcol, dxg, params, oy, r);
          }
        }
      }
    }
  } finally {
    heap().release(params);
    if (packed !== 0) heap().release(packed);
    if (dcol !== 0) heap().release(dcol);
    if (packedW !== 0) heap().release(packedW);
  }
}

/** dw [O, C/groups, kh, kw] += the filter gradient of dy [N, O, oh, ow] for input x. */
export function runBackwardFilter(p: ConvGeom, x: Tensor, dy: Tensor, dw: Tensor): void {
  const k = kernels();
  const { g } = p;
  const P = g.oh * g.ow, hw = p.h * p.wd, K = p.cg * g.kh * g.kw;
  const xp = x.ptr, dyp = dy.ptr, dwp = dw.ptr;
  if (wholeInput(p)) return withScratch((alloc) => denseBackwardWeight(p.n, K, p.o, dyp, xp, dwp, alloc));
  if (directFilter(p)) {
    // no im2col: one call per group runs the whole batch
    const block = paramBlock([p.cg, p.h, p.wd, p.og, g.kh, g.kw, g.sh, g.dh, g.dw, g.oh, g.ow, p.n, p.c * hw, p.o * P]);
    try {
      for (let gi = 0; gi < p.groups; gi++) {
        k.conv2d_bwd_filter_f32_s1_2x4_simd(xp + gi * p.cg * hw * 4, dyp + gi * p.og * P * 4, dwp + gi * p.og * K * 4, block);
      }
    } finally {
      heap().release(block);
    }
    return;
  }
  if (!isDepthwise(p) && !isPointwise(g) && unpadded(g)) {
    // no im2col either: taps read from x through a table of their offsets
    const offsets: number[] = [];
    for (let c = 0; c < p.cg; c++) {
      for (let ki = 0; ki < g.kh; ki++) for (let kj = 0; kj < g.kw; kj++) offsets.push(((c * p.h + ki * g.dh) * p.wd + kj * g.dw) * 4);
    }
    const block = paramBlock([p.cg, p.h, p.wd, p.og, g.kh, g.kw, g.sh, g.sw, g.oh, g.ow]);
    const table = paramBlock(offsets);
    let panels = 0;
    try {
      panels = heap().alloc(Math.ceil(p.og / 8) * 8 * P * 4);
      for (let n = 0; n < p.n; n++) {
        for (let gi = 0; gi < p.groups; gi++) {
          k.gemm_pack_f32_t_p8_simd(dyp + (n * p.o + gi * p.og) * P * 4, P, panels, p.og, P);
          k.conv2d_bwd_filter_f32_ct_4x8_simd(xp + (n * p.c + gi * p.cg) * hw * 4, panels, dwp + gi * p.og * K * 4, table, block);
        }
      }
    } finally {
      heap().release(block);
      heap().release(table);
      if (panels !== 0) heap().release(panels);
    }
    return;
  }
  const params = paramBlock(isDepthwise(p) ? depthwiseBlock(p) : im2colBlock(p));
  let packed = 0, col = 0;
  try {
    if (isDepthwise(p)) {
      for (let n = 0; n < p.n; n++) k.dwconv2d_bwd_filter_f32_simd(xp + n * p.c * hw * 4, dyp + n * p.o * P * 4, dwp, params);
      return;
    }
    const pointwise = isPointwise(g);
    const rows = pointwise ? g.oh : rowsPerBlock(p, K);
    packed = heap().alloc(Math.ceil(p.og / 8) * 8 * P * 4);
    if (!pointwise) col = heap().alloc(K * rows * g.ow * 4);
    for (let n = 0; n < p.n; n++) {
      for (let gi = 0; gi < p.groups; gi++) {
        const dyg = dyp + (n * p.o + gi * p.og) * P * 4;
        const xg = xp + (n * p.c + gi * p.cg) * hw * 4;
        const dwg = dwp + gi * p.og * K * 4;
        // panels of 8 output channels, one row per pixel: B[p, o] = dy[o, p]
        k.gemm_pack_f32_t_p8_simd(dyg, P, packed, p.og, P);
        for (let oy = 0; oy < g.oh; oy += rows) {
          const r = Math.min(rows, g.oh - oy);
          const p0 = oy * g.ow, cnt = r * g.ow;
          if (pointwise) {
            k.gemm_f32_ct_4x8_inc_simd(xg + p0 * 4, P, packed + p0 * 32, 8, 8 * P, dwg, K, K, p.og, cnt);
          } else {
            k.conv2d_im2col_f32_simd(xg, col, cnt, params, oy, r);
            k.gemm_f32_ct_4x8_inc_simd(col, cnt, packed + p0 * 32, 8, 8 * P, dwg, K, K, p.og, cnt);
          }
        }
      }
    }
  } finally {
    heap().release(params);
    if (packed !== 0) heap().release(packed);
    if (col !== 0) heap().release(col);
  }
}
