// Cloudflare Workers / workerd entry (export conditions workerd and worker). workerd refuses to
// compile WebAssembly from bytes ("Wasm code generation disallowed by embedder", while
// WebAssembly.validate still says true), so the .wasm files are imported as modules: wrangler's
// default rules (and a workerd config's `wasm = embed …` modules) hand over WebAssembly.Modules.
// workerd has no workers to run threads on: the single-thread builds only.
import simd from './simdnet.wasm';
import relaxed from './simdnet-relaxed.wasm';
import { initWithDefault, type EngineInfo, type InitOptions } from '../wasm/engine.js';

export * from '../index.js';

/** Loads simdnet; by default the modules imported beside this one, or `options.wasm`. */
export function init(options?: InitOptions): Promise<EngineInfo> {
  return initWithDefault({ wasm: (b) => (b === 'relaxed' ? relaxed : simd) }, options);
}
