// The direct int8 convolution for short reductions (assembly/conv2d-direct-qs8.ts): a first layer
// on a few input channels (LeNet's 5×5 on one plane), where packing the GEMM's panels and its row
// tiles of four output channels cost as much as the products.
import { heap, kernels } from '../wasm/engine.js';
import { paramBlock, prepared, type Prepared } from './prepared.js';
import type { ConvGeom } from './conv2d-common.js';

/** Reductions up to this many taps (C·kh·kw), into at most this many output channels, run the direct kernel. */
const MAX_TAPS = 32, MAX_OUT = 16;

/**
 * Whether the direct kernel runs geometry p: one group, stride and dilation 1 along the width,
 * dilation 1 down the height, a window wider than one pixel (1×1 convolutions pack x itself for the
 * GEMM), a short reduction into few channels (each block of 3 channels reads the input again).
 */
export function directQs8Runs(p: ConvGeom): boolean {
  return shortQs8Runs(p) || lanesQs8Runs(p);
}

/** The pixels-in-lanes kernel of short reductions (conv2d_qs8_s1_minmax_simd). */
function shortQs8Runs(p: ConvGeom): boolean {
  const { g } = p;
  return p.groups === 1 && g.sw === 1 && g.dw === 1 && g.dh === 1 && g.kh * g.kw > 1 && p.c * g.kh * g.kw <= MAX_TAPS && p.o <= MAX_OUT;
}

/**
 * Prepares it: bias (i32, zero point folded in), scale (f32) and rq are the caller's heap blocks,
 * listed in owned with what this adds (freed with the Prepared).
 */
export function prepareDirectQs8(p: ConvGeom, w: Int8Array, bias: number, scale: number, rq: number, zx: number, mode: number, owned: number[]): Prepared {
  if (!shortQs8Runs(p)) return prepareLanesQs8(p, w, bias, scale, rq, mode, owned);
  const { g } = p;
  const quads = mode >= 1;
  const Hp = (g.oh - 1) * g.sh + g.kh;
  // a step reads 8 pixels from its first, plus the window's kw − 1 columns
  const Wb = Math.ceil((Math.max(g.ow, 8) + g.kw - 1) / 16) * 16;
  const Wa = Math.ceil((Math.max(g.padLeft + p.wd, Wb) + 16) / 16) * 16;
  const groups = tapGroups(p.c, g.kh, g.kw, quads);
  const h = heap(), k = kernels();
  const packed = groupWeights(w, p.o, p.c, g.kh, g.kw, groups, quads);
  const wp = h.alloc(packed.byteLength);
  owned.push(wp);
  h.i32view().set(packed, wp >>> 2);
  // plane bytes: the V (V4) and H (H4) planes of a channel
  const plane = Hp * Wb * 4;
  const offsets = paramBlock(groups.map((t) => t.c * 2 * plane + (t.vertical ? 0 : plane) + (t.ki * Wb + t.kj) * 4));
  owned.push(offsets);
  const params = paramBlock([Wb, groups.length, g.sh, g.oh, g.ow, p.o]);
  owned.push(params);
  const pairParams = paramBlock([p.c, p.h, p.wd, g.padTop, g.padLeft, Hp, Wa, Wb]);
  owned.push(pairParams);
  const padBytes = Math.ceil((Hp * Wa + 16) / 16) * 16;
  const hw = p.h * p.wd, ohw = g.oh * g.ow;
  return prepared([p.n, p.o, g.oh, g.ow], padBytes + p.c * 2 * plane + 16, owned, (inputs, yp, scratch) => {
    for (let n = 0; n < p.n; n++) {
      k.qs8_tap_pairs_simd(inputs[0] + n * p.c * hw, scratch, scratch + padBytes, pairParams, rq);
      k.conv2d_qs8_s1_minmax_simd(scratch + padBytes, wp, offsets, bias, scale, yp + n * p.o * ohw, params, rq);
    }
  });
}

/** A tap group of the direct kernel: kernel rows ki … (V: down the column kj) or taps kj … along row ki (H). */
interface TapGroup { c: number; ki: number; kj: number; vertical: boolean }

/**
 * The direct kernel's tap groups of a window (assembly/conv2d-direct-qs8.ts): per channel, kernel
 * rows by pairs (quads) down each column, then the rows left over by pairs (quads) along the row.
 */
export function tapGroups(C: number, kh: number, kw: number, quads: boolean): TapGroup[] {
  const per = quads ? 4 : 2, out: TapGroup[] = [];
  for (let c = 0; c < C; c++) {
    let ki = 0;
    for (; ki + per <= kh; ki += per) for (let kj = 0; kj < kw; kj++) out.push({ c, ki, kj, vertical: true });
    for (; ki < kh; ki++) for (let kj = 0; kj < kw; kj += per) out.push({ c, ki, kj, vertical: false });
  }
  return out;
}

/**
 * The direct kernel's packed weights from w [O, C, kh, kw]: per block of 3 output channels (zero
 * past O), per tap group, the 3 channels' i32: the group's taps as an i16 pair (plain) or i8 quad
 * (relaxed dot), zero past the window.
 */
