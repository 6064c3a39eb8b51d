// The int8 kernels against plain integer references (test/ref/qs8.ts): tile-edge sweeps of the
// GEMM (both C layouts, both B packings), convolutions through ops.conv2dQs8 (im2col, 1×1,
// depthwise, groups, stride, padding, dilation, batch), dense layers, quantize / dequantize, add
// and pooling; saturation at −128 / 127 and zero points at both ends.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, engineInfo, nn, ops } from '../src/index.js';
import { heap, kernels, rdotMode } from '../src/wasm/engine.js';
import { qclamp } from '../src/ops/qs8.js';
import { requantBlock } from '../src/wasm/qs8-layout.js';
import { BUILD, bytesInUse, ready, rng } from './helpers.js';
import { addQs8Ref, convQs8Ref, dequantizeRef, gemmQs8Ref, ints, quantizeRef, requantRef, roundEven } from './ref/qs8.js';
import { base4, convCase, firstDiff } from './qs8-case.js';

beforeAll(ready);
let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

function put(a: Int8Array | Int32Array | Float32Array): number {
  const h = heap();
  const p = h.alloc(Math.max(4, a.byteLength));
  h.u8view().set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), p);
  return p;
}
const get8 = (p: number, n: number) => new Int8Array(heap().u8view().slice(p, p + n).buffer);

/** Runs pack + GEMM on the kernels directly; transB: B given as Bᵀ [N, K] (dense), C stored [N, M]. */
function gemm(A: Int8Array, B: Int8Array, M: number, N: number, K: number, bias: Int32Array, scale: Float32Array, rq: number[], transB: boolean): Int8Array {
  const k = kernels(), h = heap();
  const K4 = Math.ceil(K / 4) * 4;
  // relaxed-dot mode 2 takes the activations as unsigned bytes x ^ 0x80 = x + 128: the bias takes the 128 back
  const flip = rq[4] === 2 ? 0x80 : 0;
  const b2 = flip ? bias.map((v, i) => v - 128 * A.slice(i * K, i * K + K).reduce((s, a) => s + a, 0)) : bias;
  const ap = put(A), bp = put(B), bi = put(b2), sc = put(scale), rqp = put(Int32Array.from(requantBlock(rq[0], rq[1], rq[2], rq[3], rq[4])));
  const pa = h.alloc(Math.ceil(M / 4) * 8 * K4), pb = h.alloc(Math.ceil(N / 8) * 16 * K4), cp = h.alloc(M * N);
  try {
    k.gemm_pack_qs8_p4_simd(ap, K, M, K, pa);
    if (transB) k.gemm_pack_qs8_p8_simd(bp, 1, K, K, N, pb, flip);
    else k.gemm_pack_qs8_p8_simd(bp, N, 1, K, N, pb, flip);
    if (transB) k.gemm_qs8_4x8_minmax_simd(pa, pb, cp, 1, M, bi, sc, M, N, K, rqp);
    else k.gemm_qs8_4x8_minmax_simd(pa, pb, cp, N, 1, bi, sc, M, N, K, rqp);
    const c = get8(cp, M * N);
    if (!transB) return c;
    const t = new Int8Array(M * N);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) t[i * N + j] = c[j * M + i];
    return t;
  } finally {
    for (const p of [ap, bp, bi, sc, rqp, pa, pb, cp]) h.release(p);
  }
}

const transpose = (B: Int8Array, K: number, N: number) => {
  const t = new Int8Array(K * N);
  for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) t[j * K + k] = B[k * N + j];
  return t;
};

