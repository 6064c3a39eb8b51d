// node:worker_threads for the browser run of the test suite: test/helpers.ts and
// src/threads/spawn-node.ts import it for Node's pool, which a page never starts (the browser
// helpers start Web Workers instead). Anything that does reach for it fails loudly.
export class Worker {
  constructor() {
    throw new Error('node:worker_threads is not available in the browser run (test/browser/helpers.ts starts Web Workers)');
  }
}

export const isMainThread = true;
export const parentPort = null;

export default { Worker, isMainThread, parentPort };
