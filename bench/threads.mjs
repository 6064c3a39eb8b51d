// node bench/threads.mjs [--filter conv] [--time 400] [--rounds 3] [--deno] [--peers tfjs-wasm,onnxruntime-web]
//
// simdnet at 2 threads against 1, for every workload of the kernel-speed suite (workloads.mjs:
// conv2d, dense, pooling, ReLU, LeNet-5 inference/training, and ResNet-18 at batch 1), beside
// this machine's parallel ceiling and beside tfjs-backend-wasm and onnxruntime-web at 1 and 2
// threads, all in ONE run. Prints two Markdown tables and writes bench/results/threads.json.
//
// simdnet initialises once per process (init({ threads })), so every runtime × thread count is
// its own child process, started once and driven over stdin/stdout:
//   simdnet 1T, simdnet 2T         the Node entry (dist/node.js), init({ threads: 1 | 2 })
//   simdnet 1T (partner)           a second 1-thread process, for the ceiling
//   tfjs-wasm 1T, 2T               peers/tfjs.mjs, setThreadsCount(1 | 2) (2: its threaded build)
//   onnxruntime-web 1T, 2T         peers/ort.mjs, ort.env.wasm.numThreads = 1 | 2
//   Deno simdnet 1T, 2T (--deno)   the Deno entry (dist/deno.js; its threads are module Web Workers)
// For each workload, in each round, the children are timed one at a time (the others idle,
// blocked on stdin), the order rotated from round to round so that load from other processes
// falls on all of them alike; a figure is the median of the rounds' tinybench medians. Each
// timed call is the same as in compare.mjs (the adapters of peers/*.mjs, models via peers/models.mjs).
//
// Ceiling: in each round the two 1-thread simdnet processes also run the workload at the same
// time; ceiling = (their two throughputs added) ÷ the 1-thread throughput alone in that round.
// It is what two cores give two independent copies of the same single-thread work here, i.e.
// the most 2 threads could hope for on this machine, whatever the engine.
//
// Checks: each child's output is fingerprinted (an FNV-1a hash of its bytes and 1024 evenly
// spaced values); simdnet 2T must equal simdnet 1T bit for bit (threads split by output range),
// peers must agree within 1e-3 (max |Δ| ÷ max |simdnet| on the sampled values).
// Thread use is checked, not assumed: simdnet's engineInfo().threads, tfjs's getThreadsCount(),
// ORT's env.wasm.numThreads after its first session (ORT resets it to 1 when it falls back),
// the OS threads of each process (/proc/self/task) and its CPU time ÷ wall time while timed.
//
//   --filter <s>    only workloads whose name contains s (case-insensitive)
//   --time <ms>     tinybench time budget per process per workload per round (default 400)
//   --rounds <n>    rounds per workload (default 3)
//   --peers <list>  peer columns to run beside simdnet: tfjs-wasm,onnxruntime-web (default both; '' for none)
//   --deno          also run simdnet under Deno at 1 and 2 threads (needs the deno npm package)
//   --quiet <cores> before each round, wait (at most --quiet-wait s, default 120) until other
//                   processes use less than this many cores over 1 s, and redo the round (at most
//                   --retries times, default 3) if they used more while it ran (default: off)
//   --out <file>    where to write the JSON (default bench/results/threads.json)
//   --verbose       pass the children's stderr through
// Each row records the cores other processes used while it was timed (Linux: /proc/stat minus
// this run's own processes), since the machine is shared.
//
// node bench/threads.mjs --merge a.json b.json … [--out f]: one table over several runs' JSON files
// (each figure the median over the runs, with the smallest and largest; default output
// bench/results/threads-merged.json).
//
// SIMDNET_DIST=<path to a file in a dist/ directory> runs that build (node.js and deno.js beside it).
// DENO=<path to a deno binary> overrides the one from node_modules.
import process from 'node:process';
import { readdirSync, readFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { relError } from './peers/common.mjs';
import { benchJobs, measure, median, valueOf, fmt, machineLine } from './harness.mjs';

const TAG = '@@threads ';
/** Clock ticks per second in /proc (USER_HZ: 100 on Linux). */
const TICKS_PER_S = 100;
const isDeno = typeof globalThis.Deno !== 'undefined';
const argv = isDeno ? globalThis.Deno.args : process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const root = fileURLToPath(new URL('..', import.meta.url));
const distDir = process.env.SIMDNET_DIST ? dirname(process.env.SIMDNET_DIST) : join(root, 'dist');

if (argv.includes('--child')) await child();
else if (argv.includes('--merge')) merge();
else await parent();

// ---- child: one runtime at one thread count ---------------------------------------------------------

/** OS threads of this process (Linux), or null. */
function osThreads() {
  try { return readdirSync('/proc/self/task').length; } catch { return null; }
}

/** Output fingerprint: length, FNV-1a of the bytes, 1024 evenly spaced values. */
function fingerprint(out) {
  const f = out instanceof Float32Array ? out : Float32Array.from(out);
  const u = new Uint32Array(f.buffer, f.byteOffset, f.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) h = Math.imul(h ^ u[i], 0x01000193) >>> 0;
  const step = Math.max(1, Math.floor(f.length / 1024));
  const sample = [];
  for (let i = 0; i < f.length && sample.length < 1024; i += step) sample.push(f[i]);
  return { n: f.length, hash: h.toString(16), sample };
}

async function child() {
  const peer = arg('child');
  const threads = Number(arg('threads', 1));
  const send = (m) => console.log(TAG + JSON.stringify(m));
  const exit = (code) => process.exit(code);
  const runtime = isDeno ? `Deno ${globalThis.Deno.version.deno}` : `Node ${process.versions.node}`;
  let adapter, info, sd = null, tf = null, ort = null;
  try {
    if (peer === 'simdnet') {
      const { createSimdnet } = await import('./peers/simdnet.mjs');
      const r = await createSimdnet(pathToFileURL(join(distDir, isDeno ? 'deno.js' : 'node.js')).href, { threads });
      adapter = r.adapters[0]; sd = r.sd; info = r.info;
      if (info.threads !== threads) throw new Error(`cannot run threads: init({ threads: ${threads} }) runs ${info.threads} (build '${info.build}'): ${info.off?.threads ?? 'no reason given'}`);
    } else if (peer === 'tfjs-wasm') {
      const { createTfjs } = await import('./peers/tfjs.mjs');
      const r = await createTfjs({ threads });
      adapter = r.adapters[0]; tf = r.tf; info = r.info;
      if (r.info.threads !== threads) throw new Error(`cannot run threads: setThreadsCount(${threads}) gives ${r.info.threads}`);
    } else if (peer === 'onnxruntime-web') {
      const { createOrt } = await import('./peers/ort.mjs');
      const r = await createOrt({ threads });
      adapter = r.adapters[0]; ort = r.ort; info = r.info;
    } else throw new Error(`unknown peer ${peer}`);
  } catch (e) {
    send({ type: 'fatal', error: String(e?.message ?? e).split('\n')[0], runtime });
    exit(0);
  }
  send({ type: 'ready', info, runtime, osThreads: osThreads() });

  const jobs = new Map(benchJobs({ wholeModels: true }).map((j) => [j.c.name, j]));
  const tasks = new Map();
  let modelSd = sd; // whole models are built by simdnet, also in the peers' processes

  /** A whole model (sd.models[c.model]()) through peers/models.mjs, on this child's runtime. */
  async function modelTask(c, d) {
    const M = await import('./peers/models.mjs');
    if (!modelSd) {
      modelSd = await import(pathToFileURL(join(distDir, isDeno ? 'deno.js' : 'node.js')).href);
      await modelSd.init();
    }
    const model = modelSd.models[c.model]();
    let t;
    if (peer === 'simdnet') t = M.simdnetModelTask(sd, model, c.batch, d.x);
    else if (peer === 'onnxruntime-web') t = await M.ortModelTask(ort, modelSd, model, c.batch, d.x);
    else { await tf.setBackend('wasm'); t = M.tfjsModelTask(tf, model, c.batch, d.x); }
    return { ...t, dispose() { t.dispose(); model.dispose?.(); } };
  }

  const cpu = () => { try { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; } catch { return null; } };
  const readline = await import('node:readline');
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const m = JSON.parse(line);
    try {
      if (m.cmd === 'exit') break;
      if (m.cmd === 'prepare') {
        const job = jobs.get(m.name);
        const d = job.data();
        const t = job.kind === 'model' ? await modelTask(job.c, d) : await adapter[job.kind](job.c, d);
        tasks.set(m.name, t);
        await t.activate?.();
        const s = performance.now();
        await t.run(); // first call: fails fast, warms caches and code
        const firstMs = performance.now() - s;
        const fp = t.output ? fingerprint(await t.output()) : null;
        send({ type: 'prepared', name: m.name, firstMs, fingerprint: fp, osThreads: osThreads(), ortNumThreads: ort?.env.wasm.numThreads });
      } else if (m.cmd === 'measure') {
        const t = tasks.get(m.name);
        const c0 = cpu(), w0 = performance.now();
        const r = (await measure([{ key: 'x', run: t.run, activate: t.activate }], { time: m.time, rounds: 1, warmup: m.warmup })).get('x');
        const wall = performance.now() - w0, c1 = cpu();
        send({ type: 'measured', name: m.name, ms: r.ms, samples: r.samples, error: r.error, cpuPerWall: c0 === null ? null : (c1 - c0) / wall });
      } else if (m.cmd === 'dispose') {
        try { tasks.get(m.name)?.dispose(); } catch {}
        tasks.delete(m.name);
        send({ type: 'disposed', name: m.name });
      }
    } catch (e) {
      tasks.delete(m.name);
      send({ type: 'error', name: m.name, error: String(e?.message ?? e).split('\n')[0] });
    }
  }
  exit(0);
}

