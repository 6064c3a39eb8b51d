// The direct int8 convolutions of small layers, where packing the GEMM's panels and its half-empty
// tiles cost as much as the products: short reductions (a first layer on a few input channels,
// LeNet's c1: assembly/conv2d-direct-qs8.ts, pixels in the lanes) and small images on a few dozen
// channels (LeNet's c3: assembly/conv2d-lanes-qs8.ts, output channels in the lanes).
import { heap, kernels } from '../wasm/engine.js';
import { paramBlock, prepared, type Prepared } from './prepared.js';
import type { ConvGeom } from './conv2d-common.js';
import type { QParams } from './qs8.js';

/**
 * What a compiled plan folds into the direct kernels (src/compile/qs8-fuse.ts), the same bytes as
 * the steps it replaces: `pool`, a following 2×2 max pool of stride 2 (no padding or dilation,
 * floor); `quantize`, the QuantizeLinear before the convolution (x is then float32; the short
 * kernel only).
 */
export interface DirectFusion {
  pool?: boolean;
  quantize?: QParams;
}

/** Whether the direct kernels run geometry p with fusion f (an output of at least 2×2 to pool). */
export function directFusionRuns(p: ConvGeom, f: DirectFusion): boolean {
  if (f.quantize && !shortQs8Runs(p)) return false;
  if (f.pool && (p.g.oh < 2 || p.g.ow < 2)) return false;
  return directQs8Runs(p);
}

/** The output shape of geometry p, pooled 2×2 / 2 (floor) with f.pool. */
function fusedShape(p: ConvGeom, f: DirectFusion): number[] {
  return f.pool ? [p.n, p.o, p.g.oh >> 1, p.g.ow >> 1] : [p.n, p.o, p.g.oh, p.g.ow];
}

/** A float as the i32 of its bits (a parameter block entry read back as f32). */
const f32Bits = (v: number) => new Int32Array(Float32Array.of(v).buffer)[0];

/** Reductions up to this many taps (C·kh·kw), into at most this many output channels, run the direct kernel. */
const MAX_TAPS = 32, MAX_OUT = 16;
/** Output channels per block of the short kernel (assembly/conv2d-direct-qs8.ts: 6 accumulators of 4 pixels; 6 channels spill in V8). */
const SHORT_BLOCK = 3;

/** A heap copy of values (listed in owned). */
function ownCopy(values: Int32Array | Float32Array, owned: number[]): number {
  const h = heap(), ptr = h.alloc(values.byteLength);
  owned.push(ptr);
  new Uint8Array(h.u8view().buffer, ptr, values.byteLength).set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return ptr;
}

/** A copy of the o values (i32, or f32) at src, zero up to a multiple of m (what the kernels read). */
function paddedCopy(src: number, o: number, m: number, f32: boolean, owned: number[]): number {
  const h = heap(), n = Math.ceil(o / m) * m;
  const v = f32 ? new Float32Array(n) : new Int32Array(n);
  v.set(f32 ? h.f32view().subarray(src >>> 2, (src >>> 2) + o) : h.i32view().subarray(src >>> 2, (src >>> 2) + o));
  return ownCopy(v, owned);
}

/** Whether one of the two direct kernels runs geometry p (shortQs8Runs, else lanesQs8Runs). */
export function directQs8Runs(p: ConvGeom): boolean {
  return shortQs8Runs(p) || lanesQs8Runs(p);
}

/**
 * The pixels-in-lanes kernel of short reductions (conv2d_qs8_s1_minmax_simd): one group, stride and
 * dilation 1 along the width, dilation 1 down the height, a window wider than one pixel (1×1
 * convolutions pack x itself for the GEMM), a short reduction into few channels (each block of 3
 * channels reads the input again).
 */
function shortQs8Runs(p: ConvGeom): boolean {
  const { g } = p;
  return p.groups === 1 && g.sw === 1 && g.dw === 1 && g.dh === 1 && g.kh * g.kw > 1 && p.c * g.kh * g.kw <= MAX_TAPS && p.o <= MAX_OUT;
}

/**
 * Prepares it: bias (i32, zero point folded in), scale (f32) and rq (whose zx pads the input) are
 * the caller's heap blocks, listed in owned with what this adds (freed with the Prepared).
 */
