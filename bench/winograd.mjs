// node bench/winograd.mjs [--filter resnet] [--time 1500] [--rounds 3] [--batches 1,8]   the layer table
// node bench/winograd.mjs --fit [--time 400]                                              cost-model grid
// node bench/winograd.mjs --accuracy                                                      error table
// --cpu (with the layer table or --fit): time by the process's CPU time, not wall time (a shared machine)
//
// Winograd against the GEMM path and tfjs-backend-wasm (XNNPACK) on the 3×3 stride-1 layers of
// real networks (workloads.conv3x3), one thread, IN ONE RUN: per round every column runs back to
// back, the order rotated. simdnet runs one-layer compiled plans (the convolution prepared once; the
// filter transform is done at prepare time, as tfjs-wasm caches its XNNPACK operator per filter),
// 'gemm' and 'auto' (which says which algorithm it picked). Effective GFLOP/s = direct FLOPs ÷ time.
// --fit: gemm, F(2×2), F(4×4), F(6×6) over a grid of C = K, H = W and batch; prints the measured
// times and the least-squares fit of the cost model in src/ops/conv2d-algorithm.ts.
// --accuracy: max |Δ| ÷ max |y| against a float64 direct convolution per tile size and depth.
// Writes bench/results/winograd*.json.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fill, relError } from './peers/common.mjs';
import { measure, fmt, machineLine } from './harness.mjs';
import { measureCpu } from './cpu-time.mjs';
import { createTfjs } from './peers/tfjs.mjs';
import { peakTask } from './peak.mjs';
import { conv3x3 } from './workloads.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const TIME = Number(arg('time', 1500));
const ROUNDS = Math.max(1, Number(arg('rounds', 3)));
const FILTER = arg('filter', null)?.toLowerCase() ?? null;
const BATCHES = arg('batches', '1,8').split(',').map(Number);
const CPU = argv.includes('--cpu');
const root = fileURLToPath(new URL('..', import.meta.url));
const sd = await import(pathToFileURL(process.env.SIMDNET_DIST ?? `${root}dist/index.js`).href);
await sd.init();
const { Tensor, ops } = sd;
const m = machineLine();
mkdirSync(`${root}bench/results`, { recursive: true });

/**
 * A simdnet conv2d task: one Conv2d layer compiled for batch n (compile() prepares the convolution
 * once, transforming the filter then, as it does in a model); its algorithm (plan.info); output().
 */
function simdnetTask(c, d, algorithm) {
  const [n, cin, h, w] = c.x, [o] = c.w;
  const layer = new sd.nn.Conv2d(cin, o, 3, { padding: c.pad, algorithm });
  layer.weight.assign(d.w);
  layer.bias.assign(d.b);
  const model = new sd.Sequential([layer], { inputShape: [cin, h, w] });
  const plan = sd.compile(model, { batchSize: n });
  const x = Tensor.from(d.x, c.x);
  return {
    algorithm: plan.info.steps[0].algorithm,
    run: () => plan.run(x),
    output: () => plan.run(x).toFloat32Array(),
    dispose() { plan.dispose(); model.dispose(); x.dispose(); },
  };
}

const flopsOf = (n, c, o, h, w) => 2 * n * o * h * w * c * 9;

const timeTasks = (tasks, o) => (CPU ? measureCpu(tasks, o) : measure(tasks, o));

if (argv.includes('--accuracy')) {
  // weights uniform in [−1, 1]; inputs uniform in [−1, 1] (the issue's) and in [0, 1] (as after a
  // ReLU); a 12×12 image (3 × 3 tiles of F(4×4), 2 × 2 of F(6×6)), 16 output channels, padding 1;
  // the worst of 3 seeds per cell
  const rows = [];
  const depths = [16, 32, 64, 128, 256, 512];
  const algs = ['gemm', 'winograd-2x2', 'winograd-4x4', 'winograd-6x6'];
  const HW = 12, O = 16;
  for (const lo of [-1, 0]) {
    for (const depth of depths) {
      const row = { depth, inputs: `[${lo}, 1]` };
      for (const alg of algs) row[alg] = 0;
      for (const seed of [1, 2, 3]) {
        const xs = [1, depth, HW, HW], ws = [O, depth, 3, 3];
        const xd = fill(xs, 101 + depth + 1000 * seed, 2).map((v) => (lo === 0 ? (v + 1) / 2 : v));
        const wd = fill(ws, 202 + depth + 1000 * seed, 2);
        const ref = new Float64Array(O * HW * HW);
        for (let o = 0; o < O; o++) for (let oy = 0; oy < HW; oy++) for (let ox = 0; ox < HW; ox++) {
          let s = 0;
          for (let c = 0; c < depth; c++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
            const y = oy + i - 1, x = ox + j - 1;
            if (y >= 0 && y < HW && x >= 0 && x < HW) s += xd[(c * HW + y) * HW + x] * wd[((o * depth + c) * 3 + i) * 3 + j];
          }
          ref[(o * HW + oy) * HW + ox] = s;
        }
        const x = Tensor.from(xd, xs), w = Tensor.from(wd, ws);
        for (const alg of algs) {
          const yt = ops.conv2d(x, w, null, { padding: 1, algorithm: alg });
          const y = yt.toFloat32Array();
          yt.dispose();
          let dmax = 0, ymax = 0;
          for (let i = 0; i < ref.length; i++) { dmax = Math.max(dmax, Math.abs(y[i] - ref[i])); ymax = Math.max(ymax, Math.abs(ref[i])); }
          row[alg] = Math.max(row[alg], dmax / ymax);
        }
        x.dispose(); w.dispose();
      }
      rows.push(row);
    }
  }
  console.log(`| inputs | channels | gemm | F(2×2, 3×3) | F(4×4, 3×3) | F(6×6, 3×3) |\n|---|---:|---:|---:|---:|---:|`);
  for (const r of rows) console.log(`| ${r.inputs} | ${r.depth} | ${algs.map((a) => r[a].toExponential(1)).join(' | ')} |`);
  writeFileSync(`${root}bench/results/winograd-accuracy.json`, JSON.stringify({ ...m, rows }, null, 2));
  process.exit(0);
}

