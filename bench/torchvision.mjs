// node bench/torchvision.mjs [--dir test-artifacts/torchvision] [--filter resnet18,squeezenet1_1]
//                            [--opset 13] [--time 2000] [--rounds 2]
//
// The torchvision classifiers exported by scripts/make-torchvision-fixtures.py (run it first, at its
// default resolution 224): for each, the SAME .onnx file run by simdnet (sd.io.fromONNX, then
// sd.compile(model, { batchSize: 1 }) and plan.run(x), one thread) and by onnxruntime-web (wasm
// execution provider, numThreads 1, graphOptimizationLevel 'all', as bench/peers/ort.mjs), at batch 1
// on the export's stored input. Both outputs are checked against PyTorch's float32 logits (max |Δ| ÷
// max |logit|) before timing. Timing: bench/harness.mjs measure() (tinybench, interleaved rounds of
// ≥ --time ms per runtime, the median of the per-round medians). Models simdnet refuses are listed
// with the importer's message. Prints a Markdown table (CPU from /proc/cpuinfo, date, load) and the
// geometric mean of the ORT ÷ simdnet latency ratios; writes bench/results/torchvision.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fmt, loadRuntimes, machineLine, maxRelError, ortSession, timeInto } from './harness.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const root = fileURLToPath(new URL('..', import.meta.url));
const DIR = arg('dir', `${root}test-artifacts/torchvision`).replace(/\/?$/, '/');
const FILTER = arg('filter', null)?.split(',') ?? null;
const OPSET = Number(arg('opset', 13));
const TIME = Number(arg('time', 2000));
const ROUNDS = Math.max(1, Number(arg('rounds', 2)));
const TOLERANCE = 1e-3;

if (!existsSync(`${DIR}index.json`)) throw new Error(`${DIR}index.json is missing: run /usr/bin/python3 scripts/make-torchvision-fixtures.py`);
const index = JSON.parse(readFileSync(`${DIR}index.json`, 'utf8'));
if (index.resolution !== 224) console.warn(`note: the exports in ${DIR} are at ${index.resolution}×${index.resolution}, not 224`);
const { sd, engine, ort, cpu } = await loadRuntimes(root);
const b64f32 = (s) => { const b = Buffer.from(s, 'base64'); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)); };
const firstLine = (e) => String(e?.message ?? e).split('\n')[0];

const archs = Object.keys(index.models).filter((a) => !FILTER || FILTER.includes(a));
const rows = [];
const t0 = performance.now();
for (const arch of archs) {
  const file = `${DIR}${arch}.opset${OPSET}.onnx`;
  const row = { model: arch, params: index.models[arch].params, opset: OPSET };
  rows.push(row);
  if (!existsSync(file)) { row.refused = `${arch}.opset${OPSET}.onnx was not exported`; continue; }
  process.stderr.write(`${arch} …`);
  const fx = JSON.parse(readFileSync(`${DIR}${arch}.json`, 'utf8'));
  const xData = b64f32(fx.input.data), want = b64f32(fx.output.data);
  const bytes = new Uint8Array(readFileSync(file));
  row.input = fx.input.shape;
  const tasks = [];
  let model, plan, x;
  try {
    model = sd.io.fromONNX(bytes);
    plan = sd.compile(model, { batchSize: 1 });
    x = sd.Tensor.from(xData, fx.input.shape);
    row.simdnetCheck = maxRelError(plan.run(x).toFloat32Array(), want);
    tasks.push({ key: 'simdnet', run: () => { plan.run(x); } });
  } catch (e) {
    row.refused = firstLine(e);
  }
  let session;
  try {
    const o = await ortSession(ort, bytes, xData, fx.input.shape);
    session = o.session;
    row.ortCheck = maxRelError(await o.output(), want);
    tasks.push({ key: 'ort', run: o.run });
  } catch (e) {
    row.ortError = firstLine(e);
  }
  await timeInto(row, tasks, { time: TIME, rounds: ROUNDS });
  plan?.dispose(); x?.dispose(); model?.dispose(); await session?.release();
  process.stderr.write(` simdnet ${row.refused ? 'refused' : fmt(row.simdnetMs) + ' ms'}, ORT ${fmt(row.ortMs)} ms\n`);
}
const seconds = (performance.now() - t0) / 1e3;

const notes = [];
const note = (t) => { let i = notes.indexOf(t); if (i < 0) { notes.push(t); i = notes.length - 1; } return `[${i + 1}]`; };
const check = (v) => (v === undefined ? '' : v <= TOLERANCE ? v.toExponential(0) : `${v.toExponential(1)} ⚠`);
const lines = [
  '| model | params (M) | input | simdnet ms | onnxruntime-web ms | ORT ÷ simdnet | simdnet vs PyTorch | ORT vs PyTorch |',
  '|---|---:|---|---:|---:|---:|---:|---:|',
];
for (const r of rows) {
  const inp = r.input ? `${r.input[2]}×${r.input[3]}` : '';
  const sdCell = r.refused ? `refused ${note(r.refused)}` : r.simdnetError ? `error ${note(r.simdnetError)}` : fmt(r.simdnetMs);
  const ortCell = r.ortError ? `error ${note(r.ortError)}` : fmt(r.ortMs);
  lines.push(`| ${r.model} | ${(r.params / 1e6).toFixed(1)} | ${inp} | ${sdCell} | ${ortCell} | ${r.ratio ? r.ratio.toFixed(2) + '×' : ''} | ${check(r.simdnetCheck)} | ${check(r.ortCheck)} |`);
}
const ratios = rows.map((r) => r.ratio).filter(Boolean);
const geomean = ratios.length ? Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length) : undefined;
const { machine, load, date } = machineLine();
const report = [
  `CPU: ${cpu} · ${machine} · load average ${load} · Node ${process.versions.node} · ${date}`,
  `simdnet ${engine?.build ?? ''} build, threads ${engine?.threads ?? 1} (compiled plan, batch 1) · onnxruntime-web ${ort.env.versions.web} (wasm EP, numThreads 1) · the same ${DIR.replace(root, '')}<model>.opset${OPSET}.onnx (torch ${index.torch}, ${index.resolution}×${index.resolution})`,
  `Median latency over ${ROUNDS} interleaved round(s) of ≥ ${TIME} ms per runtime. Whole run: ${seconds.toFixed(0)} s.`,
  '',
  ...lines,
  '',
  `Geometric mean of ORT ÷ simdnet over ${ratios.length} model(s): ${geomean ? geomean.toFixed(2) + '×' : '—'} (above 1 = simdnet faster).`,
  `Checks: max |Δ| ÷ max |PyTorch float32 logit| (⚠ above ${TOLERANCE}).`,
  ...notes.map((n, i) => `[${i + 1}] ${n}`),
].join('\n');
console.log(report);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/torchvision.json', import.meta.url), JSON.stringify({
  cpu, machine, load, date, node: process.versions.node, engine, ort: ort.env.versions.web,
  options: { dir: DIR, opset: OPSET, time: TIME, rounds: ROUNDS, filter: FILTER }, resolution: index.resolution,
  rows, geomean, seconds, report,
}, null, 2));