export function prepareDirectQs8(p: ConvGeom, w: Int8Array, bias: number, scale: number, rq: number, _zx: number, mode: number, owned: number[], f: DirectFusion = {}): Prepared {
  if (!directFusionRuns(p, f)) throw new Error(`conv2dQs8: the direct kernels cannot fuse ${JSON.stringify(f)} into this convolution`);
  if (!shortQs8Runs(p)) return prepareLanesQs8(p, w, bias, scale, rq, mode, owned, f);
  const { g } = p;
  const quads = mode >= 1;
  const Hp = (g.oh - 1) * g.sh + g.kh;
  // a step reads 8 pixels from its first, plus the window's kw − 1 columns
  const Wb = Math.ceil((Math.max(g.ow, 8) + g.kw - 1) / 16) * 16;
  const Wa = Math.ceil((Math.max(g.padLeft + p.wd, Wb) + 16) / 16) * 16;
  const groups = tapGroups(p.c, g.kh, g.kw, quads);
  const k = kernels();
  const wp = ownCopy(groupWeights(w, p.o, p.c, g.kh, g.kw, groups, quads), owned);
  const bp = paddedCopy(bias, p.o, SHORT_BLOCK, false, owned), sp = paddedCopy(scale, p.o, SHORT_BLOCK, true, owned);
  // plane bytes: the V (V4) and H (H4) planes of a channel
  const plane = Hp * Wb * 4;
  const offsets = paramBlock(groups.map((t) => t.c * 2 * plane + (t.vertical ? 0 : plane) + (t.ki * Wb + t.kj) * 4));
  owned.push(offsets);
  // with f.pool, the kernel's 6 rows of Wt bytes (two output rows of 3 channels) after the planes
  const tOff = p.c * 2 * plane + 16, Wt = Math.ceil((g.ow + 16) / 16) * 16;
  const params = paramBlock([Wb, groups.length, g.sh, g.oh, g.ow, p.o, f.pool ? 1 : 0, tOff]);
  owned.push(params);
  const q = f.quantize;
  const pairParams = paramBlock([p.c, p.h, p.wd, g.padTop, g.padLeft, Hp, Wa, Wb, q ? 1 : 0, q ? f32Bits(q.scale) : 0, q ? q.zeroPoint : 0]);
  owned.push(pairParams);
  const padBytes = Math.ceil((Hp * Wa + 16) / 16) * 16;
  const xBytes = p.c * p.h * p.wd * (q ? 4 : 1), out = fusedShape(p, f), yBytes = p.o * out[2] * out[3];
  return prepared(out, padBytes + tOff + (f.pool ? 6 * Wt : 0), owned, (inputs, yp, scratch) => {
    for (let n = 0; n < p.n; n++) {
      k.pad_qs8_taps_simd(inputs[0] + n * xBytes, scratch, scratch + padBytes, pairParams, rq);
      k.conv2d_qs8_s1_minmax_simd(scratch + padBytes, wp, offsets, bp, sp, yp + n * yBytes, params, rq);
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
  const blocks = Math.ceil(O / SHORT_BLOCK), per = quads ? 4 : 2;
  const v = new Int32Array(blocks * groups.length * SHORT_BLOCK);
  let at = 0;
  for (let b = 0; b < blocks; b++) for (const t of groups) for (let r = 0; r < SHORT_BLOCK; r++) {
    const o = SHORT_BLOCK * b + r;
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
 * The lanes kernel's packed weights from w [O, C, kh, kw]: per block of 16 output channels, per tap
 * group (taps(g): up to 4 (c, ki, kj), null for none), the 16 channels' i32 (the group's i16 pair
 * or i8 quad; zero past O).
 */
export function lanesWeights(data: Int8Array, O: number, C: number, kh: number, kw: number, quads: boolean, G: number, taps: (g: number, u: number) => [number, number, number] | null): Int32Array {
  const per = quads ? 4 : 2, blocks = Math.ceil(O / LANES);
  const v = new Int32Array(blocks * G * LANES);
  let at = 0;
  for (let b = 0; b < blocks; b++) for (let g = 0; g < G; g++) for (let r = 0; r < LANES; r++) {
    const o = LANES * b + r;
    let word = 0;
    for (let u = 0; u < per; u++) {
      const t = taps(g, u);
      const q = o < O && t ? data[((o * C + t[0]) * kh + t[1]) * kw + t[2]] : 0;
      word |= quads ? (q & 0xff) << (8 * u) : (q & 0xffff) << (16 * u);
    }
    v[at++] = word;
  }
  return v;
}

/**
 * The swizzles of pad_qs8_nhwc_simd (assembly/conv2d-lanes-qs8.ts) for C ≤ 8 channels: per output
 * vector j < C of a block of 16 pixels, per channel c, the 16 indices placing c's bytes of the 16
 * pixels where channels-last order puts them (byte e: channel e mod C, pixel ⌊e / C⌋), 0x80
 * (zero) elsewhere.
 */
export function nhwcSwizzles(C: number): Int32Array {
  const b = new Uint8Array(C * C * 16);
  for (let j = 0; j < C; j++) for (let c = 0; c < C; c++) for (let k = 0; k < 16; k++) {
    const e = 16 * j + k;
    b[(j * C + c) * 16 + k] = e % C === c ? Math.floor(e / C) : 0x80;
  }
  return new Int32Array(b.buffer);
}

/** Prepares the lanes kernel (arguments as prepareDirectQs8's). */
function prepareLanesQs8(p: ConvGeom, w: Int8Array, bias: number, scale: number, rq: number, mode: number, owned: number[], f: DirectFusion): Prepared {
  const { g } = p;
  const quads = mode >= 1;
  const Hp = Math.max((g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1, g.padTop + p.h);
  const Wp = Math.max((g.ow - 1) * g.sw + g.kw, g.padLeft + p.wd);
  const k = kernels();
  const own = (values: Int32Array | Float32Array): number => ownCopy(values, owned);
  // tap groups: quads over channels-last window rows (ki, m); pairs of channels (cp, ki, kj)
  const nk = quads ? Math.ceil((g.kw * p.c) / 4) : g.kw, cp = Math.ceil(p.c / 2);
  const G = quads ? g.kh * nk : cp * g.kh * g.kw;
  const wp = own(lanesWeights(w, p.o, p.c, g.kh, g.kw, quads, G, (i, u) => {
    if (quads) {
      const t = (i % nk) * 4 + u;
      return t < g.kw * p.c ? [t % p.c, Math.floor(i / nk), Math.floor(t / p.c)] : null;
    }
    const c = 2 * Math.floor(i / (g.kh * g.kw)) + u, r = i % (g.kh * g.kw);
    return c < p.c ? [c, Math.floor(r / g.kw), r % g.kw] : null;
  }));
  const bp = paddedCopy(bias, p.o, LANES, false, owned), sp = paddedCopy(scale, p.o, LANES, true, owned);
  // quads: a pixel is C bytes, a window row kw·C; pairs: a pixel of a channel-pair plane is 4 bytes
  const pix = quads ? p.c : 4, plane = Hp * Wp * 4;
  const params = paramBlock(quads
    ? [1, 0, g.kh, g.dh * Wp * p.c, nk, g.oh, g.ow, g.sh * Wp * pix, g.sw * pix, p.o, f.pool ? 1 : 0]
    : [cp, plane, g.kh, g.dh * Wp * 4, g.kw, g.oh, g.ow, g.sh * Wp * pix, g.sw * pix, p.o, f.pool ? 1 : 0]);
  owned.push(params);
  const tbl = quads && p.c <= 8 ? own(nhwcSwizzles(p.c)) : 0;
  const padParams = paramBlock([p.c, p.h, p.wd, g.padTop, g.padLeft, Hp, Wp, tbl]);
  owned.push(padParams);
  const bufBytes = Math.ceil(((quads ? Hp * Wp * p.c + 16 * p.c : cp * plane) + 48) / 16) * 16;
  const hw = p.h * p.wd, out = fusedShape(p, f), yBytes = p.o * out[2] * out[3];
  const copy = quads ? k.pad_qs8_nhwc_simd : k.pad_qs8_cpairs_simd;
  return prepared(out, bufBytes, owned, (inputs, yp, scratch) => {
    for (let n = 0; n < p.n; n++) {
      copy(inputs[0] + n * p.c * hw, scratch, padParams, rq);
      k.conv2d_qs8_ct_minmax_simd(scratch, wp, bp, sp, yp + n * yBytes, params, rq);
    }
  });
}
