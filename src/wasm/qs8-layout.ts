// Operand layouts of the int8 kernels that TypeScript prepares itself (shared by the ops in
// src/ops/gemm-qs8.ts and the start-up check in src/wasm/probe-qs8.ts).

/** The windows K×K of the depthwise int8 kernels dwconv2d_qs8_{3x3,5x5,7x7}_minmax_simd (assembly/dwconv2d-qs8.ts). */
export const DEPTHWISE_WINDOWS: readonly number[] = [3, 5, 7];

/** Bytes of a kernel row of the depthwise K×K kernel's packed weights: 16 for 3×3, else 32. */
const rowBytes = (K: number) => (K === 3 ? 16 : 32);

/**
 * The depthwise K×K kernel's packed weights (assembly/dwconv2d-qs8.ts), K rows of rowBytes(K) a
 * channel from w [C, K, K]: for each kernel row, the i16 pairs (w0, w1), (w2, w3), …, (w[K−1], 0),
 * then (at byte 8 for 3×3, else 16) the i8 quads (w0, w1, w2, w3), (w4, w5, w6, 0), zeros after.
 */
export function depthwiseWeights(data: Int8Array, C: number, K = 3): Int32Array {
  const n = rowBytes(K) / 4, quadAt = K === 3 ? 2 : 4;
  const v = new Int32Array(C * K * n);
  for (let c = 0; c < C; c++) for (let r = 0; r < K; r++) {
    const at = (c * K + r) * n, row = (c * K + r) * K;
    for (let j = 0; j < K; j++) {
      const x = data[row + j];
      v[at + (j >> 1)] |= (j & 1 ? x << 16 : x & 0xffff);
      v[at + quadAt + (j >> 2)] |= (x & 0xff) << (8 * (j & 3));
    }
  }
  return v;
}

/**
 * Scratch bytes of the depthwise K×K kernel: one padded plane, ((oh − 1)·sh + K) rows of the
 * stride paddedStride in assembly/dwconv2d-qs8.ts (steps of 16 pixels for stride 1 on the relaxed
 * dot's quads, modes 1 and 2; else 8; reads up to 16 + 4·⌈K/4⌉ bytes from a step's first column),
 * and 16 bytes for padPlane's last fill store.
 */
export function depthwiseScratch(W: number, padLeft: number, sh: number, sw: number, oh: number, ow: number, mode: number, K = 3): number {
  const B = mode >= 1 && sw === 1 ? 16 : 8;
  const stride = (Math.max(padLeft + W + 16, Math.max(ow - B, 0) * sw + 16 + 4 * Math.ceil(K / 4)) + 15) & ~15;
  // + 16: padPlane's fill after an image row's last byte is a whole 16-byte store, which on the
  // plane's last row (no bottom padding) reaches up to 15 bytes past the rows
  return ((oh - 1) * sh + K) * stride + 16;
}

/**
 * The requantization block of the int8 kernels (assembly/qs8-common.ts), 28 i32: [zx, zy, qmin,
 * qmax, mode, 0, 0, 0], then the vector constants: the bits of 1.5·2^23 less zy (×4), −2^22 and
 * 1.5·2^23 as f32 (×4 each), qmin and qmax as 16 bytes each.
 */
export function requantBlock(zx: number, zy: number, qmin: number, qmax: number, mode: number): number[] {
  const f = new Float32Array([-4194304, 12582912]), fb = new Int32Array(f.buffer);
  const bytes = (q: number) => ((q & 0xff) * 0x01010101) | 0;
  const x4 = (v: number) => [v, v, v, v];
  return [zx, zy, qmin, qmax, mode, 0, 0, 0, ...x4(0x4b400000 - zy), ...x4(fb[0]), ...x4(fb[1]), ...x4(bytes(qmin)), ...x4(bytes(qmax))];
}
