// Launchers: run the installed smoke program in each runtime and return what it reported.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import type { SmokeResult } from './app/lenet-smoke.mjs';
import { serveStatic } from './serve.js';

const MARK = 'SMOKE_RESULT ';

function parseResult(what: string, stdout: string, stderr: string): SmokeResult {
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`${what} printed no result.\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  return JSON.parse(line.slice(MARK.length)) as SmokeResult;
}

/** `node <file>` in the install folder (ESM or CommonJS by the file's extension). */
export function runNode(dir: string, file: string): SmokeResult {
  const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return parseResult(`node ${file}`, r.stdout, r.stderr);
}

/** `deno run` with no permission flags and --no-prompt: any file or network access would fail. */
export function runDeno(dir: string, deno: string): SmokeResult {
  const r = spawnSync(deno, ['run', '--no-prompt', 'node-main.mjs'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
  });
  return parseResult('deno run node-main.mjs', r.stdout, r.stderr);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Bundles the worker as wrangler does (esbuild; conditions workerd, worker, browser; .wasm kept
 * as a module import), serves it with workerd on 127.0.0.1 and fetches the result.
 */
export async function runWorkerd(dir: string, workerd: string, compatibilityDate: string): Promise<SmokeResult & { bundled: string[] }> {
  const meta = await build({
    entryPoints: [join(dir, 'workerd-main.mjs')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['*.wasm', '*.bin'],
    outfile: join(dir, 'workerd-bundle.mjs'),
    metafile: true,
    absWorkingDir: dir,
    logLevel: 'silent',
  });
  const bundled = Object.keys(meta.metafile.inputs).filter((f) => f.includes('node_modules/simdnet/'));
  const port = await freePort();
  const wasm = 'node_modules/simdnet/dist/simdnet.wasm';
  writeFileSync(
    join(dir, 'workerd.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .smoke) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const smoke :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "workerd-bundle.mjs"),
    (name = "simdnet.wasm", wasm = embed "${wasm}"),
    (name = "simdnet-relaxed.wasm", wasm = embed "${wasm.replace('simdnet.wasm', 'simdnet-relaxed.wasm')}"),
    (name = "simdnet-bytes.bin", data = embed "${wasm}"),
  ],
  compatibilityDate = "${compatibilityDate}",
);
`,
  );
  const text = await workerdFetch(workerd, dir, 'workerd.capnp', `http://127.0.0.1:${port}/`);
  return { ...(JSON.parse(text) as SmokeResult), bundled };
}

/**
 * Starts `workerd serve <config>` in dir, fetches url once it listens (retrying while the
 * connection is refused, up to 30 s), stops workerd and returns the body; a non-2xx answer or
 * workerd exiting is an error with workerd's log.
 */
export async function workerdFetch(workerd: string, dir: string, config: string, url: string, init?: RequestInit): Promise<string> {
  const child = spawn(workerd, ['serve', config], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}:\n${log}`);
      try {
        const res = await fetch(url, init);
        const text = await res.text();
        if (!res.ok) throw new Error(`workerd answered ${res.status}: ${text}\n${log}`);
        return text;
      } catch (e) {
        if (!(e instanceof TypeError) || Date.now() > deadline) throw e; // TypeError: not listening yet
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    child.kill('SIGTERM');
  }
}

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** Launches Debian's Chromium through playwright-core (which never downloads a browser). */
export async function launchChromium(executablePath: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS });
}

type Timed = SmokeResult & { ms: number };
export interface BrowserRuns {
  page: Timed;
  bundled: Timed;
  worker: Timed;
  origin: string;
}

/**
 * Three runs in Chromium on pages served from 127.0.0.1: a page importing the package's browser
 * entry through an import map (no bundler), the same program bundled by esbuild for the browser
 * condition (the .wasm copied beside the bundle), and a module Web Worker.
 */
export async function runChromium(dir: string, browser: Browser): Promise<BrowserRuns> {
  const pkg = JSON.parse(readFileSync(join(dir, 'node_modules/simdnet/package.json'), 'utf8')) as {
    exports: { '.': { browser: string }; './simdnet.wasm': string };
  };
  const entry = `/node_modules/simdnet/${pkg.exports['.'].browser.replace(/^\.\//, '')}`;
  const wasm = `/node_modules/simdnet/${pkg.exports['./simdnet.wasm'].replace(/^\.\//, '')}`;
  const page = (runtime: string, script: string, importMap = '') =>
    `<!DOCTYPE html><html data-runtime="${runtime}" data-wasm="${wasm}"><head><meta charset="utf-8">${importMap}</head>` +
    `<body><script type="module">${script}</script></body></html>`;
  writeFileSync(
    join(dir, 'page.html'),
    page('Chromium page, no bundler', "import './page-main.mjs';", `<script type="importmap">${JSON.stringify({ imports: { simdnet: entry } })}</script>`),
  );
  mkdirSync(join(dir, 'bundled'), { recursive: true });
  await build({
    entryPoints: [join(dir, 'page-main.mjs')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outfile: join(dir, 'bundled/app.js'),
    logLevel: 'silent',
  });
  // esbuild leaves `new URL('./simdnet.wasm', import.meta.url)` (and the other builds' and the
  // worker's URLs) alone: the files go beside the bundle.
  for (const f of ['simdnet.wasm', 'simdnet-relaxed.wasm', 'simdnet-threads.wasm', 'simdnet-threads-relaxed.wasm', 'worker.js']) {
    copyFileSync(join(dir, `node_modules/simdnet/dist/${f}`), join(dir, `bundled/${f}`));
  }
  writeFileSync(join(dir, 'bundled/index.html'), page('Chromium page, esbuild bundle', "import './app.js';"));
  writeFileSync(
    join(dir, 'worker.html'),
    page(
      'Chromium Web Worker',
      `const w = new Worker('./worker-main.mjs?entry=${encodeURIComponent(entry)}', { type: 'module' });
       w.onmessage = (e) => { window.__smoke = e.data; };
       w.onerror = (e) => { window.__smoke = { ok: false, error: 'worker error: ' + e.message }; };`,
    ),
  );

  const server = await serveStatic(dir);
  const context = await browser.newContext();
  try {
    const open = async (path: string): Promise<SmokeResult & { ms: number }> => {
      const t0 = performance.now();
      const p = await context.newPage();
      const errors: string[] = [];
      p.on('pageerror', (e) => errors.push(e.message));
      p.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await p.goto(`${server.origin}${path}`);
      const handle = await p.waitForFunction(() => (window as unknown as { __smoke?: unknown }).__smoke, null, { timeout: 60_000 });
      const result = (await handle.jsonValue()) as SmokeResult & { error?: string };
      await p.close();
      if (result.error) throw new Error(`${path}: ${result.error}\n${errors.join('\n')}`);
      return { ...result, ms: Math.round(performance.now() - t0) };
    };
    const pageRun = await open('/page.html');
    pageRun.entry = entry;
    const bundledRun = await open('/bundled/index.html');
    bundledRun.entry = 'bundled/app.js (esbuild, browser condition)';
    const workerRun = await open('/worker.html');
    workerRun.entry = entry;
    return { page: pageRun, bundled: bundledRun, worker: workerRun, origin: server.origin };
  } finally {
    await context.close();
    await server.close();
  }
}
