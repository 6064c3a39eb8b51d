// int8 against f32 in Chromium (Debian's /usr/bin/chromium through playwright-core, never a
// downloaded browser): the relaxed build (Chromium runs relaxed SIMD without a flag), compiled
// ResNet-18, MobileNetV2 and the LeNet-5 of `npm start` (models/lenet5-mnist.simdnet) at batch 1 on one thread, each int8 plan (quantize() with 4 calibration
// images) against its own f32 plan, as bench/qs8.mjs does in Node and Deno. A page has no CPU
// clock, so the page asks this script between batches for the CPU time of the browser's process
// tree (Linux /proc: user + system ticks of 10 ms; batches of about a second); per run, the best
// of 5 batches, f32 and int8 batches alternating (on a machine shared with other jobs, wall-clock
// time would count the other jobs' slices).
//
//   node bench/qs8-browser.mjs [--models lenet,resnet18,mobilenetv2] [--chromium /usr/bin/chromium]
import os from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import { serve } from '../examples/serve.mjs';

const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
const models = arg('models', 'lenet,resnet18,mobilenetv2').split(',');
const { chromium } = await import('playwright-core');
const server = await serve({ port: 0 });
const browser = await chromium.launch({ executablePath: arg('chromium', '/usr/bin/chromium'), headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  // the browser is this script's child: its processes are this process's descendants
  const root = process.pid;
  /** CPU ms of the browser's process tree (every descendant of this process, not itself). */
  const treeCpu = () => {
    const stats = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const t = readFileSync(`/proc/${d}/stat`, 'utf8');
        const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
        stats.push({ pid: Number(d), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
      } catch { /* exited */ }
    }
    const inTree = new Set([root]);
    for (let grown = true; grown;) {
      grown = false;
      for (const p of stats) if (!inTree.has(p.pid) && inTree.has(p.ppid)) inTree.add(p.pid), (grown = true);
    }
    return stats.filter((p) => inTree.has(p.pid) && p.pid !== root).reduce((a, p) => a + p.ticks, 0) * 10;
  };
  const page = await browser.newPage();
  await page.exposeFunction('treeCpu', treeCpu);
  page.on('console', (m) => { if (m.type() === 'error') console.error(m.text()); });
  // any same-origin document will do: the page imports the bundle and the models itself
  await page.goto(`http://127.0.0.1:${server.address().port}/bench/qs8-models.mjs`);
  const out = await page.evaluate(async (keys) => {
    const sd = await import('/dist/browser.js');
    const { mobilenetV2 } = await import('/bench/qs8-models.mjs');
    const info = await sd.init({ relaxedSimd: true });
    const rnd = (n, s) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);
    const lenet = new Uint8Array(await (await fetch('/models/lenet5-mnist.simdnet')).arrayBuffer());
    const make = {
      lenet: ['LeNet-5 (mnist)', () => sd.io.load(lenet), [1, 32, 32]],
      resnet18: ['ResNet-18', () => sd.models.resnet18(), [3, 224, 224]],
      mobilenetv2: ['MobileNetV2', () => mobilenetV2(sd), [3, 224, 224]],
    };
    const timeAll = async (fs) => {
      const reps = [];
      for (const f of fs) {
        f();
        let r = 1;
        for (;;) { const t = performance.now(); for (let i = 0; i < r; i++) f(); if (performance.now() - t >= 1000) break; r *= 2; }
        reps.push(r);
      }
      const best = fs.map(() => Infinity);
      for (let round = 0; round < 5; round++) {
        for (let k = 0; k < fs.length; k++) {
          const t = await window.treeCpu();
          for (let i = 0; i < reps[k]; i++) fs[k]();
          best[k] = Math.min(best[k], (await window.treeCpu() - t) / reps[k]);
        }
      }
      return best;
    };
    const rows = [];
    for (const key of keys) {
      if (!make[key]) throw new Error(`--models: no model '${key}' (${Object.keys(make).join(', ')})`);
      const [name, build, shape] = make[key];
      const f32 = build();
      const n = shape.reduce((a, b) => a * b, 1);
      const cal = sd.Tensor.from(rnd(4 * n, 7), [4, ...shape]);
      const q = sd.quantize(f32, cal, { batchSize: 2 });
      const x = sd.Tensor.from(rnd(n, 8), [1, ...shape]);
      const pf = sd.compile(f32), pq = sd.compile(q);
      const [tf, tq] = await timeAll([() => pf.run(x), () => pq.run(x)]);
      if (!pq.run(x).toFloat32Array().every(Number.isFinite)) throw new Error(`${name}: int8 output not finite`);
      rows.push({ name, tf, tq });
      pf.dispose(); pq.dispose(); q.dispose(); f32.dispose(); cal.dispose(); x.dispose();
    }
    return { info: { build: info.build, int8: info.int8 }, ua: navigator.userAgent, rows };
  }, models);
  console.log(`${os.cpus()[0]?.model ?? '?'}, ${out.ua.match(/Chrome\/[\d.]+/)?.[0] ?? out.ua}, build ${out.info.build}, int8: ${out.info.int8}, ` +
    `1 thread, batch 1, load average ${os.loadavg()[0].toFixed(1)} (CPU ms of the browser's processes)`);
  console.log('| model | f32 ms | int8 ms | speed-up |\n| --- | --- | --- | --- |');
  for (const r of out.rows) console.log(`| ${r.name} | ${r.tf.toFixed(r.tf < 1 ? 4 : 2)} | ${r.tq.toFixed(r.tq < 1 ? 4 : 2)} | ${(r.tf / r.tq).toFixed(2)}× |`);
} finally {
  await browser.close();
  server.close();
}
