// Loading a VGG16-sized native model file (138 M parameters, 553 MB): time and peak memory,
// measured in a fresh process so that nothing from writing the file is still resident.
//   node bench/load-vgg16.mjs   (after npm run build)
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sd from '../dist/index.js';

await sd.init();
const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;

if (process.argv[2] === '--load') {
  const file = process.argv[3];
  const base = process.memoryUsage().rss;
  let peak = base;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const t0 = performance.now();
  const bytes = new Uint8Array(readFileSync(file));
  sample();
  const t1 = performance.now();
  const model = sd.io.load(bytes);
  sample();
  const t2 = performance.now();
  const weights = model.paramCount * 4;
  console.log(`VGG16: ${model.paramCount.toLocaleString()} parameters, file ${mib(bytes.length)}`);
  console.log(`read the file ${(t1 - t0).toFixed(0)} ms; io.load (CRC-32, parse, build, copy into wasm memory) ${(t2 - t1).toFixed(0)} ms`);
  console.log(`peak RSS above the initialised process: ${mib(peak - base)} = ${((peak - base) / weights).toFixed(2)} × the weights ` +
    `(the file's bytes plus the weights in wasm memory: one extra copy)`);
  process.exit(0);
}

const file = join(tmpdir(), `vgg16-${process.pid}.simdnet`);
const m = sd.models.vgg16({ seed: 1 });
m.build();
writeFileSync(file, sd.io.save(m));
m.dispose();
try {
  process.stdout.write(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--load', file], { encoding: 'utf8' }));
} finally {
  rmSync(file);
}
