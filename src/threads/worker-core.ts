// The body of every worker (src/entries/worker.ts for Web Workers and Deno, worker-node.ts for
// Node's worker_threads): instantiate the module over the shared memory, say ready, then wait on
// the control block for jobs, run each kernel on its range and report. No allocation, no state
// beyond the instance: the heap is the main thread's.
import { KERNEL_NAMES } from '../wasm/abi.js';
import { instantiateShared } from '../wasm/shared.js';
import {
  controlViews, slot, claimDone, writeMessage, type WorkerInit, type WorkerReply,
  GEN, KERNEL, NARGS, STATUS, STARTED, OK, TRAPPED, DEAD, STOP, TEST_CRASH, BATCH, MAX_ARGS, PROGRAM_F64,
} from './protocol.js';

type Fn = (...args: number[]) => unknown;

/** Polls of the job slot before a worker sleeps (about 100–200 µs). */
const SPIN = 20_000;

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
  // The generation seen is read before saying ready: a job handed out the moment the pool hears
  // of us is then one generation later, never missed.
  const seen = Atomics.load(controlViews(init.control).i32, slot(init.index) + GEN);
  post({ type: 'ready' });
  // Leave the message handler first (a Node worker's 'message' turn), then block for good.
  await Promise.resolve();
  loop(init, table, seen);
}

function loop(init: WorkerInit, table: Fn[], first: number): void {
  const v = controlViews(init.control);
  const w = init.index;
  const s = slot(w);
  const args: number[] = new Array(MAX_ARGS).fill(0);
  let seen = first;
  let gen = seen;
  try {
    for (;;) {
      // Spin a little before sleeping: kernels come in bursts (a layer's blocks, a training
      // step's ops), and waking from Atomics.wait costs tens of microseconds on a VM.
      for (let i = 0; i < SPIN && Atomics.load(v.i32, s + GEN) === seen; i++) { /* spin */ }
      if (Atomics.load(v.i32, s + GEN) === seen) Atomics.wait(v.i32, s + GEN, seen);
      gen = Atomics.load(v.i32, s + GEN);
      if (gen === seen) continue;
      seen = gen;
      Atomics.store(v.i32, s + STARTED, gen);
      const k = Atomics.load(v.i32, s + KERNEL);
      if (k === STOP) return;
      if (k === TEST_CRASH) throw new Error('worker crash requested by a test (TEST_CRASH)');
      try {
        if (k === BATCH) {
          runProgram(v.program, w * PROGRAM_F64, table, args);
        } else {
          const n = Atomics.load(v.i32, s + NARGS);
          args.length = n;
          for (let i = 0; i < n; i++) args[i] = v.f64[w * MAX_ARGS + i]!;
          table[k]!(...args);
        }
        Atomics.store(v.i32, s + STATUS, OK);
      } catch (e) {
        writeMessage(v, w, String((e as Error)?.stack ?? e).split('\n')[0]!);
        Atomics.store(v.i32, s + STATUS, TRAPPED);
      }
      claimDone(v, w, gen);
    }
  } catch (e) {
    // Anything outside a kernel call ends this worker: say so, so that the pool never waits for it.
    writeMessage(v, w, (e as Error)?.message ?? String(e));
    Atomics.store(v.i32, s + STATUS, DEAD);
    claimDone(v, w, gen);
    throw e;
  }
}

/** A BATCH job: [count, then per call: kernel index, argument count, arguments…] from `at`. */
function runProgram(p: Float64Array, at: number, table: Fn[], args: number[]): void {
  const calls = p[at]!;
  let q = at + 1;
  for (let c = 0; c < calls; c++) {
    const k = p[q]!, n = p[q + 1]!;
    q += 2;
    args.length = n;
    for (let i = 0; i < n; i++) args[i] = p[q + i]!;
    q += n;
    table[k]!(...args);
  }
}
