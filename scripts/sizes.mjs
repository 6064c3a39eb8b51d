// Bundle sizes, ours beside the peers': the .wasm a SIMD-capable browser downloads, and the
// JavaScript of the main entry bundled and minified by esbuild (the same settings for all:
// bundle, minify, ESM, browser platform), raw / gzip -9 / brotli.
//
//   node scripts/sizes.mjs            (npm run sizes, which builds dist/ first)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const file = (p) => readFileSync(`${root}${p}`);

/** Bytes of `source` (ESM, resolved from the project root) bundled and minified for browsers. */
async function minified(source, label) {
  const out = await build({
    stdin: { contents: source, resolveDir: root, sourcefile: `${label}.mjs`, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'error',
    // Peers reach for Node builtins behind runtime checks; they are not part of a browser bundle.
    external: ['node:*', 'fs', 'path', 'os', 'worker_threads', 'perf_hooks', 'crypto', 'url', 'module'],
  });
  return out.outputFiles[0].contents;
}

const gz = (b) => gzipSync(b, { level: 9 }).length;
const br = (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const triple = (b) => `${kb(b.length)} / ${kb(gz(b))} / ${kb(br(b))}`;

const rows = [
  {
    name: 'simdnet',
    what: 'dist/simdnet.wasm; all of `simdnet` (browser entry)',
    wasm: file('dist/simdnet.wasm'),
    js: await minified("export * from 'simdnet';", 'simdnet'),
  },
  {
    name: 'simdnet, a LeNet-5 app (tree-shaken)',
    what: 'the same .wasm; an app importing only init, models and Tensor, as a bundler would shake it',
    wasm: file('dist/simdnet.wasm'),
    js: await minified(
      "import { init, models, Tensor } from 'simdnet'; await init(); console.log(models.lenet5().predict(Tensor.zeros([1, 1, 32, 32])));",
      'simdnet-lenet',
    ),
  },
  {
    name: '@tensorflow/tfjs-backend-wasm 4.22 (+ tfjs-core)',
    what: 'tfjs-backend-wasm-simd.wasm; tfjs-core + tfjs-backend-wasm (its emscripten glue is inside)',
    wasm: file('node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'),
    js: await minified("export * from '@tensorflow/tfjs-core'; export * from '@tensorflow/tfjs-backend-wasm';", 'tfjs'),
  },
  {
    name: `onnxruntime-web ${JSON.parse(file('node_modules/onnxruntime-web/package.json')).version} (wasm EP)`,
    what: 'ort-wasm-simd-threaded.wasm; onnxruntime-web/wasm + the emscripten glue it imports at run time',
    wasm: file('node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm'),
    js: Buffer.concat([
      await minified("export * from 'onnxruntime-web/wasm';", 'ort'),
      await minified("export * from 'onnxruntime-web/ort-wasm-simd-threaded.mjs';", 'ort-glue'),
    ]),
  },
];

const ours = rows[0].wasm.length;
console.log(`Sizes (raw / gzip -9 / brotli 11), esbuild bundle + minify, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| library | .wasm | minified JS | wasm + JS, gzip |');
console.log('| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.name} | ${triple(r.wasm)} | ${triple(r.js)} | ${kb(gz(r.wasm) + gz(r.js))} |`);
console.log('');
for (const r of rows) console.log(`- ${r.name}: ${r.what}`);
const wasmBr = brotliCompressSync(readFileSync(`${root}dist/simdnet.wasm`), { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
console.log(`\nsimdnet.wasm: ${ours} bytes raw, ${wasmBr} brotli (limits: 300 KB = 307,200 bytes raw, 60 KB = 61,440 brotli: ${ours <= 307_200 && wasmBr < 61_440 ? 'met' : 'NOT met'})`);
