// Workers in Node (and Deno, through its node:worker_threads): worker_threads running the
// package's dist/worker-node.js (an ES module file; the entry passes `create`). Workers are
// unref'd so an idle pool never keeps a process alive (Deno's Web Workers cannot be unref'd).
import { Worker } from 'node:worker_threads';
import * as os from 'node:os';
import type { Spawner, WorkerHandle } from './pool.js';
import type { WorkerReply } from './protocol.js';

export function nodeSpawner(create: () => Worker): Spawner {
  return {
    unavailable: () => null,
    cores: () => {
      try {
        return (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length) || null;
      } catch {
        // Deno without --allow-sys
        const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
        return typeof n === 'number' && n > 0 ? n : null;
      }
    },
    spawn(): WorkerHandle {
      const w = create();
      w.unref();
      let ended = false;
      w.on('exit', () => { ended = true; });
      return {
        post: (m) => w.postMessage(m),
        onMessage: (cb) => w.on('message', (m: WorkerReply) => cb(m)),
        onError: (cb) => w.on('error', (e: Error) => cb(e.message)),
        // threadId turns -1 as soon as the thread stops, before 'exit' can run on this thread
        alive: () => !ended && w.threadId !== -1,
        terminate: () => {
          ended = true;
          void w.terminate();
        },
      };
    },
  };
}

export { Worker };
