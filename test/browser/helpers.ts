// test/helpers.ts as the browser run sees it (vitest.browser.config.ts redirects imports of
// that file here): every helper as it is, but ready() starts the engine the browser way, by
// fetching dist/simdnet.wasm from the test server (init() given a Response).
import { init } from '../../src/index.js';

export * from '../helpers.js';

/** Starts the engine from the freshly built dist/simdnet.wasm, fetched over HTTP. */
export async function ready(): Promise<void> {
  await init({ wasm: fetch('/dist/simdnet.wasm') }); // the test server has the project at its root
}
