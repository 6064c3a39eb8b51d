// Shared by compare.mjs and threads.mjs (runtime-neutral: Node and Deno): the job list (each
// workload of workloads.mjs with the adapter method that runs it, its unit, its work and its
// seeded data), interleaved timing with tinybench, number formatting and the machine line.
import os from 'node:os';
import { Bench } from 'tinybench';
import * as W from './workloads.mjs';
import { fill, lenetParams, lenetData } from './peers/common.mjs';

export const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/**
 * The jobs: { c (the workload), kind (adapter method), unit, work (FLOPs, bytes or images per
 * call), data() (seeded inputs, the same in every runtime and process) }. `wholeModels` adds
 * W.wholeModels (kind 'model', run through peers/models.mjs; compare.mjs leaves them to models.mjs).
 */
export function benchJobs({ filter = null, wholeModels = false } = {}) {
  const f = filter?.toLowerCase() ?? null;
  return [
    ...W.conv2d.map((c) => ({ c, kind: 'conv2d', unit: 'GFLOP/s', work: c.flops, data: () => ({ x: fill(c.x, 1), w: fill(c.w, 2), b: fill([c.w[0]], 3) }) })),
    ...W.linear.map((c) => ({ c, kind: 'linear', unit: 'GFLOP/s', work: c.flops, data: () => ({ x: fill(c.x, 4), w: fill(c.w, 5, 0.1), b: fill([c.w[0]], 6) }) })),
    ...W.pool.map((c) => ({ c, kind: 'pool', unit: 'GB/s', work: c.bytes, data: () => ({ x: fill(c.x, 7) }) })),
    ...W.elementwise.map((c) => ({ c, kind: 'elementwise', unit: 'GB/s', work: c.bytes, data: () => ({ x: fill(c.x, 8) }) })),
    ...W.models.map((c) => ({
      c, kind: c.kind,
      unit: c.latency ? 'ms' : 'img/s',
      work: c.batch * (c.steps ?? 1),
      data: () => ({ params: lenetParams(), ...lenetData(c.batch * (c.steps ?? 1)) }),
    })),
    ...(wholeModels ? W.wholeModels : []).map((c) => ({
      c, kind: 'model',
      unit: c.latency ? 'ms' : 'img/s',
      work: c.batch,
      data: () => ({ x: fill([c.batch, ...c.input], 11) }),
    })),
  ].filter((j) => !f || f.split('|').some((s) => j.c.name.toLowerCase().includes(s)));
}

/** A job's figure from a median call time: ms for latency rows, else work per second in its unit. */
export function valueOf(job, ms) {
  if (ms === undefined) return undefined;
  return job.unit === 'ms' ? ms : job.unit === 'img/s' ? job.work / (ms / 1e3) : job.work / (ms * 1e6);
}

/**
 * Times tasks [{ key, run, activate? }] back to back, `rounds` times, rotating their order each
 * round so that load from other processes falls on all of them alike; a task's figure is the
 * median of its per-round tinybench medians. Slow tasks (longer than `time` per call) get one call
 * per round. `now`: the clock (default: the wall clock; cpuClock() for CPU time). Warm-up runs in round 0 when `warmup` is set. Returns key → { ms, samples, rounds }
 * (rounds: the per-round medians) or { error }.
 */
export async function measure(tasks, { time, rounds = 1, warmup = true, now }) {
  const p50 = new Map(tasks.map((t) => [t.key, []]));
  const count = new Map(tasks.map((t) => [t.key, 0]));
  const out = new Map();
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({ time, iterations: 1, warmup: warmup && r === 0, warmupTime: Math.min(200, time / 2), warmupIterations: 1, ...(now ? { now } : {}) });
    const order = tasks.map((_, i) => tasks[(i + r) % tasks.length]);
    for (const t of order) if (!out.has(t.key)) bench.add(t.key, t.run, t.activate ? { beforeAll: t.activate } : {});
    await bench.run();
    for (const t of bench.tasks) {
      const res = t.result;
      if (res.state === 'completed') {
        p50.get(t.name).push(res.latency.p50);
        count.set(t.name, count.get(t.name) + res.latency.samplesCount);
      } else out.set(t.name, { error: res.error ? String(res.error?.message ?? res.error) : res.state });
    }
  }
  for (const [k, v] of p50) if (!out.has(k)) out.set(k, { ms: median(v), samples: count.get(k), rounds: v });
  return out;
}

/**
 * A clock for measure({ now }) that counts this process's CPU time (user + system, in ms) instead
 * of the wall clock: on a machine shared with other jobs, a call that the scheduler interrupts is
 * not charged for the time others ran. It counts every thread of the process, so it suits
 * single-threaded runs only; resolution 1 µs.
 */
export function cpuClock() {
  if (typeof process === 'undefined' || typeof process.cpuUsage !== 'function') throw new Error('--cpu-clock needs process.cpuUsage (Node)');
  return () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
}

/** 3 significant figures, at most. */
export function fmt(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return '—';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** The machine, its load and the time, as the tables' header lines give them. */
export function machineLine() {
  const cpus = os.cpus();
  return {
    machine: `${cpus[0]?.model ?? 'cpu'} × ${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.arch()}`,
    load: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  };
}

/** max |a − b| ÷ max |b| (Infinity when the lengths differ): an output against PyTorch's. */
export function maxRelError(a, b) {
  if (a.length !== b.length) return Infinity;
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return d / m;
}

/**
 * An onnxruntime-web session (wasm EP, graph optimizations 'all') on bytes, fed x: { session, run,
 * output } where output() is the first output's data; the caller releases the session.
 */
export async function ortSession(ort, bytes, xData, shape) {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', xData, shape) };
  const out = session.outputNames[0];
  return { session, run: () => session.run(feeds), output: async () => (await session.run(feeds))[out].data };
}

/** measure() of tasks keyed 'simdnet' and 'ort', written into row: <key>Ms or <key>Error, and ratio = ORT ÷ simdnet. */
export async function timeInto(row, tasks, options) {
  const res = await measure(tasks, options);
  for (const [k, v] of res) {
    if (v.error) row[`${k}Error`] = v.error;
    else row[`${k}Ms`] = v.ms;
  }
  if (row.simdnetMs && row.ortMs) row.ratio = row.ortMs / row.simdnetMs;
}

/**
 * The two runtimes of a same-run comparison: simdnet from SIMDNET_DIST (default dist/index.js under
 * root, initialised) and onnxruntime-web on one thread without a proxy worker; cpu from /proc/cpuinfo.
 */
export async function loadRuntimes(root) {
  const { existsSync, readFileSync } = await import('node:fs');
  const { pathToFileURL } = await import('node:url');
  const distPath = process.env.SIMDNET_DIST ?? `${root}dist/index.js`;
  if (!existsSync(distPath)) throw new Error(`${distPath} is missing: run npm run build`);
  const sd = await import(pathToFileURL(distPath).href);
  const engine = await sd.init();
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? 'unknown CPU';
  return { sd, engine, ort, cpu };
}
