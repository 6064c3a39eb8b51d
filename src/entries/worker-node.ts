// The worker script of the threaded build in Node (dist/worker-node.js, run by worker_threads).
import { parentPort } from 'node:worker_threads';
import { runWorker } from '../threads/worker-core.js';
import type { WorkerInit } from '../threads/protocol.js';

const port = parentPort;
if (port === null) throw new Error('simdnet: dist/worker-node.js is a worker script; the pool starts it');
port.once('message', (m: WorkerInit) => {
  void runWorker(m, (r) => port.postMessage(r));
});
