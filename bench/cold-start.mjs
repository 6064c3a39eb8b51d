// Cold start in Node: from process start to the first LeNet-5 result (one 1×32×32 image), in
// fresh `node` processes, for simdnet (the published entry, `import 'simdnet'` → dist/node.js)
// and the peers (@tensorflow/tfjs-backend-wasm, onnxruntime-web) with the same weights.
//
//   node bench/cold-start.mjs [--runs 10] [--only simdnet]      (npm run bench:cold-start)
//
// Each child reports performance.now() at each phase: Node's time origin is the process start,
// so "first result" includes Node's own boot. The parent also times spawn → exit, and a bare
// `node -e 0` as the floor. Runs are interleaved so that machine noise hits every runtime alike.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const MARK = 'COLD_START ';

async function child(runtime) {
  const t = { start: performance.now() };
  const { lenetParams, lenetData, LENET_INPUT } = await import('./peers/common.mjs');
  const params = lenetParams();
  const { x } = lenetData(1);
  let output;
  if (runtime === 'simdnet') {
    // What a user writes: the package by name (self-reference resolves the node condition).
    const { init, models, Tensor } = await import('simdnet');
    t.imported = performance.now();
    await init();
    t.initialised = performance.now();
    const net = models.lenet5();
    const own = net.parameters().filter((p) => p.trainable);
    params.flatMap((p) => [p.w, p.b]).forEach((v, i) => own[i].assign(v));
    const input = Tensor.from(x, [1, ...LENET_INPUT]);
    t.built = performance.now();
    const y = net.predict(input);
    output = y.toFloat32Array();
  } else if (runtime === 'tfjs-wasm') {
    const { createTfjs } = await import('./peers/tfjs.mjs');
    t.imported = performance.now();
    const { adapters } = await createTfjs();
    t.initialised = performance.now();
    const task = await adapters[0].lenetInfer({ batch: 1 }, { params, x });
    t.built = performance.now();
    output = await task.output();
  } else if (runtime === 'onnxruntime-web') {
    const { createOrt } = await import('./peers/ort.mjs');
    t.imported = performance.now();
    const { adapters } = await createOrt();
    t.initialised = performance.now();
    const task = await adapters[0].lenetInfer({ batch: 1 }, { params, x });
    t.built = performance.now();
    output = await task.output();
  } else {
    throw new Error(`unknown runtime ${runtime}`);
  }
  t.result = performance.now();
  process.stdout.write(`${MARK}${JSON.stringify({ t, output: Array.from(output) })}\n`);
}

function run(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)) });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed:\n${r.stderr}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith(MARK));
  return { wall, ...(line ? JSON.parse(line.slice(MARK.length)) : {}) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (v) => `${v.toFixed(0)} ms`;

async function parent() {
  const arg = (name, d) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : d;
  };
  const runs = Number(arg('--runs', '10'));
  const only = arg('--only', null);
  const runtimes = ['simdnet', 'tfjs-wasm', 'onnxruntime-web'].filter((r) => !only || r === only);
  const self = fileURLToPath(import.meta.url);
  const samples = Object.fromEntries([['node -e 0', []], ...runtimes.map((r) => [r, []])]);
  run([self, '--child', runtimes[0]]); // warm the OS file cache once; not counted
  for (let i = 0; i < runs; i++) {
    samples['node -e 0'].push(run(['-e', '0']));
    for (const r of runtimes) samples[r].push(run([self, '--child', r]));
  }

  const ref = samples.simdnet?.[0]?.output;
  const rows = Object.entries(samples).map(([name, s]) => {
    const phase = (k, from) => (s[0].t ? ms(median(s.map((x) => x.t[k] - (from ? x.t[from] : 0)))) : '');
    let agree = '';
    if (ref && s[0].output) {
      const o = s[0].output;
      const diff = Math.max(...o.map((v, i) => Math.abs(v - ref[i])));
      agree = name === 'simdnet' ? 'reference' : `max |Δ| ${diff.toExponential(1)}`;
    }
    return {
      name,
      wall: median(s.map((x) => x.wall)),
      min: Math.min(...s.map((x) => x.wall)),
      result: phase('result'),
      imported: phase('imported', 'start'),
      initialised: phase('initialised', 'imported'),
      built: phase('built', 'initialised'),
      first: phase('result', 'built'),
      agree,
    };
  });

  const lines = [
    `Cold start in Node, process start → first LeNet-5 result (batch 1), median of ${runs} fresh processes`,
    `node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${new Date().toISOString().slice(0, 10)}`,
    '',
    '| runtime | spawn → exit (median / min) | process start → result | import | init | model + weights | first forward | output vs simdnet |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.name} | ${ms(r.wall)} / ${ms(r.min)} | ${r.result} | ${r.imported} | ${r.initialised} | ${r.built} | ${r.first} | ${r.agree} |`),
  ];
  console.log(lines.join('\n'));
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}cold-start.json`, JSON.stringify({ date: new Date().toISOString(), node: process.version, runs, rows }, null, 2) + '\n');
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else await parent();
