// Deno entry (export condition deno). The .wasm files are imported as modules so that init()
// needs no --allow-read or --allow-net: rollup.config.mjs turns these imports into source-phase
// imports, `import source simd from './simdnet.wasm'` (a WebAssembly.Module, Deno 2.x), a syntax
// TypeScript cannot parse yet. Threads run on Deno's module Web Workers over dist/worker.js.
import simd from './simdnet.wasm';
import relaxed from './simdnet-relaxed.wasm';
import threads from './simdnet-threads.wasm';
import threadsRelaxed from './simdnet-threads-relaxed.wasm';
import { initWithDefault, type BuildName, type EngineInfo, type InitOptions } from '../wasm/engine.js';
import { threadSupport } from '../threads/pool.js';
import { webSpawner } from '../threads/spawn-web.js';

export * from '../index.js';

const MODULES: Record<BuildName, WebAssembly.Module> = { simd, relaxed, threads, 'threads-relaxed': threadsRelaxed };

/** Loads simdnet; by default the modules imported beside this one, or `options.wasm`. */
export function init(options?: InitOptions): Promise<EngineInfo> {
  return initWithDefault(
    {
      wasm: (b) => MODULES[b],
      threads: threadSupport(webSpawner(() => new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }))),
    },
    options,
  );
}
