// Batch-1 dense layers (GEMV) against the memory roofline: a matrix-vector product reads each
// weight once (4 bytes per multiply-add), so it is bound by the rate at which the core streams
// memory, not by its arithmetic peak. Times, in one run and interleaved (bench/harness.mjs
// measure, process CPU time): simdnet, tfjs-wasm and onnxruntime-web on the batch-1 dense
// workloads of bench/workloads.mjs, a read-only wasm SIMD loop streaming the same number of bytes
// (four f32x4 loads + adds per 64 bytes, from memory written beforehand, so no zero pages) and
// bench/peak.mjs's arithmetic peak. Prints each runtime's GB/s of weights read, its share of the
// stream's GB/s, and what fraction of the arithmetic peak that rate allows (2 FLOPs per 4 bytes).
// Besides the workloads' 151 MB layer, two smaller ones whose weights stay in the caches between
// calls (16 MB in a 32 MB L3, 2 MB; --sizes big leaves them out): there the stream's rate is
// the cache's, and the per-call overhead of each runtime's op weighs more.
//
//   node bench/gemv-roofline.mjs [--time 300] [--rounds 5] [--sizes all|big]      (after npm run build)
import { pathToFileURL } from 'node:url';
import { benchJobs, measure, cpuClock, fmt, machineLine } from './harness.mjs';
import { peakTask } from './peak.mjs';
import { createSimdnet } from './peers/simdnet.mjs';
import { createTfjs } from './peers/tfjs.mjs';
import { createOrt } from './peers/ort.mjs';
import { fill } from './peers/common.mjs';

const argv = process.argv.slice(2);
const arg = (name, d) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : d; };
const TIME = Number(arg('time', 300)), ROUNDS = Number(arg('rounds', 5)), SIZES = arg('sizes', 'all');
if (!['all', 'big'].includes(SIZES)) throw new Error(`--sizes ${SIZES}: expected all or big`);
const dist = process.env.SIMDNET_DIST ?? new URL('../dist/index.js', import.meta.url).pathname;

/** A wasm module whose stream(n) sums the f32x4 vectors of bytes [0, n) of its memory ("mem"). */
function streamModule(pages) {
  const leb = (n) => { const o = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
  const sec = (id, body) => [id, ...leb(body.length), ...body];
  const add = [0xfd, 0xe4, 0x01];
  const acc = (l, off) => [0x20, l, 0x20, 1, 0xfd, 0x00, 0x04, ...leb(off), ...add, 0x21, l];
  const code = [
    2, 1, 0x7f, 4, 0x7b, // locals: p (i32), a0..a3 (v128)
    0x03, 0x40, ...acc(2, 0), ...acc(3, 16), ...acc(4, 32), ...acc(5, 48),
    0x20, 1, 0x41, 0xc0, 0x00, 0x6a, 0x22, 1, 0x20, 0, 0x49, 0x0d, 0x00, 0x0b, // p += 64; br_if p < n
    0x20, 2, 0x20, 3, ...add, 0x20, 4, ...add, 0x20, 5, ...add, 0xfd, 0x1f, 0x00, 0x0b,
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...sec(1, [1, 0x60, 1, 0x7f, 1, 0x7d]), ...sec(3, [1, 0]), ...sec(5, [1, 0x00, ...leb(pages)]),
    ...sec(7, [2, 6, ...Buffer.from('stream'), 0x00, 0, 3, ...Buffer.from('mem'), 0x02, 0]),
    ...sec(10, [1, ...leb(code.length), ...code]),
  ]);
}

const sd = await createSimdnet(pathToFileURL(dist).href);
const tfjs = await createTfjs();
const ort = await createOrt();
const adapters = [...sd.adapters, ...tfjs.adapters, ...ort.adapters].filter((a) => ['simdnet', 'tfjs-wasm', 'onnxruntime-web'].includes(a.name));
const peak = peakTask();
const lines = [
  `Machine: ${machineLine().machine} · load average ${machineLine().load} · Node ${process.versions.node}`,
  `Median of ${ROUNDS} interleaved rounds (--time ${TIME} ms, process CPU time).`, '',
  '| workload | weights | stream read GB/s | runtime | GB/s of weights | of stream | GFLOP/s | of arithmetic peak |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
];
const cached = [[4096, 1000], [512, 1000]].map(([k, m]) => {
  const c = { name: `Dense 1×${k} · ${k}×${m}`, x: [1, k], w: [m, k] };
  return { c, data: () => ({ x: fill(c.x, 4), w: fill(c.w, 5, 0.1), b: fill([m], 6) }) };
});
const jobs = [...benchJobs().filter((j) => j.kind === 'linear' && j.c.x[0] === 1), ...(SIZES === 'all' ? cached : [])];
for (const job of jobs) {
  const { c } = job, data = job.data();
  const bytes = 4 * c.w[0] * c.w[1];
  const pages = Math.ceil((bytes + 64) / 65536);
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(streamModule(pages)));
  new Float32Array(exports.mem.buffer).fill(1);
  let sink = 0;
  const tasks = [{ key: 'stream', run: () => { sink += exports.stream(bytes); } }, peak];
  for (const a of adapters) { const t = await a.linear(c, data); await t.activate?.(); await t.run(); tasks.push({ key: a.name, run: t.run, activate: t.activate }); }
  const times = await measure(tasks, { time: TIME, rounds: ROUNDS, now: cpuClock() });
  const gbps = (k) => bytes / (times.get(k).ms * 1e6);
  const peakG = peak.flops / (times.get(peak.key).ms * 1e6);
  for (const a of adapters) {
    const g = gbps(a.name), gflops = (2 * c.w[0] * c.w[1]) / (times.get(a.name).ms * 1e6);
    lines.push(`| ${c.name} | ${fmt(bytes / 1e6)} MB | ${fmt(gbps('stream'))} | ${a.name} | ${fmt(g)} | ${(100 * g / gbps('stream')).toFixed(0)} % | ${fmt(gflops)} | ${(100 * gflops / peakG).toFixed(0)} % |`);
  }
  lines.push(`| (the stream's rate as GFLOP/s: 2 per 4 bytes) | | | | | | ${fmt(gbps('stream') / 2)} | ${(100 * gbps('stream') / 2 / peakG).toFixed(0)} % of ${fmt(peakG)} |`);
  if (sink === 42) console.log('');
}
console.log(lines.join('\n'));
