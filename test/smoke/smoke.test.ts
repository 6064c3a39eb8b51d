// Smoke tests of the published package: `npm pack`, the tarball installed into a temporary
// folder, and the same tiny program (init, LeNet-5 forward on a fixed input, compared with a
// float64 reference) in Node ESM, Node CommonJS, Deno, workerd, and Chromium (page without a
// bundler, esbuild bundle, Web Worker). A runtime is skipped only when its binary is missing,
// never in CI (CI=true), where .ci/run installs Chromium and npm brings deno and workerd.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type { Browser } from 'playwright-core';
import type { SmokeResult } from './app/lenet-smoke.mjs';
import { ensureDist, findTools, installPackage, ROOT, type Installed, type Tool } from './fixture.js';
import { launchChromium, runChromium, runDeno, runNode, runWorkerd, type BrowserRuns } from './runtimes.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const WASM_FILES = ['dist/simdnet.wasm', 'dist/simdnet-relaxed.wasm', 'dist/simdnet-threads.wasm', 'dist/simdnet-threads-relaxed.wasm'];
const DIST_FILES = [
  'dist/index.js', 'dist/node.js', 'dist/node.cjs', 'dist/browser.js', 'dist/workerd.js', 'dist/deno.js',
  'dist/worker.js', 'dist/worker-node.js', 'dist/index.d.ts', 'dist/index.d.cts', ...WASM_FILES,
];
/** The trained LeNet-5 and real MNIST test digits that the README's examples use. */
const EXAMPLE_FILES = [
  'models/lenet5-mnist.simdnet', 'samples/digit-7.png', 'samples/digit-7.rgba',
  'samples/mnist-200-images-idx3-ubyte.gz', 'samples/mnist-200-labels-idx1-ubyte.gz',
];
const tools = await findTools();
const ran: { runtime: string; entry: string; result: SmokeResult; ms: number }[] = [];
let installed: Installed;

beforeAll(async () => {
  const [, buildMs] = await timed(() => ensureDist(DIST_FILES.filter((f) => !WASM_FILES.includes(f))));
  const [inst, packMs] = await timed(() => installPackage());
  installed = inst;
  console.log(`smoke: dist/ checked in ${buildMs} ms; npm pack (${(inst.tarballBytes / 1024).toFixed(0)} KiB) + install in ${packMs} ms`);
}, 180_000);

afterAll(() => {
  installed?.cleanup();
  if (ran.length === 0) return;
  const rows = ran.map(({ runtime, entry, result, ms }) =>
    `  ${runtime.padEnd(50)} ${entry.replace(/^.*node_modules\//, '').padEnd(44)} build ${result.build}, init ${String(result.initMs).padStart(3)} ms, ` +
    `max |error| ${result.maxErr.toExponential(1)}, ${result.checks.filter((c) => c.ok).length}/${result.checks.length} checks, ${ms} ms in all`,
  );
  console.log(`smoke: the installed tarball, LeNet-5 forward in each runtime\n${rows.join('\n')}`);
});

/** Skips (with the reason) when a binary is genuinely missing; in CI a missing binary fails. */
function need(tool: Tool, ctx: TestContext): void {
  if (tool.ok) return;
  if (process.env.CI) throw new Error(`${tool.name} is required in CI but unavailable: ${tool.note}`);
  console.warn(`smoke: skipping ${tool.name}: ${tool.note}`);
  ctx.skip();
}

function expectPassed(runtime: string, r: SmokeResult, ms: number, entry = r.entry ?? ''): void {
  ran.push({ runtime, entry, result: r, ms });
  const failed = r.checks.filter((c) => !c.ok).map((c) => `${c.what}: ${c.message}`);
  expect(failed, `${runtime}: failed checks`).toEqual([]);
  expect(r.ok).toBe(true);
  // the relaxed-SIMD build wherever the runtime has relaxed SIMD (Deno, Chromium, workerd), else simd
  expect(['simd', 'relaxed']).toContain(r.build);
  expect(r.output).toHaveLength(10);
}

async function timed<T>(f: () => T | Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await f();
  return [v, Math.round(performance.now() - t0)];
}

