// The worker pool over the one shared memory. Every worker instantiates the same module over the
// same WebAssembly.Memory; a kernel call that is worth splitting is cut into output ranges
// (src/threads/split.ts), the calling thread runs the first and each worker one more, and the
// call returns when all are done: ops stay synchronous, as on one thread.
//
// Failure never hangs the caller: a kernel that traps in a worker is reported through the
// control block and thrown here (after every part has stopped writing); a worker that dies says
// so on its way out (or is found dead by its handle while the caller waits), is replaced in the
// background, and the call throws. The allocator stays on the calling thread.
import { KERNEL_NAMES, type Kernels } from '../wasm/abi.js';
import type { ThreadPool, ThreadSupport } from '../wasm/engine.js';
import type { Heap } from '../wasm/heap.js';
import { canBlock } from '../wasm/shared.js';
import {
  CONTROL_BYTES, MAX_WORKERS, MAX_ARGS, PROGRAM_F64, BATCH, PENDING, GEN, KERNEL, NARGS, STATUS, DONE, STARTED, OK, TRAPPED, DEAD, STOP, TEST_CRASH,
  controlViews, slot, readMessage, writeMessage, type ControlViews, type WorkerInit, type WorkerReply,
} from './protocol.js';
import { SPLITTERS, type SplitContext } from './split.js';

/** A started worker as the pool drives it: Node's worker_threads or a Web Worker behind one face. */
export interface WorkerHandle {
  post(msg: WorkerInit): void;
  onMessage(cb: (m: WorkerReply) => void): void;
  onError(cb: (message: string) => void): void;
  /** False once the thread is known to have ended. */
  alive(): boolean;
  terminate(): void;
}

export interface Spawner {
  /** Starts one worker running the package's worker script. */
  spawn(): WorkerHandle;
  cores(): number | null;
  /** Why workers cannot run here, or null. */
  unavailable(): string | null;
}

type Fn = (...args: number[]) => unknown;

const READY_TIMEOUT_MS = 20_000;
/** How often a waiting caller checks that the workers it waits for are still alive. */
const WAIT_SLICE_MS = 50;
/**
 * A live worker that has not even picked its part up after this long is stuck (not waiting on
 * its slot): it is treated as dead. Once a part has started it may run as long as it needs.
 */
const PICKUP_TIMEOUT_MS = 5_000;
/** Polls of the pending count before the caller sleeps. */
const SPIN = 20_000;
/** Bytes of parameter-block scratch per thread (split.ts rewrites copies of blocks there). */
const SCRATCH_BYTES = 256;

interface Slot {
  handle: WorkerHandle;
  index: number;
}

export class Pool implements ThreadPool {
  readonly kernels: Kernels;
  private readonly v: ControlViews;
  private readonly control: SharedArrayBuffer;
  private readonly block: boolean;
  /** Workers ready to take jobs, in the order their parts are handed out. */
  private live: Slot[] = [];
  private free: number[] = [];
  private ctx: SplitContext | null = null;
  private busy = false;
  private closed = false;

  private constructor(
    private readonly spawner: Spawner,
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly raw: Kernels,
    private readonly wanted: number,
  ) {
    this.control = new SharedArrayBuffer(CONTROL_BYTES);
    this.v = controlViews(this.control);
    this.block = canBlock();
    for (let w = MAX_WORKERS - 1; w >= 0; w--) this.free.push(w);
    this.kernels = this.wrap();
  }

  /** Starts threads − 1 workers; rejects (terminating any started) if one cannot start. */
  static async start(spawner: Spawner, module: WebAssembly.Module, memory: WebAssembly.Memory, raw: Kernels, threads: number): Promise<Pool> {
    const pool = new Pool(spawner, module, memory, raw, Math.min(threads, MAX_WORKERS + 1));
    try {
      await Promise.all(Array.from({ length: pool.wanted - 1 }, () => pool.startWorker()));
    } catch (e) {
      pool.terminate();
      throw e;
    }
    return pool;
  }

  get size(): number {
    return this.live.length + 1;
  }

  /** The heap exists once the engine has made it: scratch for per-thread parameter blocks. */
  attach(heap: Heap): void {
    const base = heap.alloc(SCRATCH_BYTES * (MAX_WORKERS + 1));
    this.ctx = { heap, scratch: (t: number) => base + t * SCRATCH_BYTES };
  }

  terminate(): void {
    this.closed = true;
    for (const s of this.live) {
      this.command(s, STOP);
      s.handle.terminate();
    }
    this.live = [];
  }

  /** Test hook: makes worker `which` (0-based) die outside any kernel on the next call. */
  crashWorkerForTest(which = 0): Promise<void> {
    const s = this.live[which];
    if (!s) return Promise.resolve();
    return this.runParts(-1, TEST_CRASH, null, [[], []], [s]);
  }

