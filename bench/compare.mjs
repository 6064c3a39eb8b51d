// npm run bench [-- --filter conv --time 300 --rounds 3 --peers simdnet,tfjs-wasm --readback]   (also npm run bench:compare)
//
// simdnet against its peers in ONE run: for every workload of bench/workloads.mjs the runtimes
// are timed back to back in a few short rounds (tinybench, order rotated each round, so load on
// the machine hits them alike), each on the same seeded inputs, and each output is checked
// against simdnet's.
// Prints a Markdown table of medians and simdnet ÷ peer ratios; writes bench/results/compare.json.
//
//   --filter <s>   only workloads whose name contains s (case-insensitive; a|b: either)
//   --time <ms>    time budget per runtime per workload per round (default 300; at least 1 call)
//   --rounds <n>   rounds per workload, runtimes interleaved (default 3); median of the rounds' medians
//   --peers <list> comma-separated columns to run (default all)
//   --readback     also copy every output out of the runtime inside the timed call
//   --cpu-clock    time in this process's CPU time, not wall time (a loaded machine: see bench/README.md)
// SIMDNET_DIST=<path to index.js> benchmarks another build of simdnet than ../dist/index.js.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fill, relError, LENET_FLOPS } from './peers/common.mjs';
import { benchJobs, measure as measureTasks, valueOf, fmt, machineLine, cpuClock } from './harness.mjs';
import { createSimdnet } from './peers/simdnet.mjs';
import { createTfjs } from './peers/tfjs.mjs';
import { createOrt } from './peers/ort.mjs';
import { peakTask } from './peak.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const TIME = Number(arg('time', 300));
const ROUNDS = Math.max(1, Number(arg('rounds', 3)));
const FILTER = arg('filter', null)?.toLowerCase() ?? null;
const READBACK = argv.includes('--readback');
const CLOCK = argv.includes('--cpu-clock') ? cpuClock() : undefined;
const COLUMNS = ['simdnet', 'tfjs-wasm', 'onnxruntime-web', 'tfjs-cpu'];
const PEERS = arg('peers', COLUMNS.join(',')).split(',');
const TOLERANCE = 1e-3; // max |Δ| ÷ max |reference output| (the reference: simdnet, else the first that ran)

// ---- runtimes -----------------------------------------------------------------------------------

const root = fileURLToPath(new URL('..', import.meta.url));
const distPath = process.env.SIMDNET_DIST ?? `${root}dist/index.js`;
if (!existsSync(distPath)) {
  console.error(`${distPath} is missing: running npm run build`);
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
}
const adapters = new Map(); // column → adapter
let modelSd = null; // whole models are built by simdnet, for every runtime (peers/models.mjs)

/**
 * An adapter with a `model` method: a whole model of workloads.wholeModels (sd.models[c.model]()
 * with its seeded weights) through peers/models.mjs, as threads.mjs and models.mjs run them.
 */
function withModels(a, r) {
  a.model = async (c, d) => {
    const M = await import('./peers/models.mjs');
    if (a.name === 'tfjs-cpu') throw new Error('n/a: tfjs-cpu runs whole models in plain JavaScript (minutes per call)');
    if (!modelSd) {
      modelSd = await import(pathToFileURL(distPath).href);
      await modelSd.init();
    }
    const model = modelSd.models[c.model]();
    let t;
    if (a.name === 'simdnet') t = M.simdnetModelTask(r.sd, model, c.batch, d.x);
    else if (a.name === 'onnxruntime-web') t = await M.ortModelTask(r.ort, modelSd, model, c.batch, d.x);
    else { await r.tf.setBackend('wasm'); t = { ...M.tfjsModelTask(r.tf, model, c.batch, d.x), activate: () => r.tf.setBackend('wasm') }; }
    return { ...t, dispose() { t.dispose(); model.dispose?.(); } };
  };
  return a;
}
const versions = {};
const loadErrors = {};
for (const [label, make] of [
  ['simdnet', () => createSimdnet(pathToFileURL(distPath).href, { readback: READBACK })],
  ['tfjs', () => createTfjs({ readback: READBACK })],
  ['onnxruntime-web', () => createOrt()],
]) {
  if (!PEERS.some((p) => p.startsWith(label))) continue;
  try {
    const r = await make();
    versions[label] = r.info;
    for (const a of r.adapters) if (PEERS.includes(a.name)) adapters.set(a.name, withModels(a, r));
  } catch (e) {
    const msg = String(e?.message ?? e).split('\n')[0];
    for (const col of COLUMNS) if (col.startsWith(label)) loadErrors[col] = msg;
    console.error(`${label} failed to load: ${msg}`);
  }
}
const columns = COLUMNS.filter((c) => PEERS.includes(c));

