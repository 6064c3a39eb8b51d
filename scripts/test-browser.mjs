// The test suite in headless Chromium (vitest.browser.config.ts), after the Node run in `npm test`.
// Chromium comes from Debian (/usr/bin/chromium, or CHROMIUM_PATH); nothing downloads a browser.
// Without it the run is skipped with a message, except in CI (CI=true), where it is an error:
// .ci/run installs it.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const t0 = Date.now();
const r = spawnSync(process.execPath, [vitest, 'run', '--config', 'vitest.browser.config.ts', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
});
console.log(`browser tests (Chromium, ${chromium}): exit ${r.status ?? r.signal} after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(r.status ?? 1);
