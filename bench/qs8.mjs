// int8 against f32 at batch 1 on one thread: whole models compiled (quantize() of the LeNet-5 that
// `npm start` saves, ResNet-18 and a MobileNetV2 in torchvision's layout, each against its own f32
// plan), then, with --layers, single convolutions on the models' layer shapes through the layers'
// lowerings (the prepared calls a plan runs), and, with --steps, where each plan's time goes by
// kind of step; --peak prints the int8 dot instructions' own throughput (bench/qs8-peak.mjs).
//
//   node bench/qs8.mjs [--ort] [--peak] [--layers] [--steps [--all]] [--models lenet,resnet18,mobilenetv2(,mobilenetv3s,mobilenetv3l,efficientnetb0,shufflenet,squeezenet)]   plain SIMD build
//   node_modules/.bin/deno run -A bench/qs8.mjs [same flags]                        relaxed build
//   (Deno and Chromium run relaxed SIMD without a flag; Node 20 only behind
//   --experimental-wasm-relaxed-simd, where its relaxed dot fails the start-up check; `simd` or
//   `relaxed` as the first argument picks the build explicitly.)
//
// --ort (Node): onnxruntime-web (wasm execution provider, numThreads 1, graphOptimizationLevel 'all'
// as bench/peers/ort.mjs) runs the same quantized model, exported as QDQ by io.toONNX, on the same
// input (its session.run copies the input in and the output out: part of its API, so timed).
//
// Times are CPU time of this process (process.cpuUsage, user + system) per run, the best of 5
// batches of repetitions, f32 and int8 batches alternating: on a machine shared with other jobs CPU
// time counts only the slices this process got, which wall-clock time does not.
import process from 'node:process';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { dotPeaks } from './qs8-peak.mjs';
import { mobilenetV2 } from './qs8-models.mjs';

const deno = typeof globalThis.Deno !== 'undefined';
const argv = process.argv.slice(2);
const flag = (k) => argv.includes(`--${k}`);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const build = argv[0] === 'relaxed' || argv[0] === 'simd' ? argv[0] : deno ? 'relaxed' : 'simd';
const sd = await import(new URL(deno ? '../dist/deno.js' : '../dist/node.js', import.meta.url).href);
const { init, engineInfo, Tensor, Graph, nn, models, io, compile, quantize } = sd;
const file = build === 'relaxed' ? 'simdnet-relaxed.wasm' : 'simdnet.wasm';
await init({ wasm: { [build]: readFileSync(new URL(`../dist/${file}`, import.meta.url)) }, relaxedSimd: build === 'relaxed' });
const info = engineInfo();
if (info.build !== build) throw new Error(`asked for the ${build} build, ${info.build} runs`);

const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
/** Repetitions of f that take at least ms of CPU time. */
function repsFor(f, ms) {
  f();
  let reps = 1;
  for (;;) {
    const t = cpu();
    for (let i = 0; i < reps; i++) f();
    if (cpu() - t >= ms || reps >= 1 << 20) return reps;
    reps *= 2;
  }
}
/** Best-of-5 CPU ms per call of each function, the functions' batches interleaved. */
function timeAll(fs, ms = 25) {
  const reps = fs.map((f) => repsFor(f, ms));
  const best = fs.map(() => Infinity);
  for (let round = 0; round < 5; round++) {
    fs.forEach((f, k) => {
      const t = cpu();
      for (let i = 0; i < reps[k]; i++) f();
      best[k] = Math.min(best[k], (cpu() - t) / reps[k]);
    });
  }
  return best;
}

/** Best-of-5 CPU ms per call of an async function (onnxruntime-web's session.run). */
async function timeAsync(f, ms = 25) {
  await f();
  let reps = 1;
  for (;;) {
    const t = cpu();
    for (let i = 0; i < reps; i++) await f();
    if (cpu() - t >= ms || reps >= 1 << 16) break;
    reps *= 2;
  }
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t = cpu();
    for (let i = 0; i < reps; i++) await f();
    best = Math.min(best, (cpu() - t) / reps);
  }
  return best;
}

