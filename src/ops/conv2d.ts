// 2-D convolution over NCHW tensors with OIHW weights (PyTorch's F.conv2d): stride, dilation,
// symmetric / asymmetric / 'same' / 'valid' padding, groups (including depthwise).
//
// Plan per image and group: im2col of a block of output pixels into 8-column panels, then the
// SIMD GEMM out[o, p] = Σ_k W[o, k]·col[k, p] with the bias fused into its store. A 1×1 stride-1
// unpadded convolution skips im2col (the input already is the [C, H·W] matrix); a depthwise
// convolution (one input channel per group) runs a direct kernel.
import { Tensor } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { fmtShape, intArg, knownOptions, rankArg } from './validate.js';
import { window2d, type Padding2d, type Window2d } from './shape.js';

export interface Conv2dOptions {
  /** Step between windows: a number or [h, w]. Default 1. */
  stride?: number | readonly [number, number];
  /** Zero padding: a number, [h, w], [top, left, bottom, right] (ONNX order), 'same' or 'valid'. Default 0. */
  padding?: Padding2d;
  /** Spacing between kernel taps: a number or [h, w]. Default 1. */
  dilation?: number | readonly [number, number];
  /** Input and output channels are split into this many independent groups. Default 1. */
  groups?: number;
}

const KEYS = ['stride', 'padding', 'dilation', 'groups'] as const;

/** im2col scratch per block of output pixels: about this many bytes (L2-sized, so the panels stay warm for the GEMM). */
const COL_BYTES = 256 * 1024;
const MIN_BLOCK = 64;

/** Resolved convolution: everything the kernels need. */
interface ConvPlan {
  x: Tensor; w: Tensor; b: Tensor | null;
  n: number; c: number; h: number; wd: number;
  o: number; groups: number; cg: number; og: number;
  g: Window2d;
}

/**
 * y = conv2d(x, weight) + bias, as PyTorch's F.conv2d (cross-correlation, floor rounding).
 * x [N, C, H, W]; weight [O, C/groups, kh, kw]; bias [O] or null/undefined. Returns [N, O, oh, ow].
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv2dOptions): Tensor {
  return conv2dClamped(x, weight, bias, options, -Infinity, Infinity);
}

/**
 * conv2d followed by clamp(·, min, max) fused into the kernels' store (min = 0, max = ∞ is ReLU).
 * For graph fusion; NaN propagates as in PyTorch's relu/clamp.
 */
export function conv2dClamped(
  x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: Conv2dOptions | undefined, min: number, max: number,
): Tensor {
  const p = plan(x, weight, bias, options);
  if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max) || min > max) {
    throw new RangeError(`conv2d: clamp bounds must be numbers with min ≤ max, got [${min}, ${max}]`);
  }
  const y = Tensor.empty([p.n, p.o, p.g.oh, p.g.ow]);
  try {
    if (p.n > 0) run(p, y, min, max);
  } catch (e) {
    y.dispose();
    throw e;
  }
  return y;
}

function plan(xArg: unknown, wArg: unknown, bArg: unknown, options: unknown): ConvPlan {
  const op = 'conv2d';
  const x = rankArg(op, 'x', xArg, 4, 'N, C, H, W');
  const w = rankArg(op, 'weight', wArg, 4, 'out channels, in channels / groups, kh, kw');
  const b = bArg === undefined || bArg === null ? null : rankArg(op, 'bias', bArg, 1, 'out channels');
  const o = knownOptions(op, options, KEYS);
  const groups = intArg(op, 'groups', o.groups ?? 1, 1);
  const [n, c, h, wd] = x.shape;
  const [oc, cg, kh, kw] = w.shape;
  if (c < 1 || h < 1 || wd < 1) throw new RangeError(`${op}: x ${fmtShape(x.shape)} must have at least one channel, row and column`);
  if (oc < 1 || cg < 1 || kh < 1 || kw < 1) throw new RangeError(`${op}: weight ${fmtShape(w.shape)} must not have a zero dimension`);
  if (c % groups !== 0) {
    throw new RangeError(`${op}: x has ${c} channels (shape ${fmtShape(x.shape)}), which groups = ${groups} does not divide`);
  }
  if (oc % groups !== 0) {
    throw new RangeError(`${op}: weight has ${oc} output channels (shape ${fmtShape(w.shape)}), which groups = ${groups} does not divide`);
  }
  if (cg * groups !== c) {
    throw new RangeError(
      `${op}: weight ${fmtShape(w.shape)} expects ${cg} input channels per group × groups ${groups} = ${cg * groups} channels, ` +
        `but x ${fmtShape(x.shape)} has ${c}`,
    );
  }
  if (b !== null && b.shape[0] !== oc) {
    throw new RangeError(`${op}: bias has shape ${fmtShape(b.shape)} but weight ${fmtShape(w.shape)} has ${oc} output channels; bias must be [${oc}]`);
  }
  const g = window2d(op, h, wd, { kernelSize: [kh, kw], stride: o.stride, padding: o.padding, dilation: o.dilation });
  return { x, w, b, n, c, h, wd, o: oc, groups, cg, og: oc / groups, g };
}

