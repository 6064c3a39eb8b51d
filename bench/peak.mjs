// The single-thread floating-point peak of WebAssembly SIMD128 on this machine: what a core can
// give any wasm engine's kernels, measured beside them in the same run (compare.mjs). A tiny
// hand-assembled module runs 6 chains of f32x4.mul and 6 chains of f32x4.add in registers (loop-
// carried, so nothing can be hoisted or folded: the operands arrive at run time), enough
// independent chains to cover the latencies, so the loop is bound by how many 128-bit multiplies
// and adds the core retires per cycle. FLOPs = 4 per lane-op (an add or a multiply each count
// one per lane), the same units as a GEMM's 2 × multiply-adds.
//
// (func (export "peak") (param $n i32) (param $a f32) (param $m f32) (result f32)
//   v128 locals: A = splat(a), M = splat(m), P0…P5 = A, C0…C5 = A
//   loop: Pi = Pi · M (i < 6); Ci = Ci + A (i < 6); n -= 1; br_if n ≠ 0
//   return lane 0 of the sum of all twelve)
// With m = −1 the products keep their magnitude and the sums grow by a each step: no denormals,
// no overflow.

const SIMD = 0xfd;
const splat = [SIMD, 0x13], mul = [SIMD, 0xe6, 0x01], add = [SIMD, 0xe4, 0x01], lane0 = [SIMD, 0x1f, 0x00];
const get = (i) => [0x20, i], set = (i) => [0x21, i];
const A = 3, M = 4, P = [5, 6, 7, 8, 9, 10], C = [11, 12, 13, 14, 15, 16];

function leb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
const section = (id, body) => [id, ...leb(body.length), ...body];

function peakModule() {
  const code = [
    1, 14, 0x7b, // 14 v128 locals
    ...get(1), ...splat, ...set(A),
    ...get(2), ...splat, ...set(M),
    ...[...P, ...C].flatMap((l) => [...get(A), ...set(l)]),
    0x03, 0x40, // loop
    ...P.flatMap((l) => [...get(l), ...get(M), ...mul, ...set(l)]),
    ...C.flatMap((l) => [...get(l), ...get(A), ...add, ...set(l)]),
    ...get(0), 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00, // n = n − 1; br_if 0 (n ≠ 0)
    0x0b, // end loop
    ...get(P[0]),
    ...[...P.slice(1), ...C].flatMap((l) => [...get(l), ...add]),
    ...lane0,
    0x0b,
  ];
  const body = [...leb(code.length), ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 3, 0x7f, 0x7d, 0x7d, 1, 0x7d]), // (i32 f32 f32) → f32
    ...section(3, [1, 0]),
    ...section(7, [1, 4, 0x70, 0x65, 0x61, 0x6b, 0x00, 0]), // export "peak"
    ...section(10, [1, ...body]),
  ]);
}

/** Iterations per timed call: 48 FLOPs each, about a fifth of a millisecond at 50 GFLOP/s. */
const STEPS = 200_000;

/**
 * A task for harness.measure(): { key, run, flops } where run() executes STEPS iterations of the
 * peak loop (flops per call). Instantiated once (its code is tiered up by the warm-up calls).
 */
export function peakTask(key = 'wasm SIMD peak') {
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(peakModule()));
  let sink = 0;
  return {
    key,
    flops: STEPS * 12 * 4,
    run: () => { sink += exports.peak(STEPS, 1e-3, -1); },
    get sink() { return sink; },
  };
}