describe('QS8 GEMM (gemm_qs8_4x8_minmax_simd)', () => {
  it('matches the integer reference over tile edges (M, N, K), both C layouts', () => {
    const mode = rdotMode();
    let seed = 1;
    for (const M of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 17, 22]) for (const N of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17]) for (const K of [1, 2, 3, 4, 5, 7, 8, 9, 33]) {
      const A = ints(M * K, seed++), B = ints(K * N, seed++);
      const bias = Int32Array.from(ints(M, seed++), (v) => v * 50);
      const r = rng(seed++);
      const scale = Float32Array.from({ length: M }, () => 0.5 / (8 * K) + r() / (128 * K));
      const zy = [-128, -3, 127][seed % 3];
      const rq = [0, zy, -128, 127, mode];
      const want = gemmQs8Ref(A, B, M, N, K, bias, scale, zy, -128, 127);
      for (const tb of [false, true]) {
        const got = gemm(A, tb ? transpose(B, K, N) : B, M, N, K, bias, scale, rq, tb);
        const d = firstDiff(got, want, [M, N]);
        if (d) throw new Error(`M ${M} N ${N} K ${K} ${tb ? 'C transposed' : ''}: ${d}`);
      }
    }
  });

  it('saturates at −128 / 127 with extreme operands, long K, zero points at both ends, fused clamps', () => {
    const mode = rdotMode();
    for (const K of [255, 256, 1000]) for (const [av, bv] of [[127, 127], [-128, -128], [127, -128], [-128, 127], [-127, -128]]) {
      const M = 5, N = 11;
      const A = new Int8Array(M * K).fill(av), B = new Int8Array(K * N).fill(bv);
      A[0] = -A[0] || 1; // one row not uniform
      const bias = Int32Array.from([0, 1 << 20, -(1 << 20), 7, -7]);
      for (const zy of [-128, 127]) for (const [lo, hi] of [[-128, 127], [zy === -128 ? -128 : -5, zy === -128 ? 10 : 127]]) {
        const scale = Float32Array.from([1e-4, 1 / 16384, 3e-5, 1, 1e-7]);
        const got = gemm(A, B, M, N, K, bias, scale, [0, zy, lo, hi, mode], false);
        const want = gemmQs8Ref(A, B, M, N, K, bias, scale, zy, lo, hi);
        const d = firstDiff(got, want, [M, N]);
        if (d) throw new Error(`K ${K} a ${av} b ${bv} zy ${zy} [${lo}, ${hi}]: ${d}`);
      }
    }
  });

  it('rounds ties to even in the requantization', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5].map((v) => roundEven(v) + 0)).toEqual([0, 2, 2, 0, -2, -2]);
    const A = Int8Array.from([1, 3, 5, -1, -3, -5, 7, 9]), B = new Int8Array([1]);
    const got = gemm(A, B, 8, 1, 1, new Int32Array(8), new Float32Array(8).fill(0.5), [0, 0, -128, 127, rdotMode()], false);
    expect(Array.from(got)).toEqual([0, 2, 2, 0, -2, -2, 4, 4]);
    expect(requantRef(5, 0.5, 0, -128, 127)).toBe(2);
  });
});

