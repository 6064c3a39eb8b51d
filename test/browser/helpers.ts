// test/helpers.ts as the browser run sees it (vitest.browser.config.ts redirects imports of
// that file here): every helper as it is, but ready() starts the engine the browser way, by
// fetching the build under test from the test server. SIMDNET_BUILD (simd | relaxed | threads |
// threads-relaxed) comes from the config's define, as in Node. Threaded builds start
// SIMDNET_THREADS (default 2) module Web Workers over dist/worker.js, the file the browser entry
// ships, and split every kernel that can be split, however small, so that the reference tests
// check each split; the page must be cross-origin isolated (the config's COOP/COEP headers).
import { init } from '../../src/index.js';
import { engineInfo, initWithDefault, type BuildName } from '../../src/wasm/engine.js';
import { threadSupport } from '../../src/threads/pool.js';
import { webSpawner } from '../../src/threads/spawn-web.js';
import { setSplitThreshold } from '../../src/threads/split.js';

export * from '../helpers.js';

declare const __SIMDNET_BUILD__: BuildName; // vitest.browser.config.ts
declare const __SIMDNET_THREADS__: number;

export const BUILD: BuildName = __SIMDNET_BUILD__;
export const THREADED = BUILD.startsWith('threads');
/** Threads the suite runs on (1 for the single-thread builds), as in test/helpers.ts. */
export const THREADS: number = THREADED ? __SIMDNET_THREADS__ : 1;

const FILES: Record<BuildName, string> = {
  simd: 'simdnet.wasm', relaxed: 'simdnet-relaxed.wasm', threads: 'simdnet-threads.wasm', 'threads-relaxed': 'simdnet-threads-relaxed.wasm',
};

/** A dist/ file's URL on the test server (it has the project at its root). */
export function distUrl(file: string): URL {
  return new URL(`/dist/${file}`, location.origin);
}

/** Starts the engine on the build under test, fetched over HTTP; throws if another build runs. */
export async function ready(): Promise<void> {
  const wasm = { [BUILD]: distUrl(FILES[BUILD]) };
  const relaxedSimd = BUILD.endsWith('relaxed');
  if (!THREADED) {
    const info = await init({ wasm, relaxedSimd });
    if (info.build !== BUILD) throw new Error(`expected the ${BUILD} build, got ${JSON.stringify(info)}`);
    return;
  }
  if (!crossOriginIsolated) {
    throw new Error(`the ${BUILD} build needs a cross-origin-isolated page: the test server must send COOP/COEP (vitest.browser.config.ts)`);
  }
  setSplitThreshold(0);
  const worker = distUrl('worker.js');
  const info = await initWithDefault(
    { wasm: (b) => distUrl(FILES[b]), threads: threadSupport(webSpawner(() => new Worker(worker, { type: 'module' }))) },
    { wasm, threads: THREADS, relaxedSimd },
  );
  if (info.build !== BUILD || info.threads !== THREADS || engineInfo().threads !== THREADS) {
    throw new Error(`expected the ${BUILD} build on ${THREADS} threads, got ${JSON.stringify(info)}`);
  }
}
