// The int8 dot products' peak on this core, for the int8 GEMM's figures (qs8.mjs --peak prints it
// beside them): tiny hand-assembled modules run the inner loop of an R×8 register tile of the GEMM
// with nothing else in it. Per step: two v128 loads of B, R broadcast loads of A (load32_splat),
// and 2R dots into 2R accumulators (loop-carried only through the dots' accumulator; the operands
// come from one L1-resident cache line of memory, so nothing is hoisted). MACs per step: 2R·16 for
// the relaxed dot (i32x4.relaxed_dot_i8x16_i7x16_add_s), 2R·8 for i32x4.dot_i16x8_s + i32x4.add.
// R = 4 is the GEMM's tile (8 accumulators); R = 6 (12) shows whether 8 chains hide the dot's latency.
import { leb, section } from './peak.mjs';

const SIMD = 0xfd;
const get = (i) => [0x20, i], set = (i) => [0x21, i];
const load = (offset) => [0x41, 0x00, SIMD, 0x00, 0x04, offset]; // i32.const 0; v128.load
const splatLoad = (offset) => [0x41, 0x00, SIMD, 0x09, 0x02, offset]; // i32.const 0; v128.load32_splat
const rdot = [SIMD, 0x93, 0x02]; // i32x4.relaxed_dot_i8x16_i7x16_add_s (0x113)
const dot16 = [SIMD, 0xba, 0x01], addI32 = [SIMD, 0xae, 0x01], lane0 = [SIMD, 0x1b, 0x00];

/** The module of an R-row tile; relaxed: the relaxed dot, else dot_i16x8_s + add. */
function tileModule(R, relaxed) {
  const C = Array.from({ length: 2 * R }, (_, i) => 1 + i), B0 = 1 + 2 * R, B1 = B0 + 1, A = B1 + 1;
  const acc = (c, b) => (relaxed ? [...get(A), ...get(b), ...get(c), ...rdot] : [...get(c), ...get(A), ...get(b), ...dot16, ...addI32]);
  const code = [
    1, 2 * R + 3, 0x7b,
    0x03, 0x40, // loop
    ...load(16), ...set(B0), ...load(32), ...set(B1),
    ...Array.from({ length: R }, (_, i) => i).flatMap((i) => [
      ...splatLoad(4 * i), ...set(A),
      ...acc(C[2 * i], B0), ...set(C[2 * i]),
      ...acc(C[2 * i + 1], B1), ...set(C[2 * i + 1]),
    ]),
    ...get(0), 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00, // n = n − 1; br_if 0 (n ≠ 0)
    0x0b,
    ...get(C[0]), ...C.slice(1).flatMap((l) => [...get(l), ...addI32]), ...lane0,
    0x0b,
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7f]), // (i32) → i32
    ...section(3, [1, 0]),
    ...section(5, [1, 0, 1]),
    ...section(7, [1, 4, 0x70, 0x65, 0x61, 0x6b, 0x00, 0]), // export "peak"
    ...section(10, [1, ...leb(code.length), ...code]),
  ]);
}

/**
 * GMAC/s of each tile loop by CPU time (cpu(): ms of this process), best of 5: [{ name, gmacs }].
 * The relaxed ones only where the runtime compiles relaxed SIMD.
 */
export function dotPeaks(cpu, relaxed) {
  const out = [];
  const steps = 200_000;
  for (const [R, rel] of [[4, false], [6, false], [4, true], [6, true]]) {
    if (rel && !relaxed) continue;
    let peak;
    try {
      peak = new WebAssembly.Instance(new WebAssembly.Module(tileModule(R, rel))).exports.peak;
    } catch {
      continue;
    }
    peak(steps);
    let best = Infinity;
    for (let r = 0; r < 5; r++) {
      const t = cpu();
      for (let i = 0; i < 10; i++) peak(steps);
      best = Math.min(best, (cpu() - t) / 10);
    }
    const macs = steps * 2 * R * (rel ? 16 : 8);
    out.push({ name: `${rel ? 'relaxed_dot_i8x16_i7x16_add_s' : 'dot_i16x8_s + add'}, ${R}×8 tile (${2 * R} accumulators)`, gmacs: macs / best / 1e6 });
  }
  return out;
}