describe('conv2dQs8', () => {
  it('im2col + GEMM: channels around tile edges, widths mod 4, kernel sizes', () => {
    let s = 100;
    for (const c of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17]) for (const o of [1, 3, 4, 5, 8, 9, 17]) {
      for (const [w, k] of [[5, 3], [6, 3], [7, 1], [8, 2], [9, 3]]) {
        convCase({ ...base4, c, o, h: 5, w, kh: k, kw: k, pt: 1, pl: 1, pb: 1, pr: 1 }, s++, [-128, 0, 127][s % 3], [127, -128, 5][s % 3]);
      }
    }
  });

  it('strides 1–3, asymmetric padding, dilation, groups, batch > 1, 1×1 and kernel-equals-input', () => {
    let s = 500;
    for (const sh of [1, 2, 3]) for (const sw of [1, 2, 3]) {
      convCase({ ...base4, n: 2, c: 3, o: 5, h: 9, w: 10, kh: 3, kw: 2, sh, sw, pt: 2, pl: 0, pb: 1, pr: 1 }, s++, -128, 127);
      convCase({ ...base4, c: 4, o: 6, h: 11, w: 9, kh: 3, kw: 3, sh, sw, dh: 2, dw: 3, pt: 1, pl: 3, pb: 0, pr: 2, groups: 2 }, s++, 127, -128);
    }
    convCase({ ...base4, n: 3, c: 17, o: 9, h: 6, w: 7, kh: 1, kw: 1 }, s++, 3, -1);
    convCase({ ...base4, n: 2, c: 16, o: 10, h: 5, w: 5, kh: 5, kw: 5 }, s++, -128, 0);
    convCase({ ...base4, c: 6, o: 9, h: 4, w: 4, kh: 1, kw: 1, groups: 3 }, s++, 10, -128);
  });

  it('depthwise: stride 1 and 2, padding, dilation, widths across the 8-pixel vector', () => {
    let s = 900;
    for (const w of [1, 3, 7, 8, 9, 15, 16, 17, 33]) for (const st of [1, 2, 3]) for (const [k, pad, dil] of [[3, 1, 1], [3, 0, 1], [5, 2, 1], [3, 2, 2]]) {
      const c = [1, 5, 16][s % 3];
      if (w + 2 * pad - dil * (k - 1) - 1 < 0) continue;
      convCase({ ...base4, n: 2, c, o: c, groups: c, h: 6, w, kh: k, kw: k, sh: st, sw: st, dh: dil, dw: dil, pt: pad, pl: pad, pb: pad, pr: pad }, s++,
        [-128, 127, 0][s % 3], [127, -128, 9][s % 3]);
    }
  });

  it('3×3 stride 1 with ≥ 8 channels (exact Winograd F(2×2, 3×3) on the 16-bit dot): odd and even sizes, panels across tile rows, several blocks, padding 0…2, odd channel counts', () => {
    let s = 1700;
    // output widths 7, 8 (4 tiles a row), 13, 14 (7), 29, 19, 34, 40; narrower ones fall back to the GEMM
    for (const [c, o, h, w, pad] of [[8, 8, 5, 7, 1], [9, 13, 7, 8, 1], [12, 9, 6, 13, 1], [8, 10, 14, 14, 1], [16, 8, 4, 31, 0], [17, 9, 12, 18, 2],
      [8, 12, 33, 34, 1], [11, 16, 42, 40, 1], [8, 8, 3, 3, 1], [10, 8, 9, 5, 1]] as const) {
      const [pt, pl, pb, pr] = pad === 2 ? [2, 1, 0, 2] : [pad, pad, pad, pad];
      convCase({ ...base4, n: 1 + (s % 2), c, o, h, w, kh: 3, kw: 3, pt, pl, pb, pr }, s++, [-128, 127, 0, 3][s % 4], [127, -128, -7][s % 3], s % 3 === 0 ? { min: 0 } : undefined);
    }
  });

  it('3×3 stride 1 (Winograd) saturates at −128 / 127 with extreme inputs and weights, zero points at both ends', () => {
    for (const [xv, wv, zx] of [[127, 127, -128], [-128, 127, 127], [-128, -127, -128], [127, -127, 127]] as const) {
      const c = 40, o = 8, h = 6, w = 11;
      const x = new Int8Array(c * h * w).fill(xv);
      x[5] = -x[5] - 1;
      const wt = new Int8Array(o * c * 9).fill(wv);
      const scales = Float32Array.from({ length: o }, (_, i) => 10 ** (-2 - (i % 4))), bias = Float32Array.from({ length: o }, (_, i) => (i - 4) * 100);
      const qx = { scale: 1, zeroPoint: zx }, qy = { scale: 1, zeroPoint: zx === 127 ? -128 : 127 };
      const bq = Int32Array.from(bias, (b, i) => Math.round(b / scales[i]));
      const p = { ...base4, c, o, h, w, kh: 3, kw: 3, pt: 1, pl: 1, pb: 1, pr: 1 };
      const ref = convQs8Ref(p, x, wt, bq, scales, zx, qy.zeroPoint, -128, 127);
      const xt = Tensor.from(x, [1, c, h, w]);
      const y = ops.conv2dQs8(xt, { data: wt, shape: [o, c, 3, 3], scales, bias }, { padding: 1 }, { x: qx, y: qy });
      const d = firstDiff(y.toInt8Array(), ref.y, [1, o, ref.oh, ref.ow]);
      xt.dispose(); y.dispose();
      if (d) throw new Error(`x ${xv} w ${wv} zx ${zx}: ${d}`);
    }
  });

  it('panels packed straight from the padded input: output widths 6…21 (panels across output rows), stride 1 and 2, windows 2…7, dilation, groups, channels below 8', () => {
    let s = 2100;
    for (let w = 6; w <= 21; w++) for (const sw of [1, 2]) {
      const k = [2, 3, 5, 7][w % 4], dil = w % 5 === 0 ? 2 : 1, groups = w % 3 === 0 ? 2 : 1;
      const pad = [0, 1, 3][w % 3];
      const c = groups * (1 + (w % 4)), o = groups * (1 + (w % 5));
      const span = dil * (k - 1) + 1;
      if (w + 2 * pad < span) continue;
      convCase({ ...base4, n: 1 + (w % 2), c, o, groups, h: 3 + (w % 4) + span, w, kh: k, kw: k, sh: 1 + (w % 2), sw, dh: dil, dw: dil, pt: pad, pl: pad, pb: w % 2, pr: pad },
        s++, [-128, 127, 4][s % 3], [127, -128, -9][s % 3]);
    }
  });

  it('panels from channel quads (relaxed builds, channels a multiple of 4 a group): output widths 7…30 (panels across output rows at every offset), stride 1 and 2, windows 2…7, dilation, groups, output channels across the row blocks', () => {
    let s = 2300;
    for (let w = 7; w <= 30; w++) for (const sw of [1, 2]) {
      const k = [3, 2, 5, 3, 7][w % 5], dil = w % 7 === 0 ? 2 : 1, groups = w % 6 === 0 ? 2 : 1;
      const pad = [1, 0, 2][w % 3];
      const cg = 4 * (1 + (w % 3)), o = groups * [5, 8, 13, 22, 3][w % 5];
      const span = dil * (k - 1) + 1;
      const h = 2 + (w % 3) + span, ow = Math.floor((w * sw + 2 * pad - span) / sw) + 1;
      if (ow < 7) continue;
      convCase({ ...base4, n: 1 + (w % 2), c: groups * cg, o, groups, h, w: w * sw, kh: k, kw: k, sh: 1 + (w % 2), sw, dh: dil, dw: dil, pt: pad, pl: pad, pb: w % 2, pr: pad },
        s++, [-128, 127, 4][s % 3], [127, -128, -9][s % 3], s % 4 === 0 ? { min: 0 } : undefined);
    }
  });

  it('B packed in bands of output rows (about 128 KiB of panels each): bands ending inside a panel, stride 2, 1×1, a 7×7 stem', () => {
    let s = 2400;
    // K·ow past the band size: bands of 4 rows (64 channels, ow 30), 2 rows (stride 2), 6 (1×1 on 512 channels), 11 (the stem's 3 channels)
    convCase({ ...base4, c: 64, o: 9, h: 10, w: 30, kh: 3, kw: 3, pt: 1, pl: 1, pb: 1, pr: 1 }, s++, -128, 127, { min: 0 });
    convCase({ ...base4, c: 128, o: 14, h: 13, w: 57, kh: 3, kw: 3, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1 }, s++, 127, -128);
    convCase({ ...base4, c: 512, o: 7, h: 13, w: 40, kh: 1, kw: 1 }, s++, 3, -5);
    convCase({ ...base4, c: 3, o: 5, h: 40, w: 160, kh: 7, kw: 7, sh: 2, sw: 2, pt: 3, pl: 3, pb: 3, pr: 3 }, s++, -7, -128, { min: 0 });
    convCase({ ...base4, c: 60, o: 6, h: 9, w: 77, kh: 3, kw: 3, pt: 1, pl: 1, pb: 1, pr: 1 }, s++, 0, 0);
  });

  it('short reductions (C·kh·kw ≤ 32: the direct kernel): widths 1…40 across the 8- and 16-pixel steps, 1…7 output channels, stride down the height, padding', () => {
    let s = 2500;
    for (let w = 1; w <= 40; w++) {
      const [c, k] = [[1, 5], [2, 3], [3, 3], [1, 4], [4, 2], [32, 1], [1, 1]][w % 7];
      const o = 1 + (w % 7), pad = [0, 1, 2][w % 3];
      if (w + 2 * pad < k) continue;
      convCase({ ...base4, n: 1 + (w % 2), c, o, h: 2 + k + (w % 3), w, kh: k, kw: k, sh: 1 + (w % 3), pt: pad, pl: pad, pb: (w + 1) % 2, pr: pad },
        s++, [-128, 127, 5][s % 3], [127, -128, -3][s % 3], s % 4 === 0 ? { min: 0, max: 6 } : undefined);
    }
  });

  it('fuses ReLU and ReLU6 into the store', () => {
    convCase({ ...base4, c: 5, o: 7, h: 6, w: 6, kh: 3, kw: 3, pt: 1, pl: 1, pb: 1, pr: 1 }, 41, 7, -128, { min: 0 });
    convCase({ ...base4, c: 5, o: 7, h: 6, w: 6, kh: 3, kw: 3 }, 42, 7, -100, { min: 0, max: 6 });
    convCase({ ...base4, c: 8, o: 8, groups: 8, h: 6, w: 19, kh: 3, kw: 3, pt: 1, pl: 1, pb: 1, pr: 1 }, 43, -128, -128, { min: 0, max: 6 });
  });
});

