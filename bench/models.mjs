// node bench/models.mjs [--filter alexnet] [--time 2000] [--rounds 2] [--peers simdnet,tfjs-wasm,onnxruntime-web]
//
// Whole models in ONE run: forward latency at batch 1 and throughput at batch 32 for LeNet-5,
// AlexNet (lecture variant, 227×227), VGG16 (224) and ResNet-50 (224), simdnet against
// tfjs-backend-wasm and onnxruntime-web on the same weights (simdnet's seeded initial weights)
// and the same seeded input. See peers/models.mjs for how each runtime is driven.
// Each runtime's output is checked against simdnet's before timing (max |Δ| ÷ max |simdnet|, 1e-3).
// Timing: per round, each runtime (order rotated) calls run() until --time ms have passed (at least
// one call); its figure is the median call time over all rounds' calls. Calls longer than --time (VGG16 at
// batch 32 is ~1 TFLOP) get one round and one call. A runtime whose warm-up call takes
// longer than --max-call s (default 60) is not timed further (noted).
// tfjs-cpu is not run here: plain-JS kernels take minutes per call on these models.
// Prints a Markdown table; writes bench/results/models.json.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';
import { fill, relError } from './peers/common.mjs';
import { simdnetModelTask, ortModelTask, tfjsModelTask } from './peers/models.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const TIME = Number(arg('time', 2000));
const ROUNDS = Math.max(1, Number(arg('rounds', 2)));
const MAX_CALL = Number(arg('max-call', 60)) * 1e3;
const FILTER = arg('filter', null)?.toLowerCase() ?? null;
const COLUMNS = ['simdnet', 'tfjs-wasm', 'onnxruntime-web'];
const PEERS = arg('peers', COLUMNS.join(',')).split(',');
const columns = COLUMNS.filter((c) => PEERS.includes(c));
const TOLERANCE = 1e-3;

const root = fileURLToPath(new URL('..', import.meta.url));
const distPath = process.env.SIMDNET_DIST ?? `${root}dist/index.js`;
if (!existsSync(distPath)) throw new Error(`${distPath} is missing: run npm run build`);
const sd = await import(pathToFileURL(distPath).href);
await sd.init();
const versions = { simdnet: sd.engineInfo?.() ?? {} };

let tf = null, ort = null;
if (columns.includes('tfjs-wasm')) {
  tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  tf.enableProdMode();
  wasm.setThreadsCount(1);
  await tf.setBackend('wasm');
  versions.tfjs = { version: tf.version_core, simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: wasm.getThreadsCount() };
}
if (columns.includes('onnxruntime-web')) {
  ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  versions['onnxruntime-web'] = { version: ort.env.versions.web, threads: 1 };
}

// name, factory, forward GFLOP per image (2 × multiply-adds, conv + linear only; for the footer)
const MODELS = [
  { name: 'LeNet-5', make: () => sd.models.lenet5() },
  { name: 'AlexNet', make: () => sd.models.alexnet() },
  { name: 'VGG16', make: () => sd.models.vgg16() },
  { name: 'ResNet-50', make: () => sd.models.resnet50() },
].filter((m) => !FILTER || m.name.toLowerCase().includes(FILTER));
const BATCHES = arg('batches', '1,32').split(',').map(Number);

