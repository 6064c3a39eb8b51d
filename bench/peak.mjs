// The single-thread floating-point peak of WebAssembly SIMD128 on this machine: what one core can
// give any wasm engine's kernels, measured beside them in the same run (compare.mjs). A tiny
// hand-assembled module runs the inner loop of a register-tiled GEMM with nothing else in it: per
// step, two f32x4 loads of B and four broadcast loads of A from one L1-resident cache line, and
// eight f32x4 multiply + add pairs into eight accumulators (loop-carried only through the adds;
// the operands come from memory, so nothing can be hoisted or folded). FLOPs = 2 per multiply-add
// per lane, the units of the GEMM rows: 64 per step.
//
// (module (memory 1)
//   (func (export "peak") (param $n i32) (param $s f32) (result f32)
//     (local c0 … c7 b0 b1 a v128)
//     c_i = splat(s)
//     loop: b0 = load 16, b1 = load 32; for i < 4: a = load32_splat 4i,
//           c_2i += a·b0, c_2i+1 += a·b1; n -= 1; br_if n ≠ 0
//     return lane 0 of Σ c_i))
// The memory is zeros: no denormals, no overflow. (Chains of register-only multiplies and adds
// measured lower here, bound by the multiply's latency rather than the core's throughput.)

const SIMD = 0xfd;
const splat = [SIMD, 0x13], mul = [SIMD, 0xe6, 0x01], add = [SIMD, 0xe4, 0x01], lane0 = [SIMD, 0x1f, 0x00];
const get = (i) => [0x20, i], set = (i) => [0x21, i];
const load = (offset) => [0x41, 0x00, SIMD, 0x00, 0x04, offset]; // i32.const 0; v128.load align=16
const splatLoad = (offset) => [0x41, 0x00, SIMD, 0x09, 0x02, offset]; // i32.const 0; v128.load32_splat align=4
const C = [2, 3, 4, 5, 6, 7, 8, 9], B0 = 10, B1 = 11, A = 12;

export function leb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
export const section = (id, body) => [id, ...leb(body.length), ...body];

function peakModule() {
  const code = [
    1, 11, 0x7b, // 11 v128 locals
    ...C.flatMap((l) => [...get(1), ...splat, ...set(l)]),
    0x03, 0x40, // loop
    ...load(16), ...set(B0), ...load(32), ...set(B1),
    ...[0, 1, 2, 3].flatMap((i) => [
      ...splatLoad(4 * i), ...set(A),
      ...get(C[2 * i]), ...get(A), ...get(B0), ...mul, ...add, ...set(C[2 * i]),
      ...get(C[2 * i + 1]), ...get(A), ...get(B1), ...mul, ...add, ...set(C[2 * i + 1]),
    ]),
    ...get(0), 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00, // n = n − 1; br_if 0 (n ≠ 0)
    0x0b, // end loop
    ...get(C[0]), ...C.slice(1).flatMap((l) => [...get(l), ...add]), ...lane0,
    0x0b,
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 2, 0x7f, 0x7d, 1, 0x7d]), // (i32 f32) → f32
    ...section(3, [1, 0]),
    ...section(5, [1, 0, 1]), // memory: 1 page
    ...section(7, [1, 4, 0x70, 0x65, 0x61, 0x6b, 0x00, 0]), // export "peak"
    ...section(10, [1, ...leb(code.length), ...code]),
  ]);
}

/** Steps per timed call: 64 FLOPs each, about a tenth of a millisecond at 60 GFLOP/s. */
const STEPS = 100_000;

/**
 * A task for harness.measure(): { key, run, flops } where run() executes STEPS steps of the peak
 * loop (flops per call). Instantiated once (its code is tiered up by the warm-up calls).
 */
export function peakTask(key = 'wasm SIMD peak') {
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(peakModule()));
  let sink = 0;
  return {
    key,
    flops: STEPS * 64,
    run: () => { sink += exports.peak(STEPS, 1); },
    get sink() { return sink; },
  };
}
