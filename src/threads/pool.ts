// The worker pool over the one shared memory. Every worker instantiates the same module over the
// same WebAssembly.Memory. Work is handed out as jobs of independent tasks (src/threads/protocol.ts):
// a kernel call worth splitting is cut into output ranges (src/threads/split.ts), an op with many
// blocks (src/threads/parallel.ts) gives one task per block, and every thread, the calling one
// included, claims tasks until none is left. A thread that is slower (a core shared with another
// program, a worker still waking up) simply takes fewer. Calls stay synchronous, as on one thread;
// each output element is computed by the same code in the same order whichever thread runs its task.
// (Writing, publishing and waiting for a job: jobs.ts; the control block's layout: protocol.ts.)
//
// Failure never hangs the caller: a kernel that traps in a worker is reported through the control
// block and thrown here once every task has stopped; a worker that dies says so on its way out (or
// is found dead by its handle while the caller waits), its task is counted as failed, it is
// replaced in the background, and the call throws. A worker found dead between calls is replaced
// and the call runs on the threads left. The allocator stays on the calling thread.
import { KERNEL_NAMES, type Kernels } from '../wasm/abi.js';
import type { ThreadPool, ThreadSupport } from '../wasm/engine.js';
import type { Heap } from '../wasm/heap.js';
import { canBlock } from '../wasm/shared.js';
import {
  CONTROL_BYTES, MAX_WORKERS, GEN, CMD, TID, RUNNING, STATUS, MSGLEN, SLEEPING, OK, RUN, STOP, TEST_CRASH,
  controlViews, slot, relocate, type ControlViews, type WorkerInit, type WorkerReply,
} from './protocol.js';
import { SPLITTERS, MAX_PARTS, jobPolicy, type SplitContext } from './split.js';
import { JobBoard } from './jobs.js';

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
/** Bytes of parameter-block scratch per part (split.ts rewrites copies of blocks there). */
const SCRATCH_BYTES = 256;

interface Slot {
  handle: WorkerHandle;
  index: number;
}

/** Where a job's calls go: recorded as tasks for the threads, or run at once on this one. */
export interface TaskSink {
  /** Starts the next task (every call before the next task() belongs to it). */
  task(): void;
  /**
   * Appends kernel `id`'s call to the task. Arguments whose bit is set in `mask` are offsets
   * into the job's per-thread scratch: the running thread's buffer address is added to them.
   */
  call(id: number, mask: number, args: number[]): void;
}

export class Pool implements ThreadPool {
  readonly kernels: Kernels;
  private readonly v: ControlViews;
  private readonly control: SharedArrayBuffer;
  private readonly block: boolean;
  /** Workers ready to take jobs, in the order their thread indexes are given. */
  private live: Slot[] = [];
  private free: number[] = [];
  private ctx: SplitContext | null = null;
  private busy = false;
  private closed = false;
  private readonly inline: TaskSink;
  private readonly board: JobBoard;
  private readonly record: TaskSink;
  private inlineRel = 0;

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
    this.board = new JobBoard(this.v, raw, this.block);
    // jobs run at once on this thread go through the splitting table: a single large call still splits
    const table = KERNEL_NAMES.map((n) => this.kernels[n] as unknown as Fn);
    const args: number[] = [];
    this.inline = {
      task: () => {},
      call: (id, mask, a) => { table[id]!(...(mask === 0 ? a : relocate(a, 0, a.length, mask, this.inlineRel, args))); },
    };
    this.record = {
      task: () => this.newTask(),
      call: (id, mask, a) => this.addCall(id, mask, a),
    };
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

  /** Threads that can take part in a job now, this one included. */
  get size(): number {
    return this.live.length + 1;
  }

  /** Threads the pool was started with (and returns to after replacing a worker). */
  get capacity(): number {
    return this.wanted;
  }

  /** The heap exists once the engine has made it: scratch for per-part parameter blocks. */
  attach(heap: Heap): void {
    // the pool's one fixed allocation: SCRATCH_BYTES × MAX_PARTS (16 KiB) of per-part parameter
    // blocks, made once here and released by terminate()
    const base = heap.alloc(SCRATCH_BYTES * MAX_PARTS);
    this.scratchBlock = { heap, base };
    this.ctx = { heap, scratch: (t: number) => base + t * SCRATCH_BYTES, minPartNs: 0, maxParts: 1 };
  }

  /** The pool's scratch block (see attach), released by terminate(). */
  private scratchBlock: { heap: Heap; base: number } | null = null;

  /** Bytes the pool itself holds in the heap (its per-part parameter blocks), 0 after terminate(). */
  get heapBytes(): number {
    return this.scratchBlock === null ? 0 : SCRATCH_BYTES * MAX_PARTS;
  }

  terminate(): void {
    if (this.scratchBlock !== null) {
      this.scratchBlock.heap.release(this.scratchBlock.base);
      this.scratchBlock = null;
      this.ctx = null;
    }
    this.closed = true;
    if (this.live.length > 0) {
      Atomics.store(this.v.i32, CMD, STOP);
      Atomics.add(this.v.i32, GEN, 1);
      Atomics.notify(this.v.i32, GEN);
    }
    for (const s of this.live) s.handle.terminate();
    this.live = [];
  }

