// int8 convolution and dense layers (kernels: assembly/gemm-qs8.ts, the depthwise ones in
// assembly/dwconv2d-qs8.ts and assembly/qs8.ts). Weights are int8, symmetric per output channel
// (w_real = w·scale[o]); activations int8 with a per-tensor scale and zero point
// (x_real = (x − zx)·sx). The op works out once, at prepare time, everything the kernels need:
// the packed weights, the int32 bias
// bias_q[o] = round(b[o] / (sx·sw[o])) − zf·Σ_k w[o, k] (the zero point folded in: zf = zx, or
// zx + 128 in relaxed-dot mode 2, whose GEMM and depthwise kernels take the activations as unsigned
// bytes x ^ 0x80), the f32 requantization scale sx·sw[o] / sy, the fused clamp in the output's
// integer domain, and the requantization block [zx, zy, qmin, qmax, relaxed-dot mode].
//
// Forward plan per image and group: the im2col matrix [K, pixels] (taps outside the image read zx)
// in 8-column panels (conv2d-pack-qs8.ts: from x itself, the padded input or an im2col matrix),
// then the GEMM with the requantization fused into its store. A depthwise convolution
// (one input and one output channel per group) runs a direct kernel (the 3×3, 5×5 and 7×7 windows
// at width stride 1 or 2 their own: dwconv2d-qs8.ts); a 3×3 stride-1 convolution on the 16-bit
// dot runs exact Winograd F(2×2, 3×3) (conv2d-winograd-qs8.ts); a short reduction
// (a first layer on few channels) runs the direct kernel of conv2d-direct-qs8.ts.
import { Tensor, type Shape } from '../tensor.js';
import { heap, kernels, rdotMode } from '../wasm/engine.js';
import { DEPTHWISE_WINDOWS, depthwiseScratch, depthwiseWeights } from '../wasm/qs8-layout.js';
import { prepareWinogradQs8, winogradQs8Runs } from './conv2d-winograd-qs8.js';
import { directQs8Runs, prepareDirectQs8, type DirectFusion } from './conv2d-direct-qs8.js';
import { describe, elementCount, fmtShape, knownOptions, shapeArg, tensorArg, xShapeArg } from './validate.js';
import { paramBlock, prepared, releaseAll, runOnce, type Prepared } from './prepared.js';
import { geometry } from './conv2d-common.js';
import { convPanels } from './conv2d-pack-qs8.js';
import type { Conv2dOptions } from './conv2d.js';
import { multiplierArg, qclampArg, qparamsArg, rqBlock, type QParams, type QClamp } from './qs8.js';

/** Quantized weights of a convolution or dense layer. */
export interface QWeights {
  /** int8 values, row-major: [O, C/groups, kh, kw] (conv2d) or [O, K] (linear). */
  readonly data: Int8Array;
  readonly shape: readonly number[];
  /** Per-output-channel scales [O] (w_real = data·scale). */
  readonly scales: Float32Array;
  /** Real-valued bias [O], or null. */
  readonly bias: Float32Array | null;
}

/** Quantization of a layer's input and output, and an optional clamp fused into the store. */
export interface QLayerParams {
  x: QParams;
  y: QParams;
  /** Real-valued bounds fused into the store (ReLU: { min: 0 }; ReLU6: { min: 0, max: 6 }). */
  clamp?: QClamp;
}

const K4 = (k: number) => Math.ceil(k / 4) * 4;

/** What the B packing XORs into every activation byte: 0x80 in relaxed-dot mode 2 (unsigned activations), else 0. */
const packFlip = (mode: number) => (mode === 2 ? 0x80 : 0);
/** The zero point folded into the bias: zx, or zx + 128 for the unsigned activations (x ^ 0x80 = x + 128) of mode 2. */
const foldPoint = (zx: number, mode: number) => zx + (mode === 2 ? 128 : 0);