// ---- CPU used by other processes (Linux) ---------------------------------------------------------------

/** Busy and total clock ticks of the whole machine since boot, or null. */
function machineTicks() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - (f[4] ?? 0), total };
  } catch { return null; }
}

/** User + system clock ticks of a process (all its threads), or 0. */
function processTicks(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch { return 0; }
}

/** A probe of the cores used by processes other than `pids` since the last call. */
function othersMeter(pids, cores) {
  let m = machineTicks(), own = pids().reduce((a, p) => a + processTicks(p), 0);
  return () => {
    const m2 = machineTicks(), own2 = pids().reduce((a, p) => a + processTicks(p), 0);
    if (!m || !m2 || m2.total === m.total) return null;
    const v = (cores * (m2.busy - m.busy - (own2 - own))) / (m2.total - m.total);
    m = m2; own = own2;
    return Math.max(0, v);
  };
}

// ---- parent: start the children, interleave them, report --------------------------------------------

async function parent() {
  const { spawn } = await import('node:child_process');
  const { createRequire } = await import('node:module');
  const TIME = Number(arg('time', 400));
  const ROUNDS = Math.max(1, Number(arg('rounds', 3)));
  const FILTER = arg('filter', null);
  const PEERS = arg('peers', 'tfjs-wasm,onnxruntime-web').split(',').filter(Boolean);
  const DENO = argv.includes('--deno');
  const VERBOSE = argv.includes('--verbose');
  const QUIET = arg('quiet', null) === null ? null : Number(arg('quiet'));
  const QUIET_WAIT = Number(arg('quiet-wait', 120));
  const RETRIES = Number(arg('retries', 3));
  const TOLERANCE = 1e-3;
  const script = fileURLToPath(import.meta.url);
  for (const f of ['node.js', ...(DENO ? ['deno.js'] : [])]) {
    if (!existsSync(join(distDir, f))) throw new Error(`${join(distDir, f)} is missing: run npm run build (or set SIMDNET_DIST)`);
  }

  function denoPath() {
    if (process.env.DENO) return process.env.DENO;
    return createRequire(import.meta.url)('deno/install_api.cjs').runInstall();
  }

  const configs = [
    { id: 'sd1', label: 'simdnet 1T', peer: 'simdnet', threads: 1 },
    { id: 'sd2', label: 'simdnet 2T', peer: 'simdnet', threads: 2 },
    { id: 'sd1b', label: 'simdnet 1T (ceiling partner)', peer: 'simdnet', threads: 1, partner: true },
    ...PEERS.flatMap((p) => [1, 2].map((n) => ({ id: `${p}${n}`, label: `${p} ${n}T`, peer: p, threads: n }))),
    ...(DENO ? [1, 2].map((n) => ({ id: `deno${n}`, label: `Deno simdnet ${n}T`, peer: 'simdnet', threads: n, deno: true })) : []),
  ];

  /** A child process driven by JSON lines; request() resolves with its next reply. */
  function start(cfg) {
    const args = [script, '--child', cfg.peer, '--threads', String(cfg.threads)];
    const cmd = cfg.deno ? denoPath() : process.execPath;
    const full = cfg.deno ? ['run', '--allow-read', '--allow-env', '--allow-sys', ...args] : args;
    const p = spawn(cmd, full, { stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
    const waiting = [];
    let stderr = '', buf = '', dead = null;
    const fail = (why) => { dead = why; while (waiting.length) waiting.shift().reject(new Error(why)); };
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (s) => {
      buf += s;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 1);
        if (line.startsWith(TAG)) waiting.shift()?.resolve(JSON.parse(line.slice(TAG.length)));
        else if (VERBOSE && line.trim()) process.stderr.write(`[${cfg.label}] ${line}\n`);
      }
    });
    p.stderr.setEncoding('utf8');
    p.stderr.on('data', (s) => { stderr = (stderr + s).slice(-4000); if (VERBOSE) process.stderr.write(`[${cfg.label}] ${s}`); });
    p.on('exit', (code, sig) => fail(`${cfg.label} exited (${sig ?? code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    p.on('error', (e) => fail(`${cfg.label} could not start: ${e.message}`));
    const next = () => new Promise((resolve, reject) => (dead ? reject(new Error(dead)) : waiting.push({ resolve, reject })));
    return {
      cfg, proc: p, ready: next(),
      request(m) { const r = next(); if (!dead) p.stdin.write(JSON.stringify(m) + '\n'); return r; },
      close() { if (!dead) p.stdin.end(JSON.stringify({ cmd: 'exit' }) + '\n'); },
    };
  }

  const t0 = performance.now();
  const m0 = machineLine();
  process.stderr.write(`starting ${configs.length} processes: ${configs.map((c) => c.label).join(', ')}\n`);
  const kids = new Map();
  const fatal = {};
  const infos = {};
  for (const cfg of configs) kids.set(cfg.id, start(cfg));
  for (const [id, k] of kids) {
    try {
      const r = await k.ready;
      infos[id] = { runtime: r.runtime, info: r.info, osThreadsAtStart: r.osThreads };
      if (r.type === 'fatal') { fatal[id] = r.error; kids.delete(id); }
    } catch (e) { fatal[id] = e.message; kids.delete(id); }
    if (fatal[id]) process.stderr.write(`${k.cfg.label}: ${fatal[id]}\n`);
  }

  const jobs = benchJobs({ filter: FILTER, wholeModels: true });
  const os = await import('node:os');
  const pids = () => [process.pid, ...[...kids.values()].map((k) => k.proc.pid)];
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const CORES = os.cpus().length;
  /** Waits until other processes use less than QUIET cores over 1 s (at most QUIET_WAIT s); returns the seconds waited. */
  async function waitForQuiet() {
    const probe = othersMeter(pids, CORES);
    for (let waited = 0; ; waited++) {
      await sleep(1000);
      const o = probe();
      if (o === null || o < QUIET || waited >= QUIET_WAIT) return waited;
    }
  }
  const rows = [];
  for (const job of jobs) {
    const name = job.c.name;
    process.stderr.write(`${name} …`);
    const load0 = machineLine().load;
    const cell = {}; // id → { ms rounds, error, fingerprint, ... }
    const live = [...kids.values()];
    await Promise.all(live.map(async (k) => {
      const id = k.cfg.id;
      try {
        const r = await k.request({ cmd: 'prepare', name });
        cell[id] = r.type === 'prepared'
          ? { rounds: [], cpu: [], fingerprint: r.fingerprint, firstMs: r.firstMs, osThreads: r.osThreads, ortNumThreads: r.ortNumThreads }
          : { error: r.error };
      } catch (e) { cell[id] = { error: e.message }; }
    }));
    // output checks against simdnet 1T
    const ref = cell.sd1?.fingerprint;
    for (const [id, c] of Object.entries(cell)) {
      if (id === 'sd1' || !c.fingerprint || !ref) continue;
      c.bitwise = c.fingerprint.hash === ref.hash && c.fingerprint.n === ref.n;
      c.check = c.fingerprint.n === ref.n ? relError(ref.sample, c.fingerprint.sample) : Infinity;
    }
    // Deno runs the relaxed-SIMD builds (fused multiply-add), so its 2T is held to its own 1T
    if (cell.deno1?.fingerprint && cell.deno2?.fingerprint) cell.deno2.bitwiseVsDeno1 = cell.deno1.fingerprint.hash === cell.deno2.fingerprint.hash;
    const ok = (id) => kids.has(id) && cell[id] && !cell[id].error;
    const alone = configs.filter((c) => !c.partner && ok(c.id)).map((c) => c.id);
    const units = [...alone, ...(ok('sd1') && ok('sd1b') ? ['ceiling'] : [])];
    const pair = { a: [], b: [], alone: [] }; // per round: sd1 and sd1b concurrent, and sd1 alone
    /** Times one child; also how many cores this run's other (idle) processes used meanwhile. */
    const measureOne = async (id, warmup, alsoBusy = []) => {
      const idle = [...kids.values()].filter((k) => k.cfg.id !== id && !alsoBusy.includes(k.cfg.id)).map((k) => k.proc.pid);
      const t0 = performance.now(), i0 = idle.reduce((a, p) => a + processTicks(p), 0);
      const r = await kids.get(id).request({ cmd: 'measure', name, time: TIME, warmup });
      if (r.error || r.ms === undefined) throw new Error(r.error ?? 'no result');
      r.idleCores = (idle.reduce((a, p) => a + processTicks(p), 0) - i0) / TICKS_PER_S / ((performance.now() - t0) / 1e3);
      return r;
    };
    // One round: every unit once, in an order rotated by the round number. With --quiet, a round
    // waits for the machine to be quiet first and is redone (at most --retries times) when other
    // processes used more than --quiet cores while it ran.
    const roundStats = [];
    let waited = 0, redone = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const order = units.map((_, i) => units[(i + round) % units.length]);
      for (let attempt = 0; ; attempt++) {
        if (QUIET !== null) waited += await waitForQuiet();
        const meter = othersMeter(pids, CORES);
        const got = new Map();
        for (const u of order) {
          if (u !== 'ceiling' && cell[u].error) continue;
          try {
            if (u === 'ceiling') got.set(u, await Promise.all([measureOne('sd1', round === 0, ['sd1b']), measureOne('sd1b', round === 0, ['sd1'])]));
            else got.set(u, await measureOne(u, round === 0));
          } catch (e) {
            if (u === 'ceiling') pair.error = e.message;
            else cell[u].error = e.message;
          }
        }
        const o = meter();
        if (QUIET !== null && o !== null && o > QUIET && attempt < RETRIES) { redone++; continue; }
        roundStats.push({ othersCores: o, attempts: attempt + 1 });
        for (const [u, r] of got) {
          if (u === 'ceiling') { pair.a[round] = r[0].ms; pair.b[round] = r[1].ms; continue; }
          cell[u].rounds[round] = r.ms;
          cell[u].cpu.push(r.cpuPerWall);
          (cell[u].idleCores ??= []).push(r.idleCores);
          cell[u].samples = (cell[u].samples ?? 0) + r.samples;
        }
        break;
      }
    }
    const othersList = roundStats.map((r) => r.othersCores).filter((v) => v !== null);
    const othersCores = othersList.length ? median(othersList) : null;
    await Promise.all([...kids.values()].map((k) => k.request({ cmd: 'dispose', name }).catch(() => {})));

    // figures
    for (const [id, c] of Object.entries(cell)) {
      if (c.error || !c.rounds.length) continue;
      c.ms = median(c.rounds.filter((x) => x !== undefined));
      c.value = valueOf(job, c.ms);
      c.cpuPerWall = median(c.cpu.filter((x) => x !== null));
    }
    const ratio = (one, two) => {
      // 2 threads ÷ 1 thread in throughput (1T ms ÷ 2T ms), overall and per round
      const a = cell[one], b = cell[two];
      if (!a?.ms || !b?.ms) return undefined;
      // paired: the two were timed within a round of each other, so the host's slow spells (they
      // last seconds on this VM) fall on both; the median of the rounds' ratios, not the ratio of
      // the medians, which pairs figures from different moments
      const per = a.rounds.map((x, r) => (x && b.rounds[r] ? x / b.rounds[r] : undefined)).filter((x) => x !== undefined);
      return { x: median(per), min: Math.min(...per), max: Math.max(...per), ofMedians: a.ms / b.ms };
    };
    let ceiling;
    if (!pair.error && pair.a.length && cell.sd1?.rounds.length) {
      const per = pair.a.map((a, r) => (a && pair.b[r] && cell.sd1.rounds[r] ? cell.sd1.rounds[r] * (1 / a + 1 / pair.b[r]) : undefined)).filter((x) => x !== undefined);
      if (per.length) ceiling = { x: median(per), min: Math.min(...per), max: Math.max(...per), concurrentMs: [pair.a, pair.b] };
    } else if (pair.error) ceiling = { error: pair.error };
    const speedup = ratio('sd1', 'sd2');
    const target = targetOf(job);
    const row = {
      name, kind: job.kind, unit: job.unit, work: job.work, cells: cell, ceiling, target,
      speedup, tfjs: ratio('tfjs-wasm1', 'tfjs-wasm2'), ort: ratio('onnxruntime-web1', 'onnxruntime-web2'), deno: ratio('deno1', 'deno2'),
      load: [load0, machineLine().load], othersCores, othersMax: othersList.length ? Math.max(...othersList) : null,
      roundStats, waitedForQuiet: waited, redone,
    };
    rows.push(row);
    process.stderr.write(` 1T ${fmt(cell.sd1?.value)} 2T ${fmt(cell.sd2?.value)} ${job.unit}, ×${fmt(speedup?.x)} (ceiling ×${fmt(ceiling?.x)})` +
      `${row.ort ? `, ORT ×${fmt(row.ort.x)}` : ''}${row.deno ? `, Deno ×${fmt(row.deno.x)}` : ''}; others used ${fmt(othersCores)} cores${redone ? `, ${redone} round(s) redone` : ''}${waited ? `, waited ${waited} s for quiet` : ''}\n`);
  }
  for (const k of kids.values()) k.close();
  const seconds = (performance.now() - t0) / 1e3;

  // ---- report ----------------------------------------------------------------------------------------
  const notes = [];
  const note = (text) => { let i = notes.indexOf(text); if (i < 0) { notes.push(text); i = notes.length - 1; } return `[${i + 1}]`; };
  const errOf = (id) => fatal[id] ?? undefined;
  function cellText(row, id) {
    const c = row.cells[id];
    const err = errOf(id) ?? c?.error;
    if (err) return err.startsWith('n/a') ? 'n/a' : `${/cannot run threads/.test(err) ? 'cannot run threads' : 'error'} ${note(err)}`;
    if (!c || c.value === undefined) return '—';
    let s = fmt(c.value);
    if (id !== 'sd1' && c.check !== undefined && !c.bitwise && !(c.check <= TOLERANCE)) s += ` ⚠ ${note(`output differs from simdnet 1T's by ${c.check.toExponential(1)} (max |Δ| ÷ max |simdnet| over 1024 sampled values)`)}`;
    return s;
  }
  const x = (r) => (r?.x === undefined ? '' : `${r.x.toFixed(2)}×`);
  const xr = (r) => (r?.x === undefined ? (r?.error ? `error ${note(r.error)}` : '') : `${r.x.toFixed(2)}× (${r.min.toFixed(2)}–${r.max.toFixed(2)})`);
  const versus = (row, peerId) => {
    const a = row.cells.sd2, b = row.cells[peerId];
    if (!a?.ms || !b?.ms || errOf(peerId)) return '';
    return `${(b.ms / a.ms).toFixed(2)}×`;
  };
  const targetText = (row) => {
    if (!row.target) return '';
    if (!row.speedup) return `≥ ${row.target}×: —`;
    return row.speedup.x >= row.target ? `≥ ${row.target}×: met` : `≥ ${row.target}×: **short**`;
  };
  const has = (id) => configs.some((c) => c.id === id);
  const main = [
    '| workload | unit | simdnet 1T | simdnet 2T | speed-up (rounds) | ceiling (rounds) | speed-up ÷ ceiling | target | tfjs-wasm 2T | ORT 2T | simdnet 2T ÷ ORT 2T |',
    '|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.unit} | ${cellText(r, 'sd1')} | ${cellText(r, 'sd2')} | ${xr(r.speedup)} | ${xr(r.ceiling)} | ` +
      `${r.speedup && r.ceiling?.x ? `${Math.round((100 * r.speedup.x) / r.ceiling.x)}%` : ''} | ${targetText(r)} | ` +
      `${has('tfjs-wasm2') ? cellText(r, 'tfjs-wasm2') : ''} | ${has('onnxruntime-web2') ? cellText(r, 'onnxruntime-web2') : ''} | ${versus(r, 'onnxruntime-web2')} |`),
  ];
  const cpuText = (row, id) => { const c = row.cells[id]; return c?.cpuPerWall !== undefined && !Number.isNaN(c.cpuPerWall) && !c.error && !errOf(id) ? c.cpuPerWall.toFixed(2) : ''; };
  const second = [
    '| workload | tfjs-wasm 1T | tfjs-wasm 2T | ORT 1T | ORT 2T | ORT 2T ÷ 1T | CPU ÷ wall: simdnet 1T / 2T / ORT 2T | Deno 1T | Deno 2T | Deno 2T ÷ 1T | others (cores) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${has('tfjs-wasm1') ? cellText(r, 'tfjs-wasm1') : ''} | ${has('tfjs-wasm2') ? cellText(r, 'tfjs-wasm2') : ''} | ` +
      `${has('onnxruntime-web1') ? cellText(r, 'onnxruntime-web1') : ''} | ${has('onnxruntime-web2') ? cellText(r, 'onnxruntime-web2') : ''} | ${x(r.ort)} | ` +
      `${[cpuText(r, 'sd1'), cpuText(r, 'sd2'), cpuText(r, 'onnxruntime-web2')].join(' / ')} | ` +
      `${has('deno1') ? cellText(r, 'deno1') : ''} | ${has('deno2') ? cellText(r, 'deno2') : ''} | ${xr(r.deno)} | ${r.othersCores === null || r.othersCores === undefined ? '' : `${r.othersCores.toFixed(2)} (max ${r.othersMax.toFixed(2)})`} |`),
  ];

  const m1 = machineLine();
  const inf = (id) => infos[id]?.info;
  const ortThreads = [...new Set(rows.map((r) => r.cells['onnxruntime-web2']?.ortNumThreads).filter((v) => v !== undefined))];
  const ortOs = (id) => [...new Set(rows.map((r) => r.cells[id]?.osThreads).filter((v) => v !== undefined && v !== null))];
  const withOutput = rows.filter((r) => r.cells.sd1?.fingerprint);
  const notBitwise = withOutput.filter((r) => r.cells.sd2?.fingerprint && !r.cells.sd2.bitwise).map((r) => `${r.name} (max rel. Δ ${r.cells.sd2.check.toExponential(1)})`);
  const denoRows = withOutput.filter((r) => r.cells.deno2?.bitwiseVsDeno1 !== undefined);
  const denoNot = denoRows.filter((r) => !r.cells.deno2.bitwiseVsDeno1).map((r) => r.name);
  const denoVsNode = Math.max(0, ...withOutput.map((r) => r.cells.deno1?.check ?? 0));
  const header = [
    `Machine: ${m0.machine} · load average ${m0.load} at the start, ${m1.load} at the end · ${m0.date} → ${m1.date.slice(11)} (${seconds.toFixed(0)} s)`,
    `Runtimes: ${infos.sd1?.runtime ?? `Node ${process.versions.node}`}${DENO ? ` and ${infos.deno1?.runtime ?? infos.deno2?.runtime ?? 'Deno'}` : ''} · ` +
      `simdnet builds: 1T '${inf('sd1')?.build ?? '?'}', 2T '${inf('sd2')?.build ?? '?'}' (engineInfo().threads ${inf('sd2')?.threads ?? '—'})` +
      `${DENO ? `, Deno 1T '${inf('deno1')?.build ?? '?'}', Deno 2T '${inf('deno2')?.build ?? '?'}' (threads ${inf('deno2')?.threads ?? '—'})` : ''}` +
      `${PEERS.includes('tfjs-wasm') ? ` · tfjs ${inf('tfjs-wasm1')?.version ?? '?'} wasm (1T: ${inf('tfjs-wasm1')?.wasm ?? fatal['tfjs-wasm1'] ?? '?'}; 2T: ${inf('tfjs-wasm2')?.wasm ?? 'cannot run threads'})` : ''}` +
      `${PEERS.includes('onnxruntime-web') ? ` · onnxruntime-web ${inf('onnxruntime-web1')?.version ?? '?'} wasm EP (2T: numThreads = 2 asked, env.wasm.numThreads after the first session = ${ortThreads.join('/') || '?'}; OS threads of the process ${ortOs('onnxruntime-web1').join('/') || '?'} at 1T, ${ortOs('onnxruntime-web2').join('/') || '?'} at 2T)` : ''}`,
    `Median over ${ROUNDS} rounds of tinybench's median call (--time ${TIME} ms per process per round); processes timed one at a time, order rotated per round. ` +
      `speed-up and ceiling are medians of per-round ratios (each round times 1T, 2T and the pair back to back); (rounds) = the smallest and largest of them.` +
      (QUIET === null ? ' No waiting for a quiet machine (--quiet off).'
        : ` --quiet ${QUIET}: each round waited for other processes to use < ${QUIET} cores (${rows.reduce((a, r) => a + r.waitedForQuiet, 0)} s of waiting in all) and was redone when they used more while it ran (${rows.reduce((a, r) => a + r.redone, 0)} round(s) redone, at most ${RETRIES} per round; after that a round is kept whatever the load).`),
  ];
  const footer = [
    'speed-up: simdnet 2T ÷ 1T in throughput (for the latency rows, 1T ms ÷ 2T ms). ceiling: two 1-thread simdnet processes running the workload at the same time, their throughputs added, ÷ one 1-thread process alone in the same round: what the 2 cores give two independent copies of this work.',
    'target (issue #7): at least 1.8× on the large convolutions and the dense GEMM, 1.6× on LeNet-5 training at batch 64. simdnet 2T ÷ ORT 2T: above 1 = simdnet faster.',
    'CPU ÷ wall: the process\'s CPU time (all its threads) ÷ wall time while it was timed; about 2 means both cores busy, about 1 one.',
    `Outputs: simdnet 2T ${notBitwise.length ? `differs from 1T on ${notBitwise.join('; ')}` : `bitwise equal to 1T on all ${withOutput.filter((r) => r.cells.sd2?.fingerprint).length} rows with an output`}` +
      `${denoRows.length ? `; Deno 2T ${denoNot.length ? `differs from Deno 1T on ${denoNot.join(', ')}` : `bitwise equal to Deno 1T on all ${denoRows.length}`} (Deno runs the relaxed-SIMD builds: within ${denoVsNode.toExponential(1)} of Node's)` : ''}.`,
    `Idle processes of this run (all but the one timed) used ${fmt(Math.max(0, ...rows.flatMap((r) => Object.values(r.cells).flatMap((c) => c.idleCores ?? []))))} cores at most while another was timed ` +
      `(median ${fmt(median(rows.flatMap((r) => Object.values(r.cells).flatMap((c) => c.idleCores ?? []))) ?? 0)}).`,
    'others (cores): cores used by other processes while the row\'s kept rounds ran (/proc/stat minus this run\'s processes), median and max over the rounds.',
    ...notes.map((n, i) => `[${i + 1}] ${n}`),
  ];
  const report = [...header, '', ...main, '', ...second, '', ...footer].join('\n');
  console.log(report);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const out = arg('out', null) ?? fileURLToPath(new URL('./results/threads.json', import.meta.url));
  writeFileSync(out, JSON.stringify({
    ...m0, end: m1, seconds, argv, options: { time: TIME, rounds: ROUNDS, filter: FILTER, peers: PEERS, deno: DENO, tolerance: TOLERANCE },
    configs, infos, fatal, rows, report,
  }, null, 2));
  process.exit(0);
}

