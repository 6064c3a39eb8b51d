// Images in: Tensor.fromPixels on a 1920×1080 RGBA frame → 1×3×224×224 (center crop, bilinear,
// ImageNet mean/std), one thread, on the built package (dist/), Node or Deno. Reports the median
// of many calls (each: the row copy into wasm memory, the tables, the kernel, the output tensor),
// and a few other shapes for context.
//
//   npm run build && node bench/pixels.mjs [--runs 300]
//   npx deno run --allow-read --allow-env --allow-sys bench/pixels.mjs
import os from 'node:os';

const isDeno = typeof globalThis.Deno !== 'undefined';
const sd = isDeno ? await import('../dist/deno.js') : await import('../dist/node.js');
const argv = isDeno ? globalThis.Deno.args : process.argv.slice(2);
const at = argv.indexOf('--runs');
const RUNS = at >= 0 ? Number(argv[at + 1]) : 300;
const info = await sd.init();

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const frame = (w, h) => {
  const data = new Uint8ClampedArray(4 * w * h);
  let s = 12345;
  for (let i = 0; i < data.length; i++) { s = (s * 1103515245 + 12345) >>> 0; data[i] = s >>> 24; }
  return { data, width: w, height: h };
};
const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

function time(label, src, options) {
  for (let i = 0; i < 20; i++) sd.Tensor.fromPixels(src, options).dispose(); // warm up (JIT, heap growth)
  const t = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const x = sd.Tensor.fromPixels(src, options);
    t.push(performance.now() - t0);
    x.dispose();
  }
  const med = median(t);
  console.log(`| ${label} | ${med.toFixed(3)} | ${Math.min(...t).toFixed(3)} |`);
  return med;
}

const runtime = isDeno ? `Deno ${globalThis.Deno.version.deno}` : `Node ${process.versions.node}`;
console.log(`simdnet ${info.build} build, 1 thread · ${runtime} · ${os.cpus()[0]?.model ?? 'cpu'} · ${new Date().toISOString().slice(0, 10)} · ${RUNS} runs`);
console.log('| Tensor.fromPixels | median ms | min ms |');
console.log('|---|---:|---:|');
const hd = frame(1920, 1080);
const main = time('1920×1080 RGBA → 1×3×224×224, center crop, bilinear, ImageNet mean/std', hd, { size: [224, 224], crop: 'center', ...IMAGENET });
time('1920×1080 RGBA → 1×3×224×224, center crop, nearest', hd, { size: [224, 224], crop: 'center', resize: 'nearest', ...IMAGENET });
time('1920×1080 RGBA → 1×1×224×224, center crop, bilinear, grey', hd, { size: [224, 224], crop: 'center', channels: 1 });
time('1920×1080 RGBA → 1×3×1080×1920, no resize', hd, IMAGENET);
time('640×480 RGBA → 1×3×224×224, center crop, bilinear', frame(640, 480), { size: [224, 224], crop: 'center', ...IMAGENET });
const batch = Array.from({ length: 8 }, () => frame(256, 256));
time('8 × 256×256 RGBA → 8×3×224×224, bilinear', batch, { size: [224, 224], ...IMAGENET });
console.log(`\nthe target: 1920×1080 → 224×224 under 2 ms on one thread: ${main.toFixed(3)} ms ${main < 2 ? '(met)' : '(NOT met)'}`);
