// The Node suite on the other three builds, after `vitest run` has run it on the default
// (single-thread SIMD) build in `npm test`: relaxed SIMD (Node 20 needs
// --experimental-wasm-relaxed-simd, which vitest.config.ts passes to its test processes), the
// threaded build and the threaded relaxed build on 2 worker threads with every kernel split
// (test/helpers.ts). Files that do not run kernels through ready() — packaging, processes, the
// file system, the demos, `npm start` and the segmentation training script — are the same on
// every build and run once, in the default run. SIMDNET_BUILDS=a,b picks the list; arguments go
// to vitest. Every build runs even when one fails; the exit code says whether all passed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const builds = (process.env.SIMDNET_BUILDS ?? 'relaxed,threads,threads-relaxed').split(',').map((b) => b.trim()).filter(Boolean);
const ONCE = ['test/smoke/**', 'test/start.test.ts', 'test/demo.test.ts', 'test/demo-finetune.test.ts', 'test/demo-segment.test.ts', 'test/segment-train.test.ts', 'test/readme.test.ts', 'test/torchvision.test.ts', 'test/segmenters.test.ts', 'test/browser-threads.test.ts', 'test/init*.test.ts', 'test/data.test.ts', 'test/onnx-fuzz.test.ts', 'test/simd.test.ts', 'test/threads.test.ts', 'test/threads-deno.test.ts'];
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const results = [];
for (const build of builds) {
  const t0 = Date.now();
  console.log(`\n── Node suite on the ${build} build ──`);
  const args = [vitest, 'run', ...ONCE.flatMap((f) => ['--exclude', f]), ...process.argv.slice(2)];
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, SIMDNET_BUILD: build } });
  results.push({ build, ok: r.status === 0, s: ((Date.now() - t0) / 1000).toFixed(0) });
}
console.log('\nNode suite per build:');
for (const r of results) console.log(`  ${r.build.padEnd(16)} ${r.ok ? 'passed' : 'FAILED'} in ${r.s} s`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