describe('the package as published', () => {
  it('holds the entries, the types, the wasm and the README examples\' model and digits, and nothing else', () => {
    expect(installed.files).toEqual([...DIST_FILES, ...EXAMPLE_FILES, 'README.md', 'package.json'].sort());
    expect(pkg.sideEffects).toBe(false);
    const conditions = Object.keys(pkg.exports['.']);
    expect(conditions[0]).toBe('types');
    expect(conditions.at(-1)).toBe('default');
    expect(conditions).toEqual(expect.arrayContaining(['workerd', 'worker', 'deno', 'browser', 'node']));
  });
  it('has no node: imports in the browser and workerd entries; Deno imports the .wasm as a source', () => {
    const dist = join(installed.dir, 'node_modules/simdnet/dist');
    for (const f of ['browser.js', 'workerd.js']) {
      const code = readFileSync(join(dist, f), 'utf8');
      expect(code, f).not.toMatch(/(from|import\()\s*['"]node:/);
    }
    expect(readFileSync(join(dist, 'workerd.js'), 'utf8')).toMatch(/^import \w+ from '\.\/simdnet\.wasm';$/m);
    expect(readFileSync(join(dist, 'deno.js'), 'utf8')).toMatch(/^import source \w+ from '\.\/simdnet\.wasm';$/m);
    expect(readFileSync(join(dist, 'browser.js'), 'utf8')).toContain("new URL('./simdnet.wasm', import.meta.url)");
  });
  it('types resolve for import and require (tsc, moduleResolution nodenext)', () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const dir = installed.dir;
    const src = (kind: string) =>
      `${kind}\nconst info: Promise<EngineInfo> = init();\nconst t: Tensor | null = null;\nvoid info; void t; void models.lenet5;\n`;
    const esm = "import { init, models, type EngineInfo, type Tensor } from 'simdnet';";
    const cjs = "import simdnet = require('simdnet');\ntype EngineInfo = simdnet.EngineInfo; type Tensor = simdnet.Tensor;\nconst { init, models } = simdnet;";
    writeFileSync(join(dir, 'types-esm.mts'), src(esm));
    writeFileSync(join(dir, 'types-cjs.cts'), src(cjs));
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--target', 'es2022', 'types-esm.mts', 'types-cjs.cts'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(`${r.stdout}${r.stderr}`, 'tsc on a consumer').toBe('');
    expect(r.status).toBe(0);
  }, 60_000);
});

describe('Node', () => {
  it('ESM: import resolves dist/node.js; init() reads the file', async () => {
    const [r, ms] = await timed(() => runNode(installed.dir, 'node-main.mjs'));
    expect(r.entry).toMatch(/node_modules\/simdnet\/dist\/node\.js$/);
    expectPassed(r.runtime, r, ms);
  }, 60_000);
  it('CommonJS: require resolves dist/node.cjs', async () => {
    const [r, ms] = await timed(() => runNode(installed.dir, 'node-main.cjs'));
    expect(r.entry).toMatch(/node_modules\/simdnet\/dist\/node\.cjs$/);
    expectPassed(r.runtime, r, ms);
  }, 60_000);
});

describe('Deno', () => {
  it('the deno entry, no permissions (the .wasm imported as a module)', async (ctx) => {
    need(tools.deno, ctx);
    const [r, ms] = await timed(() => runDeno(installed.dir, tools.deno.path));
    expect(r.entry).toMatch(/node_modules\/simdnet\/dist\/deno\.js$/);
    expectPassed(r.runtime, r, ms);
  }, 60_000);
});

describe('workerd', () => {
  it('bundled as wrangler does, the .wasm a module, served on 127.0.0.1', async (ctx) => {
    need(tools.workerd, ctx);
    const [r, ms] = await timed(() => runWorkerd(installed.dir, tools.workerd.path, tools.workerd.compatibilityDate));
    expect(r.bundled).toEqual(['node_modules/simdnet/dist/workerd.js']);
    expectPassed(`workerd ${tools.workerd.note.replace(/^workerd /, '')}`, r, ms, 'node_modules/simdnet/dist/workerd.js');
  }, 60_000);
});

describe('Chromium', () => {
  let browser: Browser | null = null;
  let runs: BrowserRuns | null = null;
  afterAll(async () => {
    await browser?.close();
  });
  async function chromiumRuns(ctx: TestContext): Promise<BrowserRuns> {
    need(tools.chromium, ctx);
    if (runs === null) {
      const [b, launchMs] = await timed(() => launchChromium(tools.chromium.path));
      browser = b;
      console.log(`smoke: ${tools.chromium.note} launched in ${launchMs} ms`);
      runs = await runChromium(installed.dir, b);
    }
    return runs;
  }
  it('a page with no bundler (import map to the browser entry; init() fetches the .wasm)', async (ctx) => {
    const { page } = await chromiumRuns(ctx);
    expectPassed(page.runtime, page, page.ms);
  }, 120_000);
  it('a page bundled by esbuild for the browser condition', async (ctx) => {
    const { bundled } = await chromiumRuns(ctx);
    expectPassed(bundled.runtime, bundled, bundled.ms);
  }, 120_000);
  it('a module Web Worker', async (ctx) => {
    const { worker } = await chromiumRuns(ctx);
    expectPassed(worker.runtime, worker, worker.ms);
  }, 120_000);
});