/** Issue #7's targets: 1.8× on the large convolutions and the dense GEMM, 1.6× on LeNet-5 training. */
function targetOf(job) {
  if (job.kind === 'conv2d' && !job.c.name.startsWith('LeNet')) return 1.8;
  if (job.kind === 'linear' && job.c.x[0] > 1) return 1.8;
  if (job.kind === 'lenetTrain') return 1.6;
  return undefined;
}

// ---- merge: several runs' JSON into one table ---------------------------------------------------------

function merge() {
  const rest = argv.slice(argv.indexOf('--merge') + 1);
  const files = rest.filter((a, i) => !a.startsWith('--') && rest[i - 1] !== '--out');
  const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
  const names = [...new Set(runs.flatMap((r) => r.rows.map((row) => row.name)))];
  const span = (vals, digits = 2, suffix = '') => {
    const v = vals.filter((x) => x !== undefined && x !== null && Number.isFinite(x));
    if (!v.length) return '';
    const f = (x) => (digits === null ? fmt(x) : x.toFixed(digits));
    return v.length === 1 ? `${f(v[0])}${suffix}` : `${f(median(v))}${suffix} (${f(Math.min(...v))}–${f(Math.max(...v))})`;
  };
  const errorOf = (run, row, id) => run.fatal?.[id] ?? row?.cells?.[id]?.error;
  const rows = names.map((name) => {
    const per = runs.map((r) => r.rows.find((row) => row.name === name));
    const ok = per.filter(Boolean);
    const val = (id) => ok.map((row) => row.cells[id]?.value);
    // a column with no figure in any run: its error (n/a, or the first error's text)
    const v = (id) => {
      const t = span(val(id), null);
      if (t) return t;
      const e = runs.map((r, i) => errorOf(r, per[i], id)).find(Boolean);
      return !e ? '' : e.startsWith('n/a') ? 'n/a' : /cannot run threads/.test(e) ? 'cannot run threads' : `error: ${e}`;
    };
    const x = (k) => ok.map((row) => row[k]?.x);
    const vs = ok.map((row) => (row.cells.sd2?.ms && row.cells['onnxruntime-web2']?.ms ? row.cells['onnxruntime-web2'].ms / row.cells.sd2.ms : undefined));
    const ofCeiling = ok.map((row) => (row.speedup?.x && row.ceiling?.x ? row.speedup.x / row.ceiling.x : undefined));
    const tfjs2 = runs.map((r, i) => errorOf(r, per[i], 'tfjs-wasm2')).find(Boolean);
    const target = ok[0]?.target;
    const sx = x('speedup').filter((v) => v !== undefined);
    const met = target ? (sx.length && median(sx) >= target ? `≥ ${target}×: met (${sx.filter((v) => v >= target).length}/${sx.length} runs)` : `≥ ${target}×: **short** (${sx.filter((v) => v >= target).length}/${sx.length} runs met)`) : '';
    return {
      name, unit: ok[0]?.unit, target, runs: ok.length,
      text: `| ${name} | ${ok[0]?.unit ?? ''} | ${span(val('sd1'), null)} | ${span(val('sd2'), null)} | ${span(x('speedup'), 2, '×')} | ${span(x('ceiling'), 2, '×')} | ` +
        `${span(ofCeiling.map((v) => v && 100 * v), 0, '%')} | ${met} | ${tfjs2 && !span(val('tfjs-wasm2'), null) ? 'cannot run threads' : v('tfjs-wasm2')} | ${v('onnxruntime-web2')} | ${span(vs, 2, '×')} |`,
      text2: `| ${name} | ${v('tfjs-wasm1')} | ${v('onnxruntime-web1')} | ${span(x('ort'), 2, '×')} | ${v('deno1')} | ${v('deno2')} | ${span(x('deno'), 2, '×')} | ${span(ok.map((row) => row.othersCores), 2)} |`,
      speedup: sx, ceiling: x('ceiling'), deno: x('deno'), ort: x('ort'),
    };
  });
  const lines = [
    `${runs.length} runs: ${runs.map((r) => `${r.date} (${Math.round(r.seconds)} s, load ${r.load} → ${r.end?.load})`).join('; ')}. Machine: ${runs[0].machine}.`,
    `Each cell: the median over the runs (smallest–largest); each run's figure is itself the median over its rounds (${[...new Set(runs.map((r) => `${r.options.rounds} × ${r.options.time} ms`))].join(', ')}).`,
    '',
    '| workload | unit | simdnet 1T | simdnet 2T | speed-up | ceiling | speed-up ÷ ceiling | target | tfjs-wasm 2T | ORT 2T | simdnet 2T ÷ ORT 2T |',
    '|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|',
    ...rows.map((r) => r.text),
    '',
    '| workload | tfjs-wasm 1T | ORT 1T | ORT 2T ÷ 1T | Deno 1T | Deno 2T | Deno 2T ÷ 1T | others (cores) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => r.text2),
  ];
  const tfjsErr = runs.map((r) => r.fatal?.['tfjs-wasm2']).find(Boolean);
  if (tfjsErr) lines.push('', `tfjs-wasm 2T: ${tfjsErr.replace(/blob:nodedata:[0-9a-f-]+/, 'blob:nodedata:…')}`);
  const report = lines.join('\n');
  console.log(report);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const out = arg('out', null) ?? fileURLToPath(new URL('./results/threads-merged.json', import.meta.url));
  writeFileSync(out, JSON.stringify({ files, rows, report }, null, 2));
}