describe('linearQs8', () => {
  it('matches the reference for batch 1…9 and features around tile edges', () => {
    let s = 2000;
    for (const n of [1, 2, 5, 8, 9]) for (const K of [1, 3, 4, 7, 16, 33]) for (const O of [1, 4, 5, 10, 17]) {
      const x = ints(n * K, s++), wt = ints(O * K, s++, -127, 127);
      const scales = new Float32Array(O).fill(0.01), bias = Float32Array.from({ length: O }, (_, i) => i - 2);
      const qx = { scale: 0.1, zeroPoint: [-128, 127, 4][s % 3] }, qy = { scale: 0.05 * Math.sqrt(K), zeroPoint: [127, -128, 0][s % 3] };
      const bq = Int32Array.from(bias, (b, o) => Math.round(b / (qx.scale * scales[o])));
      const sc = Float32Array.from(scales, (v) => (qx.scale * v) / qy.scale);
      // the dense layer is the 1×1 convolution of [n, K, 1, 1]
      const ref = convQs8Ref({ ...base4, n, c: K, o: O, h: 1, w: 1, kh: 1, kw: 1 }, x, wt, bq, sc, qx.zeroPoint, qy.zeroPoint, -128, 127);
      const xt = Tensor.from(x, [n, K]);
      const y = ops.linearQs8(xt, { data: wt, shape: [O, K], scales, bias }, { x: qx, y: qy });
      const d = firstDiff(y.toInt8Array(), ref.y, [n, O]);
      xt.dispose(); y.dispose();
      if (d) throw new Error(`n ${n} K ${K} O ${O}: ${d}`);
    }
  });
});

