// Browser entry (pages and Web Workers; export condition browser): init() fetches the .wasm
// beside this module, and runs threads on module Web Workers over dist/worker.js where the page
// is cross-origin isolated. `new URL('./x', import.meta.url)` is the pattern bundlers (Vite,
// webpack 5, Parcel, rollup plugins) recognise and copy as an asset.
import { initWithDefault, wasmUrlOf, type EngineInfo, type InitOptions } from '../wasm/engine.js';
import { threadSupport } from '../threads/pool.js';
import { webSpawner } from '../threads/spawn-web.js';

export * from '../index.js';

/** Loads simdnet; by default fetched from beside this module, or `options.wasm`. */
export function init(options?: InitOptions): Promise<EngineInfo> {
  return initWithDefault(
    {
      wasm: wasmUrlOf,
      threads: threadSupport(webSpawner(() => new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }))),
    },
    options,
  );
}
