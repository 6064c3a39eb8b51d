// The worker script of the threaded build in browsers and Deno (dist/worker.js, a module
// worker): receives the module, the shared memory and the control block, then serves kernels.
import { runWorker } from '../threads/worker-core.js';
import type { WorkerInit } from '../threads/protocol.js';

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<WorkerInit>) => void) | null; postMessage(m: unknown): void };
scope.onmessage = (e) => {
  scope.onmessage = null;
  void runWorker(e.data, (r) => scope.postMessage(r));
};
