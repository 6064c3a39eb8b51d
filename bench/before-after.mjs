// node bench/before-after.mjs --before <path to an older dist/index.js> [--time 1000] [--rounds 3] [--filter lenet]
//
// The same workloads on two builds of simdnet IN ONE RUN (two module instances, two wasm memories),
// timed interleaved with the order rotated per round: a refactor must not slow anything down, and
// on a loaded machine only a same-run ratio says so. Layers (eager ops, the GEMM path forced where
// an algorithm choice exists), LeNet-5 inference and training, ResNet-18 compiled at batch 1.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fill } from './peers/common.mjs';
import { measure, machineLine } from './harness.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const TIME = Number(arg('time', 1000));
const ROUNDS = Math.max(1, Number(arg('rounds', 3)));
const FILTER = arg('filter', null)?.toLowerCase() ?? null;
const root = fileURLToPath(new URL('..', import.meta.url));
const builds = {
  before: await import(pathToFileURL(arg('before', `${root}dist-before/index.js`)).href),
  after: await import(pathToFileURL(process.env.SIMDNET_DIST ?? `${root}dist/index.js`).href),
};
for (const sd of Object.values(builds)) await sd.init();

/** Each workload: a name and a setup(sd) returning the timed closure (same seeded data in both builds). */
const conv = (n, c, h, w, k, kh, opts) => (sd) => {
  const x = sd.Tensor.from(fill([n, c, h, w], 1), [n, c, h, w]);
  const wt = sd.Tensor.from(fill([k, c, kh, kh], 2), [k, c, kh, kh]);
  const o = { ...opts };
  try { sd.ops.conv2d(x, wt, null, { ...o, algorithm: 'gemm' }).dispose(); o.algorithm = 'gemm'; } catch { /* the older build has no algorithm option */ }
  return () => sd.ops.conv2d(x, wt, null, o).dispose();
};
const WORKLOADS = [
  ['conv LeNet C1 6@5×5 on 1×32×32, batch 64', conv(64, 1, 32, 32, 6, 5, {})],
  ['conv VGG 3×3 128→128 @56 (GEMM path)', conv(1, 128, 56, 56, 128, 3, { padding: 1 })],
  ['conv ResNet 1×1 256→64 @56', conv(1, 256, 56, 56, 64, 1, {})],
  ['dense 64×4096 · 4096×4096', (sd) => {
    const x = sd.Tensor.from(fill([64, 4096], 3), [64, 4096]);
    const w = sd.Tensor.from(fill([4096, 4096], 4), [4096, 4096]);
    return () => sd.ops.linear(x, w, null).dispose();
  }],
  ['maxPool 2×2 on 64×112×112', (sd) => {
    const x = sd.Tensor.from(fill([1, 64, 112, 112], 5), [1, 64, 112, 112]);
    return () => sd.ops.maxPool2d(x, { kernelSize: 2 }).dispose();
  }],
  ['LeNet-5 inference, batch 1 (compiled)', (sd) => {
    const plan = sd.compile(sd.models.lenet5(), { batchSize: 1 });
    const x = sd.Tensor.from(fill([1, 1, 32, 32], 6), [1, 1, 32, 32]);
    return () => plan.run(x);
  }],
  ['LeNet-5 training step, batch 64 (Adam)', (sd) => {
    const m = sd.models.lenet5();
    const opt = new sd.optim.Adam(m.parameters(), { lr: 1e-3 });
    const x = sd.Tensor.from(fill([64, 1, 32, 32], 7), [64, 1, 32, 32]);
    const y = Int32Array.from({ length: 64 }, (_, i) => i % 10);
    return () => {
      const { output } = m.forward(x, { training: true });
      const r = sd.ops.softmaxCrossEntropy(output, y);
      m.backward(r.grad);
      r.grad.dispose();
      opt.step();
      opt.zeroGrad();
    };
  }],
  ['ResNet-18 batch 1 (compiled, 224×224)', (sd) => {
    const plan = sd.compile(sd.models.resnet18(), { batchSize: 1 });
    const x = sd.Tensor.from(fill([1, 3, 224, 224], 8), [1, 3, 224, 224]);
    return () => plan.run(x);
  }],
];

const m = machineLine();
console.log(`${m.machine}; load ${m.load}; ${m.date}; one thread; ${ROUNDS} rounds × ${TIME} ms`);
console.log('| workload | before ms | after ms | after ÷ before |');
console.log('|---|---:|---:|---:|');
for (const [name, setup] of WORKLOADS) {
  if (FILTER && !name.toLowerCase().includes(FILTER)) continue;
  const tasks = Object.entries(builds).map(([key, sd]) => ({ key, run: setup(sd) }));
  const res = await measure(tasks, { time: TIME, rounds: ROUNDS });
  const b = res.get('before').ms, a = res.get('after').ms;
  console.log(`| ${name} | ${b.toFixed(3)} | ${a.toFixed(3)} | ${(a / b).toFixed(2)} |`);
}