describe('linearQs8 at batch < 4 (the matrix–vector kernel): weights widened to i16 while small, int8 past 128 KB', () => {
  it('matches the reference on both sides of the 128 KB line, int8 and float32 outputs', () => {
    let s = 2300;
    // rows·ldw bytes: 8·16384 = 128 KB (widened on the plain dot), 12·16400 and 8·16400 past it (int8)
    for (const [O, K] of [[8, 16384], [9, 16390], [5, 16390], [7, 16383]] as const) for (const n of [1, 3]) {
      const x = ints(n * K, s++), wt = ints(O * K, s++, -127, 127);
      const scales = Float32Array.from({ length: O }, (_, i) => 0.0004 + 0.0001 * i), bias = Float32Array.from({ length: O }, (_, i) => 3 * i - 7);
      const qx = { scale: 0.1, zeroPoint: [-128, 127, 3][s % 3] }, qy = { scale: 0.05 * Math.sqrt(K), zeroPoint: [5, -128, 127][s % 3] };
      const bq = Int32Array.from(bias, (b, o) => Math.round(b / (qx.scale * scales[o])));
      const sc = Float32Array.from(scales, (v) => (qx.scale * v) / qy.scale);
      const ref = convQs8Ref({ ...base4, n, c: K, o: O, h: 1, w: 1, kh: 1, kw: 1 }, x, wt, bq, sc, qx.zeroPoint, qy.zeroPoint, -128, 127);
      const xt = Tensor.from(x, [n, K]);
      const w = { data: wt, shape: [O, K], scales, bias };
      const y = ops.linearQs8(xt, w, { x: qx, y: qy });
      const d = firstDiff(y.toInt8Array(), ref.y, [n, O]);
      // float32 output: the int32 sums (no rounding) times x_scale·w_scale
      const yt = ops.linearQs8(xt, w, { x: qx, y: { scale: 1, zeroPoint: 0 } }, 'float32');
      const yf = yt.toFloat32Array();
      yt.dispose();
      for (let j = 0; j < n; j++) for (let o = 0; o < O; o++) {
        let acc = bq[o];
        for (let k = 0; k < K; k++) acc += wt[o * K + k] * (x[j * K + k] - qx.zeroPoint);
        const want = Math.fround(Math.fround(acc) * Math.fround(qx.scale * scales[o]));
        if (yf[j * O + o] !== want) throw new Error(`float32 O ${O} K ${K} n ${j}/${n} o ${o}: ${yf[j * O + o]}, want ${want}`);
      }
      xt.dispose(); y.dispose();
      if (d) throw new Error(`O ${O} K ${K} n ${n}: ${d}`);
    }
  });
});