if (argv.includes('--fit')) {
  const grid = [];
  for (const [c, hw] of [[16, 56], [32, 56], [64, 56], [64, 28], [128, 28], [128, 14], [256, 14], [256, 7], [512, 7], [512, 14], [32, 112], [64, 14], [128, 56], [16, 14]]) {
    for (const n of [1, 4]) grid.push({ c, hw, n });
  }
  const rows = [];
  for (const g of grid) {
    const c = { x: [g.n, g.c, g.hw, g.hw], w: [g.c, g.c, 3, 3], pad: 1 };
    const d = { x: fill(c.x, 1), w: fill(c.w, 2, 0.1), b: fill([g.c], 3) };
    const tasks = ['gemm', 'winograd-2x2', 'winograd-4x4', 'winograd-6x6'].map((a) => ({ key: a, ...simdnetTask(c, d, a) }));
    const res = await timeTasks(tasks, { time: TIME, rounds: 2 });
    const row = { ...g };
    for (const t of tasks) { row[t.key] = res.get(t.key).ms; t.dispose(); }
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  writeFileSync(`${root}bench/results/winograd-fit.json`, JSON.stringify({ ...m, cpuTime: CPU, loadAfter: machineLine().load, rows }, null, 2));
  process.exit(0);
}

// ── the layer table ──────────────────────────────────────────────────────────────────────────
const tfr = await createTfjs({});
const tfw = tfr.adapters.find((a) => a.name === 'tfjs-wasm');
const peak = peakTask();
const results = [];
console.log(`${m.machine}; load ${m.load}; ${m.date}; one thread; ${ROUNDS} rounds × ${TIME} ms${CPU ? ' of CPU time' : ''}`);
console.log('| layer | batch | gemm GFLOP/s | auto GFLOP/s (algorithm) | tfjs-wasm GFLOP/s | auto ÷ tfjs | auto ÷ gemm | peak GFLOP/s |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const L of conv3x3) {
  if (FILTER && !L.name.toLowerCase().includes(FILTER)) continue;
  for (const n of BATCHES) {
    const c = { x: [n, L.c, L.hw, L.hw], w: [L.o, L.c, 3, 3], pad: 1, opts: { padding: 1 }, out: [L.hw, L.hw] };
    const d = { x: fill(c.x, 1), w: fill(c.w, 2, Math.sqrt(1 / (9 * L.c))), b: fill([L.o], 3) };
    const flops = flopsOf(n, L.c, L.o, L.hw, L.hw);
    const gemm = simdnetTask(c, d, 'gemm'), auto = simdnetTask(c, d, 'auto');
    const tf = await tfw.conv2d(c, d);
    const err = Math.max(relError(auto.output(), gemm.output()), relError(tf.output(), gemm.output()));
    const tasks = [{ key: 'gemm', ...gemm }, { key: 'auto', ...auto }, { key: 'tfjs', run: tf.run, activate: tf.activate }, { key: 'peak', run: peak.run }];
    const res = await timeTasks(tasks, { time: TIME, rounds: ROUNDS });
    const g = (k) => flops / (res.get(k).ms * 1e6);
    const row = { layer: L.name, batch: n, flops, algorithm: auto.algorithm, err, gemm: g('gemm'), auto: g('auto'), tfjs: g('tfjs'), peak: peak.flops / (res.get('peak').ms * 1e6) };
    results.push(row);
    console.log(`| ${L.name} | ${n} | ${fmt(row.gemm)} | ${fmt(row.auto)} (${row.algorithm}) | ${fmt(row.tfjs)} | ${(row.auto / row.tfjs).toFixed(2)}× | ${(row.auto / row.gemm).toFixed(2)}× | ${fmt(row.peak)} |${err > 1e-3 ? ` ⚠ ${err.toExponential(1)}` : ''}`);
    gemm.dispose(); auto.dispose(); tf.dispose();
  }
}
const geo = (f) => Math.exp(results.reduce((s, r) => s + Math.log(f(r)), 0) / results.length);
console.log(`\ngeometric mean: auto ÷ tfjs ${geo((r) => r.auto / r.tfjs).toFixed(2)}×, auto ÷ gemm ${geo((r) => r.auto / r.gemm).toFixed(2)}×, min auto ÷ tfjs ${Math.min(...results.map((r) => r.auto / r.tfjs)).toFixed(2)}×`);
writeFileSync(`${root}bench/results/winograd.json`, JSON.stringify({ ...m, rows: results }, null, 2));
if (!existsSync(`${root}bench/results/winograd.json`)) process.exit(1);