let ort = null;
if (flag('ort')) {
  ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
}

const rnd = (n, s) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);
const ms = (v) => (v >= 1 ? v.toFixed(2) : v >= 0.1 ? v.toFixed(3) : v.toFixed(4));
const load = os.loadavg ? os.loadavg()[0].toFixed(1) : '?';
console.log(`${os.cpus()[0]?.model ?? '?'}, ${deno ? `Deno ${Deno.version.deno}` : `Node ${process.version}`}, build ${info.build}, ` +
  `int8: ${info.int8}, 1 thread, batch 1, load average ${load}`);

const MODELS = {
  lenet: ['LeNet-5 (mnist)', () => io.load(new Uint8Array(readFileSync(new URL('../models/lenet5-mnist.simdnet', import.meta.url)))), [1, 32, 32]],
  resnet18: ['ResNet-18', () => models.resnet18(), [3, 224, 224]],
  mobilenetv2: ['MobileNetV2', () => mobilenetV2(sd), [3, 224, 224]],
  // the deployed-models zoo (not in the default list): how far int8 carries beyond plain convolutions
  mobilenetv3s: ['MobileNetV3-Small', () => models.mobilenetV3Small(), [3, 224, 224]],
  mobilenetv3l: ['MobileNetV3-Large', () => models.mobilenetV3Large(), [3, 224, 224]],
  efficientnetb0: ['EfficientNet-B0', () => models.efficientnetB0(), [3, 224, 224]],
  shufflenet: ['ShuffleNetV2 1.0', () => models.shufflenetV2(), [3, 224, 224]],
  squeezenet: ['SqueezeNet 1.1', () => models.squeezenet1_1(), [3, 224, 224]],
};
const DEFAULT_MODELS = 'lenet,resnet18,mobilenetv2';

/** A step's kind: the layer type, and for convolutions the window, stride and depthwise-ness. */
function kind(layer) {
  const t = layer.constructor.name;
  if (!layer.kernelSize || !layer.inChannels) return t;
  const dw = layer.groups > 1 && layer.groups === layer.inChannels ? ' depthwise' : '';
  return `${t}${dw} ${layer.kernelSize.join('×')}/${layer.stride[0]}`;
}

/** CPU ms per kind of step: each step's prepared run timed alone (reads CompiledModel's private fields: bench only). */
function stepTimes(model, plan, x) {
  plan.run(x);
  const layers = new Map(model.nodes.map((n) => [n.name, n.layer]));
  const { steps, addr, scratch } = plan;
  const runs = steps.map((s) => {
    const ins = s.inputs.map((v) => addr[v]);
    return () => s.prepared.run(ins, addr[s.output], scratch);
  });
  const t = timeAll(runs, 5);
  const by = new Map();
  steps.forEach((s, i) => {
    const k = flag('all') ? `${[s.name, ...s.info.fused].join('+')} (${kind(layers.get(s.name))} → ${s.prepared.outShape.slice(1).join('×')})` : kind(layers.get(s.name));
    const g = by.get(k) ?? { n: 0, ms: 0 };
    g.n++;
    g.ms += t[i];
    by.set(k, g);
  });
  return flag('all') ? [...by] : [...by].sort((a, b) => b[1].ms - a[1].ms);
}

const picked = arg('models', DEFAULT_MODELS).split(',');
console.log('\nWhole models, compiled plans (int8: quantize() with 4 calibration images; CPU ms per run)\n' +
  `| model | f32 ms | int8 ms | speed-up | int8 unfused ms | f32 arena | int8 arena |${ort ? ' ORT int8 (QDQ) ms | ORT ÷ int8 | max |Δ| vs ORT |' : ''}\n` +
  `| --- | --- | --- | --- | --- | --- | --- |${ort ? ' --- | --- | --- |' : ''}`);
