// The int8 GEMM's relaxed-dot mode, chosen once at start-up as XNNPACK and onnxruntime probe
// their dot instructions: relaxed SIMD lets each runtime pick how i32x4.relaxed_dot_i8x16_i7x16_add_s
// treats an operand outside 0…127, and a runtime may get even the defined case wrong (Node 20's
// V8 behind --experimental-wasm-relaxed-simd miscomputes the 4×8 tile's second column vector).
// So the whole kernel runs on two small cases in each mode and the first mode that matches a
// plain integer computation wins: 1 (one signed dot), 0 (activations split into 7-bit halves),
// else −1 (dot_i16x8_s, as the plain build).
import type { Heap } from './heap.js';
import type { Kernels } from './abi.js';

const M = 5, N = 12, K = 12;

/** The mode for the GEMM's requantization block (−1 in a build without relaxed SIMD). */
export function probeQs8(k: Kernels, heap: Heap): number {
  if (k.qs8_probe_rdot_simd() < 0) return -1;
  for (const mode of [1, 0]) if (gemmMatches(k, heap, mode)) return mode;
  return -1;
}

function gemmMatches(k: Kernels, h: Heap, mode: number): boolean {
  const a = new Int8Array(M * K), b = new Int8Array(K * N);
  // full-range bytes, both extremes present, scale 1/2^12 (sums up to ±2^19 stay distinct)
  for (let i = 0; i < a.length; i++) a[i] = ((i * 73 + 11) % 256) - 128;
  for (let i = 0; i < b.length; i++) b[i] = ((i * 151 + 5) % 256) - 128;
  const K4 = Math.ceil(K / 4) * 4;
  const ptrs = [M * K, K * N, Math.ceil(M / 4) * 8 * K4, Math.ceil(N / 8) * 8 * K4, M * N, 4 * M, 4 * M, 20].map((n) => h.alloc(n));
  const [ap, bp, pa, pb, cp, bi, sc, rq] = ptrs;
  try {
    const u8 = h.u8view();
    u8.set(new Uint8Array(a.buffer), ap);
    u8.set(new Uint8Array(b.buffer), bp);
    h.i32view().fill(0, bi >>> 2, (bi >>> 2) + M);
    h.f32view().fill(1 / 4096, sc >>> 2, (sc >>> 2) + M);
    h.i32view().set([0, 0, -128, 127, mode], rq >>> 2);
    k.gemm_pack_qs8_p4_simd(ap, K, M, K, pa);
    k.gemm_pack_qs8_p8_simd(bp, N, 1, K, N, pb);
    k.gemm_qs8_4x8_minmax_simd(pa, pb, cp, N, 1, bi, sc, M, N, K, rq);
    const c = new Int8Array(h.u8view().slice(cp, cp + M * N).buffer);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let q = 0; q < K; q++) s += a[i * K + q] * b[q * N + j];
      // exact: s / 4096 in f32 is exact, ties to even
      const v = s / 4096, r = Math.round(v);
      const want = Math.max(-128, Math.min(127, Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r));
      if (c[i * N + j] !== want) return false;
    }
    return true;
  } finally {
    for (const p of ptrs) h.release(p);
  }
}
