// 2-D convolution over NCHW tensors with OIHW weights (PyTorch's F.conv2d): stride, dilation,
// symmetric / asymmetric / 'same' / 'valid' padding, groups (including depthwise); and its
// backward ops (data, filter, bias gradients), whose kernel schedules are in conv2d-backward.ts.
//
// Forward plan per image and group: im2col of a block of output rows into a row-major [K, pixels]
// matrix, then the SIMD GEMM out[o, p] = Σ_k W[o, k]·col[k, p] (reading col's rows as 8-column
// panels in place) with the bias fused into its store. Shortcuts: a 1×1 stride-1 unpadded
// convolution skips im2col (the input already is the [C, H·W] matrix: blocks of its columns are
// packed into GEMM panels: conv2d-pointwise.ts); a window that is the whole
// input is a dense layer over the batch (linear.ts's schedule); an unpadded stride-1 convolution
// with few taps runs a direct kernel over the whole batch (the GEMM's tile reading x in place,
// output pixels or channels in the lanes, whichever fills them better); a depthwise convolution
// (one input channel per group) runs its own direct kernel (3×3 and 5×5 at stride 1 or 2 with
// centred padding: the specialised kernels of conv2d-depthwise.ts). An optional activation
// (hardswish, SiLU: compile's fusion) follows the clamp. Taps that only ever read the padding are dropped first (conv2d-taps.ts);
// a padded convolution that a direct kernel would take unpadded is run on a zero-padded copy
// (conv2d-padded.ts).
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { clampArg, clampBounds, elementCount, fmtShape, intArg, intoArg, knownOptions, rankArg, tensorArg, xShapeArg, type ClampBounds } from './validate.js';
import type { Padding2d } from './shape.js';
import { paramBlock, prepared, runOnce, type Prepared } from './prepared.js';
import { denseRun } from './linear.js';
import { evenRange, gemmNs, runTasks, taskCount, threadCount } from '../threads/parallel.js';
import { depthwiseBlock, directConv, geometry, im2colBlock, isDepthwise, isPointwise, wholeInput, type ConvGeom } from './conv2d-common.js';
import { runBackwardData, runBackwardFilter } from './conv2d-backward.js';
import { algorithmArg, chooseAlgorithm, type Conv2dAlgorithm } from './conv2d-algorithm.js';
import { backwardDataShape, forwardShape, winogradBackwardData, winogradForward } from './conv2d-winograd.js';
import { dilatedWinograd, phasedGeometry } from './conv2d-dilated.js';
import { activationArg, depthwisePlan, depthwiseWindow, withActivation, type ConvActivation } from './conv2d-depthwise.js';
import { liveWindow, liveWindowPlan, type WeightBinding } from './conv2d-taps.js';
import { paddedDirect, paddedPlan } from './conv2d-padded.js';
import { pointwisePlan } from './conv2d-pointwise.js';

export type { ClampBounds } from './validate.js';
export type { ConvActivation } from './conv2d-depthwise.js';

export interface Conv2dOptions {
  /** Step between windows: a number or [h, w]. Default 1. */
  stride?: number | readonly [number, number];
  /** Zero padding: a number, [h, w], [top, left, bottom, right] (ONNX order), 'same' or 'valid'. Default 0. */
  padding?: Padding2d;
  /** Spacing between kernel taps: a number or [h, w]. Default 1. */
  dilation?: number | readonly [number, number];
  /** Input and output channels are split into this many independent groups. Default 1. */
  groups?: number;
  /**
   * 'auto' (default): Winograd for 3×3 stride-1 layers where it is faster for the shape, else the
   * GEMM path; 'gemm': never Winograd; 'winograd': Winograd F(2×2) or F(4×4) (an error on shapes it
   * cannot run); 'winograd-2x2' | 'winograd-4x4' | 'winograd-6x6': that tile size.
   */
  algorithm?: Conv2dAlgorithm;
}

const KEYS = ['stride', 'padding', 'dilation', 'groups', 'algorithm'] as const;

/** im2col scratch per block of output rows: about this many bytes (L2-sized, so the block stays warm for the GEMM). */
const COL_BYTES = 256 * 1024;
const MIN_BLOCK = 64;

