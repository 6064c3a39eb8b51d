// node bench/profile.mjs --filter "LeNet-5 training" [--time 3000] [--threads 1,2]
//
// Where the calling thread's time goes in one workload of the suite (harness.mjs's jobs, run by the
// same adapters as compare.mjs and threads.mjs), at 1 and at 2 threads: each thread count runs in its
// own child process, which times the workload's call in a loop for --time ms under V8's sampling
// profiler (node:inspector, the calling thread only, after a warm-up) and attributes every sample
// to the wasm kernel on the stack (function index → export name, read from the .wasm's export
// section), to the wait for the worker threads (the pool's waitFor), to handing the parts out
// (the pool's dispatch outside the kernels and the wait: writing the job, Atomics.notify), or to
// JavaScript (graph, allocation, GC). (The buckets go by the names of src/threads/pool.ts's methods
// dispatch and waitFor, which the bundle keeps: rename them there, rename them here.) A kernel that is split across the threads takes about half its 1-thread time on
// the calling thread at 2 threads; one that is not takes all of it. The table gives both, and an
// Amdahl bound: 1 ÷ (serial + parallel ÷ 2), where serial = JavaScript + the kernels whose calling-thread
// time does not drop below 75% of their 1-thread time.
// node bench/profile.mjs --wake: what a sleeping worker's wake-up costs here (Atomics.wait/notify
// round trip between two threads, against spinning).
// --save <dir> also writes each run's profile (profile-1T.cpuprofile, …; open them in Chrome DevTools).
// SIMDNET_DIST as in threads.mjs. Node only (node:inspector).
import process from 'node:process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchJobs } from './harness.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const root = fileURLToPath(new URL('..', import.meta.url));
const distDir = process.env.SIMDNET_DIST ? dirname(process.env.SIMDNET_DIST) : join(root, 'dist');
const TAG = '@@profile ';

