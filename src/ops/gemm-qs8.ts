// int8 convolution and dense layers (kernels: assembly/gemm-qs8.ts, the depthwise one in
// assembly/qs8.ts). Weights are int8, symmetric per output channel (w_real = w·scale[o]);
// activations int8 with a per-tensor scale and zero point (x_real = (x − zx)·sx). The op works out
// once, at prepare time, everything the kernels need: the packed weights, the int32 bias
// bias_q[o] = round(b[o] / (sx·sw[o])) − zx·Σ_k w[o, k] (the zero point folded in), the f32
// requantization scale sx·sw[o] / sy, the fused clamp in the output's integer domain, and the
// requantization block [zx, zy, qmin, qmax, relaxed-dot mode].
//
// Forward plan per image and group: im2col (taps outside the image read zx) into a row-major
// [K, pixels] int8 matrix, packed into 8-column panels, then the GEMM with the requantization fused
// into its store. A 1×1 stride-1 unpadded convolution packs x directly; a depthwise convolution
// (one input and one output channel per group) runs its direct kernel.
import { Tensor, type Shape } from '../tensor.js';
import { heap, kernels, rdotMode } from '../wasm/engine.js';
import { fmtShape, knownOptions, xShapeArg } from './validate.js';
import { paramBlock, prepared, runOnce, type Prepared } from './prepared.js';
import { geometry, isPointwise } from './conv2d-common.js';
import type { Conv2dOptions } from './conv2d.js';
import { qparamsArg, rqBlock, type QParams, type QClamp } from './qs8.js';

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

function weightsArg(op: string, w: QWeights, rank: number, layout: string): void {
  if (w === null || typeof w !== 'object' || !(w.data instanceof Int8Array) || !(w.scales instanceof Float32Array)) {
    throw new TypeError(`${op}: weights must be { data: Int8Array, shape, scales: Float32Array, bias: Float32Array | null }`);
  }
  const s = w.shape;
  if (!Array.isArray(s) || s.length !== rank) throw new RangeError(`${op}: weights shape must have ${rank} dims (${layout}), got ${fmtShape(s ?? [])}`);
  const size = s.reduce((a, b) => a * b, 1);
  if (w.data.length !== size) throw new RangeError(`${op}: weights data has ${w.data.length} values but shape ${fmtShape(s)} needs ${size}`);
  if (w.scales.length !== s[0]) throw new RangeError(`${op}: weights scales has ${w.scales.length} values but there are ${s[0]} output channels`);
  if (w.bias !== null && (!(w.bias instanceof Float32Array) || w.bias.length !== s[0])) {
    throw new RangeError(`${op}: bias must be a Float32Array of ${s[0]} values or null`);
  }
  for (let i = 0; i < w.scales.length; i++) {
    if (!(w.scales[i] > 0) || !Number.isFinite(w.scales[i])) throw new RangeError(`${op}: weight scale [${i}] is ${w.scales[i]}; scales must be finite and > 0`);
  }
}

/** Per-channel int32 bias (zero point folded over K taps when fold) and f32 requantization scale. */
function channelBlocks(w: QWeights, q: QLayerParams, K: number, fold: boolean): { bias: number; scale: number } {
  const o = w.shape[0];
  const h = heap();
  const bias = h.alloc(o * 4), scale = h.alloc(o * 4);
  const bi = new Int32Array(o), sc = new Float32Array(o);
  for (let i = 0; i < o; i++) {
    const ws = w.scales[i];
    let sum = 0;
    if (fold) for (let k = 0; k < K; k++) sum += w.data[i * K + k];
    const b = w.bias === null ? 0 : Math.round(w.bias[i] / (q.x.scale * ws));
    bi[i] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, b - q.x.zeroPoint * sum));
    sc[i] = (q.x.scale * ws) / q.y.scale;
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

/**
 * Prepares an int8 convolution (weights bound now, packed once): x int8 [N, C, H, W] with
 * q.x; output int8 [N, O, oh, ow] with q.y. run([x], y, scratch) only calls kernels.
 */