/**
 * y = conv2d(x, weight) + bias, as PyTorch's F.conv2d (cross-correlation, floor rounding).
 * x [N, C, H, W]; weight [O, C/groups, kh, kw]; bias [O] or null/undefined. Returns [N, O, oh, ow].
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv2dOptions): Tensor {
  const t = tensorArg('conv2d', 'x', x);
  return runOnce(checkedConv2d('conv2d', t.shape, weight, bias, options, undefined, true), [t.ptr], (s) => Tensor.empty(s));
}

/**
 * conv2d followed by clamp(·, min, max) fused into the kernels' store (min = 0, max = ∞ is ReLU).
 * For graph fusion; NaN propagates as in PyTorch's relu/clamp.
 */
export function conv2dClamped(
  x: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: Conv2dOptions | undefined, min: number, max: number,
): Tensor {
  const op = 'conv2dClamped';
  const t = tensorArg(op, 'x', x);
  const [lo, hi] = clampBounds(op, min, max);
  return runOnce(checkedConv2d(op, t.shape, weight, bias, options, { min: lo, max: hi }, true), [t.ptr], (s) => Tensor.empty(s));
}

/**
 * Prepares conv2d (with an optional fused clamp) for inputs of shape xShape, binding weight and
 * bias (which must stay alive while the Prepared is used): outShape [N, O, oh, ow]; scratch for
 * one block of im2col rows. run([x], y, scratch) only calls kernels. `weights` 'constant': the
 * weight's values never change while the Prepared lives (compile's plans), so work on them may be
 * done once here; 'live' (default): each run sees the weight as it is then.
 */
export function prepareConv2d(
  xShape: Shape, weight: Tensor, bias?: Tensor | null, options?: Conv2dOptions, clamp?: ClampBounds, activation?: ConvActivation,
  weights: WeightBinding = 'live',
): Prepared {
  return checkedConv2d(clamp === undefined ? 'conv2d' : 'conv2dClamped', xShape, weight, bias, options, clamp, false, activation, weights);
}

/** prepareConv2d, checked under the caller's name; eager: the Prepared runs once (the algorithm choice counts the filter transform in). */
function checkedConv2d(
  op: string, xShape: Shape, weight: Tensor, bias: Tensor | null | undefined, options: Conv2dOptions | undefined, clamp: ClampBounds | undefined, eager: boolean,
  activation?: ConvActivation, weights: WeightBinding = 'live',
): Prepared {
  const xs = xShapeArg(op, xShape, [4], 'N, C, H, W');
  const w = rankArg(op, 'weight', weight, 4, 'out channels, in channels / groups, kh, kw');
  const b = bias === undefined || bias === null ? null : rankArg(op, 'bias', bias, 1, 'out channels');
  const o = knownOptions(op, options, KEYS);
  const p = geometry(op, xs, 'x', w.shape, 'weight', o);
  const alg = algorithmArg(op, o.algorithm);
  if (b !== null && b.shape[0] !== p.o) {
    throw new RangeError(`${op}: bias has shape ${fmtShape(b.shape)} but weight ${fmtShape(w.shape)} has ${p.o} output channels; bias must be [${p.o}]`);
  }
  const [min, max] = clampArg(op, clamp);
  const act = activationArg(op, activation);
  const bp = b ? b.ptr : 0;
  // taps that only ever read the padding (large dilations on small maps) are dropped; an explicit
  // Winograd request keeps the window it was asked for
  const live = alg === 'auto' || alg === 'gemm' ? liveWindow(p) : null;
  if (live !== null) return liveWindowPlan(p, live, w.ptr, (q, wp) => planOf(op, q, wp, bp, min, max, act, alg, eager), weights);
  return planOf(op, p, w.ptr, bp, min, max, act, alg, eager);
}

