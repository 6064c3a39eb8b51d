// The B operand of an int8 convolution's GEMM (the im2col matrix [K, P] in 8-column panels), made
// three ways by what the geometry allows: a 1×1 stride-1 unpadded convolution packs x itself; a
// stride of 1 or 2 along the width with at least 7 output columns packs straight from the input
// padded once per image (conv2d_pack_qs8_p8_simd: no im2col matrix), and where the relaxed dot
// runs (rdotMode() ≥ 0, as the GEMM decides), with channels a multiple of 4 per group, from the
// padded input interleaved by channel quads
// (conv2d_pack_qs8_c4_p8_simd: a k-group is 4 bytes side by side, so a panel's group is two
// 16-byte copies, where the byte planes take four loads and four shuffles; the taps, and so the
// weights' columns, are then in quad order: quadOrder); anything else unfolds into an im2col
// matrix first (conv2d_im2col_qs8_simd) and packs that.
import { kernels, rdotMode } from '../wasm/engine.js';
import { paramBlock } from './prepared.js';
import { isPointwise, type ConvGeom } from './conv2d-common.js';

export interface ConvPanels {
  /** Scratch bytes before the panels (the padded input or the im2col matrix). */
  readonly scratchBytes: number;
  /** Output rows a pack takes at most (chunk): all oh, or a band whose panels stay in the cache for the GEMM that reads them. */
  readonly rows: number;
  /** Once per image: x (its address) into the scratch when needed. */
  image(x: number, scratch: number): void;
  /** Group gi's panels of image x, output rows [r0, r0 + n) (the pixels r0·ow … (r0 + n)·ow − 1), into `panels`. */
  pack(x: number, gi: number, panels: number, scratch: number, r0: number, n: number): void;
  /** The weights [O, cg·kh·kw] with their columns in the panels' tap order, when that is not the natural one. */
  order?(w: Int8Array, O: number): Int8Array;
}

/** Bytes of packed B a band aims at: packed and read back while in L2 (bench: 2–5% off pack + GEMM against whole images on ResNet-18's layers). */
const BAND_BYTES = 128 * 1024;

/**
 * Output rows per band for K taps and ow columns: about BAND_BYTES of panels, in whole panels where
 * ow allows (a multiple of 8 / gcd(ow, 8) rows), at least that many, at most oh.
 */
function bandRows(K: number, ow: number, oh: number): number {
  const unit = 8 / (ow & 7 ? (ow & 3 ? (ow & 1 ? 1 : 2) : 4) : 8);
  return Math.min(oh, Math.max(unit, Math.floor(BAND_BYTES / (K * ow) / unit) * unit));
}

/** Columns of w [O, cg·kh·kw] from k = (c·kh + ki)·kw + kj to the channel-quad order ((c/4·kh + ki)·kw + kj)·4 + c mod 4 (cg a multiple of 4). */
export function quadOrder(w: Int8Array, O: number, cg: number, taps: number): Int8Array {
  const K = cg * taps, out = new Int8Array(w.length);
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < cg; c++) for (let t = 0; t < taps; t++) out[o * K + ((c >> 2) * taps + t) * 4 + (c & 3)] = w[o * K + c * taps + t];
  }
  return out;
}

const r16 = (n: number) => Math.ceil(n / 16) * 16;

/** How B is made for geometry p (K = cg·kh·kw taps, zx the input's zero point, flip the packing's XOR); own() keeps a block for the Prepared. */
export function convPanels(p: ConvGeom, zx: number, flip: number, own: (ptr: number) => number): ConvPanels {
  const { g } = p;
  const K = p.cg * g.kh * g.kw, P = g.oh * g.ow, hw = p.h * p.wd;
  const k = kernels();
  const rows = bandRows(K, g.ow, g.oh);
  if (isPointwise(g)) {
    return { scratchBytes: 0, rows, image() {}, pack: (x, gi, panels, _s, r0, n) => k.gemm_pack_qs8_p8_simd(x + gi * p.cg * hw + r0 * g.ow, hw, 1, K, n * g.ow, panels, flip) };
  }
  if ((g.sw === 1 || g.sw === 2) && g.ow >= 7) {
    // the padded planes: every row and column a window reads, the image at (padTop, padLeft)
    const Hp = (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1;
    const Wp = r16(Math.max(g.padLeft + p.wd + 16, (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 17));
    const plane = Hp * Wp;
    if (p.cg % 4 === 0 && g.kh * g.kw > 1 && rdotMode() >= 0) {
      // channel quads: the padded planes, then interleaved into [C/4][plane][4] after them (not for
      // a strided 1×1, which reads a quarter of the pixels once: interleaving them all costs more)
      const off = new Int32Array(K / 4);
      for (let c = 0, q = 0; c < p.cg; c += 4) for (let ki = 0; ki < g.kh; ki++) for (let kj = 0; kj < g.kw; kj++) off[q++] = 4 * ((c / 4) * plane + ki * g.dh * Wp + kj * g.dw);
      const offsets = own(paramBlock(Array.from(off)));
      const at = r16(p.c * plane);
      return {
        scratchBytes: at + r16(p.c * plane + 128),
        rows,
        image: (x, scratch) => {
          k.pad_qs8_simd(x, scratch, p.c, p.h, p.wd, g.padTop, g.padLeft, Hp, Wp, zx);
          k.interleave_qs8_c4_simd(scratch, plane, p.c / 4, scratch + at, flip);
        },
        pack: (_x, gi, panels, scratch, r0, n) =>
          k.conv2d_pack_qs8_c4_p8_simd(scratch + at + gi * p.cg * plane + 4 * r0 * g.sh * Wp, offsets, K / 4, n * g.ow, g.ow, 4 * g.sh * Wp, g.sw, panels),
        order: (w, O) => quadOrder(w, O, p.cg, g.kh * g.kw),
      };
    }
    const K4 = Math.ceil(K / 4) * 4;
    const off = new Int32Array(K4);
    for (let c = 0, q = 0; c < p.cg; c++) for (let ki = 0; ki < g.kh; ki++) for (let kj = 0; kj < g.kw; kj++) off[q++] = c * plane + ki * g.dh * Wp + kj * g.dw;
    const offsets = own(paramBlock(Array.from(off)));
    return {
      scratchBytes: r16(p.c * plane + 32),
      rows,
      image: (x, scratch) => k.pad_qs8_simd(x, scratch, p.c, p.h, p.wd, g.padTop, g.padLeft, Hp, Wp, zx),
      pack: (_x, gi, panels, scratch, r0, n) =>
        k.conv2d_pack_qs8_p8_simd(scratch + gi * p.cg * plane + r0 * g.sh * Wp, offsets, K, n * g.ow, g.ow, g.sh * Wp, g.sw, panels, flip),
    };
  }
  const block = own(paramBlock([p.cg, p.h, p.wd, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.oh, g.ow]));
  return {
    scratchBytes: r16(K * P + 16),
    rows: g.oh,
    image() {},
    pack: (x, gi, panels, col) => {
      k.conv2d_im2col_qs8_simd(x + gi * p.cg * hw, col, P, block, zx);
      k.gemm_pack_qs8_p8_simd(col, P, 1, K, P, panels, flip);
    },
  };
}
