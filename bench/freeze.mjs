// node bench/freeze.mjs [--rounds 7] [--steps n] [--resnet-size 64] [--resnet-batch 8] [--filter resnet]
//
// One training step — forward in training mode, softmax cross-entropy, backward, an SGD step
// (momentum 0.9) and zeroing the gradients — with every layer trainable against the same model
// with all but its head frozen (model.freeze(); model.unfreeze(head)): the frozen layers then run
// as at inference and backward runs the head alone. LeNet-5 at batch 64 on 1×32×32 (head
// 'output'), ResNet-18 at batch 8 on 3×64×64 by default (--resnet-size 224 for ImageNet's size;
// head 'fc'). Two model instances with the same seeded weights and data, one per variant.
//
// Timing: after two warm-up steps each, every round times a run of steps of each variant back to
// back (15 for LeNet-5, 3 for ResNet-18; --steps sets both), the order alternating from round to round (the machine may be shared: interleaving
// spreads load changes over both). A variant's figure is the median step over all rounds; the
// ratio is full ÷ frozen of those medians, with the range of the per-round ratios beside it.
// Prints a Markdown table with the CPU model, thread count and load averages; writes
// bench/results/freeze.json. Uses dist/ (or SIMDNET_DIST): run npm run build first.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';

const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const ROUNDS = Math.max(1, Number(arg('rounds', 7)));
const STEPS = arg('steps', null) === null ? null : Math.max(1, Number(arg('steps', 1)));
const RESNET_SIZE = Number(arg('resnet-size', 64));
const RESNET_BATCH = Number(arg('resnet-batch', 8));
const FILTER = arg('filter', null)?.toLowerCase() ?? null;

const root = fileURLToPath(new URL('..', import.meta.url));
const distPath = process.env.SIMDNET_DIST ?? `${root}dist/index.js`;
if (!existsSync(distPath)) throw new Error(`${distPath} is missing: run npm run build`);
const sd = await import(pathToFileURL(distPath).href);
await sd.init();
const info = sd.engineInfo?.() ?? {};

const CASES = [
  { name: 'LeNet-5', make: () => sd.models.lenet5({ numClasses: 10 }), head: 'output', batch: 64, input: [1, 32, 32], classes: 10, steps: 15 },
  {
    name: 'ResNet-18',
    make: () => sd.models.resnet18({ numClasses: 10, inputSize: RESNET_SIZE }),
    head: 'fc', batch: RESNET_BATCH, input: [3, RESNET_SIZE, RESNET_SIZE], classes: 10, steps: 3,
  },
].filter((c) => FILTER === null || c.name.toLowerCase().includes(FILTER));

/** A seeded pseudo-random batch in [-1, 1) and labels. */
function batch(c) {
  let s = 12345;
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const n = c.batch * c.input.reduce((a, b) => a * b, 1);
  const x = sd.Tensor.from(Float32Array.from({ length: n }, () => 2 * r() - 1), [c.batch, ...c.input]);
  const y = Int32Array.from({ length: c.batch }, (_, i) => i % c.classes);
  return { x, y };
}

function variant(c, frozen) {
  const model = c.make();
  model.seed(7);
  model.build();
  if (frozen) model.freeze().unfreeze(c.head);
  const opt = new sd.optim.SGD(model.parameters(), { lr: 1e-3, momentum: 0.9 });
  return {
    model, opt,
    params: model.paramCount,
    step(x, y) {
      const { output } = model.forward(x, { training: true });
      const r = sd.ops.softmaxCrossEntropy(output, y);
      model.backward(r.grad);
      r.grad.dispose();
      opt.step();
      opt.zeroGrad();
      return r.loss;
    },
    dispose() { opt.dispose(); model.dispose(); },
  };
}

const stepsOf = (c) => STEPS ?? c.steps;
const median = (v) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const ms = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

const cpu = os.cpus()[0]?.model ?? 'cpu';
const loadBefore = loadavg();
const header = `simdnet ${info.build ?? '?'} build, ${info.threads ?? 1} thread(s) · node ${process.version} · ${cpu} × ${os.cpus().length} · ` +
  `${new Date().toISOString().slice(0, 10)} · ${ROUNDS} rounds × ${CASES.map((c) => `${stepsOf(c)} steps (${c.name})`).join(', ')} per variant`;
console.log(header);
console.log(`load average (1, 5, 15 min) at the start: ${loadBefore}`);

const rows = [];
for (const c of CASES) {
  const { x, y } = batch(c);
  const v = { full: variant(c, false), frozen: variant(c, true) };
  for (const k of ['full', 'frozen']) for (let i = 0; i < 2; i++) v[k].step(x, y); // warm-up
  const times = { full: [], frozen: [] };
  const ratios = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['full', 'frozen'] : ['frozen', 'full'];
    const roundTimes = { full: [], frozen: [] };
    for (const k of order) {
      for (let i = 0; i < stepsOf(c); i++) {
        const t0 = performance.now();
        const loss = v[k].step(x, y);
        const dt = performance.now() - t0;
        if (!Number.isFinite(loss)) throw new Error(`${c.name} ${k}: the loss is ${loss}`);
        roundTimes[k].push(dt);
        times[k].push(dt);
      }
    }
    ratios.push(median(roundTimes.full) / median(roundTimes.frozen));
    process.stderr.write(`${c.name} round ${round + 1}/${ROUNDS}: full ${ms(median(roundTimes.full))} ms, frozen ${ms(median(roundTimes.frozen))} ms\n`);
  }
  const full = median(times.full), frozen = median(times.frozen);
  const row = {
    model: c.name, batch: c.batch, input: c.input, head: c.head,
    params: v.full.params, headParams: v.frozen.params,
    fullMs: full, frozenMs: frozen, ratio: full / frozen,
    roundRatios: ratios, times,
  };
  rows.push(row);
  v.full.dispose(); v.frozen.dispose(); x.dispose();
}
const loadAfter = loadavg();

console.log('');
console.log('| model | batch × input | trainable params (full → frozen) | full step | all but head frozen | speed-up (per-round range) |');
console.log('|---|---|---|---:|---:|---:|');
for (const r of rows) {
  const lo = Math.min(...r.roundRatios), hi = Math.max(...r.roundRatios);
  console.log(`| ${r.model} | ${r.batch} × ${r.input.join('×')} | ${r.params.toLocaleString('en-US')} → ${r.headParams.toLocaleString('en-US')} ('${r.head}') | ` +
    `${ms(r.fullMs)} ms | ${ms(r.frozenMs)} ms | **${r.ratio.toFixed(2)}×** (${lo.toFixed(2)}–${hi.toFixed(2)}) |`);
}
console.log('');
console.log(`load average (1, 5, 15 min) at the end: ${loadAfter}`);

mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/freeze.json`, JSON.stringify({ header, cpu, cores: os.cpus().length, node: process.version, engine: info, loadBefore, loadAfter, rounds: ROUNDS, steps: Object.fromEntries(CASES.map((c) => [c.name, stepsOf(c)])), rows }, null, 1) + '\n');