/** The forward Prepared of a checked geometry over weights at wp and bias at bp (or 0): Winograd, depthwise or the GEMM paths. */
function planOf(op: string, p: ConvGeom, wp: number, bp: number, min: number, max: number, act: number, alg: Conv2dAlgorithm, eager: boolean): Prepared {
  const count = p.n * p.o * p.g.oh * p.g.ow;
  // a dilated 3×3 runs Winograd over its phases (conv2d-dilated.ts) where the model says it pays
  const phased = phasedGeometry(p);
  const m = p.n > 0 ? chooseAlgorithm(op, phased ?? p, forwardShape(phased ?? p), alg, eager, forwardShape(p)) : 0;
  if (m !== 0) {
    const wino = phased ? dilatedWinograd(p, phased, m, wp, bp, min, max) : winogradForward(p, m, wp, bp, min, max);
    return act === 0 ? wino : Object.assign(withActivation(wino, act, count), { algorithm: wino.algorithm });
  }
  const dw = depthwiseWindow(p);
  if (dw !== 0) return Object.assign(depthwisePlan(p, wp, bp, min, max, act, dw), { algorithm: 'gemm' });
  const q = isDepthwise(p) ? null : paddedDirect(p);
  const plan = q === null ? forwardPlan(p, wp, bp, min, max) : paddedPlan(p, q, forwardPlan(q, wp, bp, min, max));
  return Object.assign(act === 0 ? plan : withActivation(plan, act, count), { algorithm: 'gemm' });
}