export function prepareConv2dQs8(xShape: Shape, w: QWeights, options: Conv2dOptions | undefined, q: QLayerParams): Prepared {
  const op = 'conv2dQs8';
  const xs = xShapeArg(op, xShape, [4], 'N, C, H, W');
  weightsArg(op, w, 4, 'out channels, in channels / groups, kh, kw');
  qparamsArg(op, 'q.x', q?.x);
  qparamsArg(op, 'q.y', q?.y);
  const p = geometry(op, xs, 'x', w.shape, 'weights', knownOptions(op, options, ['stride', 'padding', 'dilation', 'groups']));
  const { g } = p;
  const P = g.oh * g.ow, K = p.cg * g.kh * g.kw, hw = p.h * p.wd;
  const outShape = [p.n, p.o, g.oh, g.ow];
  const k = kernels();
  const rq = paramBlock(rqBlock(q.x, q.y, q.clamp, rdotMode()));
  const dwBlock = paramBlock([p.c, p.h, p.wd, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.oh, g.ow]);
  if (p.cg === 1 && p.og === 1 && p.groups > 1) {
    const { bias, scale } = channelBlocks(w, q, K, false);
    const wp = heap().alloc(w.data.length);
    heap().u8view().set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.length), wp);
    return prepared(outShape, 0, [rq, dwBlock, bias, scale, wp], (inputs, yp) => {
      for (let n = 0; n < p.n; n++) k.dwconv2d_qs8_minmax_simd(inputs[0] + n * p.c * hw, wp, bias, scale, yp + n * p.o * P, dwBlock, rq);
    });
  }
  const { bias, scale } = channelBlocks(w, q, K, true);
  const packed = packWeights(w, p.groups, p.og, K);
  const owned = [rq, dwBlock, bias, scale, packed.ptr];
  const pointwise = isPointwise(g);
  const colBytes = pointwise ? 0 : Math.ceil((K * P + 16) / 16) * 16;
  const panelBytes = Math.ceil(P / 8) * 8 * K4(K) + 16;
  const zx = q.x.zeroPoint;
  const im2col = paramBlock([p.cg, p.h, p.wd, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.oh, g.ow]);
  owned.push(im2col);
  return prepared(outShape, colBytes + panelBytes, owned, (inputs, yp, scratch) => {
    const col = scratch, panels = scratch + colBytes;
    for (let n = 0; n < p.n; n++) {
      for (let gi = 0; gi < p.groups; gi++) {
        const xg = inputs[0] + (n * p.c + gi * p.cg) * hw;
        if (pointwise) k.gemm_pack_qs8_p8_simd(xg, hw, 1, K, P, panels);
        else {
          k.conv2d_im2col_qs8_simd(xg, col, P, im2col, zx);
          k.gemm_pack_qs8_p8_simd(col, P, 1, K, P, panels);
        }
        k.gemm_qs8_4x8_minmax_simd(packed.ptr + gi * packed.stride, panels, yp + (n * p.o + gi * p.og) * P, P, 1,
          bias + gi * p.og * 4, scale + gi * p.og * 4, p.og, P, K, rq);
      }
    }
  });
}

/** y = conv2d of int8 x (quantized with q.x) with int8 weights, requantized to q.y. */
export function conv2dQs8(x: Tensor, w: QWeights, options: Conv2dOptions | undefined, q: QLayerParams): Tensor {
  if (!(x instanceof Tensor) || x.dtype !== 'int8') throw new TypeError(`conv2dQs8: x must be an int8 tensor, got ${String(x)}`);
  return runOnce(prepareConv2dQs8(x.shape, w, options, q), [x.ptr], (s) => Tensor.empty(s, 'int8'));
}

/**
 * Prepares an int8 dense layer: x int8 [N, K] (q.x), weights [O, K]; output int8 [N, O] (q.y).
 */
export function prepareLinearQs8(xShape: Shape, w: QWeights, q: QLayerParams): Prepared {
  const op = 'linearQs8';
  const [n, K] = xShapeArg(op, xShape, [2], 'N, in features');
  weightsArg(op, w, 2, 'out features, in features');
  qparamsArg(op, 'q.x', q?.x);
  qparamsArg(op, 'q.y', q?.y);
  const O = w.shape[0];
  if (w.shape[1] !== K) throw new RangeError(`${op}: x ${fmtShape(xShape)} has ${K} features but weights ${fmtShape(w.shape)} take ${w.shape[1]}`);
  const rq = paramBlock(rqBlock(q.x, q.y, q.clamp, rdotMode()));
  const { bias, scale } = channelBlocks(w, q, K, true);
  const packed = packWeights(w, 1, O, K);
  const k = kernels();
  const panelBytes = Math.ceil(n / 8) * 8 * K4(K) + 16;
  return prepared([n, O], panelBytes, [rq, bias, scale, packed.ptr], (inputs, yp, panels) => {
    k.gemm_pack_qs8_p8_simd(inputs[0], 1, K, K, n, panels);
    // C = W·xᵀ stored transposed: y[j, i] at j·O + i
    k.gemm_qs8_4x8_minmax_simd(packed.ptr, panels, yp, 1, O, bias, scale, O, n, K, rq);
  });
}

/** y = x·Wᵀ + b on int8 x [N, K], requantized to q.y. */
export function linearQs8(x: Tensor, w: QWeights, q: QLayerParams): Tensor {
  if (!(x instanceof Tensor) || x.dtype !== 'int8') throw new TypeError(`linearQs8: x must be an int8 tensor, got ${String(x)}`);
  return runOnce(prepareLinearQs8(x.shape, w, q), [x.ptr], (s) => Tensor.empty(s, 'int8'));
}
