// Browser entry (pages and Web Workers; export condition browser): init() fetches the
// simdnet.wasm beside this module. `new URL('./simdnet.wasm', import.meta.url)` is the pattern
// bundlers (Vite, webpack 5, Parcel, rollup plugins) recognise and copy as an asset.
import { initWithDefault, type EngineInfo, type InitOptions } from '../wasm/engine.js';

export * from '../index.js';

/** Loads simdnet.wasm; by default fetched from beside this module, or `options.wasm`. */
export function init(options?: InitOptions): Promise<EngineInfo> {
  return initWithDefault(() => new URL('./simdnet.wasm', import.meta.url), options);
}