const profiles = [];
for (const key of picked) {
  if (!MODELS[key]) throw new Error(`--models: no model '${key}' (${Object.keys(MODELS).join(', ')})`);
  const [name, make, shape] = MODELS[key];
  const f32 = make();
  const n = shape.reduce((a, b) => a * b, 1);
  const cal = Tensor.from(rnd(4 * n, 7), [4, ...shape]);
  const q = quantize(f32, cal, { batchSize: 2 });
  const x = Tensor.from(rnd(n, 8), [1, ...shape]);
  // int8 unfused: the plan without compile's int8 fusions (fuse: false; quantize() has already
  // folded batch norm and the clamps into the int8 layers)
  const pf = compile(f32), pq = compile(q), pu = compile(q, { fuse: false });
  const [tf, tq, tu] = timeAll([() => pf.run(x), () => pq.run(x), () => pu.run(x)]);
  const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
  let peer = '';
  if (ort) {
    const session = await ort.InferenceSession.create(io.toONNX(q), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.toFloat32Array(), [1, ...shape]) };
    const to = await timeAsync(() => session.run(feeds));
    const theirs = (await session.run(feeds))[session.outputNames[0]].data, ours = pq.run(x).toFloat32Array();
    const diff = ours.reduce((m, v, i) => Math.max(m, Math.abs(v - theirs[i])), 0);
    peer = ` ${ms(to)} | ${(to / tq).toFixed(2)}× | ${diff.toPrecision(2)} |`;
    await session.release();
  }
  console.log(`| ${name} | ${ms(tf)} | ${ms(tq)} | ${(tf / tq).toFixed(2)}× | ${ms(tu)} | ${kib(pf.info.arenaBytes)} | ${kib(pq.info.arenaBytes)} |${peer}`);
  if (flag('steps')) profiles.push([name, stepTimes(f32, pf, x), stepTimes(q, pq, x), stepTimes(q, pu, x)]);
  pf.dispose(); pq.dispose(); pu.dispose(); q.dispose(); f32.dispose(); cal.dispose(); x.dispose();
}
for (const [name, f, q, u] of profiles) {
  console.log(`\n${name}: CPU ms per kind of step (each step timed alone)`);
  for (const [tag, rows] of [['f32', f], ['int8', q], ['int8 unfused', u]]) {
    console.log(`  ${tag}: ${rows.map(([k, g]) => `${k}${g.n > 1 ? ` ×${g.n}` : ''} ${ms(g.ms)}`).join(' · ')}`);
  }
}

// ── single layers ───────────────────────────────────────────────────────────────────────────
// [name, C, O, H(=W), k, stride, pad, groups, count in the model]
const LAYERS = {
  'ResNet-18': [
    ['conv1 7×7/2', 3, 64, 224, 7, 2, 3, 1, 1], ['l1 3×3', 64, 64, 56, 3, 1, 1, 1, 4],
    ['l2 3×3/2', 64, 128, 56, 3, 2, 1, 1, 1], ['l2 3×3', 128, 128, 28, 3, 1, 1, 1, 3], ['l2 down 1×1/2', 64, 128, 56, 1, 2, 0, 1, 1],
    ['l3 3×3/2', 128, 256, 28, 3, 2, 1, 1, 1], ['l3 3×3', 256, 256, 14, 3, 1, 1, 1, 3], ['l3 down 1×1/2', 128, 256, 28, 1, 2, 0, 1, 1],
    ['l4 3×3/2', 256, 512, 14, 3, 2, 1, 1, 1], ['l4 3×3', 512, 512, 7, 3, 1, 1, 1, 3], ['l4 down 1×1/2', 256, 512, 14, 1, 2, 0, 1, 1],
  ],
  'MobileNetV2 (some)': [
    ['dw 3×3 32@112', 32, 32, 112, 3, 1, 1, 32, 1], ['pw 32→16 @112', 32, 16, 112, 1, 1, 0, 1, 1],
    ['dw 3×3/2 96@112', 96, 96, 112, 3, 2, 1, 96, 1], ['dw 3×3 144@56', 144, 144, 56, 3, 1, 1, 144, 1], ['pw 144→24 @56', 144, 24, 56, 1, 1, 0, 1, 1],
    ['dw 3×3 576@14', 576, 576, 14, 3, 1, 1, 576, 1], ['pw 576→96 @14', 576, 96, 14, 1, 1, 0, 1, 1], ['dw 3×3 960@7', 960, 960, 7, 3, 1, 1, 960, 1],
  ],
  'LeNet-5': [['c1 5×5', 1, 6, 32, 5, 1, 0, 1, 1], ['c3 5×5', 6, 16, 14, 5, 1, 0, 1, 1], ['c5 5×5', 16, 120, 5, 5, 1, 0, 1, 1]],
};

