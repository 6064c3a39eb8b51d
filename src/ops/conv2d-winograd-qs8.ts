// Winograd F(2×2, 3×3) for int8 3×3 stride-1 convolutions, exact (the same integers as the direct
// convolution; kernels and the arithmetic: assembly/conv2d-winograd-qs8.ts). It multiplies 16
// products per 2×2 output tile instead of 36: the path of the plain SIMD build (and of relaxed
// builds whose relaxed dot failed the start-up check), whose int8 GEMM multiplies sign-extended
// 16-bit lanes anyway. Where the relaxed dot runs (4 bytes a lane), the direct GEMM stays faster.
//
// Per image: the input padded once (zx around it), then per block of tiles the input transform
// into the GEMM's B panels, one batched gemm_i16_4x8_simd over the 16 positions, and the output
// transform with bias, scale and clamp fused.
import { heap, kernels } from '../wasm/engine.js';
import { paramBlock, prepared, type Prepared } from './prepared.js';
import type { ConvGeom } from './conv2d-common.js';
import { winogradUnsupported } from './conv2d-winograd.js';

/** V and M bytes of one block of tiles, about (measured on ResNet-18's layers: 256 KiB beat 512 KiB and 1 MiB). */
const BLOCK_BYTES = 256 * 1024;

/**
 * Whether int8 Winograd runs this convolution: a 3×3 stride-1 dilation-1 single-group convolution,
 * at least 8 channels on both sides, not so many input channels that 4·y could leave i32
 * (4·9·127·128·C < 2^31), the 16-bit dot as the int8 kernels' arithmetic (relaxed-dot mode < 1),
 * and tile rows the input transform's 8-tile panels span in at most two pieces (4 tiles, or 7 and
 * more: outputs 7 or 8 wide, or 13 and wider).
 */
export function winogradQs8Runs(p: ConvGeom, mode: number): boolean {
  const tilesX = Math.ceil(p.g.ow / 2);
  return mode < 1 && winogradUnsupported(p) === null && p.c >= 8 && p.o >= 8 && 4 * 9 * 127 * 128 * p.c < 2 ** 31 && (tilesX === 4 || tilesX >= 7);
}

/**
 * U' = G' g G'ᵀ (G' = 2G; = 4·U, integers) of every 3×3 filter, packed as gemm_i16_4x8_simd's A:
 * per position ξ (row-major over the 4×4 tile), ⌈O/4⌉ tiles of ⌈C/2⌉ channel pairs × 4 rows × 2.
 */
export function winogradQs8Filter(w: Int8Array, O: number, C: number): Int16Array {
  const OT = Math.ceil(O / 4), C2 = Math.ceil(C / 2);
  const u = new Int16Array(16 * OT * C2 * 8);
  const t = new Int32Array(12);
  for (let o = 0; o < O; o++) for (let c = 0; c < C; c++) {
    const g = (i: number, j: number) => w[((o * C + c) * 3 + i) * 3 + j];
    for (let j = 0; j < 3; j++) {
      t[j] = 2 * g(0, j);
      t[3 + j] = g(0, j) + g(1, j) + g(2, j);
      t[6 + j] = g(0, j) - g(1, j) + g(2, j);
      t[9 + j] = 2 * g(2, j);
    }
    for (let a = 0; a < 4; a++) {
      const r = [2 * t[3 * a], t[3 * a] + t[3 * a + 1] + t[3 * a + 2], t[3 * a] - t[3 * a + 1] + t[3 * a + 2], 2 * t[3 * a + 2]];
      for (let b = 0; b < 4; b++) u[((((a * 4 + b) * OT + (o >> 2)) * C2 + (c >> 1)) * 4 + (o & 3)) * 2 + (c & 1)] = r[b];
    }
  }
  return u;
}

/**
 * Prepares the int8 Winograd convolution of geometry p (winogradQs8Runs true): bias (i32, the zero
 * point folded in), scale (f32) and rq (the requantization block) are the caller's heap blocks,
 * freed with the Prepared (listed in owned).
 */
export function prepareWinogradQs8(p: ConvGeom, w: Int8Array, bias: number, scale: number, rq: number, zx: number, owned: number[]): Prepared {
  const { g } = p;
  const C = p.c, O = p.o, C2 = Math.ceil(C / 2);
  const tilesY = Math.ceil(g.oh / 2), tilesX = Math.ceil(g.ow / 2), tiles = tilesY * tilesX;
  const Hp = 2 * tilesY + 2;
  const Wp = Math.ceil(Math.max(2 * tilesX + 18, g.padLeft + p.wd + 16) / 16) * 16;
  const fit = Math.floor(BLOCK_BYTES / (16 * 4 * (C2 + O)) / 8) * 8;
  const T = Math.min(Math.ceil(tiles / 8) * 8, Math.max(8, fit));
  const u = winogradQs8Filter(w, O, C);
  const h = heap(), k = kernels();
  const U = h.alloc(u.byteLength);
  owned.push(U);
  h.u8view().set(new Uint8Array(u.buffer), U);
  const uStride = Math.ceil(O / 4) * C2 * 16;
  const inParams = paramBlock([C, Hp, Wp, tilesX, tiles]);
  owned.push(inParams);
  const outParams = paramBlock([O, g.oh, g.ow, tilesX, tiles]);
  owned.push(outParams);
  const r16 = (n: number) => Math.ceil(n / 16) * 16;
  const padBytes = r16(C * Hp * Wp + 16), vPos = (T / 8) * C2 * 32, mPos = O * T * 4;
  const scratchBytes = padBytes + 16 * vPos + 16 * mPos + 512;
  const hw = p.h * p.wd, ohw = g.oh * g.ow;
  return prepared([p.n, O, g.oh, g.ow], scratchBytes, owned, (inputs, yp, scratch) => {
    const xPad = scratch, V = xPad + padBytes, M = V + 16 * vPos, small = M + 16 * mPos;
    for (let n = 0; n < p.n; n++) {
      k.pad_qs8_simd(inputs[0] + n * C * hw, xPad, C, p.h, p.wd, g.padTop, g.padLeft, Hp, Wp, zx);
      const y = yp + n * O * ohw;
      for (let t0 = 0; t0 < tiles; t0 += T) {
        k.conv2d_winograd_input_qs8_2x2_simd(xPad, V, vPos, inParams, t0, T, small);
        k.gemm_i16_4x8_simd(U, uStride, V, vPos, M, mPos, T, O, T, C2, 16);
        k.conv2d_winograd_output_qs8_2x2_minmax_simd(M, mPos, T, bias, scale, y, outParams, t0, T, rq, small);
      }
    }
  });
}
