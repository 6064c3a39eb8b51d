// Cloudflare Workers / workerd entry (export conditions workerd and worker). workerd refuses to
// compile WebAssembly from bytes ("Wasm code generation disallowed by embedder", while
// WebAssembly.validate still says true), so the .wasm is imported as a module: wrangler's
// default rules (and a workerd config's `wasm = embed …` module) hand over a WebAssembly.Module.
import wasmModule from './simdnet.wasm';
import { initWithDefault, type EngineInfo, type InitOptions } from '../wasm/engine.js';

export * from '../index.js';

/** Loads simdnet.wasm; by default the module imported beside this one, or `options.wasm`. */
export function init(options?: InitOptions): Promise<EngineInfo> {
  return initWithDefault(() => wasmModule, options);
}
