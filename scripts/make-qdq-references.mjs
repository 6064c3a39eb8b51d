// node scripts/make-qdq-references.mjs
//
// Runs every fixture of test/fixtures/onnx-qdq/ (written by scripts/make-qdq-fixtures.py) in
// onnxruntime-web — wasm execution provider, one thread, as in bench/peers/ort.mjs — on the
// fixture's stored inputs, and stores its outputs in the fixture's JSON:
//   outputs[i].ort          onnxruntime's output with its graph optimisations on ('all': it fuses
//                           the QDQ groups into its int8 kernels, QLinearConv and friends): the
//                           reference of test/onnx-qdq.test.ts;
//   outputs[i].ortAsWritten the same model with optimisations off (DequantizeLinear → float
//                           operator → QuantizeLinear), for the record;
//   ort                     { version, accepted, error?, steps: { python, asWritten }, kernels } —
//                           where onnxruntime-web refuses a model the error is kept and the test
//                           falls back to the script's own integer reference (outputs[i].python);
//                           kernels: the operators onnxruntime ran after its rewrites (from its
//                           profiler, in a child process since the profile goes to stdout).
// `steps` are the largest differences in units of the output's last quantization step (or the
// largest relative difference for outputs that have none).
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const DIR = fileURLToPath(new URL('../test/fixtures/onnx-qdq/', import.meta.url));

const f32 = (b64) => {
  const b = Buffer.from(b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};
const b64 = (a) => Buffer.from(new Float32Array(a).buffer).toString('base64');

/** Largest |a − b| in steps of the output quantization (or relative to max(1, |b|) without one). */
function steps(a, b, q) {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = q ? Math.abs(a[i] - b[i]) / q.scale : Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return Number(m.toFixed(4));
}

const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;
ort.env.logLevel = 'error';
const version = JSON.parse(readFileSync(fileURLToPath(new URL('../node_modules/onnxruntime-web/package.json', import.meta.url)), 'utf8')).version;

async function runOrt(bytes, fx, level, profile = false) {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: level, enableProfiling: profile });
  try {
    const feeds = {};
    for (const i of fx.inputs) feeds[i.name] = new ort.Tensor('float32', f32(i.data), i.shape);
    const r = await s.run(feeds);
    if (profile) s.endProfiling();
    return fx.outputs.map((o) => {
      const t = r[o.name];
      if (!t) throw new Error(`no output '${o.name}'`);
      if (t.dims.join() !== o.shape.join()) throw new Error(`output '${o.name}' has shape [${t.dims}], python [${o.shape}]`);
      return Float32Array.from(t.data);
    });
  } finally {
    await s.release();
  }
}

/** The operator types onnxruntime ran for fixture `fx` (op_name in its profile), with counts. */
function kernels(jsonFile) {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--profile', jsonFile], { encoding: 'utf8' });
  const counts = {};
  for (const m of out.matchAll(/"op_name" *: *"([^"]+)"/g)) counts[m[1]] = (counts[m[1]] ?? 0) + 1;
  return Object.keys(counts).sort().map((k) => `${k}×${counts[k]}`).join(' ');
}

if (process.argv[2] === '--profile') {
  const fx = JSON.parse(readFileSync(DIR + process.argv[3], 'utf8'));
  await runOrt(new Uint8Array(readFileSync(DIR + fx.model)), fx, 'all', true);
  process.exit(0);
}

for (const file of readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()) {
  const fx = JSON.parse(readFileSync(DIR + file, 'utf8'));
  const bytes = new Uint8Array(readFileSync(DIR + fx.model));
  let line;
  try {
    const all = await runOrt(bytes, fx, 'all');
    const plain = await runOrt(bytes, fx, 'disabled');
    const st = { python: 0, asWritten: 0 };
    fx.outputs.forEach((o, i) => {
      o.ort = b64(all[i]);
      o.ortAsWritten = b64(plain[i]);
      st.python = Math.max(st.python, steps(all[i], f32(o.python), o.quantization));
      st.asWritten = Math.max(st.asWritten, steps(all[i], plain[i], o.quantization));
    });
    fx.ort = { version, accepted: true, steps: st, kernels: kernels(file) };
    line = `accepted; vs python ${st.python}, vs as written ${st.asWritten} (${fx.outputs[0].quantization ? 'steps' : 'relative'}); ran ${fx.ort.kernels}`;
  } catch (e) {
    for (const o of fx.outputs) {
      delete o.ort;
      delete o.ortAsWritten;
    }
    const msg = String(e?.message ?? e).split('\n')[0].slice(0, 300);
    fx.ort = { version, accepted: false, error: msg };
    line = `REFUSED: ${msg}`;
  }
  writeFileSync(DIR + file, JSON.stringify(fx, null, 1) + '\n');
  console.log(`${fx.model}: ${line}`);
}
