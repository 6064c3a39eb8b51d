// node bench/resize.mjs [--before <older dist/index.js>] [--time 600] [--rounds 3] [--filter 28] [--no-peers] [--backward] [--concat]
//
// Resizing (nn.Upsample / ops.interpolate) against memory speed and the peers, one thread, IN ONE
// RUN: per round every column runs back to back, the order rotated. simdnet runs a compiled plan
// of one Upsample layer (what a model's plan does: no allocation per run); --before adds the same
// plan on an older build (a second module instance) for a same-run before/after ratio.
// onnxruntime-web runs the Resize that simdnet's own ONNX export writes for the layer (its
// session.run copies the input in and the output out on every call: that is its API, so it is
// timed); tfjs-backend-wasm runs tf.image.resizeBilinear / resizeNearestNeighbor on NHWC data (the
// same bytes). GB/s = (input + output bytes) ÷ time. The memory-speed baseline is a memcpy of the
// output's size (typed-array set: read + write = 2 × output bytes), measured beside them.
// --backward: interpolateBackward and padBackward (eager ops), simdnet (and --before) only.
// --concat: decoder blocks compiled with concatInPlace true (producers write into the concat's
// output) and false (the concat copies), ms per run at batch 1 and 4.
// Writes bench/results/resize.json.
import { writeFileSync } from 'node:fs';
import { fill, relError, nchwToNhwc, nhwcToNchw } from './peers/common.mjs';
import { measure, fmt, machineLine } from './harness.mjs';
import { arg, argv, loadSimdnet, onePlan, resultsFile, timingFlags } from './cli.mjs';

const { TIME, ROUNDS, FILTER, PEERS } = timingFlags(600);
const sd = await loadSimdnet();
const before = arg('before', null) ? await loadSimdnet(arg('before')) : null;
const m = machineLine();

/** [name, input NCHW, interpolate options] — sizes as torchvision's heads ask for them. */
const FORWARD = [
  ['bilinear 1×64×128×128 → 256×256', [1, 64, 128, 128], { size: [256, 256], mode: 'bilinear' }],
  ['bilinear 1×64×128×128 → 256×256 align_corners', [1, 64, 128, 128], { size: [256, 256], mode: 'bilinear', alignCorners: true }],
  ['bilinear 1×256×32×32 ×2', [1, 256, 32, 32], { scaleFactor: 2, mode: 'bilinear' }],
  ['bilinear 1×21×28×28 → 224×224 (segmentation head)', [1, 21, 28, 28], { size: [224, 224], mode: 'bilinear' }],
  ['bilinear 1×21×28×28 → 224×224 align_corners', [1, 21, 28, 28], { size: [224, 224], mode: 'bilinear', alignCorners: true }],
  ['bilinear 1×64×100×100 → 150×150 (×1.5)', [1, 64, 100, 100], { size: [150, 150], mode: 'bilinear' }],
  ['bilinear 1×64×128×128 → 96×96 (×0.75)', [1, 64, 128, 128], { size: [96, 96], mode: 'bilinear' }],
  ['bilinear 1×32×75×75 → 131×97 (odd)', [1, 32, 75, 75], { size: [131, 97], mode: 'bilinear' }],
  ['nearest 1×256×32×32 ×2', [1, 256, 32, 32], { scaleFactor: 2 }],
  ['nearest 1×64×128×128 ×2', [1, 64, 128, 128], { scaleFactor: 2 }],
  ['nearest 1×64×64×64 ×3', [1, 64, 64, 64], { scaleFactor: 3 }],
  ['nearest 1×21×28×28 ×8', [1, 21, 28, 28], { scaleFactor: 8 }],
  ['nearest 1×64×100×100 → 150×150 (×1.5)', [1, 64, 100, 100], { size: [150, 150] }],
];

const size = (s) => s.reduce((a, b) => a * b, 1);

/** A compiled one-layer plan of build b (cli.mjs onePlan) with its output shape. */
function planTask(b, shape, opts) {
  const p = onePlan(b, new b.nn.Upsample(opts), shape, fill(shape, 1));
  return { ...p, outShape: p.plan.outputShape };
}

