// node bench/segmenters.mjs [--dir test-artifacts/segmenters] [--size 224x224] [--opset 13]
//                           [--filter fcn_resnet50,unet_tiny] [--time 2000] [--rounds 3]
//
// Dense-prediction networks, simdnet's compiled plan vs onnxruntime-web, batch 1, one thread, the
// SAME .onnx file and the same input in the same run (as bench/torchvision.mjs):
//  - torchvision's fcn_resnet50, deeplabv3_mobilenet_v3_large and lraspp_mobilenet_v3_large, and the
//    networks of the small fixtures (TinyUNet, the pixel-shuffle net) at --size, all exported by
//    scripts/make-segmenter-fixtures.py into --dir (run it first);
//  - the committed fixtures themselves (test/fixtures/onnx-ops/unet_tiny.*, pixel_shuffle.*: tiny
//    inputs, so these rows measure per-call overhead), the first sample of their stored input;
//  - any detector fixture in test/fixtures/ (a <name>.json beside <name>.opset<k>.onnx whose name
//    holds 'yolo' or 'detect': scripts/make-yolo-fixture.py's, input from its input.lcg formula;
//    box rows and class-score rows also checked separately); absent ones are simply not listed.
// Each output is checked against PyTorch's (max |Δ| ÷ max |y| against float64 where stored, and, for
// [1, C, H, W] score maps, the share of pixels whose argmax over C agrees) before timing. Timing:
// bench/harness.mjs measure() (tinybench, interleaved rounds of ≥ --time ms per runtime with a
// warm-up, the median of the per-round medians). Prints a Markdown table (CPU, load average, date)
// and writes bench/results/segmenters.json.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fmt, loadRuntimes, machineLine, maxRelError, ortSession, timeInto } from './harness.mjs';
import { argmaxAgreement } from '../test/argmax-agreement.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const root = fileURLToPath(new URL('..', import.meta.url));
const DIR = arg('dir', `${root}test-artifacts/segmenters`).replace(/\/?$/, '/');
const SIZE = arg('size', '224x224');
const OPSET = Number(arg('opset', 13));
const FILTER = arg('filter', null)?.split(',') ?? null;
const TIME = Number(arg('time', 2000));
const ROUNDS = Math.max(1, Number(arg('rounds', 3)));
const TOLERANCE = 1e-3;
const GENERATED = ['fcn_resnet50', 'deeplabv3_mobilenet_v3_large', 'lraspp_mobilenet_v3_large', 'unet_tiny', 'pixel_shuffle'];

const { sd, engine, ort, cpu } = await loadRuntimes(root);
const decode = (s, T) => { const b = Buffer.from(s, 'base64'); return new T(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)); };
const firstLine = (e) => String(e?.message ?? e).split('\n')[0];

/** The models to run: { name, file, fixture (json), note }. */
function models() {
  const list = [];
  const index = existsSync(`${DIR}index.json`) ? JSON.parse(readFileSync(`${DIR}index.json`, 'utf8')) : null;
  if (!index) console.warn(`note: no ${DIR}index.json; run /usr/bin/python3 scripts/make-segmenter-fixtures.py for the segmenters`);
  for (const arch of GENERATED) {
    if (!index?.models[arch]) continue;
    list.push({ name: `${arch} ${SIZE.replace('x', '×')}`, arch, file: `${DIR}${arch}.${SIZE}.opset${OPSET}.onnx`, json: `${DIR}${arch}.${SIZE}.json`, params: index.models[arch].params });
  }
  const fx = `${root}test/fixtures/`;
  for (const f of ['onnx-ops/unet_tiny', 'onnx-ops/pixel_shuffle']) list.push({ name: `${f.split('/')[1]} (fixture)`, arch: f, file: `${fx}${f}.opset${OPSET}.onnx`, json: `${fx}${f}.json` });
  for (const sub of readdirSync(fx, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const f of readdirSync(fx + sub.name).filter((n) => /(yolo|detect).*\.json$/i.test(n))) {
      const stem = f.replace(/\.json$/, '');
      const opsets = readdirSync(fx + sub.name).filter((n) => n.startsWith(`${stem}.opset`) && n.endsWith('.onnx')).map((n) => Number(n.slice(stem.length + 6, -5))).sort((a, b) => a - b);
      if (opsets.length === 0) continue;
      const k = opsets.includes(OPSET) ? OPSET : opsets[opsets.length - 1];
      list.push({ name: `${stem} (detector)`, arch: `${sub.name}/${stem}`, file: `${fx}${sub.name}/${stem}.opset${k}.onnx`, json: `${fx}${sub.name}/${f}`, detector: true });
    }
  }
  return list.filter((m) => !FILTER || FILTER.some((f) => m.arch.includes(f)));
}

