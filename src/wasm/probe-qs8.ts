// The int8 kernels' relaxed-dot mode, chosen once at start-up as XNNPACK and onnxruntime probe
// their dot instructions: relaxed SIMD lets each runtime pick how i32x4.relaxed_dot_i8x16_i7x16_add_s
// treats an operand outside 0…127, and a runtime may get even the defined case wrong (Node 20's
// V8 behind --experimental-wasm-relaxed-simd miscomputes the 4×8 tile's second column vector).
// The instruction probe (qs8_probe_rdot_simd) says which modes can be exact; then the GEMM and the
// depthwise 3×3 kernel run on small cases in each such mode, and the first mode whose results
// match a plain integer computation wins: 1 (one signed dot: Arm), 2 (one dot on unsigned
// activations x ^ 0x80: x86 with VNNI), 0 (activations split into 7-bit halves), else −1
// (dot_i16x8_s, as the plain build).
import type { Heap } from './heap.js';
import type { Kernels } from './abi.js';
import { depthwiseScratch, depthwiseWeights, requantBlock } from './qs8-layout.js';

/** The mode for the int8 kernels' requantization block (−1 in a build without relaxed SIMD). */
export function probeQs8(k: Kernels, heap: Heap): number {
  const bits = k.qs8_probe_rdot_simd();
  if (bits < 0) return -1;
  const modes = [...(bits & 1 ? [1] : []), ...(bits & 2 ? [2] : []), 0];
  for (const mode of modes) if (gemmMatches(k, heap, mode) && depthwiseMatches(k, heap, mode)) return mode;
  return -1;
}

const RQ_BYTES = 112;

/** Full-range bytes, both extremes present (a fixed pattern). */
const bytes = (n: number, a: number, b: number) => Int8Array.from({ length: n }, (_, i) => ((i * a + b) % 256) - 128);

/** The int8 result of a sum s under scale 1/4096, zy 0 (s / 4096 is exact in f32; ties to even). */
function want(s: number): number {
  const v = s / 4096, r = Math.round(v);
  return Math.max(-128, Math.min(127, Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r));
}

/** Runs f on heap blocks of the given sizes, freed afterwards. */
function withBlocks(h: Heap, sizes: number[], f: (ptrs: number[]) => boolean): boolean {
  const ptrs = sizes.map((n) => h.alloc(n));
  try {
    return f(ptrs);
  } finally {
    for (const p of ptrs) h.release(p);
  }
}

function gemmMatches(k: Kernels, h: Heap, mode: number): boolean {
  const M = 5, N = 12, K = 12;
  const a = bytes(M * K, 73, 11), b = bytes(K * N, 151, 5);
  const K4 = Math.ceil(K / 4) * 4;
  return withBlocks(h, [M * K, K * N, Math.ceil(M / 4) * 8 * K4, Math.ceil(N / 8) * 16 * K4, M * N, 4 * M, 4 * M, RQ_BYTES], ([ap, bp, pa, pb, cp, bi, sc, rq]) => {
    const u8 = h.u8view();
    u8.set(new Uint8Array(a.buffer), ap);
    u8.set(new Uint8Array(b.buffer), bp);
    // mode 2 adds 128 to every activation: the bias takes it back
    const bias = Int32Array.from({ length: M }, (_, i) => (mode === 2 ? -128 * a.slice(i * K, i * K + K).reduce((s, v) => s + v, 0) : 0));
    h.i32view().set(bias, bi >>> 2);
    h.f32view().fill(1 / 4096, sc >>> 2, (sc >>> 2) + M);
    h.i32view().set(requantBlock(0, 0, -128, 127, mode), rq >>> 2);
    k.gemm_pack_qs8_p4_simd(ap, K, M, K, pa);
    k.gemm_pack_qs8_p8_simd(bp, N, 1, K, N, pb, mode === 2 ? 0x80 : 0);
    k.gemm_qs8_4x8_minmax_simd(pa, pb, cp, N, 1, bi, sc, M, N, K, rq);
    const c = new Int8Array(h.u8view().slice(cp, cp + M * N).buffer);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let q = 0; q < K; q++) s += a[i * K + q] * b[q * N + j];
      if (c[i * N + j] !== want(s)) return false;
    }
    return true;
  });
}

/** The depthwise 3×3 kernel, stride 1 and 2, padding 1, on a 2 × 5 × 21 input (steps inside and at the borders). */
function depthwiseMatches(k: Kernels, h: Heap, mode: number): boolean {
  const C = 2, H = 5, W = 21, zx = -7;
  const x = bytes(C * H * W, 97, 3), w = bytes(C * 9, 59, 1).map((v) => Math.max(v, -127));
  const pw = depthwiseWeights(w, C);
  for (const S of [1, 2]) {
    const oh = Math.floor((H - 1) / S) + 1, ow = Math.floor((W - 1) / S) + 1;
    const ok = withBlocks(h, [C * H * W, pw.byteLength, 4 * C, 4 * C, C * oh * ow, 52, RQ_BYTES, depthwiseScratch(W, 1, S, S, oh, ow, mode)], ([xp, wp, bi, sc, yp, gp, rq, scr]) => {
      h.u8view().set(new Uint8Array(x.buffer), xp);
      h.i32view().set(pw, wp >>> 2);
      const zf = zx + (mode === 2 ? 128 : 0);
      h.i32view().set(Array.from({ length: C }, (_, c) => -zf * w.slice(c * 9, c * 9 + 9).reduce((s, v) => s + v, 0)), bi >>> 2);
      h.f32view().fill(1 / 4096, sc >>> 2, (sc >>> 2) + C);
      h.i32view().set([C, H, W, 3, 3, S, S, 1, 1, 1, 1, oh, ow], gp >>> 2);
      h.i32view().set(requantBlock(zx, 0, -128, 127, mode), rq >>> 2);
      k.dwconv2d_qs8_3x3_minmax_simd(xp, wp, bi, sc, yp, gp, rq, scr);
      const y = new Int8Array(h.u8view().slice(yp, yp + C * oh * ow).buffer);
      for (let c = 0; c < C; c++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
        let s = 0;
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
          const iy = oy * S - 1 + i, ix = ox * S - 1 + j;
          if (iy >= 0 && iy < H && ix >= 0 && ix < W) s += w[c * 9 + i * 3 + j] * (x[(c * H + iy) * W + ix] - zx);
        }
        if (y[(c * oh + oy) * ow + ox] !== want(s)) return false;
      }
      return true;
    });
    if (!ok) return false;
  }
  return true;
}