  /** Test hook: ends worker `which`'s thread from outside, as an embedder or the OS might. */
  killWorkerForTest(which = 0): void {
    this.live[which]?.handle.terminate();
  }

  /** Test hook: runs `name` with `args` in worker `which` only (a deliberately failing call). */
  runInWorkerForTest(name: keyof Kernels, args: number[], which = 0): Promise<void> {
    const s = this.live[which];
    if (!s) return Promise.reject(new Error('no worker is running'));
    const id = KERNEL_NAMES.indexOf(name);
    return this.runParts(id, id, null, [[], args], [s]);
  }

  /** Resolves once the pool is back to the size it started with (after a replacement). */
  async whenFull(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const t0 = Date.now();
    while (this.size < this.wanted && !this.closed) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`the pool has ${this.size} of ${this.wanted} threads after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private startWorker(): Promise<void> {
    const index = this.free.pop();
    if (index === undefined) return Promise.reject(new Error('too many workers'));
    const s = slot(index);
    // a fresh slot: nothing pending, DONE caught up with GEN
    Atomics.store(this.v.i32, s + DONE, Atomics.load(this.v.i32, s + GEN));
    Atomics.store(this.v.i32, s + STARTED, Atomics.load(this.v.i32, s + GEN));
    Atomics.store(this.v.i32, s + STATUS, OK);
    let handle: WorkerHandle;
    try {
      handle = this.spawner.spawn();
    } catch (e) {
      this.free.push(index);
      return Promise.reject(new Error(`cannot create a worker: ${(e as Error).message}`));
    }
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (message: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        handle.terminate();
        this.free.push(index);
        reject(new Error(message));
      };
      const timer = setTimeout(() => fail(`a worker did not start within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
      handle.onMessage((m) => {
        if (settled) return;
        if (m.type === 'ready') {
          settled = true;
          clearTimeout(timer);
          if (this.closed) { handle.terminate(); resolve(); return; }
          this.live.push({ handle, index });
          resolve();
        } else fail(m.message);
      });
      handle.onError((message) => fail(`the worker script failed: ${message}`));
      handle.post({ type: 'init', module: this.module, memory: this.memory, control: this.control, index });
    });
  }

  private command(s: Slot, k: number): void {
    const i = slot(s.index);
    Atomics.store(this.v.i32, i + KERNEL, k);
    Atomics.store(this.v.i32, i + NARGS, 0);
    Atomics.add(this.v.i32, i + GEN, 1);
    Atomics.notify(this.v.i32, i + GEN);
  }

  /**
   * Runs a list of kernel calls per thread: lists[0] here, lists[i] on the i-th worker, each list
   * in order (an op cut into whole blocks: one hand-out per op rather than one per kernel call).
   * A call is [kernel index in KERNEL_NAMES, ...arguments]. Returns when all lists are done.
   */
  runLists(lists: number[][][]): void {
    const n = Math.min(lists.length, this.live.length + 1);
    const own = lists[0] ?? [];
    if (n <= 1 || this.busy) {
      for (const l of lists) for (const c of l) this.rawCall(c);
      return;
    }
    const used = this.live.slice(0, n - 1);
    used.forEach((s, j) => {
      const calls = lists[j + 1]!;
      const base = s.index * PROGRAM_F64;
      let q = base + 1;
      for (const c of calls) {
        if (q + c.length + 1 > base + PROGRAM_F64) throw new Error(`simdnet: a thread's list of ${calls.length} kernel calls does not fit its program space`);
        this.v.program[q++] = c[0]!;
        this.v.program[q++] = c.length - 1;
        for (let i = 1; i < c.length; i++) this.v.program[q++] = c[i]!;
      }
      this.v.program[base] = calls.length;
    });
    // lists past the pool's size (a worker being replaced) run here after our own
    const extra = lists.slice(n).flat();
    void this.runParts(-1, BATCH, () => {
      for (const c of own) this.rawCall(c);
      for (const c of extra) this.rawCall(c);
    }, [[], ...used.map(() => [])], used);
  }

  private rawCall(c: number[]): void {
    (this.raw[KERNEL_NAMES[c[0]!]!] as unknown as Fn)(...c.slice(1));
  }

  private wrap(): Kernels {
    const table: Record<string, unknown> = {};
    KERNEL_NAMES.forEach((name, id) => {
      const fn = this.raw[name] as unknown as Fn;
      const split = SPLITTERS[name];
      if (!split) {
        table[name] = fn;
        return;
      }
      table[name] = (...args: number[]): unknown => {
        const n = this.live.length + 1;
        if (n > 1 && this.ctx !== null && !this.busy) {
          const parts = split(args, n, this.ctx);
          if (parts !== null && parts.length > 1) {
            void this.runParts(id, id, fn, parts, this.live);
            return undefined;
          }
        }
        return fn(...args);
      };
    });
    return table as unknown as Kernels;
  }

  /**
   * Runs parts[0] here (when fn is given) and parts[i] on workers[i − 1]; returns when all are
   * done, throwing the first failure. Synchronous; the Promise type only serves the test hooks.
   */
  private runParts(id: number, k: number, fn: Fn | null, parts: number[][], workers: Slot[]): Promise<void> {
    const v = this.v;
    const used = workers.slice(0, parts.length - 1);
    this.busy = true;
    let failure: Error | null = null;
    try {
      Atomics.store(v.i32, PENDING, used.length);
      used.forEach((s, j) => {
        const a = parts[j + 1]!;
        const i = slot(s.index);
        for (let q = 0; q < a.length; q++) v.f64[s.index * MAX_ARGS + q] = a[q]!;
        Atomics.store(v.i32, i + KERNEL, k);
        Atomics.store(v.i32, i + NARGS, a.length);
        Atomics.store(v.i32, i + STATUS, OK);
        Atomics.add(v.i32, i + GEN, 1);
        Atomics.notify(v.i32, i + GEN);
      });
      if (fn !== null) {
        try {
          fn(...parts[0]!);
        } catch (e) {
          failure = e as Error;
        }
      }
      this.waitFor(used);
      const name = id >= 0 ? KERNEL_NAMES[id] : k === BATCH ? 'a list of kernel calls' : 'a test command';
      const dead: Slot[] = [];
      for (const s of used) {
        const st = Atomics.load(v.i32, slot(s.index) + STATUS);
        if (st === TRAPPED && failure === null) {
          failure = new Error(`simdnet: kernel ${name} failed in worker thread ${s.index + 1}: ${readMessage(v, s.index)}`);
        } else if (st === DEAD) {
          dead.push(s);
          if (failure === null) {
            failure = new Error(
              `simdnet: worker thread ${s.index + 1} died while running ${name} (${readMessage(v, s.index) || 'it ended'}); ` +
                'it is being replaced, and this call\'s output is incomplete',
            );
          }
        }
      }
      for (const s of dead) this.replace(s);
    } finally {
      this.busy = false;
    }
    if (failure !== null) {
      if (fn === null) return Promise.reject(failure);
      throw failure;
    }
    return Promise.resolve();
  }

  /** Waits until every worker of `used` has finished its part or is found dead. */
  private waitFor(used: Slot[]): void {
    const v = this.v;
    const t0 = Date.now();
    // the parts are about even: the workers usually finish within microseconds of this thread
    for (let i = 0; i < SPIN && Atomics.load(v.i32, PENDING) !== 0; i++) { /* spin */ }
    for (;;) {
      const p = Atomics.load(v.i32, PENDING);
      if (p === 0) return;
      if (this.block) {
        Atomics.wait(v.i32, PENDING, p, WAIT_SLICE_MS);
      } else {
        // a page's main thread may not block: spin on the counter for up to one slice
        const t0 = performance.now();
        while (Atomics.load(v.i32, PENDING) === p && performance.now() - t0 < WAIT_SLICE_MS) { /* spin */ }
      }
      if (Atomics.load(v.i32, PENDING) === 0) return;
      const late = Date.now() - t0 > PICKUP_TIMEOUT_MS;
      for (const s of used) {
        const i = slot(s.index);
        const gen = Atomics.load(v.i32, i + GEN);
        if (Atomics.load(v.i32, i + DONE) === gen) continue;
        if (s.handle.alive() && !(late && Atomics.load(v.i32, i + STARTED) !== gen)) continue;
        if (s.handle.alive()) {
          writeMessage(v, s.index, `it did not pick its part up within ${PICKUP_TIMEOUT_MS} ms`);
          s.handle.terminate();
        }
        // the thread ended without finishing: finish its part for it
        if (Atomics.load(v.i32, i + STATUS) !== DEAD) Atomics.store(v.i32, i + STATUS, DEAD);
        const prev = Atomics.load(v.i32, i + DONE);
        if (Atomics.compareExchange(v.i32, i + DONE, prev, gen) === prev) Atomics.sub(v.i32, PENDING, 1);
      }
    }
  }

  /** Drops a dead worker and starts another in the background. */
  private replace(s: Slot): void {
    this.live = this.live.filter((x) => x !== s);
    s.handle.terminate();
    this.free.push(s.index);
    if (this.closed) return;
    this.startWorker().catch(() => {
      /* the pool runs with fewer threads; engineInfo().threads shows it */
    });
  }
}

/** ThreadSupport for the engine over a runtime's spawner (src/entries pass theirs). */
export function threadSupport(spawner: Spawner): ThreadSupport {
  return {
    unavailable: () => spawner.unavailable(),
    cores: () => spawner.cores(),
    start: async (module, memory, exports, threads) => Pool.start(spawner, module, memory, exports, threads),
  };
}