/** The forward kernels for a checked geometry, weights at wp, bias at bp (or 0). */
function forwardPlan(p: ConvGeom, wp: number, bp: number, min: number, max: number): Prepared {
  const k = kernels();
  const { g } = p;
  const P = g.oh * g.ow, K = p.cg * g.kh * g.kw, hw = p.h * p.wd;
  const outShape = [p.n, p.o, g.oh, g.ow];
  if (isDepthwise(p)) {
    const params = paramBlock(depthwiseBlock(p));
    // tasks of consecutive images (the direct depthwise kernel runs at roughly a quarter of the GEMM's rate)
    const workNs = 4 * gemmNs(2 * p.n * p.o * P * g.kh * g.kw);
    const count = taskCount(workNs, p.n);
    const at = evenRange(p.n, count);
    return prepared(outShape, 0, [params], (inputs, yp) => {
      const xp = inputs[0];
      runTasks('conv2d (depthwise)', count, workNs, threadCount(), 0, 0, (t) => {
        for (let i = 0; i < count; i++) {
          t.task();
          for (let n = at(i); n < at(i + 1); n++) t.call('dwconv2d_f32_minmax_simd', xp + n * p.c * hw * 4, wp, bp, yp + n * p.o * P * 4, params, min, max);
        }
      });
    });
  }
  if (wholeInput(p)) {
    // one output pixel whose window is the whole input: the image flattened is its im2col column,
    // so the convolution is a dense layer over the batch (LeNet's C5)
    const d = denseRun(p.n, K, p.o, wp, bp, min, max);
    return prepared(outShape, d.scratchBytes, [], (inputs, yp, scratch) => d.run(inputs[0], yp, scratch));
  }
  const direct = directConv(p);
  if (direct !== null) {
    // no im2col: the weights packed into 8-channel panels (per run, so the Prepared sees weight
    // updates as the other paths do), then one call per group for the whole batch
    const panel = Math.ceil(p.og / 8) * 8 * K;
    const block = paramBlock([p.cg, p.h, p.wd, p.og, g.kh, g.kw, g.sh, g.dh, g.dw, g.oh, g.ow, p.n, p.c * hw, p.o * P]);
    const conv = direct === 'pixels' ? k.conv2d_f32_s1_4x8_minmax_simd : k.conv2d_f32_s1_ct_4x8_minmax_simd;
    return prepared(outShape, panel * 4, [block], (inputs, yp, packed) => {
      const xp = inputs[0];
      for (let gi = 0; gi < p.groups; gi++) {
        k.gemm_pack_f32_t_p8_simd(wp + gi * p.og * K * 4, K, packed, p.og, K);
        conv(xp + gi * p.cg * hw * 4, packed, bp === 0 ? 0 : bp + gi * p.og * 4, yp + gi * p.og * P * 4, block, min, max);
      }
    });
  }
  if (isPointwise(g)) return pointwisePlan(p, wp, bp, min, max);
  const params = paramBlock(im2colBlock(p));
  // blocks of whole output rows, at least MIN_BLOCK pixels so each pass over W does enough work
  const threads = threadCount();
  let rows = Math.min(g.oh, Math.max(Math.ceil(MIN_BLOCK / g.ow), Math.floor(COL_BYTES / (K * 4 * g.ow))));
  if (threads > 1) {
    // on threads, blocks small enough for about a dozen per thread (a batch of one image has few
    // blocks), so that what a slower thread leaves is one small block, not a tenth of the layer;
    // up to twice that when it makes a block of whole 8-column panels (no tail panel to waste)
    const r = Math.max(1, Math.min(rows, Math.floor((p.n * p.groups * g.oh) / (12 * threads))));
    let whole = r;
    for (let q = r; q <= Math.min(rows, 2 * r) && (whole * g.ow) % 8 !== 0; q++) if ((q * g.ow) % 8 === 0) whole = q;
    rows = (whole * g.ow) % 8 === 0 ? whole : r;
  }
  // + 8 columns for a padded row stride, + 32 bytes: the GEMM reads up to 7 floats past the last row
  const colBytes = Math.ceil(((rows * g.ow + 8) * K * 4 + 32) / 64) * 64;
  // Tasks of consecutive blocks (over every image and group) that the threads claim one at a
  // time, each thread with its own im2col buffer: one hand-out per layer, not one per kernel call.
  const perImage = Math.ceil(g.oh / rows);
  const blocks = p.n * p.groups * perImage;
  const workNs = gemmNs(2 * p.n * p.o * P * K);
  const count = taskCount(workNs, blocks, threads);
  const at = evenRange(blocks, count);
  return prepared(outShape, colBytes * threads, [params], (inputs, yp, col) => {
    const xp = inputs[0];
    runTasks('conv2d (im2col + GEMM)', count, workNs, threads, col, colBytes, (t) => {
      for (let i = 0; i < count; i++) {
        t.task();
        for (let b = at(i); b < at(i + 1); b++) {
          const img = Math.floor(b / perImage), oy = (b % perImage) * rows;
          const n = Math.floor(img / p.groups), gi = img % p.groups;
          const r = Math.min(rows, g.oh - oy), cnt = r * g.ow;
          const ld = cnt % 128 === 0 ? cnt + 8 : cnt;
          // the column buffer (argument 1 of im2col, 2 of the GEMM) is the running thread's
          t.scratchCall('conv2d_im2col_f32_simd', 0b10, xp + (n * p.c + gi * p.cg) * hw * 4, 0, ld, params, oy, oy + r);
          t.scratchCall('gemm_f32_4x8_minmax_simd', 0b100, wp + gi * p.og * K * 4, K, 0, ld, 8, yp + ((n * p.o + gi * p.og) * P + oy * g.ow) * 4, P,
            bp === 0 ? 0 : bp + gi * p.og * 4, p.og, cnt, K, min, max);
        }
      }
    });
  });
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────

/** Options of conv2dBackwardFilter: the forward's, plus a gradient tensor to add into. */
export interface Conv2dBackwardFilterOptions extends Conv2dOptions {
  /** Add the gradient into this [O, C/groups, kh, kw] tensor and return it (default: a new zero-filled one). */
  accumulateInto?: Tensor;
}

export interface Conv2dBackwardBiasOptions {
  /** Add the gradient into this [O] tensor and return it (default: a new zero-filled one). */
  accumulateInto?: Tensor;
}

/** A shape argument: an array of `rank` non-negative integers. */
function shape4Arg(op: string, name: string, v: unknown, layout: string): number[] {
  if (!Array.isArray(v) || v.length !== 4) {
    throw new TypeError(`${op}: ${name} must be an array of 4 integers (${layout}), got ${describeShape(v)}`);
  }
  const s = v.map((d, i) => intArg(op, `${name}[${i}]`, d, 0));
  elementCount(op, name, s);
  return s;
}

function describeShape(v: unknown): string {
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (v instanceof Tensor) return `a Tensor (pass its .shape)`;
  return v === null ? 'null' : typeof v;
}

/** dy must have exactly the forward output shape. */
function checkDy(op: string, dy: Tensor, p: ConvGeom, xs: readonly number[], ws: readonly number[]): void {
  const want = [p.n, p.o, p.g.oh, p.g.ow];
  if (dy.shape.some((d, i) => d !== want[i])) {
    throw new RangeError(
      `${op}: dy has shape ${fmtShape(dy.shape)} but the forward output of x ${fmtShape(xs)} with weight ${fmtShape(ws)} ` +
        `and these options is ${fmtShape(want)}; dy must have that shape`,
    );
  }
}

/** The tensor to accumulate into (checked against `shape`), or a new zero-filled one. */
function gradTarget(op: string, into: unknown, shape: readonly number[], what: string): Tensor {
  return intoArg(op, 'accumulateInto', into, shape, `the ${what}`) ?? Tensor.zeros(shape);
}

/**
 * The gradient of conv2d with respect to its input (a transposed convolution):
 * dx[n, c, iy, ix] = Σ w[o, c mod (C/groups), ki, kj]·dy[n, o, oy, ox] over the output channels
 * o of c's group and the taps with oy·sh − padTop + ki·dh = iy, ox·sw − padLeft + kj·dw = ix.
 * dy [N, O, oh, ow] (the forward output's shape); w [O, C/groups, kh, kw]; xShape [N, C, H, W];
 * options as the forward's. Returns a new dx of shape xShape.
 */
export function conv2dBackwardData(dy: Tensor, w: Tensor, xShape: readonly number[], options?: Conv2dOptions): Tensor {
  const op = 'conv2dBackwardData';
  const d = rankArg(op, 'dy', dy, 4, 'N, O, oh, ow');
  const wt = rankArg(op, 'w', w, 4, 'out channels, in channels / groups, kh, kw');
  const xs = shape4Arg(op, 'xShape', xShape, 'N, C, H, W');
  const o = knownOptions(op, options, KEYS);
  const p = geometry(op, xs, 'xShape', wt.shape, 'w', o);
  const alg = algorithmArg(op, o.algorithm);
  checkDy(op, d, p, xs, wt.shape);
  const m = p.n > 0 ? chooseAlgorithm(op, p, backwardDataShape(p), alg, true) : 0;
  const dx = Tensor.empty(xs);
  try {
    if (m !== 0) winogradBackwardData(p, m, d.ptr, wt.ptr, dx.ptr);
    else if (p.n > 0) runBackwardData(p, d, wt, dx);
  } catch (e) {
    dx.dispose();
    throw e;
  }
  return dx;
}

/**
 * The gradient of conv2d with respect to its weights, summed over the batch:
 * dw[o, ci, ki, kj] = Σ_{n, oy, ox} dy[n, o, oy, ox]·x[n, g·C/groups + ci, oy·sh − padTop + ki·dh,
 * ox·sw − padLeft + kj·dw] (g the group of o; zero padding contributes nothing).
 * x [N, C, H, W]; dy [N, O, oh, ow]; wShape [O, C/groups, kh, kw]. Adds into
 * options.accumulateInto and returns it when given, else returns a new tensor.
 */
export function conv2dBackwardFilter(x: Tensor, dy: Tensor, wShape: readonly number[], options?: Conv2dBackwardFilterOptions): Tensor {
  const op = 'conv2dBackwardFilter';
  const xt = rankArg(op, 'x', x, 4, 'N, C, H, W');
  const d = rankArg(op, 'dy', dy, 4, 'N, O, oh, ow');
  const ws = shape4Arg(op, 'wShape', wShape, 'out channels, in channels / groups, kh, kw');
  const o = knownOptions(op, options, [...KEYS, 'accumulateInto']);
  const p = geometry(op, xt.shape, 'x', ws, 'wShape', o);
  checkDy(op, d, p, xt.shape, ws);
  const into = o.accumulateInto;
  const dw = gradTarget(op, into, ws, 'filter gradient (wShape)');
  try {
    if (p.n > 0) runBackwardFilter(p, xt, d, dw);
  } catch (e) {
    if (into === undefined) dw.dispose();
    throw e;
  }
  return dw;
}

/**
 * The gradient of conv2d with respect to its bias: db[o] = Σ_{n, oy, ox} dy[n, o, oy, ox].
 * dy [N, O, oh, ow]. Adds into options.accumulateInto ([O]) and returns it when given, else
 * returns a new tensor.
 */
export function conv2dBackwardBias(dy: Tensor, options?: Conv2dBackwardBiasOptions): Tensor {
  const op = 'conv2dBackwardBias';
  const d = rankArg(op, 'dy', dy, 4, 'N, O, oh, ow');
  const o = knownOptions(op, options, ['accumulateInto']);
  const [n, oc, oh, ow] = d.shape;
  if (oc < 1) throw new RangeError(`${op}: dy ${fmtShape(d.shape)} must have at least one channel`);
  const db = gradTarget(op, o.accumulateInto, [oc], 'bias gradient ([O] from dy)');
  if (n * oh * ow > 0) kernels().bias_bwd_f32_simd(d.ptr, db.ptr, n, oc, oh * ow);
  return db;
}