/** Exported function index → name, from a .wasm's import and export sections. */
function exportNames(bytes) {
  const b = bytes;
  let o = 8;
  const names = new Map();
  const leb = () => { let r = 0, s = 0, x; do { x = b[o++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return r >>> 0; };
  const skipName = () => { const l = leb(); o += l; };
  const limits = () => { const f = b[o++]; leb(); if (f & 1) leb(); };
  while (o < b.length) {
    const id = b[o++];
    const size = leb();
    const end = o + size;
    if (id === 2) {
      for (let i = 0, n = leb(); i < n; i++) {
        skipName(); skipName();
        const kind = b[o++];
        if (kind === 0) leb(); else if (kind === 1) { o++; limits(); } else if (kind === 2) limits(); else if (kind === 3) o += 2;
      }
    } else if (id === 7) {
      for (let i = 0, n = leb(); i < n; i++) {
        const l = leb();
        const name = new TextDecoder().decode(b.subarray(o, o + l));
        o += l;
        const kind = b[o++];
        const idx = leb();
        if (kind === 0) names.set(idx, name);
      }
    }
    o = end;
  }
  return names;
}

/** Calling-thread ms per bucket (kernel name, 'waiting for workers', 'JavaScript') over a profile. */
function attribute(profile, names) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map();
  const bucket = (id) => {
    if (memo.has(id)) return memo.get(id);
    let cur = id, top = null, waiting = false, dispatch = false;
    const leaf = byId.get(id).callFrame.functionName;
    while (cur !== undefined) {
      const f = byId.get(cur).callFrame;
      const m = /^(?:wasm-function\[|\$?func)(\d+)/.exec(f.functionName);
      if (m && f.url.startsWith('wasm://')) top = Number(m[1]);
      if (f.functionName === 'waitFor') waiting = true;
      if (f.functionName === 'dispatch') dispatch = true;
      cur = parent.get(cur);
    }
    const b = top !== null ? (names.get(top) ?? `wasm function ${top}`)
      : waiting ? 'waiting for workers'
        : dispatch ? 'handing tasks out (dispatch: writing the job, Atomics.notify)'
        : leaf === '(idle)' || leaf === '(program)' ? leaf
          : leaf === '(garbage collector)' ? 'JavaScript: GC' : 'JavaScript';
    memo.set(id, b);
    return b;
  };
  const ms = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const k = bucket(profile.samples[i]);
    ms.set(k, (ms.get(k) ?? 0) + profile.timeDeltas[i] / 1e3);
  }
  return ms;
}

if (argv.includes('--wake')) {
  // What handing work to a sleeping worker costs on this machine: a main thread and a
  // worker_thread pass a counter back and forth through one Int32Array, each side sleeping in
  // Atomics.wait (as simdnet's pool does) or spinning on Atomics.load, with a pause of 0.05, 1 or
  // 5 ms between exchanges (the caller busy meanwhile) so that a sleeping worker really is asleep.
  const { Worker } = await import('node:worker_threads');
  for (const [spin, pauseMs] of [[false, 0.05], [false, 1], [false, 5], [true, 0.05]]) {
    const a = new Int32Array(new SharedArrayBuffer(8));
    const w = new Worker(`const { workerData: d } = require('node:worker_threads'); const a = new Int32Array(d.sab); let seen = 0;
      for (;;) { if (d.spin) { while (Atomics.load(a, 0) === seen); } else Atomics.wait(a, 0, seen);
        seen = Atomics.load(a, 0); if (seen < 0) break; Atomics.store(a, 1, seen); Atomics.notify(a, 1); }`,
    { eval: true, workerData: { sab: a.buffer, spin } });
    await new Promise((r) => setTimeout(r, 200));
    const n = Math.min(10000, Math.round(2000 / pauseMs)), trip = [], notifyCost = [];
    for (let i = 1; i <= n; i++) {
      const t0 = performance.now();
      Atomics.store(a, 0, i);
      Atomics.notify(a, 0);
      notifyCost.push(performance.now() - t0);
      while (Atomics.load(a, 1) !== i) if (!spin) Atomics.wait(a, 1, Atomics.load(a, 1), 1);
      trip.push(performance.now() - t0);
      const p = performance.now();
      while (performance.now() - p < pauseMs);
    }
    Atomics.store(a, 0, -1); Atomics.notify(a, 0);
    await w.terminate();
    const q = (v, f) => [...v].sort((x, y) => x - y)[Math.floor(f * (v.length - 1))] * 1e3;
    console.log(`${spin ? 'spinning (Atomics.load loop)' : 'sleeping (Atomics.wait / notify)'}, ${pauseMs} ms between exchanges: round trip p50 ${q(trip, 0.5).toFixed(1)} µs, p90 ${q(trip, 0.9).toFixed(1)} µs; ` +
      `Atomics.notify on the caller p50 ${q(notifyCost, 0.5).toFixed(1)} µs`);
  }
  process.exit(0);
} else if (argv.includes('--child')) {
  const threads = Number(arg('threads', 1));
  const time = Number(arg('time', 3000));
  const job = benchJobs({ filter: arg('filter'), wholeModels: true })[0];
  const { createSimdnet } = await import('./peers/simdnet.mjs');
  const r = await createSimdnet(pathToFileURL(join(distDir, 'node.js')).href, { threads });
  if (r.info.threads !== threads) throw new Error(`asked for ${threads} threads, runs ${r.info.threads}: ${r.info.off?.threads}`);
  let t;
  if (job.kind === 'model') {
    const M = await import('./peers/models.mjs');
    t = M.simdnetModelTask(r.sd, r.sd.models[job.c.model](), job.c.batch, job.data().x);
  } else t = await r.adapters[0][job.kind](job.c, job.data());
  const w0 = performance.now();
  while (performance.now() - w0 < Math.min(1000, time / 2)) await t.run(); // warm-up
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (m, p) => new Promise((res, rej) => session.post(m, p, (e, v) => (e ? rej(e) : res(v))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  // wake-ups = Atomics.notify calls on this thread (the pool notifies only when a worker sleeps)
  let notifies = 0, waits = 0;
  const { notify, wait } = Atomics;
  Atomics.notify = (...a) => { notifies++; return notify(...a); };
  Atomics.wait = (...a) => { waits++; return wait(...a); };
  await post('Profiler.start');
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < time) { await t.run(); calls++; }
  const wall = performance.now() - t0;
  const { profile } = await post('Profiler.stop');
  Object.assign(Atomics, { notify, wait });
  const wasm = join(distDir, `simdnet${r.info.build === 'simd' ? '' : `-${r.info.build}`}.wasm`);
  const ms = attribute(profile, exportNames(readFileSync(wasm)));
  if (arg('save')) {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(arg('save'), { recursive: true });
    writeFileSync(join(arg('save'), `profile-${threads}T.cpuprofile`), JSON.stringify(profile));
  }
  console.log(TAG + JSON.stringify({ threads, build: r.info.build, name: job.c.name, calls, wall, notifies, waits, buckets: [...ms] }));
  process.exit(0);
} else {
  const { spawnSync } = await import('node:child_process');
  const filter = arg('filter');
  if (!filter) throw new Error('--filter <workload name> is required');
  const runs = arg('threads', '1,2').split(',').map(Number).map((n) => {
    const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', '--threads', String(n), ...argv], { encoding: 'utf8', env: process.env });
    const line = p.stdout.split('\n').find((l) => l.startsWith(TAG));
    if (!line) throw new Error(`the ${n}-thread run failed: ${p.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return JSON.parse(line.slice(TAG.length));
  });
  const perCall = runs.map((r) => new Map(r.buckets.map(([k, v]) => [k, v / r.calls])));
  const keys = [...perCall[0].keys()].sort((a, b) => perCall[0].get(b) - perCall[0].get(a));
  for (const m of perCall.slice(1)) for (const k of m.keys()) if (!keys.includes(k)) keys.push(k);
  const total = (m) => [...m].filter(([k]) => k !== '(idle)' && k !== '(program)').reduce((a, [, v]) => a + v, 0);
  const t1 = total(perCall[0]);
  console.log(`${runs[0].name}: calling-thread time per call, sampled by V8 (node:inspector) over ${runs.map((r) => `${r.calls} calls at ${r.threads} thread(s) ('${r.build}')`).join(', ')}.`);
  console.log(`Wall time per call: ${runs.map((r) => `${r.threads}T ${(r.wall / r.calls).toFixed(3)} ms`).join(', ')}. ` +
    `Wake-ups of a sleeping worker per call (Atomics.notify on the calling thread): ${runs.map((r) => `${r.threads}T ${(r.notifies / r.calls).toFixed(1)}`).join(', ')}; ` +
    `Atomics.wait per call: ${runs.map((r) => `${r.threads}T ${(r.waits / r.calls).toFixed(1)}`).join(', ')}.\n`);
  console.log(`| where | ${runs.map((r) => `${r.threads}T ms/call`).join(' | ')} | share at 1T |${runs.length > 1 ? ` ${runs[1].threads}T ÷ 1T |` : ''}`);
  console.log(`|---|${runs.map(() => '---:').join('|')}|---:|${runs.length > 1 ? '---:|' : ''}`);
  let serial = 0, parallel = 0;
  for (const k of keys) {
    const v = perCall.map((m) => m.get(k) ?? 0);
    if (Math.max(...v) < 0.002 * t1) continue;
    const ratio = v[0] > 0 && runs.length > 1 ? v[1] / v[0] : undefined;
    if (k !== '(idle)' && k !== '(program)' && k !== 'waiting for workers' && !k.startsWith('handing parts out')) {
      if (k.startsWith('JavaScript') || ratio === undefined || ratio > 0.75) serial += v[0]; else parallel += v[0];
    }
    console.log(`| ${k} | ${v.map((x) => x.toFixed(3)).join(' | ')} | ${((100 * v[0]) / t1).toFixed(1)}% |${ratio !== undefined ? ` ${ratio.toFixed(2)} |` : runs.length > 1 ? ' — |' : ''}`);
  }
  if (runs.length > 1) {
    const s = serial / (serial + parallel);
    console.log(`\nAt 1 thread, ${(100 * s).toFixed(0)}% of the calling thread's time is JavaScript or kernels that stay on it at 2 threads (2T ÷ 1T > 0.75): ` +
      `Amdahl's bound at 2 threads = 1 ÷ (${s.toFixed(2)} + ${(1 - s).toFixed(2)} ÷ 2) = ${(1 / (s + (1 - s) / 2)).toFixed(2)}×.`);
  }
}
