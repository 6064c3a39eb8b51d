// Deno entry (export condition deno). The .wasm files are imported as modules so that init()
// needs no --allow-read or --allow-net: rollup.config.mjs turns these imports into source-phase
// imports, `import source simd from './simdnet.wasm'` (a WebAssembly.Module, Deno 2.x), a syntax
// TypeScript cannot parse yet. Threads run on Deno's node:worker_threads over dist/worker-node.js:
// unlike its Web Workers they can be unref'd, so a script ends when its work does. Starting a
// worker from a file needs read access to it (`--allow-read`, or `--allow-read=<the package's
// dist/>`); without it init() runs one thread and engineInfo().off.threads says so.
import simd from './simdnet.wasm';
import relaxed from './simdnet-relaxed.wasm';
import threads from './simdnet-threads.wasm';
import threadsRelaxed from './simdnet-threads-relaxed.wasm';
import { initWithDefault, type BuildName, type EngineInfo, type InitOptions } from '../wasm/engine.js';
import { threadSupport } from '../threads/pool.js';
import { nodeSpawner, Worker } from '../threads/spawn-node.js';

export * from '../index.js';

const MODULES: Record<BuildName, WebAssembly.Module> = { simd, relaxed, threads, 'threads-relaxed': threadsRelaxed };

/** Loads simdnet; by default the modules imported beside this one, or `options.wasm`. */
export function init(options?: InitOptions): Promise<EngineInfo> {
  return initWithDefault(
    {
      wasm: (b) => MODULES[b],
      threads: threadSupport(nodeSpawner(() => new Worker(new URL('./worker-node.js', import.meta.url)))),
    },
    options,
  );
}
