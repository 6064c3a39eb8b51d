// node bench/plan-steps.mjs --model mobilenet_v2 [--dir …/torchvision] [--reps 20] [--top 25]
// node bench/plan-steps.mjs --file test-artifacts/segmenters/fcn_resnet50.224x224.opset13.onnx
//
// Where one compiled plan's time goes, step by step: imports a torchvision export (as
// torchvision.mjs), compiles it at batch 1 on one thread and times each step's prepared.run alone,
// in a loop (the step's inputs already computed by one full run), reporting the median per step and
// totals grouped by a shape-and-kind label (depthwise k×k stride s, 1×1 at H·W, …). The sum of the
// steps is compared with the whole run's median. Reads CompiledModel's private fields (bench only).
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const root = fileURLToPath(new URL('..', import.meta.url));
const DIR = arg('dir', `${root}test-artifacts/torchvision`).replace(/\/?$/, '/');
const MODEL = arg('model', 'mobilenet_v2');
const REPS = Number(arg('reps', 20));
const TOP = Number(arg('top', 25));
// --file: any .onnx whose input has a fixed per-sample shape (the segmenters, a U-Net, …)
const FILE = arg('file', `${DIR}${MODEL}.opset13.onnx`);
const sd = await import(pathToFileURL(process.env.SIMDNET_DIST ?? `${root}dist/index.js`).href);
await sd.init();
if (!existsSync(FILE)) throw new Error(`no ${FILE}`);
const model = sd.io.fromONNX(new Uint8Array(readFileSync(FILE)));
const plan = sd.compile(model, { batchSize: 1 });
const x = sd.Tensor.zeros([1, ...Object.values(model.inputShapes)[0]]);
const med = (a) => { const s = [...a].sort((p, q) => p - q); return s[s.length >> 1]; };
const whole = [];
for (let r = 0; r < REPS; r++) { const t = performance.now(); plan.run(x); whole.push(performance.now() - t); }
const { steps, addr, scratch } = plan;
const nodes = new Map(model.nodes.map((n) => [n.name, n]));
const rows = steps.map((s, i) => {
  const node = nodes.get(s.name);
  const L = node.layer;
    const inS = plan.info.steps[i];
  let label = L.constructor.name;
  const out = s.prepared.outShape;
  let flops = 0;
  if (L.constructor.name === 'Conv2d') {
    const ks = L.kernelSize.join('x');
    const dw = L.groups > 1 && L.groups === L.inChannels;
    const dil = L.dilation[0] > 1 ? ` d${L.dilation[0]}` : '';
    label = `${dw ? 'dw' : 'conv'} ${ks} s${L.stride[0]}${dil} → ${out[2]}×${out[3]}`;
    flops = 2 * out.reduce((a, b) => a * b, 1) * (L.inChannels / L.groups) * L.kernelSize[0] * L.kernelSize[1];
  }
  const t = [];
  for (let r = 0; r < REPS; r++) {
    const ins = s.inputs.map((v) => addr[v]);
    const t0 = performance.now();
    for (let q = 0; q < 5; q++) s.prepared.run(ins, addr[s.output], scratch);
    t.push((performance.now() - t0) / 5);
  }
  return { i, name: s.name, label, fused: inS.fused.length, out: out.join('×'), ms: med(t), flops };
});
const sum = rows.reduce((a, r) => a + r.ms, 0);
console.log(`${arg('file', null) ? FILE.replace(root, '') : MODEL}: whole run ${med(whole).toFixed(2)} ms, sum of steps ${sum.toFixed(2)} ms, ${rows.length} steps`);
const groups = new Map();
for (const r of rows) { const g = groups.get(r.label) ?? { n: 0, ms: 0, flops: 0 }; g.n++; g.ms += r.ms; g.flops += r.flops; groups.set(r.label, g); }
const gf = (f, ms) => (f ? `${(f / ms / 1e6).toFixed(1).padStart(5)} GFLOP/s` : '             ');
console.log('\nby kind:');
for (const [k, g] of [...groups].sort((a, b) => b[1].ms - a[1].ms)) console.log(`${g.ms.toFixed(2).padStart(8)} ms ${(100 * g.ms / sum).toFixed(1).padStart(5)}% ${gf(g.flops, g.ms)}  ×${String(g.n).padEnd(3)} ${k}`);
console.log(`\ntop ${TOP} steps:`);
for (const r of [...rows].sort((a, b) => b.ms - a.ms).slice(0, TOP)) console.log(`${r.ms.toFixed(3).padStart(8)} ms ${gf(r.flops, r.ms)}  #${r.i} ${r.label}  out ${r.out}  (${r.name})`);
plan.dispose(); x.dispose(); model.dispose();