const rows = [];
const t0 = performance.now();
for (const m of models()) {
  const row = { model: m.name, params: m.params };
  rows.push(row);
  if (!existsSync(m.file)) { row.refused = `${m.file.replace(root, '')} is missing`; continue; }
  process.stderr.write(`${m.name} …`);
  const fx = JSON.parse(readFileSync(m.json, 'utf8'));
  // batch 1: the first sample of the stored input and outputs
  const inShape = [1, ...fx.input.shape.slice(1)], outShape = [1, ...fx.output.shape.slice(1)];
  const nIn = inShape.reduce((a, b) => a * b, 1), nOut = outShape.reduce((a, b) => a * b, 1);
  // the detector fixtures store their input as a formula (input.lcg, scripts/make-yolo-fixture.py)
  const xData = fx.input.data ? decode(fx.input.data, Float32Array).slice(0, nIn)
    : Float32Array.from({ length: nIn }, (_, i) => ((i * 1103515245 + 12345) % 2147483648 % 256) / 255);
  const want = fx.output64 ? decode(fx.output64.data, Float64Array).slice(0, nOut) : decode(fx.output.data, Float32Array).slice(0, nOut);
  const segmentation = outShape.length === 4 && outShape[1] > 1;
  row.input = inShape;
  const bytes = new Uint8Array(readFileSync(m.file));
  const tasks = [];
  let model, plan, x, session;
  const check = (who, y) => {
    row[`${who}Check`] = maxRelError(y, want);
    if (m.detector) { // [1, 4 + classes, anchors]: box rows 0–3 and score rows compared separately
      const a = outShape[2], split = (v) => [v.slice(0, 4 * a), v.slice(4 * a)];
      const [yb, ys] = split(y), [wb, ws] = split(want);
      row[`${who}Boxes`] = maxRelError(yb, wb);
      row[`${who}Scores`] = maxRelError(ys, ws);
    }
    if (segmentation) row[`${who}Argmax`] = argmaxAgreement(y, want, outShape);
  };
  try {
    model = sd.io.fromONNX(bytes);
    plan = sd.compile(model, { batchSize: 1 });
    x = sd.Tensor.from(xData, inShape);
    check('simdnet', plan.run(x).toFloat32Array());
    tasks.push({ key: 'simdnet', run: () => { plan.run(x); } });
  } catch (e) {
    row.refused = firstLine(e);
  }
  try {
    const o = await ortSession(ort, bytes, xData, inShape);
    session = o.session;
    check('ort', await o.output());
    tasks.push({ key: 'ort', run: o.run });
  } catch (e) {
    row.ortError = firstLine(e);
  }
  await timeInto(row, tasks, { time: TIME, rounds: ROUNDS });
  plan?.dispose(); x?.dispose(); model?.dispose(); await session?.release();
  process.stderr.write(` simdnet ${row.refused ? 'refused' : fmt(row.simdnetMs) + ' ms'}, ORT ${fmt(row.ortMs)} ms${row.ratio ? ` (${row.ratio.toFixed(2)}×)` : ''}\n`);
}
const seconds = (performance.now() - t0) / 1e3;

const notes = [];
const note = (t) => { let i = notes.indexOf(t); if (i < 0) { notes.push(t); i = notes.length - 1; } return `[${i + 1}]`; };
const err = (v) => (v === undefined ? '' : v <= TOLERANCE ? v.toExponential(1) : `${v.toExponential(1)} ⚠`);
const pct = (v) => (v === undefined ? '' : `${(100 * v).toFixed(2)} %`);
const lines = [
  '| model | input | simdnet ms | onnxruntime-web ms | ORT ÷ simdnet | simdnet vs PyTorch | ORT vs PyTorch | argmax agree simdnet / ORT |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
];
for (const r of rows) {
  const inp = r.input ? r.input.slice(1).join('×') : '';
  const sdCell = r.refused ? `refused ${note(r.refused)}` : r.simdnetError ? `error ${note(r.simdnetError)}` : fmt(r.simdnetMs);
  const ortCell = r.ortError ? `error ${note(r.ortError)}` : fmt(r.ortMs);
  const agree = r.simdnetArgmax !== undefined || r.ortArgmax !== undefined ? `${pct(r.simdnetArgmax)} / ${pct(r.ortArgmax)}` : '';
  const parts = r.simdnetBoxes !== undefined ? ` (boxes ${err(r.simdnetBoxes)}, scores ${err(r.simdnetScores)})` : '';
  lines.push(`| ${r.model} | ${inp} | ${sdCell} | ${ortCell} | ${r.ratio ? r.ratio.toFixed(2) + '×' : ''} | ${err(r.simdnetCheck)}${parts} | ${err(r.ortCheck)} | ${agree} |`);
}
const ratios = rows.map((r) => r.ratio).filter(Boolean);
const geomean = ratios.length ? Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length) : undefined;
const { machine, load, date } = machineLine();
const report = [
  `CPU: ${cpu} · ${machine} · load average ${load} · Node ${process.versions.node} · ${date}`,
  `simdnet ${engine?.build ?? ''} build, threads ${engine?.threads ?? 1} (compiled plan, batch 1) · onnxruntime-web ${ort.env.versions.web} (wasm EP, numThreads 1, graphOptimizationLevel 'all') · the same opset-${OPSET} .onnx file and input for both`,
  `Median latency over ${ROUNDS} interleaved round(s) of ≥ ${TIME} ms per runtime. Whole run: ${seconds.toFixed(0)} s.`,
  '',
  ...lines,
  '',
  `Geometric mean of ORT ÷ simdnet over ${ratios.length} model(s): ${geomean ? geomean.toFixed(2) + '×' : '—'} (above 1 = simdnet faster).`,
  `Checks: max |Δ| ÷ max |y| against PyTorch's float64 output (float32 where no float64 is stored; ⚠ above ${TOLERANCE}); argmax: share of pixels with PyTorch's class.`,
  ...notes.map((n, i) => `[${i + 1}] ${n}`),
].join('\n');
console.log(report);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/segmenters.json', import.meta.url), JSON.stringify({
  cpu, machine, load, date, node: process.versions.node, engine, ort: ort.env.versions.web,
  options: { dir: DIR, size: SIZE, opset: OPSET, time: TIME, rounds: ROUNDS, filter: FILTER },
  rows, geomean, seconds, report,
}, null, 2));
