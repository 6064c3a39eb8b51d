// A page in Chromium: `import 'simdnet'` through an import map (no bundler), or bundled by
// esbuild for the browser condition. Publishes the result on window.__smoke.
import * as sd from 'simdnet';
import { runLenet } from './lenet-smoke.mjs';

const label = document.documentElement.dataset.runtime;
const wasmUrl = document.documentElement.dataset.wasm;
(async () => {
  const bytes = new Uint8Array(await (await fetch(wasmUrl)).arrayBuffer());
  return runLenet(sd, {
    runtime: `${label} (${navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'unknown'})`,
    badSources: [
      { what: 'a URL that answers 404', source: new URL('./missing/simdnet.wasm', location.href), needle: 'HTTP 404 Not Found; received' },
      { what: 'a truncated Response', source: new Response(bytes.slice(0, 4096)), needle: 'perhaps truncated or corrupt' },
    ],
  });
})().then(
  (r) => { window.__smoke = r; },
  (e) => { window.__smoke = { ok: false, error: String(e && e.stack || e) }; },
);