/** Checks w ({ data, shape, scales, bias }) for a layer whose weights have `rank` dims. */
function weightsArg(op: string, w: unknown, rank: number, layout: string): QWeights {
  const v = w as Record<string, unknown>;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new TypeError(`${op}: weights must be { data: Int8Array, shape, scales: Float32Array, bias: Float32Array | null }, got ${describe(w)}`);
  }
  if (!(v.data instanceof Int8Array)) throw new TypeError(`${op}: weights.data must be an Int8Array, got ${describe(v.data)}`);
  if (!(v.scales instanceof Float32Array)) throw new TypeError(`${op}: weights.scales must be a Float32Array, got ${describe(v.scales)}`);
  const s = shapeArg(op, 'weights.shape', v.shape);
  if (s.length !== rank) throw new RangeError(`${op}: weights.shape must have ${rank} dims (${layout}), got ${fmtShape(s)}`);
  const size = elementCount(op, 'weights.shape', s);
  if (v.data.length !== size) throw new RangeError(`${op}: weights.data has ${v.data.length} values but shape ${fmtShape(s)} needs ${size}`);
  if (v.scales.length !== s[0]) throw new RangeError(`${op}: weights.scales has ${v.scales.length} values but there are ${s[0]} output channels`);
  const bias = v.bias ?? null;
  if (bias !== null && (!(bias instanceof Float32Array) || bias.length !== s[0])) {
    throw new TypeError(`${op}: weights.bias must be a Float32Array of ${s[0]} values or null, got ${describe(bias)}`);
  }
  for (let i = 0; i < v.scales.length; i++) {
    if (!(v.scales[i] > 0) || !Number.isFinite(v.scales[i])) throw new RangeError(`${op}: weights.scales[${i}] is ${v.scales[i]}; scales must be finite and > 0`);
  }
  return { data: v.data, shape: s, scales: v.scales, bias };
}

/** Checks q ({ x, y, clamp? }): the input's and output's quantization and the fused clamp. */
function layerQArg(op: string, q: unknown): QLayerParams {
  if (q === null || typeof q !== 'object' || Array.isArray(q)) throw new TypeError(`${op}: q must be { x, y, clamp? }, got ${describe(q)}`);
  const v = knownOptions(op, q, ['x', 'y', 'clamp']);
  return { x: qparamsArg(op, 'q.x', v.x), y: qparamsArg(op, 'q.y', v.y), clamp: qclampArg(op, 'q.clamp', v.clamp) };
}

/**
 * Per-channel int32 bias (the zero point zf folded over the K taps: − zf·Σ_k w[o, k]; 0 folds
 * nothing) and f32 requantization scale.
 */
function channelBlocks(op: string, w: QWeights, q: QLayerParams, K: number, zf: number): { bias: number; scale: number } {
  const o = w.shape[0];
  const bi = new Int32Array(o), sc = new Float32Array(o);
  for (let i = 0; i < o; i++) {
    const ws = w.scales[i];
    let sum = 0;
    if (zf !== 0) for (let k = 0; k < K; k++) sum += w.data[i * K + k];
    const b = w.bias === null || !Number.isFinite(w.bias[i]) ? 0 : Math.round(w.bias[i] / (q.x.scale * ws));
    bi[i] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, b - zf * sum));
    sc[i] = multiplierArg(op, `q.x.scale · weights.scales[${i}] / q.y.scale`, (q.x.scale * ws) / q.y.scale);
  }
  const h = heap();
  const bias = h.alloc(o * 4);
  let scale = 0;
  try {
    scale = h.alloc(o * 4);
  } catch (e) {
    h.release(bias);
    throw e;
  }
  h.i32view().set(bi, bias >>> 2);
  h.f32view().set(sc, scale >>> 2);
  return { bias, scale };
}

/** Packs each group's [og, K] weights into 4-row tiles; returns the buffer and a group's byte stride. */
function packWeights(w: QWeights, groups: number, og: number, K: number): { ptr: number; stride: number } {
  const h = heap();
  const stride = Math.ceil(og / 4) * 8 * K4(K);
  const src = h.alloc(w.data.length);
  const ptr = h.alloc(stride * groups);
  try {
    h.u8view().set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.length), src);
    for (let gi = 0; gi < groups; gi++) kernels().gemm_pack_qs8_p4_simd(src + gi * og * K, K, og, K, ptr + gi * stride);
  } finally {
    h.release(src);
  }
  return { ptr, stride };
}

/** Batches below this run the matrix–vector kernel once per sample (the GEMM's 8-column panels would be mostly empty). */
const GEMV_BELOW = 4;

