// int8 vs f32 convolution on the layer shapes of ResNet-18, MobileNetV2 (depthwise) and LeNet-5
// at batch 1, one thread, through the layers' lowerings (what a compiled plan runs): simdnet's own
// f32 plan kernels against the QS8 kernels. `node bench/qs8.mjs` (plain SIMD build);
// `node --experimental-wasm-relaxed-simd bench/qs8.mjs relaxed` for the relaxed build.
// Then whole models: quantize() of LeNet-5 (the committed mnist model), ResNet-18 (models.resnet18)
// and MobileNetV2 (built below, torchvision's layout) compiled at batch 1, against their f32 plans.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { init, engineInfo, Tensor, Graph, nn, models, io, compile, quantize } from '../dist/node.js';

const build = process.argv[2] === 'relaxed' ? 'relaxed' : 'simd';
const file = build === 'relaxed' ? 'simdnet-relaxed.wasm' : 'simdnet.wasm';
await init({ wasm: { [build]: readFileSync(new URL(`../dist/${file}`, import.meta.url)) }, relaxedSimd: build === 'relaxed' });

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
  ],
  'LeNet-5': [['c1 5×5', 1, 6, 28, 5, 1, 2, 1, 1], ['c3 5×5', 6, 16, 14, 5, 1, 0, 1, 1]],
};

