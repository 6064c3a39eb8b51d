// node bench/dilated.mjs [--time 800] [--rounds 3] [--filter aspp] [--no-peers]
//
// Dilated 3×3 convolutions at the sizes segmentation networks run them (FCN's dilated ResNet
// stages at 28×28, DeepLab's ASPP rates 6/12/18), against the undilated 3×3 of the same shape,
// one thread, IN ONE RUN (order rotated per round). simdnet runs a compiled one-layer plan:
// dilated (padding = rate) with 'auto' (Winograd over the rate² phases where the cost model says
// it pays, src/ops/conv2d-dilated.ts) and 'gemm' (im2col with dilation + the packed-panel GEMM),
// and undilated with 'gemm' (the same GEMM core) and 'auto' (Winograd where it wins). Peers: tfjs-backend-wasm (XNNPACK) and onnxruntime-web on the dilated layer. GFLOP/s =
// 2·K·C·9·H·W ÷ time for every column (zero taps of the padding included, as every engine
// computes them). Writes bench/results/dilated.json.
import { writeFileSync } from 'node:fs';
import { fill, relError } from './peers/common.mjs';
import { measure, fmt, machineLine } from './harness.mjs';
import { loadSimdnet, onePlan, resultsFile, timingFlags } from './cli.mjs';

const { TIME, ROUNDS, FILTER, PEERS } = timingFlags(800);
const sd = await loadSimdnet();
const m = machineLine();

/** [name, C, K, H = W, rate] */
const LAYERS = [
  ['FCN-ResNet50 layer3 256→256 @28 rate 2', 256, 256, 28, 2],
  ['FCN-ResNet50 layer4 512→512 @28 rate 4', 512, 512, 28, 4],
  ['ASPP 512→256 @28 rate 6', 512, 256, 28, 6],
  ['ASPP 512→256 @28 rate 12', 512, 256, 28, 12],
  ['ASPP 512→256 @28 rate 18', 512, 256, 28, 18],
  ['ASPP 256→256 @56 rate 6', 256, 256, 56, 6],
  ['ASPP 256→256 @56 rate 12', 256, 256, 56, 12],
  ['DeepLabV3-MobileNetV3 ASPP 960→256 @14 rate 12', 960, 256, 14, 12],
];

function planTask(c, k, hw, rate, algorithm, d) {
  const conv = new sd.nn.Conv2d(c, k, 3, { padding: rate, dilation: rate, algorithm });
  conv.weight.assign(d.w);
  conv.bias.assign(d.b);
  const p = onePlan(sd, conv, [1, c, hw, hw], d.x);
  return { ...p, algorithm: p.plan.info.steps[0].algorithm };
}

let tfw = null, ort = null;
if (PEERS) {
  const { createTfjs } = await import('./peers/tfjs.mjs');
  tfw = (await createTfjs({})).adapters.find((a) => a.name === 'tfjs-wasm');
  const { createOrt } = await import('./peers/ort.mjs');
  ort = (await createOrt({})).adapters[0];
}

const rows = [];
console.log(`${m.machine}; load ${m.load}; ${m.date}; one thread; ${ROUNDS} rounds × ${TIME} ms; GFLOP/s`);
console.log(`| layer | dilated auto (algorithm) | dilated gemm | undilated gemm | undilated auto | dilated gemm ÷ undilated gemm | dilated auto ÷ gemm${PEERS ? ' | tfjs-wasm dilated | ORT dilated | ÷ tfjs | ÷ ORT' : ''} |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|${PEERS ? '---:|---:|---:|---:|' : ''}`);
for (const [name, c, k, hw, rate] of LAYERS) {
  if (FILTER && !name.toLowerCase().includes(FILTER)) continue;
  const d = { x: fill([1, c, hw, hw], 1), w: fill([k, c, 3, 3], 2, Math.sqrt(1 / (9 * c))), b: fill([k], 3) };
  const flops = 2 * k * c * 9 * hw * hw;
  const dil = planTask(c, k, hw, rate, 'auto', d);
  const dilGemm = planTask(c, k, hw, rate, 'gemm', d);
  const gemm = planTask(c, k, hw, 1, 'gemm', d);
  const auto = planTask(c, k, hw, 1, 'auto', d);
  const tasks = [{ key: 'dilated', run: dil.run }, { key: 'dilatedGemm', run: dilGemm.run }, { key: 'gemm', run: gemm.run }, { key: 'auto', run: auto.run }];
  const extra = [dil, dilGemm, gemm, auto];
  let err = relError(dil.output(), dilGemm.output());
  if (PEERS) {
    const wl = { x: [1, c, hw, hw], w: [k, c, 3, 3], out: [hw, hw], opts: { padding: rate, dilation: rate } };
    const t = await tfw.conv2d(wl, d);
    const o = await ort.conv2d(wl, d);
    const y = dil.output();
    err = Math.max(relError(t.output(), y), relError(await o.output(), y));
    tasks.push({ key: 'tfjs', run: t.run, activate: t.activate }, { key: 'ort', run: o.run });
    extra.push(t, o);
  }
  const res = await measure(tasks, { time: TIME, rounds: ROUNDS });
  const g = (key) => flops / (res.get(key).ms * 1e6);
  const r = { name, c, k, hw, rate, flops, algorithm: auto.algorithm, dilatedAlgorithm: dil.algorithm, dilated: g('dilated'), dilatedGemm: g('dilatedGemm'), gemm: g('gemm'), auto: g('auto'), err };
  if (PEERS) { r.tfjs = g('tfjs'); r.ort = g('ort'); }
  rows.push(r);
  const short = (a) => a.replace('winograd ', '').replace(', 3×3)', ')');
  let line = `| ${name} | ${fmt(r.dilated)} (${short(r.dilatedAlgorithm)}) | ${fmt(r.dilatedGemm)} | ${fmt(r.gemm)} | ${fmt(r.auto)} (${short(r.algorithm)}) | ${(r.dilatedGemm / r.gemm).toFixed(2)} | ${(r.dilated / r.dilatedGemm).toFixed(2)}×`;
  if (PEERS) line += ` | ${fmt(r.tfjs)} | ${fmt(r.ort)} | ${(r.dilated / r.tfjs).toFixed(2)}× | ${(r.dilated / r.ort).toFixed(2)}×`;
  console.log(`${line} |${err > 1e-4 ? ` ⚠ ${err.toExponential(1)}` : ''}`);
  for (const e of extra) e.dispose();
}
writeFileSync(resultsFile('dilated.json'), JSON.stringify({ ...m, rows }, null, 2));
