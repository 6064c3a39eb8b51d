// Workers where the Web Worker API runs them: browsers (pages and workers) and Deno. The entry
// passes `create` with its literal `new Worker(new URL('./worker.js', import.meta.url), …)`, the
// form bundlers recognise and copy: a real module file, never a blob: URL, so a CSP with
// `worker-src 'self'` accepts it.
import type { Spawner, WorkerHandle } from './pool.js';
import type { WorkerReply } from './protocol.js';

export function webSpawner(create: () => Worker): Spawner {
  return {
    unavailable: () => (typeof Worker === 'function' ? null : 'this runtime has no Worker constructor'),
    cores: () => {
      const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
      return typeof n === 'number' && n > 0 ? n : null;
    },
    spawn(): WorkerHandle {
      const w = create();
      let ended = false;
      return {
        post: (m) => w.postMessage(m),
        onMessage: (cb) => w.addEventListener('message', (e: MessageEvent<WorkerReply>) => cb(e.data)),
        onError: (cb) =>
          w.addEventListener('error', (e: ErrorEvent) => {
            e.preventDefault?.();
            cb(e.message || 'the worker script could not be loaded (missing, not served as JavaScript, or refused by a Content-Security-Policy worker-src)');
          }),
        alive: () => !ended,
        terminate: () => {
          ended = true;
          w.terminate();
        },
      };
    },
  };
}
