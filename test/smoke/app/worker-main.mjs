// A module Web Worker in Chromium: imports the browser entry named in ?entry= (import maps do
// not reach workers) and posts the result to the page.
import { runLenet } from './lenet-smoke.mjs';

const params = new URL(self.location.href).searchParams;
(async () => {
  const sd = await import(params.get('entry'));
  return runLenet(sd, {
    runtime: `Chromium Web Worker (${navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'unknown'})`,
    badSources: [{ what: 'a URL that answers 404', source: new URL('./missing/simdnet.wasm', self.location.href), needle: 'HTTP 404 Not Found; received' }],
  });
})().then(
  (r) => self.postMessage(r),
  (e) => self.postMessage({ ok: false, error: String(e && e.stack || e) }),
);
