// The test suite in headless Chromium (vitest.browser.config.ts), after the Node run in `npm test`,
// once per build: the single-thread SIMD build, then the threaded relaxed-SIMD build (what
// init({ threads }) picks in a cross-origin-isolated Chromium page) on 2 Web Workers with every
// kernel split. SIMDNET_BUILD=<build> runs that build only; SIMDNET_BROWSER_BUILDS=a,b picks the
// list. Arguments go to vitest (e.g. a test file filter). Every build runs even when one fails.
// Chromium comes from Debian (/usr/bin/chromium, or CHROMIUM_PATH); nothing downloads a browser.
// Without it the run is skipped with a message, except in CI (CI=true), where it is an error:
// .ci/run installs it.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BUILDS = ['simd', 'relaxed', 'threads', 'threads-relaxed'];
const root = fileURLToPath(new URL('..', import.meta.url));
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  const why = `${chromium} not found (Debian: apt-get install chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI) {
    console.error(`browser tests: ${why}; CI must run them`);
    process.exit(1);
  }
  console.warn(`browser tests SKIPPED: ${why}`);
  process.exit(0);
}
const builds = (process.env.SIMDNET_BUILD || process.env.SIMDNET_BROWSER_BUILDS || 'simd,threads-relaxed').split(',').map((b) => b.trim()).filter(Boolean);
const unknown = builds.filter((b) => !BUILDS.includes(b));
if (unknown.length > 0) {
  console.error(`browser tests: unknown build(s) ${unknown.join(', ')}; the builds are ${BUILDS.join(', ')}`);
  process.exit(2);
}
for (const f of ['simdnet.wasm', 'worker.js']) {
  if (!existsSync(new URL(`../dist/${f}`, import.meta.url))) {
    console.error(`browser tests: dist/${f} is missing; run npm run build first`);
    process.exit(1);
  }
}

const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const results = [];
for (const build of builds) {
  console.log(`\nbrowser tests: the ${build} build in Chromium (${chromium})`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [vitest, 'run', '--config', 'vitest.browser.config.ts', ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SIMDNET_BUILD: build, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  });
  results.push({ build, status: r.status ?? r.signal ?? r.error?.message, seconds: (Date.now() - t0) / 1000 });
}
console.log('');
for (const r of results) {
  console.log(`browser tests (Chromium, ${r.build} build): ${r.status === 0 ? 'passed' : `FAILED (exit ${r.status})`} after ${r.seconds.toFixed(0)} s`);
}
process.exit(results.every((r) => r.status === 0) ? 0 : 1);