let tf = null, ort = null;
if (PEERS) {
  const { createTfjs } = await import('./peers/tfjs.mjs');
  tf = (await createTfjs({})).tf;
  ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
}

async function ortTask(model, shape) {
  const bytes = sd.io.toONNX(model);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', fill(shape, 1), shape) };
  const out = session.outputNames[0];
  return {
    run: () => session.run(feeds),
    output: async () => (await session.run(feeds))[out].data,
    dispose: () => session.release(),
  };
}

function tfjsTask(shape, opts, outShape) {
  const [n, c, h, w] = shape;
  const x = tf.tensor4d(nchwToNhwc(fill(shape, 1), shape), [n, h, w, c]);
  const hw = [outShape[2], outShape[3]];
  const align = !!opts.alignCorners;
  const op = opts.mode === 'bilinear'
    ? () => tf.image.resizeBilinear(x, hw, align, !align)
    : () => tf.image.resizeNearestNeighbor(x, hw, false, false);
  return {
    activate: () => tf.setBackend('wasm'),
    run() { op().dispose(); },
    output() { const y = op(); const d = y.dataSync(); y.dispose(); return nhwcToNchw(d, outShape); },
    dispose: () => x.dispose(),
  };
}

function copyTask(floats) {
  const src = fill([floats], 9), dst = new Float32Array(floats);
  return { run: () => dst.set(src) };
}

const gb = (bytes, r) => bytes / (r.ms * 1e6);
const rows = [];
console.log(`${m.machine}; load ${m.load}; ${m.date}; one thread; ${ROUNDS} rounds × ${TIME} ms`);
console.log(`| resize | simdnet GB/s${before ? ' | before GB/s | after ÷ before' : ''} | memcpy GB/s | simdnet ÷ memcpy${PEERS ? ' | ORT GB/s | tfjs-wasm GB/s | ÷ ORT | ÷ tfjs' : ''} |`);
console.log(`|---|---:|${before ? '---:|---:|' : ''}---:|---:|${PEERS ? '---:|---:|---:|---:|' : ''}`);
for (const [name, shape, opts] of FORWARD) {
  if (FILTER && !name.toLowerCase().includes(FILTER)) continue;
  const main = planTask(sd, shape, opts);
  const y0 = main.output();
  const outShape = main.outShape;
  const bytes = 4 * (size(shape) + size(outShape));
  const tasks = [{ key: 'simdnet', run: main.run }, { key: 'memcpy', ...copyTask(size(outShape)) }];
  const extra = [];
  let err = 0;
  if (before) {
    const b = planTask(before, shape, opts);
    err = Math.max(err, relError(b.output(), y0));
    tasks.push({ key: 'before', run: b.run });
    extra.push(b);
  }
  if (PEERS) {
    const o = await ortTask(main.model, shape);
    const t = tfjsTask(shape, opts, outShape);
    err = Math.max(err, relError(await o.output(), y0), relError(t.output(), y0));
    tasks.push({ key: 'ort', run: o.run }, { key: 'tfjs', run: t.run, activate: t.activate });
    extra.push(o, t);
  }
  const res = await measure(tasks, { time: TIME, rounds: ROUNDS });
  const r = { name, shape, outShape, bytes, err };
  r.simdnet = gb(bytes, res.get('simdnet'));
  r.memcpy = gb(8 * size(outShape), res.get('memcpy'));
  if (before) r.before = gb(bytes, res.get('before'));
  if (PEERS) { r.ort = gb(bytes, res.get('ort')); r.tfjs = gb(bytes, res.get('tfjs')); }
  rows.push(r);
  let line = `| ${name} | ${fmt(r.simdnet)}`;
  if (before) line += ` | ${fmt(r.before)} | ${(r.simdnet / r.before).toFixed(2)}×`;
  line += ` | ${fmt(r.memcpy)} | ${(r.simdnet / r.memcpy).toFixed(2)}`;
  if (PEERS) line += ` | ${fmt(r.ort)} | ${fmt(r.tfjs)} | ${(r.simdnet / r.ort).toFixed(2)}× | ${(r.simdnet / r.tfjs).toFixed(2)}×`;
  console.log(`${line} |${err > 1e-5 ? ` ⚠ max rel diff ${err.toExponential(1)}` : ''}`);
  main.dispose();
  for (const e of extra) e.dispose();
}