// ---- timing ---------------------------------------------------------------------------------------

/** harness.measure with this run's --time and --rounds (key → { ms, samples } or { error }). */
const measure = (tasks) => measureTasks(tasks, { time: TIME, rounds: ROUNDS, now: CLOCK });

// ---- memory-copy bandwidth -----------------------------------------------------------------------

// (module (memory 2049) (func (export "copy") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.copy))
const COPY_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x07, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00, // type: (i32 i32 i32) → ()
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x05, 0x04, 0x01, 0x00, 0x81, 0x10, // memory: min 2049 pages (128 MiB + 64 KiB)
  0x07, 0x08, 0x01, 0x04, 0x63, 0x6f, 0x70, 0x79, 0x00, 0x00, // export "copy"
  0x0a, 0x0e, 0x01, 0x0c, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfc, 0x0a, 0x00, 0x00, 0x0b,
]);

// 64 MiB copied (128 MiB moved: read + write), far beyond the caches: the machine's streaming
// bandwidth, measured once up front and again beside each memory-bound workload.
const BIG = 64 << 20;
const bigSrc = fill([BIG / 4], 9), bigDst = new Float32Array(BIG / 4);
const bigCopy = { key: 'memcpy 64 MiB', run: () => bigDst.set(bigSrc) };
const copy = {};
{
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(COPY_WASM));
  const r = await measure([
    { ...bigCopy, key: 'Float32Array.set' },
    { key: 'wasm memory.copy', run: () => exports.copy(BIG, 0, BIG) },
  ]);
  for (const [k, v] of r) copy[k] = { ...v, gbps: v.ms ? (2 * BIG) / (v.ms * 1e6) : undefined };
}

// ---- workloads -------------------------------------------------------------------------------------

const jobs = benchJobs({ filter: FILTER, wholeModels: true });
const peak = peakTask();

const rows = [];
for (const job of jobs) {
  const { c } = job;
  process.stderr.write(`${c.name} …`);
  const data = job.data();
  const cells = {};
  const prepared = [];
  let reference = null, refCol = null;
  for (const col of columns) {
    const a = adapters.get(col);
    if (!a) { cells[col] = { error: loadErrors[col] ?? 'not loaded' }; continue; }
    try {
      const t = await a[job.kind](c, data);
      prepared.push([col, t]);
      await t.activate?.();
      await t.run(); // first call: fails fast, warms caches and code
      if (t.output) {
        const out = await t.output();
        if (!reference) { reference = out; refCol = col; }
        else cells[col] = { check: relError(reference, out), against: refCol };
      }
    } catch (e) {
      cells[col] = { error: String(e?.message ?? e).split('\n')[0] };
    }
  }
  const ok = prepared.filter(([col]) => !cells[col]?.error);
  const tasks = ok.map(([col, t]) => ({ key: col, run: t.run, activate: t.activate }));
  // Memory-bound workloads get copies timed beside them: the same bytes as the input
  // (cache-resident like the workload) and 64 MiB (DRAM). GB/s counts read + write, as theirs do.
  const copySrc = job.unit === 'GB/s' ? data.x : null, copyDst = copySrc && new Float32Array(copySrc.length);
  if (copySrc) tasks.push(bigCopy, { key: 'memcpy same size', run: () => copyDst.set(copySrc) });
  // Compute-bound workloads get the core's wasm SIMD peak timed beside them (bench/peak.mjs).
  if (job.unit === 'GFLOP/s') tasks.push(peak);
  const times = await measure(tasks);
  const gbps = (key, bytes) => (times.get(key)?.ms ? bytes / (times.get(key).ms * 1e6) : undefined);
  const copyRow = copySrc ? { big: gbps('memcpy 64 MiB', 2 * BIG), same: gbps('memcpy same size', 2 * copySrc.byteLength) } : undefined;
  const peakRow = job.unit === 'GFLOP/s' && times.get(peak.key)?.ms ? peak.flops / (times.get(peak.key).ms * 1e6) : undefined;
  for (const [, t] of prepared) { try { t.dispose(); } catch {} }
  for (const [col, r] of times) {
    if (col.startsWith('memcpy') || col === peak.key) continue;
    const value = valueOf(job, r.ms);
    cells[col] = { ...cells[col], ...r, value };
    if (copyRow && value) Object.assign(cells[col], { ofCopy: value / copyRow.same, ofBigCopy: value / copyRow.big });
    if (peakRow && value) cells[col].ofPeak = value / peakRow;
  }
  const sd = cells.simdnet?.value;
  const ratios = {};
  for (const col of columns.slice(1)) {
    const v = cells[col]?.value;
    if (sd && v) ratios[col] = job.unit === 'ms' ? v / sd : sd / v;
  }
  rows.push({ name: c.name, kind: job.kind, unit: job.unit, work: job.work, cells, ratios, copy: copyRow, peak: peakRow });
  process.stderr.write(` ${columns.map((col) => `${col} ${fmt(cells[col]?.value)}`).join(', ')}\n`);
}

