// node bench/winograd-fit.mjs   (after node bench/winograd.mjs --fit)
// Fits the cost model of src/ops/conv2d-algorithm.ts to bench/results/winograd-fit.json:
//   gemm path:  t = 2·MACs / GEMM_RATE
//   Winograd:   t = a·(α²·tiles8·cout·cin·2) + b_m·(α²·tiles·(cin + cout)) + d·(α²·cout·cin·blocks)
//               (b_m per tile size: F(2×2)'s transforms run in registers, F(4×4)'s partly in memory)
// by least squares on relative errors over the tile sizes 'auto' may pick (F(2×2), F(4×4); F(6×6) is
// measured but left out), and prints the model's picks against the measured best of the same choices
// (F(4×4) only with ≥ 256 input channels, Winograd only with ≥ 64, as src/ops/conv2d-algorithm.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { rows, machine, load, date } = JSON.parse(readFileSync(`${root}bench/results/winograd-fit.json`, 'utf8'));
const BLOCK = 1 << 20;
const TILES = [2, 4], F4_MIN_CHANNELS = 256, AUTO_MIN_CHANNELS = 64;
const allowed = (r, m) => r.c >= AUTO_MIN_CHANNELS && (m !== 4 || r.c >= F4_MIN_CHANNELS);
const feats = (r, m) => {
  const T = (m + 2) ** 2, tiles = r.n * Math.ceil(r.hw / m) ** 2;
  const nt = Math.min(Math.ceil(tiles / 8) * 8, Math.max(16, Math.min(512, Math.floor(BLOCK / (T * 2 * r.c * 4) / 8) * 8)));
  const blocks = Math.ceil(tiles / nt);
  return [2 * T * blocks * nt * r.c * r.c, T * tiles * r.c, T * tiles * r.c, T * r.c * r.c * blocks];
};
// gemm rate: median of flops / t
const rates = rows.map((r) => (2 * r.n * r.c * r.c * 9 * r.hw * r.hw) / (r.gemm * 1e6)).sort((a, b) => a - b);
const GEMM_RATE = rates[rates.length >> 1];
// least squares on relative error: rows (f / t), target 1
const A = [], y = [];
for (const r of rows) for (const m of TILES) {
  const t = r[`winograd-${m}x${m}`] * 1e6;
  const f = feats(r, m);
  A.push([f[0] / t, m === 2 ? (f[1] + f[2]) / t : 0, m === 4 ? (f[1] + f[2]) / t : 0, f[3] / t]);
  y.push(1);
}
const k = A[0].length, AtA = Array.from({ length: k }, () => new Array(k).fill(0)), Aty = new Array(k).fill(0);
A.forEach((a, i) => { for (let p = 0; p < k; p++) { Aty[p] += a[p] * y[i]; for (let q = 0; q < k; q++) AtA[p][q] += a[p] * a[q]; } });
// Gauss–Jordan
const M = AtA.map((row, i) => [...row, Aty[i]]);
for (let i = 0; i < k; i++) {
  const piv = M[i][i];
  for (let j = i; j <= k; j++) M[i][j] /= piv;
  for (let r = 0; r < k; r++) if (r !== i) { const f = M[r][i]; for (let j = i; j <= k; j++) M[r][j] -= f * M[i][j]; }
}
const [a, b2, b4, d] = M.map((row) => Math.max(0, row[k]));
const b = { 2: b2, 4: b4 };
console.log(`${machine}; load ${load}; ${date}`);
console.log(`GEMM_RATE = ${GEMM_RATE.toFixed(1)} GFLOP/s; Winograd GEMM rate = ${(1 / a).toFixed(1)} GFLOP/s (WINO_GEMM_EFF = ${(1 / a / GEMM_RATE).toFixed(2)}); transform F(2×2) ${b2.toFixed(3)}, F(4×4) ${b4.toFixed(3)} ns per position·tile·channel; U re-read ${d.toFixed(4)} ns per float per block`);
const pred = (r, m) => { const f = feats(r, m); return (a * f[0] + b[m] * (f[1] + f[2]) + d * f[3]) / 1e6; };
let worst = 1;
console.log('| C = K | H = W | batch | gemm ms | F(2) ms | F(4) ms | F(6) ms | model picks | measured best | picked ÷ best |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---|---|---:|');
for (const r of rows) {
  const opts = { gemm: (2 * r.n * r.c * r.c * 9 * r.hw * r.hw) / (GEMM_RATE * 1e6) };
  for (const m of TILES) opts[`winograd-${m}x${m}`] = pred(r, m);
  let pick = 'gemm', cost = Infinity;
  for (const m of TILES) {
    if (!allowed(r, m)) continue;
    const c = opts[`winograd-${m}x${m}`];
    if (c < cost) { cost = c; if (c * 1.1 <= opts.gemm) pick = `winograd-${m}x${m}`; }
  }
  const keys = ['gemm', ...TILES.filter((m) => allowed(r, m)).map((m) => `winograd-${m}x${m}`)];
  const best = keys.reduce((p, q) => (r[q] < r[p] ? q : p));
  worst = Math.max(worst, r[pick] / r[best]);
  console.log(`| ${r.c} | ${r.hw} | ${r.n} | ${['gemm', 'winograd-2x2', 'winograd-4x4', 'winograd-6x6'].map((q) => r[q].toFixed(2)).join(' | ')} | ${pick} | ${best} | ${(r[pick] / r[best]).toFixed(2)} |`);
}
console.log(`worst picked ÷ best: ${worst.toFixed(2)}`);
