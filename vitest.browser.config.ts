// The kernel and model test suite in headless Chromium (vitest browser mode, playwright-core
// driving Debian's /usr/bin/chromium; nothing downloads a browser). `npm test` runs it after the
// Node run through scripts/test-browser.mjs. Tests are not edited for it: imports of
// test/helpers.ts get test/browser/helpers.ts (ready() fetches the build under test from dist/),
// and node:fs / node:url get small shims so fixtures load over HTTP (node:worker_threads / node:os
// stubs let the Node helpers load; their pool never starts in a page).
//
// SIMDNET_BUILD = simd (default) | relaxed | threads | threads-relaxed picks the build, as in
// Node; threaded builds run SIMDNET_THREADS (default 2) Web Workers over dist/worker.js and split
// every kernel. The server sends COOP same-origin + COEP require-corp on every response (the
// orchestrator page, the test iframe, modules, wasm and the worker script), so the test iframe is
// cross-origin isolated and has SharedArrayBuffer (test/browser/isolation.browser.ts checks).
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const ROOT = here('./');
const HELPERS = here('./test/helpers.ts');
const BROWSER_DIR = here('./test/browser/');
const SHIMS: Record<string, string> = {
  'node:fs': here('./test/browser/node-fs.ts'),
  'node:url': here('./test/browser/node-url.ts'),
  'node:worker_threads': here('./test/browser/node-worker-threads.ts'),
  'node:os': here('./test/browser/node-os.ts'),
};

const BUILDS = ['simd', 'relaxed', 'threads', 'threads-relaxed'];
const BUILD = process.env.SIMDNET_BUILD || 'simd';
if (!BUILDS.includes(BUILD)) throw new Error(`SIMDNET_BUILD=${BUILD}: the builds are ${BUILDS.join(', ')}`);
const THREADS = Number(process.env.SIMDNET_THREADS || 2);

/** What makes a page cross-origin isolated (SharedArrayBuffer, so threads). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Files that test Node itself (file: URLs, processes, the file system), not the kernels. */
const NODE_ONLY = [
  'test/init.test.ts', // file: URLs and missing paths
  'test/init-sources.test.ts',
  'test/init-response.test.ts',
  'test/data.test.ts', // IDX files and the mnist package from disk
  'test/onnx-fuzz.test.ts', // lists a fixtures folder
  'test/simd.test.ts', // reads build/simdnet.wat
  'test/callbacks.test.ts', // writes a checkpoint file (node:fs, node:os)
  'test/torchvision.test.ts', // runs Python exports from test-artifacts/
  'test/segmenters.test.ts', // the same, through node:child_process
  'test/qs8-deno.test.ts', // runs the int8 kernels under Deno (spawns it)
  'test/quantize.test.ts',
  'test/quantize-zoo.test.ts', // spawns PyTorch (scripts/sqnr-pytorch.py) and reads its exports from disk // reads the mnist package and Debian's Fashion-MNIST files from disk (node:path)
  'test/start.test.ts', // spawns node
  'test/demo.test.ts', // drives Chromium itself with playwright-core
  'test/demo-finetune.test.ts', // drives Chromium itself with playwright-core
  'test/demo-segment.test.ts', // drives Chromium itself with playwright-core
  'test/segment-train.test.ts', // spawns node
  'test/browser-threads.test.ts', // drives Chromium itself with playwright-core
  'test/readme.test.ts', // packs the package and runs the README's examples in Node, Deno, workerd and Chromium
  'test/threads*.test.ts', // Node's worker_threads pool (the browser run covers Web Workers)
];

function browserShims(): Plugin {
  return {
    name: 'simdnet-browser-test-shims',
    enforce: 'pre',
    configureServer(server) {
      // readdirSync for the node:fs shim: lists a folder of the project, given its served URL.
      server.middlewares.use('/__simdnet_readdir', (req, res) => {
        const path = join(ROOT, new URL(req.url ?? '', 'http://x').searchParams.get('path') ?? '');
        const inside = resolve(path).startsWith(ROOT);
        res.setHeader('Content-Type', 'application/json');
        if (!inside || !existsSync(path)) res.statusCode = 404;
        res.end(inside && existsSync(path) ? JSON.stringify(readdirSync(path)) : '[]');
      });
    },
    transform(code, id) {
      // Vite rewrites `new URL('./dir/', import.meta.url)` as an asset (dropping a folder's
      // trailing slash); test files mean the plain URL beside them, which the node:fs shim maps
      // to the server's path (test/browser/node-fs.ts, served()).
      if (!id.startsWith(here('./test/')) || !code.includes('import.meta.url')) return null;
      return { code: code.replace(/,(\s*)import\.meta\.url(\s*)\)/g, ',$1String(import.meta.url)$2)'), map: null };
    },
    async resolveId(source, importer, options) {
      if (source in SHIMS) return SHIMS[source];
      if (!importer || importer.startsWith(BROWSER_DIR) || !/(^|\/)helpers(\.[jt]s)?$/.test(source)) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      return resolved?.id === HELPERS ? here('./test/browser/helpers.ts') : null;
    },
  };
}

export default defineConfig({
  plugins: [browserShims()],
  // Pre-bundled at start: a dependency found mid-run makes Vite reload the page and fail tests.
  optimizeDeps: { include: ['buffer', 'onnxruntime-web'] },
  define: {
    // Tests read optional switches from process.env (SHOW_ONNX_ERRORS…): only the build's are set.
    'process.env': `(${JSON.stringify({ SIMDNET_BUILD: BUILD, SIMDNET_THREADS: String(THREADS) })})`,
    __SIMDNET_ROOT__: JSON.stringify(ROOT.replace(/\/$/, '')),
    __SIMDNET_BUILD__: JSON.stringify(BUILD),
    __SIMDNET_THREADS__: JSON.stringify(THREADS),
  },
  server: { headers: ISOLATION_HEADERS },
  test: {
    include: ['test/*.test.ts', 'test/browser/*.browser.ts'],
    exclude: NODE_ONLY,
    setupFiles: ['test/browser/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({
        launchOptions: {
          executablePath: CHROMIUM,
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
        },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
