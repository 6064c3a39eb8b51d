// node bench/segm.mjs [--time 1500] [--rounds 3] [--filter argmax,yolo]
//
// Dense-prediction pieces against onnxruntime-web, the SAME .onnx file in both: simdnet imports it
// (sd.io.fromONNX), compiles it at batch 1 and times plan.run(x) on one thread; onnxruntime-web runs
// it with the wasm execution provider, numThreads 1, graphOptimizationLevel 'all' (as
// bench/peers/ort.mjs: session.run copies the input in and the output out on every call, part of
// its API and so of its time — it weighs on the memory-bound single ops, not on the detector).
//   - the YOLO-style detectors of test/fixtures/detector/ (opset 13, made by PyTorch);
//   - single layers written to ONNX by simdnet's io.toONNX on segmentation-sized maps: ArgMax over
//     the 21 channels of a 21×256×256 score map (ArgMax + Cast), PixelUnshuffle(2) as SpaceToDepth and
//     in PyTorch's order (Reshape → Transpose → Reshape), PixelShuffle(2) (DepthToSpace CRD), and a
//     constant Pad of the channels.
// Outputs are cross-checked between the two runtimes before timing. Timing: bench/harness.mjs
// measure() (interleaved rounds, the median of the per-round medians). Prints a Markdown table.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { measure, fmt, machineLine } from './harness.mjs';
import { fill } from './peers/common.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const TIME = Number(arg('time', 1500));
const ROUNDS = Math.max(1, Number(arg('rounds', 3)));
const FILTER = arg('filter', null)?.split(',') ?? null;
const root = fileURLToPath(new URL('..', import.meta.url));
const distPath = `${root}dist/index.js`;
if (!existsSync(distPath)) throw new Error(`${distPath} is missing: run npm run build`);
const sd = await import(pathToFileURL(distPath).href);
const engine = await sd.init();
const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;

/** The detector's input (scripts/make-yolo-fixture.py's LCG image). */
const lcg = (n) => Float32Array.from({ length: n }, (_, i) => ((i * 1103515245 + 12345) % 2147483648 % 256) / 255);

/** A one-layer model written by simdnet, as ONNX bytes. */
function layerOnnx(layer, shape) {
  const m = new sd.Sequential([layer], { inputShape: shape });
  const bytes = sd.io.toONNX(m);
  m.dispose();
  return bytes;
}

const cases = [
  ...['160x160', '128x192'].map((s) => ({
    name: `YOLO-style detector ${s} (opset 13)`, key: 'yolo',
    bytes: () => new Uint8Array(readFileSync(`${root}test/fixtures/detector/yolo_${s}.opset13.onnx`)),
    shape: [1, 3, ...s.split('x').map(Number)], data: (n) => lcg(n),
  })),
  { name: 'ArgMax over C, 21×256×256', key: 'argmax', bytes: () => layerOnnx(new sd.nn.ArgMax(1), [21, 256, 256]), shape: [1, 21, 256, 256] },
  { name: 'PixelUnshuffle(2) as SpaceToDepth, 16×256×256', key: 'unshuffle', bytes: () => layerOnnx(new sd.nn.PixelUnshuffle(2, { mode: 'DCR' }), [16, 256, 256]), shape: [1, 16, 256, 256] },
  { name: 'PixelUnshuffle(2), PyTorch order (Reshape/Transpose/Reshape), 16×256×256', key: 'unshuffle', bytes: () => layerOnnx(new sd.nn.PixelUnshuffle(2), [16, 256, 256]), shape: [1, 16, 256, 256] },
  { name: 'PixelShuffle(2) (DepthToSpace CRD), 64×128×128', key: 'shuffle', bytes: () => layerOnnx(new sd.nn.PixelShuffle(2), [64, 128, 128]), shape: [1, 64, 128, 128] },
  { name: 'Pad of the channels 16 → 20, 128×128', key: 'pad', bytes: () => layerOnnx(new sd.nn.Pad([0, 0, 0, 0, 2, 2]), [16, 128, 128]), shape: [1, 16, 128, 128] },
].filter((c) => !FILTER || FILTER.includes(c.key));

const maxDiff = (a, b) => { let d = 0; for (let i = 0; i < b.length; i++) d = Math.max(d, Math.abs(a[i] - Number(b[i]))); return a.length === b.length ? d : Infinity; };
const rows = [];
for (const c of cases) {
  process.stderr.write(`${c.name} …`);
  const bytes = c.bytes();
  const n = c.shape.reduce((a, b) => a * b, 1);
  const data = c.data ? c.data(n) : fill(c.shape, 17);
  const model = sd.io.fromONNX(bytes);
  const plan = sd.compile(model, { batchSize: 1 });
  const x = sd.Tensor.from(data, c.shape);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, c.shape) };
  const check = maxDiff(plan.run(x).toFloat32Array(), (await session.run(feeds))[session.outputNames[0]].data);
  const res = await measure([{ key: 'simdnet', run: () => { plan.run(x); } }, { key: 'ort', run: () => session.run(feeds) }], { time: TIME, rounds: ROUNDS });
  const row = { name: c.name, simdnet: res.get('simdnet').ms, ort: res.get('ort').ms, check };
  rows.push(row);
  process.stderr.write(` simdnet ${fmt(row.simdnet)} ms, ORT ${fmt(row.ort)} ms\n`);
  plan.dispose(); x.dispose(); model.dispose(); await session.release();
}
const { machine, load, date } = machineLine();
console.log([
  `${machine} · load average ${load} · Node ${process.versions.node} · ${date}`,
  `simdnet ${engine.build} build, 1 thread (compiled plan, batch 1) · onnxruntime-web ${ort.env.versions.web} (wasm EP, numThreads 1) · median of ${ROUNDS} interleaved round(s) of ≥ ${TIME} ms each`,
  '',
  '| model | simdnet ms | onnxruntime-web ms | ORT ÷ simdnet | max \\|simdnet − ORT\\| |',
  '|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.name} | ${fmt(r.simdnet)} | ${fmt(r.ort)} | ${(r.ort / r.simdnet).toFixed(2)}× | ${r.check.toExponential(1)} |`),
].join('\n'));
