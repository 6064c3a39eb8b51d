// Threads in a real page, through the published browser entry (dist/browser.js, which starts
// module Web Workers over dist/worker.js): headless Chromium driven from Node, against a small
// server here that serves the same files under four header sets:
//   /plain/     no COOP/COEP: no SharedArrayBuffer, so init({ threads: 2 }) falls back to one
//               thread and engineInfo().off.threads says why
//   /isolated/  COOP same-origin + COEP require-corp: the threaded build on 2 threads
//   /csp/       isolated, and a Content-Security-Policy that allows workers from 'self' only (no
//               blob:, no inline script): the real worker file still runs threads
//   /csp-none/  isolated with `worker-src 'none'`: no worker may start, so the engine falls back
//               (the control that shows the CSP is enforced)
// Every page computes the same convolution; the numbers must match the reference, and the
// threaded pages must give bitwise the plain page's numbers (splits cut output ranges only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { randArray } from './helpers.js';
import { refConv2d } from './ref/conv2d.js';
import type { EngineInfo } from '../src/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`browser threads test: ${CHROMIUM} is missing (.ci/run installs chromium)`);

const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'";
const MODES: Record<string, Record<string, string>> = {
  plain: {},
  isolated: ISOLATED,
  csp: { ...ISOLATED, 'Content-Security-Policy': STRICT_CSP },
  'csp-none': { ...ISOLATED, 'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'none'" },
};
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript', wasm: 'application/wasm' };
const dist = new URL('../dist/', import.meta.url);

// The page loads the entry itself (an external module script: the CSP pages allow no inline
// script); the test then drives it through window.simdnet.
const PAGE_HTML = '<!DOCTYPE html><meta charset="utf-8"><title>simdnet threads</title><script type="module" src="./page.js"></script>';
const PAGE_JS = "import * as simdnet from './dist/browser.js';\nwindow.simdnet = simdnet;\n";

/** /<mode>/{index.html,page.js,dist/<file>} with the mode's headers on every response. */
function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const m = /^\/([a-z-]+)\/(.*)$/.exec(path);
    const headers = m ? MODES[m[1]!] : undefined;
    const file = m?.[2] ?? '';
    let body: string | Buffer | null = null;
    if (headers && (file === '' || file === 'index.html')) body = PAGE_HTML;
    else if (headers && file === 'page.js') body = PAGE_JS;
    else if (headers && /^dist\/[\w.-]+\.(js|wasm)$/.test(file) && existsSync(new URL(file.slice(5), dist))) {
      body = readFileSync(new URL(file.slice(5), dist));
    }
    if (body === null) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const ext = file === '' ? 'html' : file.slice(file.lastIndexOf('.') + 1);
    res.writeHead(200, { 'Content-Type': TYPES[ext] ?? 'application/octet-stream', 'Cache-Control': 'no-store', ...headers });
    res.end(body);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

const XS = [2, 16, 24, 24], WS = [32, 16, 3, 3];
const X = randArray(XS.reduce((a, b) => a * b), 11), W = randArray(WS.reduce((a, b) => a * b), 12), B = randArray(WS[0]!, 13);
const REF = refConv2d(X, XS, W, WS, B, { padding: [1, 1, 1, 1] });

interface PageRun {
  info: EngineInfo;
  y: number[];
  shape: number[];
  crossOriginIsolated: boolean;
  workers: string[];
  errors: string[];
  blobWorker?: string;
}

describe.skipIf(!available)('threads in Chromium through dist/browser.js', () => {
  let server: Server;
  let browser: Browser;
  let base: string;
  const runs: Record<string, PageRun> = {};

  beforeAll(async () => {
    server = await serve();
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  /** Opens /<mode>/, runs init({ threads: 2 }) and the convolution in the page. */
  async function run(mode: string): Promise<PageRun> {
    const page: Page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`); });
    try {
      await page.goto(`${base}/${mode}/`);
      await page.waitForFunction(() => 'simdnet' in window, null, { timeout: 20_000 });
      const r = await page.evaluate(async ({ x, xs, w, ws, b }) => {
        type S = typeof import('../src/index.js');
        const s = (window as unknown as { simdnet: S }).simdnet;
        const info = await s.init({ threads: 2 });
        const tx = s.Tensor.from(new Float32Array(x), xs), tw = s.Tensor.from(new Float32Array(w), ws), tb = s.Tensor.from(new Float32Array(b), [b.length]);
        const ty = s.ops.conv2d(tx, tw, tb, { padding: 1 });
        const y = Array.from(ty.toFloat32Array());
        const shape = [...ty.shape];
        for (const t of [tx, tw, tb, ty]) t.dispose();
        return { info: { ...info, threads: s.engineInfo().threads }, y, shape, crossOriginIsolated };
      }, { x: Array.from(X), xs: XS, w: Array.from(W), ws: WS, b: Array.from(B) });
      const out: PageRun = { ...r, workers: page.workers().map((wk) => new URL(wk.url()).pathname), errors: [...errors] };
      if (mode.startsWith('csp')) {
        // a blob: worker, the kind a bundled-in worker would need: refused under worker-src 'self'
        out.blobWorker = await page.evaluate(() => new Promise<string>((ok) => {
          try {
            const url = URL.createObjectURL(new Blob(['postMessage("ran")'], { type: 'text/javascript' }));
            const wk = new Worker(url);
            wk.onmessage = () => ok('ran');
            wk.onerror = () => ok('refused (error event)');
            setTimeout(() => ok('no answer'), 3000);
          } catch (e) {
            ok(`refused: ${(e as Error).name}`);
          }
        }));
      }
      return out;
    } finally {
      await page.close();
    }
  }

  function expectReference(r: PageRun, what: string): void {
    expect(r.shape, what).toEqual(REF.shape);
    let worst = 0, at = -1;
    r.y.forEach((v, i) => {
      const e = Math.abs(v - REF.data[i]!) / (1e-4 + 1e-4 * Math.abs(REF.data[i]!));
      if (e > worst) { worst = e; at = i; }
    });
    expect(worst, `${what}: worst element ${at}: ${r.y[at]} vs reference ${REF.data[at]}`).toBeLessThanOrEqual(1);
  }

  it('a page without COOP/COEP falls back to one thread, says why, and computes right', async () => {
    const r = (runs.plain = await run('plain'));
    expect(r.errors).toEqual([]);
    expect(r.crossOriginIsolated).toBe(false);
    expect(['simd', 'relaxed']).toContain(r.info.build);
    expect(r.info.build).toBe(r.info.runtime.relaxedSimd ? 'relaxed' : 'simd');
    expect(r.info.threads).toBe(1);
    expect(r.info.off.threads).toMatch(/cross-origin isolation/);
    expect(r.info.off.threads).toMatch(/Cross-Origin-Opener-Policy: same-origin/);
    expect(r.info.runtime.crossOriginIsolated).toBe(false);
    expect(r.workers).toEqual([]);
    expectReference(r, 'plain page');
  }, 60_000);

  it('the same page with COOP/COEP runs the threaded build on 2 threads with the same numbers', async () => {
    const r = (runs.isolated = await run('isolated'));
    expect(r.errors).toEqual([]);
    expect(r.crossOriginIsolated).toBe(true);
    expect(r.info.build).toBe(r.info.runtime.relaxedSimd ? 'threads-relaxed' : 'threads');
    expect(r.info.threads).toBe(2);
    expect(r.info.off.threads).toBeUndefined();
    expect(r.info.runtime).toMatchObject({ crossOriginIsolated: true, sharedMemory: true });
    expect(r.workers).toEqual(['/isolated/dist/worker.js']);
    expectReference(r, 'isolated page');
    runs.plain ??= await run('plain');
    // same ISA (relaxed or not) on one and two threads: bitwise the same numbers
    expect(r.y).toEqual(runs.plain.y);
  }, 60_000);

  it("a page whose CSP allows workers from 'self' only (no blob:) still runs threads from the worker file", async () => {
    const r = await run('csp');
    expect(r.errors).toEqual([]);
    expect(r.blobWorker).toMatch(/^refused/);
    expect(r.info.build).toMatch(/^threads/);
    expect(r.info.threads).toBe(2);
    expect(r.info.off.threads).toBeUndefined();
    expect(r.workers).toEqual(['/csp/dist/worker.js']);
    expectReference(r, 'CSP page');
  }, 60_000);

  it("under worker-src 'none' no worker starts: the engine falls back to one thread and says so", async () => {
    const r = await run('csp-none');
    expect(r.crossOriginIsolated).toBe(true);
    expect(r.blobWorker).toMatch(/^refused/);
    expect(['simd', 'relaxed']).toContain(r.info.build);
    expect(r.info.threads).toBe(1);
    expect(r.info.off.threads).toMatch(/workers could not start/);
    expectReference(r, "worker-src 'none' page");
  }, 60_000);
});