// ---- report ------------------------------------------------------------------------------------------

const notes = [];
const note = (text) => { let i = notes.indexOf(text); if (i < 0) { notes.push(text); i = notes.length - 1; } return `[${i + 1}]`; };
function cell(x) {
  if (!x) return '';
  if (x.error) return x.error.startsWith('n/a') ? 'n/a' : `error ${note(x.error)}`;
  let s = fmt(x.value);
  if (x.ofCopy !== undefined) s += ` (${Math.round(100 * x.ofCopy)}% / ${Math.round(100 * x.ofBigCopy)}%)`;
  if (x.ofPeak !== undefined) s += ` (${Math.round(100 * x.ofPeak)}%)`;
  if (x.check !== undefined && !(x.check <= TOLERANCE)) s += ` ⚠ ${note(`output differs from ${x.against}'s by ${x.check.toExponential(1)} (max |Δ| ÷ max |${x.against}|)`)}`;
  return s;
}
const { machine, load, date } = machineLine();
const v = versions;
const header = [
  `Machine: ${machine} · load average ${load} · Node ${process.versions.node} · ${date}`,
  `Runtimes: simdnet ${v.simdnet?.build ?? '?'} build (threads ${v.simdnet?.threads ?? '?'}) · tfjs ${v.tfjs?.version ?? '?'} (wasm: ${v.tfjs?.wasm ?? '?'}; cpu) · onnxruntime-web ${v['onnxruntime-web']?.version ?? '?'} (wasm EP, threads 1)`,
  `Median over ${ROUNDS} interleaved round(s) of tinybench's median latency (--time ${TIME} ms per runtime per round${CLOCK ? ', process CPU time' : ''})${READBACK ? ', outputs read back' : ''}. ` +
    `Copy bandwidth at the start of the run (64 MiB → 64 MiB, counting read + write): Float32Array.set ${fmt(copy['Float32Array.set']?.gbps)} GB/s, wasm memory.copy ${fmt(copy['wasm memory.copy']?.gbps)} GB/s.`,
];
const peerCols = columns.slice(1);
const lines = [
  `| workload | unit | ${columns.join(' | ')} | ${peerCols.map((c) => `simdnet ÷ ${c}`).join(' | ')} |`,
  `|---|---|${columns.map(() => '---:').join('|')}|${peerCols.map(() => '---:').join('|')}|`,
];
for (const r of rows) {
  const ratios = peerCols.map((c) => (r.ratios[c] ? `${r.ratios[c].toFixed(2)}×` : ''));
  lines.push(`| ${r.name} | ${r.unit} | ${columns.map((c) => cell(r.cells[c])).join(' | ')} | ${ratios.join(' | ')} |`);
}
const footer = [
  'Ratios: simdnet\'s throughput ÷ the peer\'s (for the latency row, the peer\'s ms ÷ simdnet\'s); above 1 = simdnet faster.',
  `LeNet-5: ${(LENET_FLOPS / 1e6).toFixed(2)} MFLOP per image forward. Training: Adam (one optimizer for the run), softmax cross-entropy; simdnet's row is one sd.fit() epoch of one batch.`,
  ...(rows.some((r) => r.peak) ? [`GFLOP/s (p%): of this core's wasm SIMD128 peak timed beside the workload in the same round (bench/peak.mjs: a GEMM inner loop of f32x4 multiply + add pairs on L1-resident operands, nothing else): ` +
    rows.filter((r) => r.peak).map((r) => `${fmt(r.peak)}`).join(', ') + ' GFLOP/s for the rows above in order. No engine\'s kernels can pass it on one thread.'] : []),
  ...rows.filter((r) => r.copy).map((r) => `GB/s (a% / b%): a = of a copy of the same bytes as the input (${fmt(r.copy.same)} GB/s), ` +
    `b = of a 64 MiB copy (${fmt(r.copy.big)} GB/s), both timed beside ${r.name}.`),
  ...notes.map((n, i) => `[${i + 1}] ${n}`),
];
const report = [...header, '', ...lines, '', ...footer].join('\n');
console.log(report);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/compare.json', import.meta.url), JSON.stringify({
  machine, load, node: process.versions.node, date, versions, loadErrors,
  options: { time: TIME, rounds: ROUNDS, filter: FILTER, readback: READBACK, cpuClock: !!CLOCK, tolerance: TOLERANCE },
  copy, rows, report,
}, null, 2));