function run(p: ConvPlan, y: Tensor, min: number, max: number): void {
  const k = kernels();
  const { g } = p;
  const P = g.oh * g.ow;
  const K = p.cg * g.kh * g.kw;
  const xp = p.x.ptr, wp = p.w.ptr, bp = p.b ? p.b.ptr : 0, yp = y.ptr;
  const hw = p.h * p.wd;
  const params = heap().alloc(16 * 4);
  let col = 0;
  try {
    if (p.cg === 1 && p.groups > 1) {
      // depthwise: one input channel per group, channel multiplier og
      new Int32Array(heap().u8view().buffer, params, 14).set([
        p.c, p.h, p.wd, p.og, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.oh, g.ow,
      ]);
      for (let n = 0; n < p.n; n++) {
        k.dwconv2d_f32_minmax_simd(xp + n * p.c * hw * 4, wp, bp, yp + n * p.o * P * 4, params, min, max);
      }
      return;
    }
    const pointwise = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 &&
      g.padTop === 0 && g.padLeft === 0 && g.padBottom === 0 && g.padRight === 0;
    // the GEMM reads a row-major B up to 8·⌈P/8⌉ − P floats past its last row; allowed when ≤ 3
    if (pointwise && (P % 8 === 0 || P % 8 >= 5)) {
      for (let n = 0; n < p.n; n++) {
        for (let gi = 0; gi < p.groups; gi++) {
          k.gemm_f32_4x8_minmax_simd(
            wp + gi * p.og * K * 4, K,
            xp + (n * p.c + gi * p.cg) * hw * 4, hw, 8,
            yp + (n * p.o + gi * p.og) * P * 4, P,
            bp === 0 ? 0 : bp + gi * p.og * 4, p.og, P, K, min, max,
          );
        }
      }
      return;
    }
    new Int32Array(heap().u8view().buffer, params, 12).set([
      p.cg, p.h, p.wd, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.ow,
    ]);
    // at least MIN_BLOCK pixels per GEMM call, so each pass over W does enough work for big K
    const block = Math.min(Math.ceil(P / 8) * 8, Math.max(MIN_BLOCK, Math.floor(COL_BYTES / (K * 4 * 8)) * 8));
    col = heap().alloc(block * K * 4);
    for (let n = 0; n < p.n; n++) {
      for (let gi = 0; gi < p.groups; gi++) {
        const xg = xp + (n * p.c + gi * p.cg) * hw * 4;
        const wg = wp + gi * p.og * K * 4;
        const bg = bp === 0 ? 0 : bp + gi * p.og * 4;
        const yg = yp + (n * p.o + gi * p.og) * P * 4;
        for (let p0 = 0; p0 < P; p0 += block) {
          const cnt = Math.min(block, P - p0);
          k.conv2d_im2col_f32_p8_simd(xg, col, params, p0, cnt);
          k.gemm_f32_4x8_minmax_simd(wg, K, col, 8, 8 * K, yg + p0 * 4, P, bg, p.og, cnt, K, min, max);
        }
      }
    }
  } finally {
    heap().release(params);
    if (col !== 0) heap().release(col);
  }
}
