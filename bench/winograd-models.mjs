// node bench/winograd-models.mjs --before <path to an older dist/index.js> [--time 3000] [--rounds 3] [--filter vgg] [--cpu]
//
// Whole models before and after the Winograd path, IN ONE RUN: ResNet-18 and VGG-16 (224×224,
// batch 1, the models' seeded weights), each compiled by both builds of simdnet (two module
// instances, two wasm memories), timed interleaved (order rotated per round), outputs compared.
// plan.info says which algorithm each convolution of the new build runs.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fill, relError } from './peers/common.mjs';
import { measure, machineLine } from './harness.mjs';
import { measureCpu } from './cpu-time.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const TIME = Number(arg('time', 3000));
const ROUNDS = Math.max(1, Number(arg('rounds', 3)));
const FILTER = arg('filter', null)?.toLowerCase() ?? null;
const CPU = argv.includes('--cpu');
const root = fileURLToPath(new URL('..', import.meta.url));
const before = await import(pathToFileURL(arg('before', `${root}dist-before/index.js`)).href);
const after = await import(pathToFileURL(process.env.SIMDNET_DIST ?? `${root}dist/index.js`).href);
await before.init();
await after.init();
const m = machineLine();
console.log(`${m.machine}; load ${m.load}; ${m.date}; one thread; ${ROUNDS} rounds × ${TIME} ms${CPU ? ' of CPU time' : ''}`);
console.log('| model | batch | before ms | after ms | speed-up | algorithms (after) |');
console.log('|---|---:|---:|---:|---:|---|');

for (const spec of [{ name: 'ResNet-18', make: 'resnet18' }, { name: 'VGG-16', make: 'vgg16' }]) {
  if (FILTER && !spec.name.toLowerCase().includes(FILTER)) continue;
  const x = fill([1, 3, 224, 224], 7);
  const tasks = [];
  const outs = [];
  let algs = '';
  for (const [key, sd] of [['before', before], ['after', after]]) {
    const model = sd.models[spec.make]();
    const plan = sd.compile(model, { batchSize: 1 });
    const xt = sd.Tensor.from(x, [1, 3, 224, 224]);
    outs.push(plan.run(xt).toFloat32Array());
    if (key === 'after') {
      const count = {};
      for (const s of plan.info.steps) if (s.algorithm) count[s.algorithm] = (count[s.algorithm] ?? 0) + 1;
      algs = Object.entries(count).map(([a, n]) => `${n}× ${a}`).join(', ');
    }
    tasks.push({ key, run: () => plan.run(xt) });
  }
  const err = relError(outs[1], outs[0]);
  const res = await (CPU ? measureCpu : measure)(tasks, { time: TIME, rounds: ROUNDS });
  const b = res.get('before').ms, a = res.get('after').ms;
  console.log(`| ${spec.name} | 1 | ${b.toFixed(1)} | ${a.toFixed(1)} | ${(b / a).toFixed(2)}× | ${algs} |${err > 1e-3 ? ` ⚠ ${err.toExponential(1)}` : ` (Δ ${err.toExponential(1)})`}`);
}
