// Node entry (export conditions node/import and node/require): init() reads the simdnet.wasm
// shipped beside this module from disk (a file: URL is read with node:fs, never fetched).
import { initWithDefault, type EngineInfo, type InitOptions } from '../wasm/engine.js';

export * from '../index.js';

/** Loads simdnet.wasm; by default the file beside this module, or `options.wasm`. */
export function init(options?: InitOptions): Promise<EngineInfo> {
  return initWithDefault(() => new URL('./simdnet.wasm', import.meta.url), options);
}
