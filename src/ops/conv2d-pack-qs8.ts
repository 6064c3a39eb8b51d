// The B operand of an int8 convolution's GEMM (the im2col matrix [K, P] in 8-column panels), made
// three ways by what the geometry allows: a 1×1 stride-1 unpadded convolution packs x itself; a
// stride of 1 or 2 along the width with at least 7 output columns packs straight from the input
// padded once per image (conv2d_pack_qs8_p8_simd: no im2col matrix); anything else unfolds into an
// im2col matrix first (conv2d_im2col_qs8_simd) and packs that.
import { kernels } from '../wasm/engine.js';
import { paramBlock } from './prepared.js';
import { isPointwise, type ConvGeom } from './conv2d-common.js';

export interface ConvPanels {
  /** Scratch bytes before the panels (the padded input or the im2col matrix). */
  readonly scratchBytes: number;
  /** Once per image: x (its address) into the scratch when needed. */
  image(x: number, scratch: number): void;
  /** Group gi's panels of image x into `panels`. */
  pack(x: number, gi: number, panels: number, scratch: number): void;
}

const r16 = (n: number) => Math.ceil(n / 16) * 16;

/** How B is made for geometry p (K = cg·kh·kw taps, zx the input's zero point, flip the packing's XOR); own() keeps a block for the Prepared. */
export function convPanels(p: ConvGeom, zx: number, flip: number, own: (ptr: number) => number): ConvPanels {
  const { g } = p;
  const K = p.cg * g.kh * g.kw, P = g.oh * g.ow, hw = p.h * p.wd;
  const k = kernels();
  if (isPointwise(g)) {
    return { scratchBytes: 0, image() {}, pack: (x, gi, panels) => k.gemm_pack_qs8_p8_simd(x + gi * p.cg * hw, hw, 1, K, P, panels, flip) };
  }
  if ((g.sw === 1 || g.sw === 2) && g.ow >= 7) {
    // the padded planes: every row and column a window reads, the image at (padTop, padLeft)
    const Hp = (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1;
    const Wp = r16(Math.max(g.padLeft + p.wd + 16, (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 17));
    const plane = Hp * Wp;
    const K4 = Math.ceil(K / 4) * 4;
    const off = new Int32Array(K4);
    for (let c = 0, q = 0; c < p.cg; c++) for (let ki = 0; ki < g.kh; ki++) for (let kj = 0; kj < g.kw; kj++) off[q++] = c * plane + ki * g.dh * Wp + kj * g.dw;
    const offsets = own(paramBlock(Array.from(off)));
    return {
      scratchBytes: r16(p.c * plane + 32),
      image: (x, scratch) => k.pad_qs8_simd(x, scratch, p.c, p.h, p.wd, g.padTop, g.padLeft, Hp, Wp, zx),
      pack: (_x, gi, panels, scratch) => k.conv2d_pack_qs8_p8_simd(scratch + gi * p.cg * plane, offsets, K, P, g.ow, g.sh * Wp, g.sw, panels, flip),
    };
  }
  const block = own(paramBlock([p.cg, p.h, p.wd, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.oh, g.ow]));
  return {
    scratchBytes: r16(K * P + 16),
    image() {},
    pack: (x, gi, panels, col) => {
      k.conv2d_im2col_qs8_simd(x + gi * p.cg * hw, col, P, block, zx);
      k.gemm_pack_qs8_p8_simd(col, P, 1, K, P, panels, flip);
    },
  };
}
