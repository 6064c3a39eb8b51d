// Plain integer references for the int8 kernels: int32 sums in JS numbers (exact), the fp32
// requantization of assembly/qs8-common.ts written out with Math.fround, ties to even.
import { rng } from '../../examples/rng.js';

/** n seeded uniform integers in [lo, hi] (the int8 tests' inputs and weights). */
export function ints(n: number, seed: number, lo = -128, hi = 127): Int8Array {
  const r = rng(seed);
  return Int8Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)));
}

/** Round half to even (f32x4.nearest / ONNX). */
export function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const sat = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

/** clamp(roundEven(f32(f32(acc) · scale)) + zy, qmin, qmax), acc wrapped to int32. */
export function requantRef(acc: number, scale: number, zy: number, qmin: number, qmax: number): number {
  const f = Math.fround(Math.fround(acc | 0) * Math.fround(scale));
  return sat(roundEven(f) + zy, qmin, qmax);
}

export function quantizeRef(x: Float32Array, scale: number, zp: number): Int8Array {
  return Int8Array.from(x, (v) => (Number.isNaN(v) ? sat(zp, -128, 127) : sat(roundEven(Math.fround(v / Math.fround(scale))) + zp, -128, 127)));
}

export function dequantizeRef(x: Int8Array, scale: number, zp: number): Float32Array {
  return Float32Array.from(x, (v) => Math.fround((v - zp) * Math.fround(scale)));
}

/** C[i, j] = requant(Σ_k A[i, k]·B[k, j] + bias[i]) ; A [M, K], B [K, N], C [M, N]. */
export function gemmQs8Ref(
  A: Int8Array, B: Int8Array, M: number, N: number, K: number,
  bias: Int32Array, scale: Float32Array, zy: number, qmin: number, qmax: number,
): Int8Array {
  const C = new Int8Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
      C[i * N + j] = requantRef(acc + bias[i], scale[i], zy, qmin, qmax);
    }
  }
  return C;
}

export interface ConvQs8Case {
  n: number; c: number; h: number; w: number; o: number; kh: number; kw: number;
  sh: number; sw: number; dh: number; dw: number; pt: number; pl: number; pb: number; pr: number; groups: number;
}

/**
 * Integer convolution: y = requant(bq[o] + Σ w·(x − zx)) over taps inside the image, with
 * bq[o] = round(b[o] / (sx·sw[o])) and scale sx·sw[o]/sy (what src/ops/gemm-qs8.ts computes).
 */
export function convQs8Ref(
  p: ConvQs8Case, x: Int8Array, wt: Int8Array, bq: Int32Array, scale: Float32Array,
  zx: number, zy: number, qmin: number, qmax: number,
): { y: Int8Array; oh: number; ow: number } {
  const oh = Math.floor((p.h + p.pt + p.pb - p.dh * (p.kh - 1) - 1) / p.sh) + 1;
  const ow = Math.floor((p.w + p.pl + p.pr - p.dw * (p.kw - 1) - 1) / p.sw) + 1;
  const cg = p.c / p.groups, og = p.o / p.groups;
  const y = new Int8Array(p.n * p.o * oh * ow);
  for (let n = 0; n < p.n; n++) for (let o = 0; o < p.o; o++) {
    const g = Math.floor(o / og);
    for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      let acc = 0;
      for (let ci = 0; ci < cg; ci++) for (let ki = 0; ki < p.kh; ki++) for (let kj = 0; kj < p.kw; kj++) {
        const iy = oy * p.sh - p.pt + ki * p.dh, ix = ox * p.sw - p.pl + kj * p.dw;
        if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
        const xv = x[((n * p.c + g * cg + ci) * p.h + iy) * p.w + ix];
        acc += wt[((o * cg + ci) * p.kh + ki) * p.kw + kj] * (xv - zx);
      }
      y[((n * p.o + o) * oh + oy) * ow + ox] = requantRef(acc + bq[o], scale[o], zy, qmin, qmax);
    }
  }
  return { y, oh, ow };
}

/** Integer add: clamp(roundEven(f32(f32(a − za)·ma) + f32(f32(b − zb)·mb)) + zy). */
export function addQs8Ref(a: Int8Array, b: Int8Array, ma: number, za: number, mb: number, zb: number, zy: number, qmin: number, qmax: number): Int8Array {
  const f = Math.fround;
  return Int8Array.from(a, (v, i) => sat(roundEven(f(f(f(v - za) * f(ma)) + f(f(b[i] - zb) * f(mb)))) + zy, qmin, qmax));
}