  /**
   * Runs a job of `count` tasks of about `workNs` single-thread nanoseconds in all: body writes
   * the tasks into the sink. Tasks may use per-thread scratch at base + t × stride bytes for
   * thread indexes t < threads (the op sized it for the pool's capacity). Run across the pool when that is worth it,
   * else at once on this thread (through the splitting kernel table when `count` is 1, so one
   * large call still splits). Throws the first failure once every task has stopped.
   */
  runJob(label: string, count: number, workNs: number, threads: number, base: number, stride: number, body: (sink: TaskSink) => void): void {
    // every live thread takes part, so a job with per-thread scratch needs a buffer for each
    if (this.busy || this.size < 2 || count < 2 || (stride > 0 && threads < this.size) || !this.worth(workNs, count)) {
      this.inlineRel = base;
      body(this.inline);
      return;
    }
    this.begin(label, base, stride);
    try {
      body(this.record);
    } catch (e) {
      this.busy = false;
      throw e;
    }
    this.dispatch(-1);
  }

  /** Whether a job is worth handing out: workers awake take ~1 µs to start; asleep, far longer. */
  private worth(workNs: number, count: number): boolean {
    const p = jobPolicy();
    if (p.minPartNs === 0) return true;
    if (workNs < Math.min(2, count) * p.minPartNs) return false;
    return workNs >= p.coldJobNs || this.awake();
  }

  /** Whether some worker is polling for work now (not asleep in Atomics.wait). */
  private awake(): boolean {
    for (const s of this.live) if (Atomics.load(this.v.i32, slot(s.index) + SLEEPING) === 0) return true;
    return false;
  }

  /**
   * Test hook: makes worker `which` (0-based) die outside any kernel: a job of one task aimed at it
   * (no other thread may take the task), which the worker dies on claiming instead of running it.
   */
  crashWorkerForTest(which = 0): Promise<void> {
    return this.targeted(which, TEST_CRASH, 'a test command', () => this.addCall(0, 0, []));
  }

  /** Test hook: ends worker `which`'s thread from outside, as an embedder or the OS might. */
  killWorkerForTest(which = 0): void {
    this.live[which]?.handle.terminate();
  }

  /** Test hook: runs `name` with `args` in worker `which` only (a deliberately failing call). */
  runInWorkerForTest(name: keyof Kernels, args: number[], which = 0): Promise<void> {
    return this.targeted(which, RUN, `kernel ${name}`, () => this.addCall(KERNEL_NAMES.indexOf(name), 0, args));
  }

  private targeted(which: number, cmd: number, label: string, write: () => void): Promise<void> {
    const s = this.live[which];
    if (!s || this.busy) return Promise.reject(new Error('no worker is running'));
    try {
      this.begin(label, 0, 0);
      this.newTask();
      write();
      this.dispatch(s.index, cmd);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve();
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
    for (const [k, val] of [[TID, -1], [RUNNING, 0], [STATUS, OK], [MSGLEN, 0], [SLEEPING, 0]] as const) Atomics.store(this.v.i32, s + k, val);
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

  // ── jobs ────────────────────────────────────────────────────────────────────────────────────

  private begin(label: string, base: number, stride: number): void {
    this.busy = true;
    this.board.begin(label, base, stride);
  }

  private newTask(): void {
    this.board.newTask(this.flush);
  }

  private addCall(id: number, mask: number, args: number[]): void {
    this.board.addCall(id, mask, args, this.flush);
  }

  /** Runs the tasks written so far when the program is full; the job goes on after it. */
  private readonly flush = (): void => this.dispatch(-1, RUN, true);

  /**
   * Runs the written job on every live worker and this thread (target < 0), or on worker slot
   * `target` alone; replaces the workers found dead and throws the first failure. `more`: the
   * job goes on after this (a full program was flushed), so the pool stays busy.
   */
  private dispatch(target: number, cmd = RUN, more = false): void {
    let failure: Error | null = null;
    try {
      // workers found dead since the last job are replaced; this job runs on the others
      for (const s of this.live.slice()) if (!s.handle.alive()) this.replace(s);
      const outcome = this.board.run(this.live.slice(), target, cmd);
      failure = outcome.failure;
      for (const s of outcome.dead) this.replace(s as Slot);
    } finally {
      if (!more || failure !== null) this.busy = false;
    }
    if (failure !== null) throw failure;
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
      const label = `kernel ${name}`;
      table[name] = (...args: number[]): unknown => {
        const ctx = this.ctx;
        if (this.live.length > 0 && ctx !== null && !this.busy) {
          const p = jobPolicy();
          ctx.maxParts = Math.min(MAX_PARTS, this.size * p.partsPerThread);
          ctx.minPartNs = this.awake() ? p.minPartNs : p.coldPartNs;
          const parts = split(args, this.size, ctx);
          if (parts !== null && parts.length > 1) {
            this.begin(label, 0, 0);
            for (const part of parts) {
              this.newTask();
              this.addCall(id, 0, part);
            }
            this.dispatch(-1);
            return undefined;
          }
        }
        return fn(...args);
      };
    });
    return table as unknown as Kernels;
  }

  /** Drops a dead worker and starts another in the background. */
  private replace(s: Slot): void {
    if (!this.live.includes(s)) return;
    this.live = this.live.filter((x) => x !== s);
    s.handle.terminate();
    // reused last: the ended thread may still be stopping
    this.free.unshift(s.index);
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