export function groupWeights(data: Int8Array, O: number, C: number, kh: number, kw: number, groups: TapGroup[], quads: boolean): Int32Array {
  const blocks = Math.ceil(O / 3), per = quads ? 4 : 2;
  const v = new Int32Array(blocks * groups.length * 3);
  let at = 0;
  for (let b = 0; b < blocks; b++) for (const t of groups) for (let r = 0; r < 3; r++) {
    const o = 3 * b + r;
    let word = 0;
    for (let u = 0; u < per; u++) {
      const ki = t.vertical ? t.ki + u : t.ki, kj = t.vertical ? t.kj : t.kj + u;
      const q = o < O && ki < kh && kj < kw ? data[((o * C + t.c) * kh + ki) * kw + kj] : 0;
      word |= quads ? (q & 0xff) << (8 * u) : (q & 0xffff) << (16 * u);
    }
    v[at++] = word;
  }
  return v;
}

/** Output channels per block of the lanes kernel (assembly/conv2d-lanes-qs8.ts): 4 vectors of i32 sums. */
const LANES = 16;

/**
 * Whether the lanes kernel (output channels in the lanes, input channels-last) runs geometry p: one
 * group, dilation 1 along the width, a window wider than one tap, and a small problem (LeNet's c3
 * and c5: few output pixels and channels, where the GEMM's packing and 8-pixel tiles cost as much as
 * the products); larger layers keep the GEMM, a single output pixel the GEMV.
 */
export function lanesQs8Runs(p: ConvGeom): boolean {
  const { g } = p;
  return p.groups === 1 && g.dw === 1 && g.kh * g.kw > 1 && p.o <= 128 && g.oh * g.ow >= 2 && g.oh * g.ow <= 256 && p.c * g.kh * g.kw <= 1024 && p.c * p.h * p.wd <= 8192;
}

/**
 * The lanes kernel's packed weights from w [O, C, kh, kw]: per block of 16 output channels, per
 * kernel row ki and pair / quad m of the row's kw·C taps taken channels-last (tap t: kj = ⌊t / C⌋,
 * c = t mod C), the 16 channels' i32 (i16 pair or i8 quad; zero past O and past kw·C).
 */
export function lanesWeights(data: Int8Array, O: number, C: number, kh: number, kw: number, quads: boolean): Int32Array {
  const per = quads ? 4 : 2, run = kw * C, nk = Math.ceil(run / per), blocks = Math.ceil(O / LANES);
  const v = new Int32Array(blocks * kh * nk * LANES);
  let at = 0;
  for (let b = 0; b < blocks; b++) for (let ki = 0; ki < kh; ki++) for (let m = 0; m < nk; m++) {
    for (let r = 0; r < LANES; r++) {
      const o = LANES * b + r;
      let word = 0;
      for (let u = 0; u < per; u++) {
        const t = m * per + u, kj = Math.floor(t / C), c = t % C;
        const q = o < O && t < run ? data[((o * C + c) * kh + ki) * kw + kj] : 0;
        word |= quads ? (q & 0xff) << (8 * u) : (q & 0xffff) << (16 * u);
      }
      v[at++] = word;
    }
  }
  return v;
}

/** Prepares the lanes kernel (arguments as prepareDirectQs8's). */
function prepareLanesQs8(p: ConvGeom, w: Int8Array, bias: number, scale: number, rq: number, mode: number, owned: number[]): Prepared {
  const { g } = p;
  const quads = mode >= 1, es = quads ? 1 : 2, per = quads ? 4 : 2;
  const Hp = Math.max((g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1, g.padTop + p.h);
  const Wp = Math.max((g.ow - 1) * g.sw + g.kw, g.padLeft + p.wd);
  const h = heap(), k = kernels();
  const O16 = Math.ceil(p.o / LANES) * LANES;
  const own = (values: Int32Array | Float32Array): number => {
    const ptr = h.alloc(values.byteLength);
    owned.push(ptr);
    new Uint8Array(h.u8view().buffer, ptr, values.byteLength).set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return ptr;
  };
  const wp = own(lanesWeights(w, p.o, p.c, g.kh, g.kw, quads));
  const padded = (src: number, f32: boolean) => {
    const v = f32 ? new Float32Array(O16) : new Int32Array(O16);
    v.set(f32 ? h.f32view().subarray(src >>> 2, (src >>> 2) + p.o) : h.i32view().subarray(src >>> 2, (src >>> 2) + p.o));
    return own(v);
  };
  const bp = padded(bias, false), sp = padded(scale, true);
  const nk = Math.ceil((g.kw * p.c) / per);
  const params = paramBlock([g.kh, nk, g.dh * Wp * p.c * es, g.oh, g.ow, g.sh * Wp * p.c * es, g.sw * p.c * es, p.o]);
  owned.push(params);
  const padParams = paramBlock([p.c, p.h, p.wd, g.padTop, g.padLeft, Hp, Wp]);
  owned.push(padParams);
  const bufBytes = Math.ceil((Hp * Wp * p.c * es + 32) / 16) * 16;
  const hw = p.h * p.wd, ohw = g.oh * g.ow;
  return prepared([p.n, p.o, g.oh, g.ow], bufBytes, owned, (inputs, yp, scratch) => {
    for (let n = 0; n < p.n; n++) {
      k.qs8_nhwc_pad_simd(inputs[0] + n * p.c * hw, scratch, padParams, rq);
      k.conv2d_qs8_lanes_minmax_simd(scratch, wp, bp, sp, yp + n * p.o * ohw, params, rq);
    }
  });
}
