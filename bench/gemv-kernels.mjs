// gemv_f32_minmax_simd of two builds of simdnet.wasm side by side (e.g. main's dist/ copied aside
// and this tree's), called directly on the raw modules: batch-1 dense shapes from 1×84·84×10 to the
// 151 MB 1×9216·9216×4096, 15 alternating rounds of ~40 ms CPU time each, the median per call.
// Below the op layer, so the small shapes show the kernel and not the per-call overhead.
//
//   node bench/gemv-kernels.mjs OLD.wasm NEW.wasm      (relaxed builds on Node 20: add --experimental-wasm-relaxed-simd)
import fs from 'node:fs';
import { median } from './harness.mjs';

const [oldFile, newFile] = process.argv.slice(2);
if (!oldFile || !newFile) throw new Error('usage: node bench/gemv-kernels.mjs OLD.wasm NEW.wasm');
const instance = (f) => new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(f)), {}).exports;
const builds = { old: instance(oldFile), new: instance(newFile) };
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const shapes = [[10, 84], [84, 120], [10, 512], [64, 64], [128, 784], [500, 1000], [1000, 512], [1000, 1024], [1000, 2048], [1000, 4096], [256, 9216], [4096, 9216]];
for (const ex of Object.values(builds)) ex.memory.grow(2600); // 170 MB: the largest A, x and y
console.log(`load average ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
for (const [M, K] of shapes) {
  const reps = Math.max(1, Math.floor(2e6 / (M * K)));
  const call = {};
  for (const [name, ex] of Object.entries(builds)) {
    const m = new Float32Array(ex.memory.buffer);
    const ap = 1 << 20, xp = ap + M * K * 4 + 64, bp = xp + K * 4 + 64, yp = bp + M * 4 + 64;
    for (let i = 0; i < M * K; i++) m[ap / 4 + i] = ((i * 7919) % 1000) / 1000 - 0.5;
    for (let i = 0; i < K + M; i++) m[xp / 4 + i] = 0.01 * (i % 17);
    call[name] = () => { for (let r = 0; r < reps; r++) ex.gemv_f32_minmax_simd(ap, K, xp, yp, bp, M, K, 0, Infinity); };
  }
  const ms = { old: [], new: [] };
  for (let round = 0; round < 15; round++) {
    for (const name of round % 2 ? ['new', 'old'] : ['old', 'new']) {
      call[name]();
      const t = [];
      const t0 = cpu();
      while (cpu() - t0 < 40) { const a = cpu(); call[name](); t.push((cpu() - a) / reps); }
      ms[name].push(median(t));
    }
  }
  const o = median(ms.old), n = median(ms.new), gbps = (v) => (4 * M * K / (v * 1e6)).toFixed(1);
  console.log(`1×${K}·${K}×${M}`.padEnd(20), `old ${(o * 1000).toFixed(2)} µs (${gbps(o)} GB/s)  new ${(n * 1000).toFixed(2)} µs (${gbps(n)} GB/s)  new/old ${(n / o).toFixed(3)}`);
}