/**
 * Int8 weights up to this many bytes are widened to i16 for the plain dot's matrix–vector kernel
 * (twice the bytes, still cache-resident: LeNet's c5 and f6; no sign extension per load, ~10 %
 * faster there: c5 1.69 → 1.51 µs); larger ones, read from memory at each call, stay int8.
 */
const WIDE_MAX_BYTES = 128 * 1024;

/** The weights of the matrix–vector kernels, laid out for them (gemv_qs8_minmax_simd / gemv_qs8_f32_simd). */
interface GemvRows { ptr: number; ldw: number; wide: number }

/**
 * The weights [O, K] row-major for gemv_qs8_minmax_simd: rows of K rounded up to 16 (ldw), O up
 * to 4 rows, zeros between; as i16 where the plain dot runs (mode < 1) and they are small.
 */
function rowWeights(data: Int8Array, O: number, K: number, mode: number): GemvRows {
  const ldw = Math.ceil(K / 16) * 16, rows = Math.ceil(O / 4) * 4;
  const wide = mode < 1 && rows * ldw <= WIDE_MAX_BYTES ? 1 : 0;
  const h = heap();
  const ptr = h.alloc(rows * ldw << wide);
  const u8 = h.u8view();
  u8.fill(0, ptr, ptr + (rows * ldw << wide));
  if (wide) {
    const i16 = new Int16Array(u8.buffer, ptr, rows * ldw);
    for (let o = 0; o < O; o++) i16.set(data.subarray(o * K, o * K + K), o * ldw);
  } else for (let o = 0; o < O; o++) u8.set(new Uint8Array(data.buffer, data.byteOffset + o * K, K), ptr + o * ldw);
  return { ptr, ldw, wide };
}

/** Runs make(own) and returns its Prepared; what own() took is freed if make throws (an allocation failing half-way). */
function owning(make: (own: (ptr: number) => number, owned: number[]) => Prepared): Prepared {
  const owned: number[] = [];
  try {
    return make((ptr) => (owned.push(ptr), ptr), owned);
  } catch (e) {
    releaseAll(owned);
    throw e;
  }
}

/**
 * Prepares an int8 convolution (weights bound now, packed once): x int8 [N, C, H, W] with
 * q.x; output int8 [N, O, oh, ow] with q.y. run([x], y, scratch) only calls kernels.
 */
