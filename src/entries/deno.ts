// Deno entry (export condition deno). The .wasm is imported as a module so that init() needs no
// --allow-read or --allow-net: rollup.config.mjs turns this import into a source-phase import,
// `import source wasmModule from './simdnet.wasm'` (a WebAssembly.Module, Deno 2.x), a syntax
// TypeScript cannot parse yet.
import wasmModule from './simdnet.wasm';
import { initWithDefault, type EngineInfo, type InitOptions } from '../wasm/engine.js';

export * from '../index.js';

/** Loads simdnet.wasm; by default the module imported beside this one, or `options.wasm`. */
export function init(options?: InitOptions): Promise<EngineInfo> {
  return initWithDefault(() => wasmModule, options);
}
