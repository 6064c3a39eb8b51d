// Node entry (export conditions node/import and node/require): init() reads the .wasm files
// shipped beside this module from disk (a file: URL is read with node:fs, never fetched), and
// runs threads on worker_threads over dist/worker-node.js.
import { initWithDefault, wasmUrlOf, type EngineInfo, type InitOptions } from '../wasm/engine.js';
import { threadSupport } from '../threads/pool.js';
import { nodeSpawner, Worker } from '../threads/spawn-node.js';

export * from '../index.js';

/** Loads simdnet; by default the .wasm files beside this module, or `options.wasm`. */
export function init(options?: InitOptions): Promise<EngineInfo> {
  return initWithDefault(
    {
      wasm: wasmUrlOf,
      threads: threadSupport(nodeSpawner(() => new Worker(new URL('./worker-node.js', import.meta.url)))),
    },
    options,
  );
}