export function prepareConv2dQs8(xShape: Shape, weights: QWeights, options: Conv2dOptions | undefined, q: QLayerParams, fusion?: DirectFusion): Prepared {
  const op = 'conv2dQs8';
  const xs = xShapeArg(op, xShape, [4], 'N, C, H, W');
  const w = weightsArg(op, weights, 4, 'out channels, in channels / groups, kh, kw');
  const ql = layerQArg(op, q);
  const p = geometry(op, xs, 'x', w.shape, 'weights', knownOptions(op, options, ['stride', 'padding', 'dilation', 'groups']));
  const { g } = p;
  const P = g.oh * g.ow, K = p.cg * g.kh * g.kw, hw = p.h * p.wd;
  const outShape = [p.n, p.o, g.oh, g.ow];
  const k = kernels();
  const depthwise = p.cg === 1 && p.og === 1 && p.groups > 1;
  // the depthwise 3×3, 5×5 and 7×7 windows (stride 1 or 2 along the width: MobileNets,
  // EfficientNets, ConvNeXt) have their own kernels, which read the padding as zx and so take the
  // zero point folded into the bias (+128 when relaxed-dot mode 2 feeds the activations in as
  // unsigned bytes); the general one subtracts zx tap by tap
  const mode = rdotMode(), flip = packFlip(mode);
  const dwk = depthwise && g.kh === g.kw && DEPTHWISE_WINDOWS.includes(g.kw) && g.dh === 1 && g.dw === 1 && (g.sw === 1 || g.sw === 2);
  const blocks = channelBlocks(op, w, ql, K, depthwise && !dwk ? 0 : foldPoint(ql.x.zeroPoint, mode));
  return owning((own, owned) => {
    own(blocks.bias);
    own(blocks.scale);
    const { bias, scale } = blocks;
    const rq = own(paramBlock(rqBlock(ql.x, ql.y, ql.clamp, mode)));
    // the window block of the depthwise kernels
    const window = (c: number) => own(paramBlock([c, p.h, p.wd, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.oh, g.ow]));
    if (fusion) return prepareDirectQs8(p, w.data, bias, scale, rq, ql.x.zeroPoint, mode, owned, fusion); // plans only (compile/qs8-fuse.ts)
    if (dwk) {
      const block = window(p.c);
      const packedW = depthwiseWeights(w.data, p.c, g.kw);
      const wp = own(heap().alloc(packedW.byteLength));
      heap().i32view().set(packedW, wp >>> 2);
      const run = g.kw === 3 ? k.dwconv2d_qs8_3x3_minmax_simd : g.kw === 5 ? k.dwconv2d_qs8_5x5_minmax_simd : k.dwconv2d_qs8_7x7_minmax_simd;
      return prepared(outShape, depthwiseScratch(p.wd, g.padLeft, g.sh, g.sw, g.oh, g.ow, mode, g.kw), owned, (inputs, yp, scratch) => {
        for (let n = 0; n < p.n; n++) run(inputs[0] + n * p.c * hw, wp, bias, scale, yp + n * p.o * P, block, rq, scratch);
      });
    }
    if (depthwise) {
      const block = window(p.c);
      const wp = own(heap().alloc(w.data.length));
      heap().u8view().set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.length), wp);
      return prepared(outShape, 0, owned, (inputs, yp) => {
        for (let n = 0; n < p.n; n++) k.dwconv2d_qs8_minmax_simd(inputs[0] + n * p.c * hw, wp, bias, scale, yp + n * p.o * P, block, rq);
      });
    }
    if (winogradQs8Runs(p, mode)) return prepareWinogradQs8(p, w.data, bias, scale, rq, ql.x.zeroPoint, owned);
    if (directQs8Runs(p)) return prepareDirectQs8(p, w.data, bias, scale, rq, ql.x.zeroPoint, mode, owned);
    if (p.groups === 1 && g.kh === p.h && g.kw === p.wd && g.dh === 1 && g.dw === 1 && g.padTop === 0 && g.padLeft === 0 && P === 1) {
      // the window is the whole unpadded input: x is the im2col column itself
      const r = rowWeights(w.data, p.o, K, mode);
      own(r.ptr);
      return prepared(outShape, 0, owned, (inputs, yp) => {
        for (let n = 0; n < p.n; n++) k.gemv_qs8_minmax_simd(r.ptr, r.ldw, r.wide, inputs[0] + n * p.c * hw, bias, scale, yp + n * p.o, p.o, rq);
      });
    }
    const b = convPanels(p, ql.x.zeroPoint, flip, own);
    const packed = packWeights(b.order ? { ...w, data: b.order(w.data, p.o) } : w, p.groups, p.og, K);
    own(packed.ptr);
    // B in bands of output rows (b.rows), each packed and then read by the GEMM while in the cache
    const panelBytes = Math.ceil((b.rows * g.ow) / 8) * 16 * K4(K) + 16;
    return prepared(outShape, b.scratchBytes + panelBytes, owned, (inputs, yp, scratch) => {
      const panels = scratch + b.scratchBytes;
      for (let n = 0; n < p.n; n++) {
        const xn = inputs[0] + n * p.c * hw;
        b.image(xn, scratch);
        for (let gi = 0; gi < p.groups; gi++) {
          for (let r0 = 0; r0 < g.oh; r0 += b.rows) {
            const rows = Math.min(b.rows, g.oh - r0);
            b.pack(xn, gi, panels, scratch, r0, rows);
            k.gemm_qs8_4x8_minmax_simd(packed.ptr + gi * packed.stride, panels, yp + (n * p.o + gi * p.og) * P + r0 * g.ow, P, 1,
              bias + gi * p.og * 4, scale + gi * p.og * 4, p.og, rows * g.ow, K, rq);
          }
        }
      }
    });
  });
}

/** y = conv2d of int8 x (quantized with q.x) with int8 weights (symmetric per output channel), requantized to q.y. */
export function conv2dQs8(x: Tensor, w: QWeights, options: Conv2dOptions | undefined, q: QLayerParams): Tensor {
  const t = tensorArg('conv2dQs8', 'x', x, 'int8');
  return runOnce(prepareConv2dQs8(t.shape, w, options, q), [t.ptr], (s) => Tensor.empty(s, 'int8'));
}