describe('linearQs8 with a float32 output', () => {
  it('is the int32 sum times x_scale·w_scale, clamped, for batch 1…9, features around the 4-row and 16-byte edges, zero points at both ends', () => {
    let s = 2500;
    for (const n of [1, 2, 5, 9]) for (const K of [1, 3, 15, 16, 17, 40]) for (const O of [1, 3, 4, 5, 10, 17]) {
      const x = ints(n * K, s++), wt = ints(O * K, s++, -127, 127);
      const scales = Float32Array.from({ length: O }, (_, i) => 0.003 + 0.001 * i);
      const bias = s % 4 === 0 ? null : Float32Array.from({ length: O }, (_, i) => (i - 2) * 0.37);
      const qx = { scale: 0.02, zeroPoint: [-128, 127, 5][s % 3] };
      const clamp = [undefined, { min: 0 }, { min: -0.5, max: 0.75 }][s % 3];
      const lo = Math.fround(clamp?.min ?? -Infinity), hi = Math.fround(clamp?.max ?? Infinity);
      const want = new Float32Array(n * O);
      for (let j = 0; j < n; j++) for (let o = 0; o < O; o++) {
        let acc = bias ? Math.round(bias[o] / (qx.scale * scales[o])) : 0;
        for (let k = 0; k < K; k++) acc += (x[j * K + k] - qx.zeroPoint) * wt[o * K + k];
        want[j * O + o] = Math.min(hi, Math.max(lo, Math.fround(Math.fround(acc) * Math.fround(qx.scale * scales[o]))));
      }
      const xt = Tensor.from(x, [n, K]);
      const y = ops.linearQs8(xt, { data: wt, shape: [O, K], scales, bias }, { x: qx, y: { scale: 1, zeroPoint: 0 }, clamp }, 'float32');
      expect(y.dtype).toBe('float32');
      expect(y.shape).toEqual([n, O]);
      const got = y.toFloat32Array();
      xt.dispose(); y.dispose();
      for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) throw new Error(`n ${n} K ${K} O ${O} at ${i}: got ${got[i]}, want ${want[i]}`);
    }
    const x = Tensor.from(new Int8Array(6), [2, 3]);
    const w = { data: new Int8Array(12), shape: [4, 3], scales: new Float32Array(4).fill(0.1), bias: null };
    expect(() => ops.linearQs8(x, w, { x: { scale: 0.1, zeroPoint: 0 }, y: { scale: 1, zeroPoint: 0 } }, 'int16' as never)).toThrow(/linearQs8: output must be 'int8' or 'float32', got .int16./);
    x.dispose();
  });
});

