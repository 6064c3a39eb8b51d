// int8 vs f32 convolution on the layer shapes of ResNet-18, MobileNetV2 (depthwise) and LeNet-5
// at batch 1, one thread, through the prepared ops (what a compiled plan runs): simdnet's own f32
// plan kernels against the QS8 kernels. `node bench/qs8.mjs` (plain SIMD build);
// `node --experimental-wasm-relaxed-simd bench/qs8.mjs relaxed` for the relaxed build.
// Whole-model int8 plans are not benchmarked here yet (no quantized layers / compile path).
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { init, engineInfo, ops, Tensor } from '../dist/node.js';

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
    const w = Tensor.from(rnd(O * cg * k * k, 1), [O, cg, k, k]), b = Tensor.from(rnd(O, 2), [O]);
    const x = Tensor.from(rnd(C * H * H, 3), xs);
    const opt = { stride: s, padding: pad, groups };
    const pf = ops.prepareConv2d(xs, w, b, opt, { min: 0, max: Infinity });
    const y = Tensor.empty(pf.outShape);
    const sf = pf.scratchBytes ? Tensor.empty([Math.ceil(pf.scratchBytes / 4)]) : null;
    const tf = time(() => pf.run([x.ptr], y.ptr, sf ? sf.ptr : 0));
    const qw = { data: Int8Array.from(rnd(O * cg * k * k, 4), (v) => Math.round(v * 200)), shape: [O, cg, k, k], scales: new Float32Array(O).fill(0.01), bias: rnd(O, 5) };
    const pq = ops.prepareConv2dQs8(xs, qw, opt, { x: { scale: 0.02, zeroPoint: -3 }, y: { scale: 0.05, zeroPoint: -128 }, clamp: { min: 0 } });
    const xq = Tensor.from(Int8Array.from(rnd(C * H * H, 6), (v) => Math.round(v * 250)), xs);
    const yq = Tensor.empty(pq.outShape, 'int8');
    const sq = pq.scratchBytes ? Tensor.empty([Math.ceil(pq.scratchBytes / 4)]) : null;
    const tq = time(() => pq.run([xq.ptr], yq.ptr, sq ? sq.ptr : 0));
    f32 += count * tf; i8 += count * tq;
    console.log(`| ${name}${count > 1 ? ` (×${count})` : ''} | ${tf.toFixed(3)} | ${tq.toFixed(3)} | ${(tf / tq).toFixed(2)}× |`);
    for (const t of [w, b, x, y, sf, xq, yq, sq]) t?.dispose();
    pf.dispose(); pq.dispose();
  }
  console.log(`| **all convolutions** | ${f32.toFixed(2)} | ${i8.toFixed(2)} | ${(f32 / i8).toFixed(2)}× |`);
}