if (flag('peak')) {
  // the dot instructions' own throughput in a register-tiled loop (bench/qs8-peak.mjs), beside the layers' GMAC/s
  console.log('\nint8 dot peak (GMAC/s, CPU time; the GEMM inner loop alone on L1-resident operands)');
  for (const p of dotPeaks(cpu, build === 'relaxed')) console.log(`  ${p.name}: ${p.gmacs.toFixed(1)}`);
}

if (flag('layers')) {
  for (const [model, layers] of Object.entries(LAYERS)) {
    let f32 = 0, i8 = 0;
    console.log(`\n${model}: single convolutions (ReLU fused)\n| layer | f32 ms | int8 ms | speed-up | int8 GMAC/s |\n| --- | --- | --- | --- | --- |`);
    for (const [name, C, O, H, k, s, pad, groups, count] of layers) {
      const cg = C / groups;
      const xs = [1, C, H, H];
      const opt = { stride: s, padding: pad, groups };
      const conv = new nn.Conv2d(C, O, k, opt);
      conv.weight.assign(rnd(O * cg * k * k, 1));
      conv.bias.assign(rnd(O, 2));
      const x = Tensor.from(rnd(C * H * H, 3), xs);
      const pf = conv.lower([xs], { clamp: { min: 0, max: Infinity } });
      const y = Tensor.empty(pf.outShape);
      const sf = pf.scratchBytes ? Tensor.empty([Math.ceil(pf.scratchBytes / 4)]) : null;
      const qconv = new nn.QConv2d(C, O, k, { ...opt, x: { scale: 0.02, zeroPoint: -3 }, y: { scale: 0.05, zeroPoint: -128 }, clamp: { min: 0 } });
      qconv.weight.assign(Int8Array.from(rnd(O * cg * k * k, 4), (v) => Math.round(v * 200)));
      qconv.weightScale.assign(new Float32Array(O).fill(0.01));
      qconv.bias.assign(rnd(O, 5));
      const pq = qconv.lower([xs]);
      const xq = Tensor.from(Int8Array.from(rnd(C * H * H, 6), (v) => Math.round(v * 250)), xs);
      const yq = Tensor.empty(pq.outShape, 'int8');
      const sq = pq.scratchBytes ? Tensor.empty([Math.ceil(pq.scratchBytes / 4)]) : null;
      const [tf, tq] = timeAll([() => pf.run([x.ptr], y.ptr, sf ? sf.ptr : 0), () => pq.run([xq.ptr], yq.ptr, sq ? sq.ptr : 0)], 10);
      f32 += count * tf; i8 += count * tq;
      const macs = O * cg * k * k * pq.outShape[2] * pq.outShape[3];
      console.log(`| ${name}${count > 1 ? ` (×${count})` : ''} | ${ms(tf)} | ${ms(tq)} | ${(tf / tq).toFixed(2)}× | ${(macs / tq / 1e6).toFixed(1)} |`);
      for (const t of [x, y, sf, xq, yq, sq]) t?.dispose();
      pf.dispose(); pq.dispose(); conv.dispose(); qconv.dispose();
    }
    console.log(`| **these convolutions** | ${ms(f32)} | ${ms(i8)} | ${(f32 / i8).toFixed(2)}× |`);
  }
}
