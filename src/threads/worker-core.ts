// The body of every worker (src/entries/worker.ts for Web Workers and Deno, worker-node.ts for
// Node's worker_threads): instantiate the module over the shared memory, say ready, then wait on
// the control block for jobs and claim their tasks until none is left. No allocation, no state
// beyond the instance: the heap is the calling thread's.
import { KERNEL_NAMES } from '../wasm/abi.js';
import { instantiateShared } from '../wasm/shared.js';
import {
  controlViews, slot, claim, runTask, setRunning, countDone, writeMessage, type WorkerInit, type WorkerReply,
  GEN, CMD, TID, STATUS, SLEEPING, TRAPPED, DEAD, STOP, TEST_CRASH, CLAIMING,
} from './protocol.js';

type Fn = (...args: number[]) => unknown;

/**
 * How long a worker polls for the next job before it sleeps. Jobs come in bursts (a layer's
 * tasks, a training step's kernels, one call after another in a loop), and waking a thread
 * from Atomics.wait costs 30–130 µs on a virtual machine: polling through the short gaps keeps
 * those hand-offs at about a microsecond.
 */
const SPIN_MS = 2;

/** Starts a worker from its init message; `post` sends replies to the pool. */
export async function runWorker(init: WorkerInit, post: (r: WorkerReply) => void): Promise<void> {
  let table: Fn[];
  try {
    const exports = await instantiateShared(init.module, init.memory);
    table = KERNEL_NAMES.map((n) => exports[n] as unknown as Fn);
  } catch (e) {
    post({ type: 'error', message: `worker ${init.index + 1} could not instantiate the module: ${(e as Error).message}` });
    return;
  }
  // The generation seen is read before saying ready: a job published the moment the pool hears
  // of us is then one generation later, never missed.
  const seen = Atomics.load(controlViews(init.control).i32, GEN);
  post({ type: 'ready' });
  // Leave the message handler first (a Node worker's 'message' turn), then block for good.
  await Promise.resolve();
  loop(init, table, seen);
}

const now = (): number => performance.now();

function loop(init: WorkerInit, table: Fn[], first: number): void {
  const v = controlViews(init.control);
  const i32 = v.i32;
  const w = init.index;
  const s = slot(w);
  const args: number[] = [];
  let seen = first;
  try {
    for (;;) {
      let gen = Atomics.load(i32, GEN);
      if (gen === seen) {
        let t0 = now();
        for (let spins = 1; (gen = Atomics.load(i32, GEN)) === seen; spins++) {
          if ((spins & 255) !== 0 || now() - t0 < SPIN_MS) continue;
          // Say we sleep before the last look at GEN: the pool bumps GEN before it looks at
          // SLEEPING, so one of us sees the other.
          Atomics.store(i32, s + SLEEPING, 1);
          Atomics.wait(i32, GEN, seen);
          Atomics.store(i32, s + SLEEPING, 0);
          t0 = now();
        }
      }
      seen = gen;
      const cmd = Atomics.load(i32, CMD);
      if (cmd === STOP) return;
      // a worker that has not taken part yet (it started while the pool was running) sits out
      if (Atomics.load(i32, s + TID) < 0) continue;
      // Take tasks until no range holds one. Every state change is a compareExchange: once the
      // pool has written this worker off (it was thought dead), it stops here.
      for (;;) {
        if (!setRunning(i32, w, 0, CLAIMING)) return;
        const task = claim(i32, Atomics.load(i32, s + TID));
        if (task < 0) {
          if (!setRunning(i32, w, CLAIMING, 0)) return;
          break;
        }
        if (!setRunning(i32, w, CLAIMING, task + 1)) return;
        // A test's crash is the task itself, not the GEN that announced it: a worker still in this
        // loop from the job before (it counted its last task, then was descheduled) claims the
        // new job's task here without seeing GEN move. CMD is stored before the ranges, so the
        // claimed task's job has set it; a targeted job's one task goes only to its target.
        if (Atomics.load(i32, CMD) === TEST_CRASH) throw new Error('worker crash requested by a test (TEST_CRASH)');
        try {
          // the thread index of the task's job: this job's, whatever GEN this loop saw
          runTask(v.program, task, Atomics.load(i32, s + TID), table, args);
        } catch (e) {
          writeMessage(v, w, String((e as Error)?.stack ?? e).split('\n')[0]!);
          Atomics.store(i32, s + STATUS, TRAPPED);
        }
        if (!setRunning(i32, w, task + 1, 0)) return;
        countDone(i32);
      }
    }
  } catch (e) {
    // dying (a test's crash, an engine error): say so, and let the pool count our task
    writeMessage(v, w, String((e as Error)?.message ?? e));
    Atomics.store(i32, s + STATUS, DEAD);
    throw e;
  }
}
