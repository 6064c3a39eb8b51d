// Operand layouts of the int8 kernels that TypeScript prepares itself (shared by the ops in
// src/ops/gemm-qs8.ts and the start-up check in src/wasm/probe-qs8.ts).

/**
 * The depthwise 3×3 kernel's packed weights (assembly/dwconv2d-qs8.ts), 12 i32 a channel from
 * w [C, 3, 3]: for each kernel row r the i16 pairs (w[r, 0], w[r, 1]) and (w[r, 2], 0), the i8
 * quad (w[r, 0], w[r, 1], w[r, 2], 0), and 0.
 */
export function depthwise3x3Weights(data: Int8Array, C: number): Int32Array {
  const v = new Int32Array(C * 12);
  for (let c = 0; c < C; c++) for (let r = 0; r < 3; r++) {
    const a = data[c * 9 + r * 3], b = data[c * 9 + r * 3 + 1], d = data[c * 9 + r * 3 + 2];
    const at = c * 12 + r * 4;
    v[at] = (a & 0xffff) | (b << 16);
    v[at + 1] = d & 0xffff;
    v[at + 2] = (a & 0xff) | ((b & 0xff) << 8) | ((d & 0xff) << 16);
  }
  return v;
}

/**
 * Scratch bytes of the depthwise 3×3 kernel: one padded plane, ((oh − 1)·sh + 3) rows of the stride
 * paddedStride in assembly/dwconv2d-qs8.ts (steps of 16 pixels for stride 1 on the relaxed dot's
 * quads, modes 1 and 2; else 8).
 */
export function depthwise3x3Scratch(W: number, padLeft: number, sh: number, sw: number, oh: number, ow: number, mode: number): number {
  const B = mode >= 1 && sw === 1 ? 16 : 8;
  const stride = (Math.max(padLeft + W + 16, Math.max(ow - B, 0) * sw + 20) + 15) & ~15;
  return ((oh - 1) * sh + 3) * stride;
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