function time(run) {
  for (let i = 0; i < 3; i++) run();
  const t = [];
  const until = performance.now() + 300;
  while (t.length < 5 || (performance.now() < until && t.length < 200)) {
    const s = performance.now();
    run();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

const rnd = (n, s) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);
console.log(`${os.cpus()[0].model}, Node ${process.version}, build ${engineInfo().build}, int8 GEMM: ${engineInfo().int8}, 1 thread, batch 1`);
for (const [model, layers] of Object.entries(LAYERS)) {
  let f32 = 0, i8 = 0;
  console.log(`\n${model}\n| layer | f32 ms | int8 ms | speed-up |\n| --- | --- | --- | --- |`);
  for (const [name, C, O, H, k, s, pad, groups, count] of layers) {
    const cg = C / groups;
    const xs = [1, C, H, H];
    const opt = { stride: s, padding: pad, groups };
    // the layers' own lowerings: the prepared kernel calls a compiled plan runs
    const conv = new nn.Conv2d(C, O, k, opt);
    conv.weight.assign(rnd(O * cg * k * k, 1));
    conv.bias.assign(rnd(O, 2));
    const x = Tensor.from(rnd(C * H * H, 3), xs);
    const pf = conv.lower([xs], { clamp: { min: 0, max: Infinity } });
    const y = Tensor.empty(pf.outShape);
    const sf = pf.scratchBytes ? Tensor.empty([Math.ceil(pf.scratchBytes / 4)]) : null;
    const tf = time(() => pf.run([x.ptr], y.ptr, sf ? sf.ptr : 0));
    const qconv = new nn.QConv2d(C, O, k, { ...opt, x: { scale: 0.02, zeroPoint: -3 }, y: { scale: 0.05, zeroPoint: -128 }, clamp: { min: 0 } });
    qconv.weight.assign(Int8Array.from(rnd(O * cg * k * k, 4), (v) => Math.round(v * 200)));
    qconv.weightScale.assign(new Float32Array(O).fill(0.01));
    qconv.bias.assign(rnd(O, 5));
    const pq = qconv.lower([xs]);
    const xq = Tensor.from(Int8Array.from(rnd(C * H * H, 6), (v) => Math.round(v * 250)), xs);
    const yq = Tensor.empty(pq.outShape, 'int8');
    const sq = pq.scratchBytes ? Tensor.empty([Math.ceil(pq.scratchBytes / 4)]) : null;
    const tq = time(() => pq.run([xq.ptr], yq.ptr, sq ? sq.ptr : 0));
    f32 += count * tf; i8 += count * tq;
    console.log(`| ${name}${count > 1 ? ` (×${count})` : ''} | ${tf.toFixed(3)} | ${tq.toFixed(3)} | ${(tf / tq).toFixed(2)}× |`);
    for (const t of [x, y, sf, xq, yq, sq]) t?.dispose();
    pf.dispose(); pq.dispose(); conv.dispose(); qconv.dispose();
  }
  console.log(`| **all convolutions** | ${f32.toFixed(2)} | ${i8.toFixed(2)} | ${(f32 / i8).toFixed(2)}× |`);
}

// ── whole models ────────────────────────────────────────────────────────────────────────────
/** MobileNetV2 as torchvision builds it (inverted residuals, ReLU6, 1000 classes) at 224×224. */
function mobilenetV2() {
  const nodes = [];
  let prev = 'x', c = 32, id = 0;
  const cbr = (cin, cout, k, s, groups, act) => {
    const n = `n${id++}`;
    nodes.push({ name: n, layer: new nn.Conv2d(cin, cout, k, { stride: s, padding: (k - 1) / 2, groups, bias: false }), inputs: prev });
    nodes.push({ name: `${n}_bn`, layer: new nn.BatchNorm2d(cout), inputs: n });
    prev = `${n}_bn`;
    if (act) nodes.push({ name: `${n}_act`, layer: new nn.ReLU6(), inputs: prev }), (prev = `${n}_act`);
  };
  cbr(3, 32, 3, 2, 1, true);
  for (const [t, co, n, s] of [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]) {
    for (let i = 0; i < n; i++) {
      const input = prev, st = i === 0 ? s : 1, h = c * t;
      if (t !== 1) cbr(c, h, 1, 1, 1, true);
      cbr(h, h, 3, st, h, true);
      cbr(h, co, 1, 1, 1, false);
      if (st === 1 && c === co) nodes.push({ name: `add${id}`, layer: new nn.Add(), inputs: [input, prev] }), (prev = `add${id}`);
      c = co;
    }
  }
  cbr(c, 1280, 1, 1, 1, true);
  nodes.push({ name: 'gap', layer: new nn.GlobalAvgPool2d(), inputs: prev });
  nodes.push({ name: 'flat', layer: new nn.Flatten(), inputs: 'gap' });
  nodes.push({ name: 'fc', layer: new nn.Linear(1280, 1000), inputs: 'flat' });
  return new Graph({ inputs: { x: [3, 224, 224] }, nodes, outputs: 'fc', seed: 1 });
}

const WHOLE = [
  ['LeNet-5 (mnist)', () => io.load(new Uint8Array(readFileSync(new URL('../models/lenet5-mnist.simdnet', import.meta.url)))), [1, 32, 32]],
  ['ResNet-18', () => models.resnet18(), [3, 224, 224]],
  ['MobileNetV2', () => mobilenetV2(), [3, 224, 224]],
];
console.log('\nWhole models, compiled plans at batch 1 (int8: quantize() with 4 random calibration images)\n| model | f32 ms | int8 ms | speed-up | f32 arena | int8 arena |\n| --- | --- | --- | --- | --- | --- |');
for (const [name, make, shape] of WHOLE) {
  const f32 = make();
  const n = shape.reduce((a, b) => a * b, 1);
  const cal = Tensor.from(rnd(4 * n, 7), [4, ...shape]);
  const q = quantize(f32, cal, { batchSize: 2 });
  const x = Tensor.from(rnd(n, 8), [1, ...shape]);
  const pf = compile(f32), pq = compile(q);
  const tf = time(() => pf.run(x)), tq = time(() => pq.run(x));
  const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
  console.log(`| ${name} | ${tf.toFixed(2)} | ${tq.toFixed(2)} | ${(tf / tq).toFixed(2)}× | ${kib(pf.info.arenaBytes)} | ${kib(pq.info.arenaBytes)} |`);
  pf.dispose(); pq.dispose(); q.dispose(); f32.dispose(); cal.dispose(); x.dispose();
}