function flopsPerImage(model) {
  let f = 0;
  for (const n of model.nodes) {
    const L = n.layer;
    if (L.type === 'Conv2d') { const [o, ci, kh, kw] = L.weight.value.shape; f += 2 * n.outputShape[1] * n.outputShape[2] * o * ci * kh * kw; }
    else if (L.type === 'Linear') { const [o, i] = L.weight.value.shape; f += 2 * o * i; }
  }
  return f;
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const now = () => performance.now();

const t0 = now();
const rows = [];
const gflops = {};
for (const M of MODELS) {
  const model = M.make();
  gflops[M.name] = flopsPerImage(model) / 1e9;
  const inShape = model.inputShapes[model.inputNames[0]];
  for (const batch of BATCHES) {
    const label = `${M.name} batch ${batch}`;
    process.stderr.write(`${label} …`);
    const xData = fill([batch, ...inShape], 11);
    const cells = {};
    const tasks = [];
    let reference = null;
    for (const col of columns) {
      try {
        let t;
        if (col === 'simdnet') t = simdnetModelTask(sd, model, batch, xData);
        else if (col === 'onnxruntime-web') t = await ortModelTask(ort, sd, model, batch, xData);
        else t = tfjsModelTask(tf, model, batch, xData);
        const s = now();
        const out = await t.output(); // warm-up call (fails fast) and the output for the cross-check
        const first = now() - s;
        if (col === 'simdnet') reference = out;
        else if (reference) cells[col] = { check: relError(reference, out) };
        if (first > MAX_CALL) { cells[col] = { ...cells[col], error: `skipped: a call took ${(first / 1e3).toFixed(0)} s (> ${MAX_CALL / 1e3} s)` }; t.dispose(); continue; }
        tasks.push({ col, t, first, samples: [] });
      } catch (e) {
        if (process.env.DEBUG) console.error(e); cells[col] = { ...cells[col], error: String(e?.message ?? e).split('\n')[0] };
      }
    }
    // One call already takes longer than the budget → one round, one call each.
    const big = tasks.some((k) => k.first > TIME);
    const rounds = big ? 1 : ROUNDS;
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < tasks.length; i++) {
        const k = tasks[(i + r) % tasks.length];
        const start = now();
        do {
          const s = now();
          await k.t.run();
          k.samples.push(now() - s);
        } while (!big && now() - start < TIME);
      }
    }
    for (const k of tasks) {
      const ms = median(k.samples);
      cells[k.col] = { ...cells[k.col], ms, calls: k.samples.length, value: batch === 1 ? ms : batch / (ms / 1e3) };
      try { k.t.dispose(); } catch {}
    }
    const sdv = cells.simdnet?.value;
    const ratios = {};
    for (const col of columns.slice(1)) {
      const v = cells[col]?.value;
      if (sdv && v) ratios[col] = batch === 1 ? v / sdv : sdv / v;
    }
    rows.push({ name: `${M.name}, batch ${batch} (${batch === 1 ? 'latency' : 'throughput'})`, model: M.name, batch, unit: batch === 1 ? 'ms' : 'img/s', cells, ratios });
    process.stderr.write(` ${columns.map((c) => `${c} ${fmt(cells[c]?.value)}${cells[c]?.check !== undefined ? ` (Δ ${cells[c].check.toExponential(1)})` : ''}${cells[c]?.error ? ` [${cells[c].error}]` : ''}`).join(', ')}\n`);
  }
  model.dispose?.();
}
const seconds = (now() - t0) / 1e3;

function fmt(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}
const notes = [];
const note = (text) => { let i = notes.indexOf(text); if (i < 0) { notes.push(text); i = notes.length - 1; } return `[${i + 1}]`; };
function cell(x) {
  if (!x) return '';
  if (x.error) return `${x.error.startsWith('skipped') ? 'skipped' : 'error'} ${note(x.error)}`;
  let s = fmt(x.value);
  if (x.check !== undefined && !(x.check <= TOLERANCE)) s += ` ⚠ ${note(`output differs from simdnet's by ${x.check.toExponential(1)} (max |Δ| ÷ max |simdnet|)`)}`;
  return s;
}
const cpus = os.cpus();
const machine = `${cpus[0]?.model ?? 'cpu'} × ${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.arch()}`;
const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
const peerCols = columns.slice(1);
const lines = [
  `| model | unit | ${columns.join(' | ')} | ${peerCols.map((c) => `simdnet ÷ ${c}`).join(' | ')} |`,
  `|---|---|${columns.map(() => '---:').join('|')}|${peerCols.map(() => '---:').join('|')}|`,
];
for (const r of rows) {
  lines.push(`| ${r.name} | ${r.unit} | ${columns.map((c) => cell(r.cells[c])).join(' | ')} | ${peerCols.map((c) => (r.ratios[c] ? `${r.ratios[c].toFixed(2)}×` : '')).join(' | ')} |`);
}
const header = [
  `Machine: ${machine} · load average ${load} · Node ${process.versions.node} · ${date}`,
  `Runtimes: simdnet (sd.compile plan, 1 thread) · tfjs ${versions.tfjs?.version ?? '—'} wasm (simd ${versions.tfjs?.simd ? 'on' : '?'}, threads ${versions.tfjs?.threads ?? '?'}) · onnxruntime-web ${versions['onnxruntime-web']?.version ?? '—'} (wasm EP, threads 1, model from sd.io.toONNX)`,
  `Median call time over ${ROUNDS} interleaved round(s) of ≥ ${TIME} ms per runtime (one round and one call where a call takes longer). Whole run: ${seconds.toFixed(0)} s.`,
];
const footer = [
  'Ratios: simdnet\'s img/s ÷ the peer\'s (latency rows: the peer\'s ms ÷ simdnet\'s); above 1 = simdnet faster.',
  `Forward GFLOP per image (conv + linear, 2 × MACs): ${Object.entries(gflops).map(([k, v]) => `${k} ${v < 0.1 ? v.toFixed(4) : v.toFixed(2)}`).join(', ')}.`,
  'tfjs-cpu is not run on these models (plain-JS kernels; minutes per call at batch 32).',
  ...notes.map((n, i) => `[${i + 1}] ${n}`),
];
const report = [...header, '', ...lines, '', ...footer].join('\n');
console.log(report);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/models.json', import.meta.url), JSON.stringify({
  machine, load, node: process.versions.node, date, versions, seconds,
  options: { time: TIME, rounds: ROUNDS, filter: FILTER, maxCallSeconds: MAX_CALL / 1e3, tolerance: TOLERANCE },
  gflopsPerImage: gflops, rows, report,
}, null, 2));
