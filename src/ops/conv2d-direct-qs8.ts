// The direct int8 convolution for short reductions (assembly/conv2d-direct-qs8.ts): a first layer
// on a few input channels (LeNet's 5×5 on one plane), where packing the GEMM's panels and its row
// tiles of four output channels cost as much as the products.
import { heap, kernels } from '../wasm/engine.js';
import { directWeights } from '../wasm/qs8-layout.js';
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
  const { g } = p;
  return p.groups === 1 && g.sw === 1 && g.dw === 1 && g.dh === 1 && g.kh * g.kw > 1 && p.c * g.kh * g.kw <= MAX_TAPS && p.o <= MAX_OUT;
}

/**
 * Prepares it: bias (i32, zero point folded in), scale (f32) and rq are the caller's heap blocks,
 * listed in owned with what this adds (freed with the Prepared).
 */
export function prepareDirectQs8(p: ConvGeom, w: Int8Array, bias: number, scale: number, rq: number, zx: number, mode: number, owned: number[]): Prepared {
  const { g } = p;
  const quads = mode >= 1;
  const Hp = (g.oh - 1) * g.sh + g.kh;
  // every step's reads: a step is up to 16 pixels wide, plus its taps rounded up to quads, plus a load
  const Wp = Math.ceil(Math.max(g.padLeft + p.wd + 16, Math.max(g.ow, 16) + 4 * Math.ceil(g.kw / 4) + 16) / 16) * 16;
  const packed = directWeights(w, p.o, p.c, g.kh, g.kw, quads);
  const h = heap(), k = kernels();
  const wp = h.alloc(packed.byteLength);
  owned.push(wp);
  h.i32view().set(packed, wp >>> 2);
  const per = quads ? 4 : 2, nk = Math.ceil(g.kw / per);
  const off: number[] = [];
  for (let c = 0; c < p.c; c++) for (let ki = 0; ki < g.kh; ki++) for (let m = 0; m < nk; m++) off.push(c * Hp * Wp + ki * Wp + m * per);
  const offsets = paramBlock(off);
  owned.push(offsets);
  const params = paramBlock([Wp, off.length, g.sh, g.oh, g.ow, p.o]);
  owned.push(params);
  const padBytes = Math.ceil((p.c * Hp * Wp + 32) / 16) * 16;
  const hw = p.h * p.wd, ohw = g.oh * g.ow;
  return prepared([p.n, p.o, g.oh, g.ow], padBytes, owned, (inputs, yp, scratch) => {
    for (let n = 0; n < p.n; n++) {
      k.pad_qs8_simd(inputs[0] + n * p.c * hw, scratch, p.c, p.h, p.wd, g.padTop, g.padLeft, Hp, Wp, zx);
      k.conv2d_qs8_s1_minmax_simd(scratch, wp, offsets, bias, scale, yp + n * p.o * ohw, params, rq);
    }
  });
}