if (argv.includes('--backward')) {
  /** [name, x shape, setup(build, dy) → the timed closure, dy shape] */
  const BACKWARD = [
    ['interpolateBackward bilinear 1×64×128×128 ← 256×256', [1, 64, 128, 128], [1, 64, 256, 256], (b, dy) => () => b.ops.interpolateBackward(dy, [1, 64, 128, 128], { size: [256, 256], mode: 'bilinear' }).dispose()],
    ['interpolateBackward bilinear 1×21×28×28 ← 224×224', [1, 21, 28, 28], [1, 21, 224, 224], (b, dy) => () => b.ops.interpolateBackward(dy, [1, 21, 28, 28], { size: [224, 224], mode: 'bilinear' }).dispose()],
    ['interpolateBackward bilinear 1×64×100×100 ← 150×150', [1, 64, 100, 100], [1, 64, 150, 150], (b, dy) => () => b.ops.interpolateBackward(dy, [1, 64, 100, 100], { size: [150, 150], mode: 'bilinear', alignCorners: true }).dispose()],
    ['interpolateBackward nearest 1×64×128×128 ← ×2', [1, 64, 128, 128], [1, 64, 256, 256], (b, dy) => () => b.ops.interpolateBackward(dy, [1, 64, 128, 128], { scaleFactor: 2 }).dispose()],
    ['interpolateBackward nearest 1×21×28×28 ← ×8', [1, 21, 28, 28], [1, 21, 224, 224], (b, dy) => () => b.ops.interpolateBackward(dy, [1, 21, 28, 28], { scaleFactor: 8 }).dispose()],
    ['interpolateBackward nearest 1×64×100×100 ← 150×150', [1, 64, 100, 100], [1, 64, 150, 150], (b, dy) => () => b.ops.interpolateBackward(dy, [1, 64, 100, 100], { size: [150, 150] }).dispose()],
    ['padBackward reflect 3 on 1×64×128×128', [1, 64, 128, 128], [1, 64, 134, 134], (b, dy) => () => b.ops.padBackward(dy, [1, 64, 128, 128], [3, 3, 3, 3], { mode: 'reflect' }).dispose()],
    ['padBackward replicate 1 on 1×256×32×32', [1, 256, 32, 32], [1, 256, 34, 34], (b, dy) => () => b.ops.padBackward(dy, [1, 256, 32, 32], [1, 1, 1, 1], { mode: 'replicate' }).dispose()],
    ['padBackward constant 1 on 1×64×128×128', [1, 64, 128, 128], [1, 64, 130, 130], (b, dy) => () => b.ops.padBackward(dy, [1, 64, 128, 128], [1, 1, 1, 1]).dispose()],
  ];
  console.log(`\n| backward | simdnet GB/s${before ? ' | before GB/s | after ÷ before' : ''} | memcpy GB/s |`);
  console.log(`|---|---:|${before ? '---:|---:|' : ''}---:|`);
  for (const [name, xs, dys, setup] of BACKWARD) {
    if (FILTER && !name.toLowerCase().includes(FILTER)) continue;
    const bytes = 4 * (size(xs) + size(dys));
    const dyA = sd.Tensor.from(fill(dys, 3), dys);
    const tasks = [{ key: 'simdnet', run: setup(sd, dyA) }, { key: 'memcpy', ...copyTask(size(dys)) }];
    const owned = [dyA];
    if (before) {
      const dyB = before.Tensor.from(fill(dys, 3), dys);
      tasks.push({ key: 'before', run: setup(before, dyB) });
      owned.push(dyB);
    }
    const res = await measure(tasks, { time: TIME, rounds: ROUNDS });
    const r = { name, backward: true, bytes, simdnet: gb(bytes, res.get('simdnet')), memcpy: gb(8 * size(dys), res.get('memcpy')) };
    if (before) r.before = gb(bytes, res.get('before'));
    rows.push(r);
    console.log(`| ${name} | ${fmt(r.simdnet)}${before ? ` | ${fmt(r.before)} | ${(r.simdnet / r.before).toFixed(2)}×` : ''} | ${fmt(r.memcpy)} |`);
    for (const t of owned) t.dispose();
  }
}
if (argv.includes('--concat')) {
  const { GraphBuilder, nn, compile, Tensor } = sd;
  /** A U-Net decoder level: skip conv, pooled branch, its 2× upsampling (nearest or bilinear), concat, conv. */
  const unet = (mode, c, hw) => () => {
    const b = new GraphBuilder({ x: [c, hw, hw] });
    const skip = b.add('skip', new nn.Conv2d(c, c, 3, { padding: 1 }), 'x');
    const low = b.add('low', new nn.Conv2d(c, 2 * c, 3, { padding: 1 }), b.add('pool', new nn.MaxPool2d(2), skip));
    const up = b.add('up', new nn.Upsample({ scaleFactor: 2, mode }), low);
    return b.build(b.add('dec', new nn.Conv2d(3 * c, c, 3, { padding: 1 }), b.add('cat', new nn.Concat(1), [skip, up])), 2);
  };
  /** An FPN/YOLO neck join: four 1×1 branches of one input, upsampled 2×, concatenated, fused by a 1×1 conv. */
  const neck = (c, hw) => () => {
    const b = new GraphBuilder({ x: [c, hw, hw] });
    const ups = [0, 1, 2, 3].map((i) => b.add(`u${i}`, new nn.Upsample({ scaleFactor: 2 }), b.add(`b${i}`, new nn.Conv2d(c, c / 2, 1), 'x')));
    return b.build(b.add('fuse', new nn.Conv2d(2 * c, c, 1), b.add('cat', new nn.Concat(1), ups)), 4);
  };
  const MODELS = [
    ['U-Net level 64@128, nearest 2×', unet('nearest', 64, 128), [64, 128, 128]],
    ['U-Net level 64@128, bilinear 2×', unet('bilinear', 64, 128), [64, 128, 128]],
    ['U-Net level 256@32, nearest 2×', unet('nearest', 256, 32), [256, 32, 32]],
    ['neck: 4 × (1×1 conv, nearest 2×) → concat → 1×1 conv, 128@40', neck(128, 40), [128, 40, 40]],
  ];
  console.log('\n| plan (one thread) | batch | concat in place ms | concat copied ms | copied ÷ in place | arena MB in place | arena MB copied |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, make, shape] of MODELS) {
    if (FILTER && !name.toLowerCase().includes(FILTER)) continue;
    for (const batch of [1, 4]) {
      const model = make();
      const x = Tensor.from(fill([batch, ...shape], 1), [batch, ...shape]);
      const a = compile(model, { batchSize: batch }), b = compile(model, { batchSize: batch, concatInPlace: false });
      const err = relError(a.run(x).toFloat32Array(), b.run(x).toFloat32Array());
      const res = await measure([{ key: 'in', run: () => a.run(x) }, { key: 'copy', run: () => b.run(x) }], { time: TIME, rounds: ROUNDS });
      const r = { name, batch, concat: true, inPlace: res.get('in').ms, copied: res.get('copy').ms, slices: a.info.slices.length, arenaInPlace: a.info.arenaBytes, arenaCopied: b.info.arenaBytes };
      rows.push(r);
      const mb = (v) => (v / 2 ** 20).toFixed(1);
      console.log(`| ${name} | ${batch} | ${fmt(r.inPlace)} | ${fmt(r.copied)} | ${(r.copied / r.inPlace).toFixed(2)}× | ${mb(r.arenaInPlace)} | ${mb(r.arenaCopied)} |${err !== 0 ? ' ⚠ differ' : ''}`);
      a.dispose(); b.dispose(); x.dispose(); model.dispose();
    }
  }
}
writeFileSync(resultsFile('resize.json'), JSON.stringify({ ...m, rows }, null, 2));