describe('quantize / dequantize / add / pooling on int8', () => {
  it('quantizeLinear and dequantizeLinear match ONNX rounding for sizes 0…40, extremes and NaN', () => {
    for (let n = 0; n <= 40; n++) for (const [scale, zp] of [[0.1, 0], [0.037, -128], [0.5, 127]]) {
      const r = rng(n + 7);
      const d = Float32Array.from({ length: n }, () => (r() - 0.5) * 80);
      if (n > 3) { d[0] = 1e30; d[1] = -1e30; d[2] = NaN; d[3] = 0.05; }
      const x = Tensor.from(d, [n]);
      const q = ops.quantizeLinear(x, { scale, zeroPoint: zp });
      expect(Array.from(q.toInt8Array())).toEqual(Array.from(quantizeRef(d, scale, zp)));
      const back = ops.dequantizeLinear(q, { scale, zeroPoint: zp });
      expect(Array.from(back.toFloat32Array())).toEqual(Array.from(dequantizeRef(q.toInt8Array(), scale, zp)));
      x.dispose(); q.dispose(); back.dispose();
    }
  });

  it('addQs8 matches the reference, zero points at both ends, clamp', () => {
    for (const n of [1, 7, 8, 9, 16, 33]) for (const [za, zb, zy] of [[-128, 127, 0], [127, -128, -128], [0, 0, 127]]) {
      const a = ints(n, n), b = ints(n, n + 1);
      const qa = { scale: 0.05, zeroPoint: za }, qb = { scale: 0.11, zeroPoint: zb }, qy = { scale: 0.09, zeroPoint: zy };
      const ta = Tensor.from(a), tb = Tensor.from(b);
      const y = ops.addQs8(ta, tb, qa, qb, qy, { min: 0 });
      const [lo, hi] = qclamp(qy, { min: 0 });
      const want = addQs8Ref(a, b, Math.fround(0.05 / 0.09), za, Math.fround(0.11 / 0.09), zb, zy, lo, hi);
      expect(firstDiff(y.toInt8Array(), want, [n])).toBeNull();
      ta.dispose(); tb.dispose(); y.dispose();
    }
  });

  it('addQs8: ties to even, saturation, and multipliers past the fast path (255·(ma + mb) > 4·10⁶) on every byte pair', () => {
    // every (a, b) pair once: 65536 values; the ties come from multipliers 0.5 and 0.25
    const a = Int8Array.from({ length: 65536 }, (_, i) => (i & 255) - 128), b = Int8Array.from({ length: 65536 }, (_, i) => (i >> 8) - 128);
    const ta = Tensor.from(a), tb = Tensor.from(b);
    for (const [sa, sb, za, zb, zy] of [[0.5, 0.25, 3, -7, 0], [0.5, 0.5, -128, 127, 5], [100, 3, 0, 0, -128], [20000, 1, 1, -1, 127], [1e30, 1e30, 0, 0, 0], [3e-3, 7e4, 127, -128, -3]]) {
      const qa = { scale: sa, zeroPoint: za }, qb = { scale: sb, zeroPoint: zb }, qy = { scale: 1, zeroPoint: zy };
      const y = ops.addQs8(ta, tb, qa, qb, qy);
      const want = addQs8Ref(a, b, Math.fround(sa), za, Math.fround(sb), zb, zy, -128, 127);
      expect(firstDiff(y.toInt8Array(), want, [65536]), `${sa} ${sb}`).toBeNull();
      y.dispose();
    }
    ta.dispose(); tb.dispose();
  });

  it('maxPool2dQs8 and globalAvgPool2dQs8 match plain loops', () => {
    const x = ints(2 * 3 * 7 * 9, 77);
    const t = Tensor.from(x, [2, 3, 7, 9]);
    const y = ops.maxPool2dQs8(t, { kernelSize: 3, stride: 2, padding: 1 });
    expect(y.shape).toEqual([2, 3, 4, 5]);
    const got = y.toInt8Array();
    for (let p = 0; p < 6; p++) for (let oy = 0; oy < 4; oy++) for (let ox = 0; ox < 5; ox++) {
      let m = -128;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
        const iy = oy * 2 - 1 + i, ix = ox * 2 - 1 + j;
        if (iy >= 0 && iy < 7 && ix >= 0 && ix < 9) m = Math.max(m, x[(p * 7 + iy) * 9 + ix]);
      }
      expect(got[(p * 4 + oy) * 5 + ox]).toBe(m);
    }
    const qx = { scale: 0.1, zeroPoint: -20 }, qy = { scale: 0.03, zeroPoint: 5 };
    const g = ops.globalAvgPool2dQs8(t, qx, qy);
    const gg = g.toInt8Array();
    const mult = Math.fround(0.1 / (0.03 * 63));
    for (let p = 0; p < 6; p++) {
      let s = 0;
      for (let i = 0; i < 63; i++) s += x[p * 63 + i];
      expect(gg[p]).toBe(requantRef(s + 20 * 63, mult, 5, -128, 127));
    }
    t.dispose(); y.dispose(); g.dispose();
  });

  it('maxPool2dQs8 sweeps widths across the 16-byte vector, strides 1–3, padding, dilation, ceil mode', () => {
    let seed = 300;
    for (const w of [1, 5, 15, 16, 17, 31, 32, 33, 40, 70]) for (const s of [1, 2, 3]) for (const [k, pad, dil] of [[2, 0, 1], [3, 1, 1], [3, 0, 2], [1, 0, 1]]) for (const ceilMode of [false, true]) {
      const h = 5 + (ceilMode ? w % 3 : 0), n = 3, span = dil * (k - 1) + 1;
      if (w + 2 * pad < span) continue;
      const x = ints(n * h * w, seed++);
      const t = Tensor.from(x, [1, n, h, w]);
      const y = ops.maxPool2dQs8(t, { kernelSize: k, stride: s, padding: pad, dilation: dil, ceilMode });
      const [, , oh, ow] = y.shape;
      // PyTorch's output size: rounded up in ceil mode, less a last window that would start past the input and its left padding
      const size = (len: number) => {
        const o = (ceilMode ? Math.ceil : Math.floor)((len + 2 * pad - span) / s) + 1;
        return ceilMode && (o - 1) * s >= len + pad ? o - 1 : o;
      };
      expect([oh, ow]).toEqual([size(h), size(w)]);
      const got = y.toInt8Array();
      for (let p = 0; p < n; p++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
        let m = -128;
        for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
          const iy = oy * s - pad + i * dil, ix = ox * s - pad + j * dil;
          if (iy >= 0 && iy < h && ix >= 0 && ix < w) m = Math.max(m, x[(p * h + iy) * w + ix]);
        }
        const at = (p * oh + oy) * ow + ox;
        if (got[at] !== m) expect.fail(`w ${w} s ${s} k ${k} pad ${pad} dil ${dil} ceil ${ceilMode}: y[${p}, ${oy}, ${ox}] = ${got[at]}, want ${m}`);
      }
      t.dispose(); y.dispose();
    }
  });

  it('the int8 ops check their arguments before any kernel runs, with messages naming the op', () => {
    const x8 = Tensor.from(new Int8Array(2 * 3 * 4 * 4), [2, 3, 4, 4]), xf = Tensor.zeros([2, 3, 4, 4]);
    const b4 = Tensor.from(new Int8Array(4), [4]), empty = Tensor.from(new Int8Array(0), [1, 1, 0, 3]), x23 = Tensor.from(new Int8Array(6), [2, 3]);
    const q = { scale: 0.1, zeroPoint: 0 };
    const w = { data: new Int8Array(5 * 3 * 9), shape: [5, 3, 3, 3], scales: new Float32Array(5).fill(0.01), bias: null };
    const before = bytesInUse();
    expect(() => ops.quantizeLinear(x8, q)).toThrow(/quantizeLinear: x must be a float32 tensor/);
    expect(() => ops.quantizeLinear(xf, { scale: 0.1, zeroPoint: 128 })).toThrow(/quantizeLinear: q.zeroPoint must be an integer in −128…127, got 128/);
    expect(() => ops.dequantizeLinear(x8, { scale: 1e-50, zeroPoint: 0 })).toThrow(/dequantizeLinear: q.scale must be a number > 0 within float32's range/);
    expect(() => ops.addQs8(x8, b4, q, q, q)).toThrow(/addQs8: a has shape \[2, 3, 4, 4\] but b has shape \[4\]/);
    expect(() => ops.addQs8(x8, x8, { scale: 1e30, zeroPoint: 0 }, q, { scale: 1e-30, zeroPoint: 0 })).toThrow(/addQs8: the scales give qa.scale \/ qy.scale/);
    expect(() => ops.addQs8(x8, x8, q, q, q, { min: 6, max: 0 })).toThrow(/addQs8: clamp.min 6 is above clamp.max 0/);
    expect(() => ops.maxPool2dQs8(x8, { kernelSize: 2, padding: 2 })).toThrow(/maxPool2dQs8: padding \[2, 2\] must be at most half of kernelSize/);
    expect(() => ops.maxPool2dQs8(x8, { kernelSize: 2, ceilMode: 1 } as never)).toThrow(/maxPool2dQs8: ceilMode must be a boolean/);
    expect(() => ops.maxPool2dQs8(x8, { kernelSize: 2, ceil: true } as never)).toThrow(/maxPool2dQs8: unknown option 'ceil'/);
    // a batch of 0 has an empty output, but each image's padded plane would still be planned (fuzz seed 20261206)
    const none = Tensor.from(new Int8Array(0), [0, 3, 4, 4]);
    const huge = new nn.QConv2d(3, 5, 3, { padding: 1e9, x: q, y: q });
    expect(() => huge.forward([none], false)).toThrow(/conv2dQs8: one padded input image \[3, 2000000004, 2000000004\] would have \d+ elements, more than/);
    none.dispose(); huge.dispose();
    expect(() => ops.globalAvgPool2dQs8(empty, q, q)).toThrow(/globalAvgPool2dQs8: .* an empty 0×3 plane has no mean/);
    expect(() => ops.conv2dQs8(xf, w, {}, { x: q, y: q })).toThrow(/conv2dQs8: x must be an int8 tensor/);
    expect(() => ops.conv2dQs8(x8, { ...w, shape: [5, 3, 3, 2] }, {}, { x: q, y: q })).toThrow(/conv2dQs8: weights.data has 135 values but shape \[5, 3, 3, 2\] needs 90/);
    expect(() => ops.conv2dQs8(x8, { ...w, scales: new Float32Array(5) }, {}, { x: q, y: q })).toThrow(/conv2dQs8: weights.scales\[0\] is 0/);
    expect(() => ops.conv2dQs8(x8, w, { groups: 2 }, { x: q, y: q })).toThrow(/conv2dQs8: x has 3 channels .* groups = 2/);
    expect(() => ops.conv2dQs8(x8, w, {}, { x: q, y: q, z: 1 } as never)).toThrow(/conv2dQs8: unknown option 'z'/);
    expect(() => ops.linearQs8(x23, { ...w, data: new Int8Array(20), shape: [5, 4] }, { x: q, y: q })).toThrow(/linearQs8: x \[2, 3\] has 3 features but weights \[5, 4\] take 4/);
    expect(bytesInUse()).toBe(before);
    for (const t of [x8, xf, b4, empty, x23]) t.dispose();
  });

  it('engineInfo says which int8 GEMM runs (the start-up check of the relaxed dot)', () => {
    const m = rdotMode(), info = engineInfo();
    expect(info.int8).toBe(['dot_i16x8', 'relaxed_dot_split', 'relaxed_dot', 'relaxed_dot_u8'][m + 1]);
    if (!BUILD.endsWith('relaxed')) expect(info.int8).toBe('dot_i16x8');
  });
});