/** The float32 output's stand-in for channelBlocks / rqBlock: scale 1 (the multiplier is x_scale·w_scale). */
const F32_OUT: QParams = { scale: 1, zeroPoint: 0 };

/**
 * Prepares an int8 dense layer: x int8 [N, K] (q.x), weights [O, K]; output int8 [N, O] (q.y), or
 * float32 [N, O] with `output: 'float32'` (q.y ignored: the int32 sums times x_scale·w_scale, plus
 * the clamp, no output rounding; one matrix–vector product per row).
 */
export function prepareLinearQs8(xShape: Shape, weights: QWeights, q: QLayerParams, output: 'int8' | 'float32' = 'int8'): Prepared {
  const op = 'linearQs8';
  const [n, K] = xShapeArg(op, xShape, [2], 'N, in features');
  const w = weightsArg(op, weights, 2, 'out features, in features');
  if (output !== 'int8' && output !== 'float32') throw new TypeError(`${op}: output must be 'int8' or 'float32', got ${describe(output)}`);
  const f32 = output === 'float32';
  const ql = layerQArg(op, f32 && q !== null && typeof q === 'object' ? { ...q, y: F32_OUT } : q);
  const O = w.shape[0];
  if (w.shape[1] !== K) throw new RangeError(`${op}: x ${fmtShape(xShape)} has ${K} features but weights ${fmtShape(w.shape)} take ${w.shape[1]}`);
  if (O === 0 || K === 0) throw new RangeError(`${op}: weights ${fmtShape(w.shape)} must not have a zero dimension`);
  const mode = rdotMode(), flip = packFlip(mode);
  const k = kernels();
  if (f32) {
    const blocks = channelBlocks(op, w, ql, K, foldPoint(ql.x.zeroPoint, mode));
    const lo = Math.fround(ql.clamp?.min ?? -Infinity), hi = Math.fround(ql.clamp?.max ?? Infinity);
    return owning((own, owned) => {
      const { bias, scale } = blocks;
      own(bias);
      own(scale);
      const rq = own(paramBlock(rqBlock(ql.x, F32_OUT, undefined, mode)));
      const r = rowWeights(w.data, O, K, mode);
      own(r.ptr);
      return prepared([n, O], 0, owned, (inputs, yp) => {
        for (let j = 0; j < n; j++) k.gemv_qs8_f32_simd(r.ptr, r.ldw, r.wide, inputs[0] + j * K, bias, scale, yp + j * O * 4, O, rq, lo, hi);
      });
    });
  }
  const blocks = channelBlocks(op, w, ql, K, foldPoint(ql.x.zeroPoint, mode));
  return owning((own, owned) => {
    const { bias, scale } = blocks;
    own(bias);
    own(scale);
    const rq = own(paramBlock(rqBlock(ql.x, ql.y, ql.clamp, mode)));
    if (n < GEMV_BELOW) {
      const r = rowWeights(w.data, O, K, mode);
      own(r.ptr);
      return prepared([n, O], 0, owned, (inputs, yp) => {
        for (let j = 0; j < n; j++) k.gemv_qs8_minmax_simd(r.ptr, r.ldw, r.wide, inputs[0] + j * K, bias, scale, yp + j * O, O, rq);
      });
    }
    const packed = own(packWeights(w, 1, O, K).ptr);
    const panelBytes = Math.ceil(n / 8) * 16 * K4(K) + 16;
    return prepared([n, O], panelBytes, owned, (inputs, yp, panels) => {
      k.gemm_pack_qs8_p8_simd(inputs[0], 1, K, K, n, panels, flip);
      // C = W·xᵀ stored transposed: y[j, i] at j·O + i
      k.gemm_qs8_4x8_minmax_simd(packed, panels, yp, 1, O, bias, scale, O, n, K, rq);
    });
  });
}

/** y = x·Wᵀ + b on int8 x [N, K] (quantized with q.x), requantized to q.y (or float32 with output 'float32'). */
export function linearQs8(x: Tensor, w: QWeights, q: QLayerParams, output: 'int8' | 'float32' = 'int8'): Tensor {
  const t = tensorArg('linearQs8', 'x', x, 'int8');
  return runOnce(prepareLinearQs8(t.shape, w, q, output), [t.ptr], (s) => Tensor.empty(s, output));
}
