// The simdnet benchmark suite, runtime-neutral: give it the simdnet module (already initialised)
// and it returns rows { family, name, ms, gflops | gbps }.
import { Bench } from 'tinybench';
import * as W from './workloads.mjs';

function fill(sd, shape, seed) {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    d[i] = s / 4294967296 - 0.5;
  }
  return sd.Tensor.from(d, shape);
}

export async function runSuite(sd, { time = 1000, filter = null } = {}) {
  const { ops } = sd;
  const bench = new Bench({ time, warmupTime: 200 });
  const meta = new Map();
  const owned = [];
  const want = (name) => !filter || name.toLowerCase().includes(filter.toLowerCase());

  for (const c of W.conv2d) {
    if (!want(c.name)) continue;
    const x = fill(sd, c.x, 1), w = fill(sd, c.w, 2), b = fill(sd, [c.w[0]], 3);
    owned.push(x, w, b);
    bench.add(c.name, () => ops.conv2d(x, w, b, c.opts).dispose());
    meta.set(c.name, { family: 'conv2d', flops: c.flops });
  }
  for (const c of W.linear) {
    if (!want(c.name)) continue;
    const x = fill(sd, c.x, 4), w = fill(sd, c.w, 5), b = fill(sd, [c.w[0]], 6);
    owned.push(x, w, b);
    bench.add(c.name, () => ops.linear(x, w, b).dispose());
    meta.set(c.name, { family: 'linear', flops: c.flops });
  }
  for (const c of W.pool) {
    if (!want(c.name)) continue;
    const x = fill(sd, c.x, 7);
    owned.push(x);
    bench.add(c.name, () => ops.maxPool2d(x, c.opts).dispose());
    meta.set(c.name, { family: 'pool2d', bytes: c.bytes });
  }
  for (const c of W.elementwise) {
    if (!want(c.name)) continue;
    const x = fill(sd, c.x, 8);
    owned.push(x);
    bench.add(c.name, () => ops[c.op](x).dispose());
    meta.set(c.name, { family: 'elementwise', bytes: c.bytes });
  }

  await bench.run();
  for (const t of owned) t.dispose();
  return bench.tasks.map((t) => {
    const r = t.result;
    const m = meta.get(t.name);
    if (r.state !== 'completed') return { ...m, name: t.name, error: r.error ? String(r.error) : r.state };
    const ms = r.latency.p50;
    const row = { family: m.family, name: t.name, ms, samples: r.latency.samplesCount };
    if (m.flops) row.gflops = m.flops / (ms * 1e6);
    if (m.bytes) row.gbps = m.bytes / (ms * 1e6);
    return row;
  });
}

export function formatTable(rows) {
  const lines = ['| workload | median ms | GFLOP/s | GB/s |', '|---|---:|---:|---:|'];
  for (const r of rows) {
    if (r.error) { lines.push(`| ${r.name} | error: ${r.error} | | |`); continue; }
    lines.push(`| ${r.name} | ${r.ms.toFixed(3)} | ${r.gflops ? r.gflops.toFixed(2) : ''} | ${r.gbps ? r.gbps.toFixed(2) : ''} |`);
  }
  return lines.join('\n');
}
