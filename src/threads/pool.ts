// The worker pool over the one shared memory. Every worker instantiates the same module over the
// same WebAssembly.Memory. Work is handed out as jobs of independent tasks (src/threads/protocol.ts):
// a kernel call worth splitting is cut into output ranges (src/threads/split.ts), an op with many
// blocks (src/threads/parallel.ts) gives one task per block, and every thread, the calling one
// included, claims tasks until none is left. A thread that is slower (a core shared with another
// program, a worker still waking up) simply takes fewer. Calls stay synchronous, as on one thread;
// each output element is computed by the same code in the same order whichever thread runs its task.
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
  CONTROL_BYTES, MAX_WORKERS, PROGRAM_F64, PROGRAM_HEADER,
  GEN, NTASKS, DONE, CMD, POOL_WAITS, THREADS, STEAL, RANGE, TID, RUNNING, STATUS, MSGLEN, SLEEPING,
  OK, TRAPPED, DEAD, RUN, STOP, TEST_CRASH, FENCED,
  controlViews, slot, range, claim, closeRanges, countDone, runTask, readMessage, type ControlViews, type WorkerInit, type WorkerReply,
} from './protocol.js';
import { SPLITTERS, MAX_PARTS, jobPolicy, type SplitContext } from './split.js';

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
const WAIT_SLICE_MS = 20;
/** How long the caller polls for the workers' last tasks before it sleeps. */
const SPIN_MS = 1;
/** Bytes of parameter-block scratch per part (split.ts rewrites copies of blocks there). */
const SCRATCH_BYTES = 256;
/** Program doubles a task may take at most (a new task starts only with this much room left). */
const TASK_RESERVE = 1024;
/** Task offsets a job may hold (a job with more runs as several). */
const MAX_JOB_TASKS = 4096;

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
  private gen: number;
  // the job being written
  private q = 0;
  private ntasks = 0;
  private jobLabel = '';
  private readonly inline: TaskSink;
  private readonly rawTable: Fn[];
  private readonly args: number[] = [];
  private readonly record: TaskSink;
  private inlineRel = 0;
  /** Where the task being written starts in the program. */
  private task0 = 0;

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
    this.gen = Atomics.load(this.v.i32, GEN);
    for (let w = MAX_WORKERS - 1; w >= 0; w--) this.free.push(w);
    this.kernels = this.wrap();
    this.rawTable = KERNEL_NAMES.map((n) => raw[n] as unknown as Fn);
    // jobs run at once on this thread go through the splitting table: a single large call still splits
    const table = KERNEL_NAMES.map((n) => this.kernels[n] as unknown as Fn);
    const args: number[] = [];
    this.inline = {
      task: () => {},
      call: (id, mask, a) => {
        if (mask === 0) {
          table[id]!(...a);
          return;
        }
        args.length = a.length;
        for (let i = 0; i < a.length; i++) args[i] = ((mask >>> i) & 1) === 1 ? a[i]! + this.inlineRel : a[i]!;
        table[id]!(...args);
      },
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
    const base = heap.alloc(SCRATCH_BYTES * MAX_PARTS);
    this.ctx = { heap, scratch: (t: number) => base + t * SCRATCH_BYTES, minPartNs: 0, maxParts: 1 };
  }

  terminate(): void {
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

  /** Test hook: makes worker `which` (0-based) die outside any kernel on the next job. */
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

  // ── writing a job ───────────────────────────────────────────────────────────────────────────

  private begin(label: string, base: number, stride: number): void {
    this.busy = true;
    this.jobLabel = label;
    this.v.program[0] = base;
    this.v.program[1] = stride;
    this.ntasks = 0;
    this.q = PROGRAM_HEADER + MAX_JOB_TASKS;
  }

  private newTask(): void {
    if (this.ntasks === MAX_JOB_TASKS || this.q + TASK_RESERVE > PROGRAM_F64) {
      // the program is full: run what it holds, then go on with an empty one
      this.dispatch(-1, RUN, true);
      this.ntasks = 0;
      this.q = PROGRAM_HEADER + MAX_JOB_TASKS;
    }
    const p = this.v.program;
    p[PROGRAM_HEADER + this.ntasks++] = this.q;
    p[this.q] = 0;
    this.task0 = this.q++;
  }

  private addCall(id: number, mask: number, args: number[]): void {
    const p = this.v.program;
    if (this.q + 3 + args.length > this.task0 + TASK_RESERVE) {
      throw new Error(`simdnet: a task of ${this.jobLabel} does not fit the pool's ${TASK_RESERVE}-double task space`);
    }
    p[this.q] = id;
    p[this.q + 1] = args.length;
    p[this.q + 2] = mask;
    for (let i = 0; i < args.length; i++) p[this.q + 3 + i] = args[i]!;
    this.q += 3 + args.length;
    p[this.task0]!++;
  }

  // ── running a job ───────────────────────────────────────────────────────────────────────────

  /**
   * Publishes the written tasks and runs them: on every live worker up to the job's thread count
   * (target < 0) with this thread taking part, or on worker slot `target` alone. Waits until every
   * task has stopped; throws the first failure. `more`: the job goes on after this (a full
   * program), so the pool stays busy.
   */
  private dispatch(target: number, cmd = RUN, more = false): void {
    const v = this.v, i32 = v.i32;
    const ntasks = this.ntasks;
    let failure: Error | null = null;
    try {
      if (ntasks === 0) return;
      // workers found dead since the last job are replaced; this job runs on the others
      for (const s of this.live.slice()) if (!s.handle.alive()) this.replace(s);
      const used = this.live.slice();
      const targetAt = target >= 0 ? used.findIndex((s) => s.index === target) : -1;
      if (target >= 0 && targetAt < 0) throw new Error(`simdnet: worker slot ${target + 1} is not running`);
      const threads = used.length + 1;
      Atomics.store(i32, NTASKS, ntasks);
      Atomics.store(i32, DONE, 0);
      Atomics.store(i32, CMD, cmd);
      Atomics.store(i32, THREADS, threads);
      Atomics.store(i32, STEAL, target >= 0 ? 0 : 1);
      used.forEach((s, j) => {
        const b = slot(s.index);
        Atomics.store(i32, b + STATUS, OK);
        Atomics.store(i32, b + MSGLEN, 0);
        Atomics.store(i32, b + TID, j + 1);
      });
      // ranges last: contiguous shares (thread t the t-th), or all to the one target
      for (let t = 0; t <= MAX_WORKERS; t++) {
        const r = t >= threads ? range(0, 0)
          : target >= 0 ? (t === targetAt + 1 ? range(0, ntasks) : range(0, 0))
            : range(Math.floor((ntasks * t) / threads), Math.floor((ntasks * (t + 1)) / threads));
        Atomics.store(i32, RANGE + t, r);
      }
      this.gen = (this.gen + 1) | 0;
      Atomics.store(i32, GEN, this.gen);
      if (used.some((s) => Atomics.load(i32, slot(s.index) + SLEEPING) === 1)) Atomics.notify(i32, GEN);
      if (target < 0) failure = this.work();
      const lost = this.waitFor(ntasks, used, target >= 0);
      failure = failure ?? lost;
      for (const s of used) {
        if (Atomics.load(i32, slot(s.index) + STATUS) === TRAPPED && failure === null) {
          failure = new Error(`simdnet: ${this.jobLabel} failed in worker thread ${s.index + 1}: ${readMessage(v, s.index)}`);
        }
        if (Atomics.load(i32, slot(s.index) + STATUS) === DEAD || Atomics.load(i32, slot(s.index) + RUNNING) === FENCED || !s.handle.alive()) this.replace(s);
      }
    } finally {
      if (!more || failure !== null) this.busy = false;
    }
    if (failure !== null) throw failure;
  }

  /** This thread's share (thread 0): takes tasks until none is left. Returns a kernel's error, if any. */
  private work(): Error | null {
    const i32 = this.v.i32;
    for (let task = claim(i32, 0); task >= 0; task = claim(i32, 0)) {
      try {
        runTask(this.v.program, task, 0, this.rawTable, this.args);
      } catch (e) {
        // stop handing tasks out (they count as done); the ones running finish
        countDone(i32, closeRanges(i32) + 1);
        return e as Error;
      }
      countDone(i32);
    }
    return null;
  }

  /**
   * Waits until all `ntasks` tasks are counted done. A worker found dead while holding a task (or,
   * for a job aimed at it, at all) is written off: no task is handed out any more, the live
   * workers finish theirs, and the job ends with a failure to report.
   */
  private waitFor(ntasks: number, used: Slot[], targeted: boolean): Error | null {
    const i32 = this.v.i32;
    if (Atomics.load(i32, DONE) >= ntasks) return null;
    const t0 = performance.now();
    let spins = 0;
    while (Atomics.load(i32, DONE) < ntasks) {
      if ((++spins & 255) === 0 && performance.now() - t0 > SPIN_MS) break;
    }
    for (;;) {
      const d = Atomics.load(i32, DONE);
      if (d >= ntasks) return null;
      this.sleepOn(d);
      if (Atomics.load(i32, DONE) >= ntasks) return null;
      for (const s of used) {
        const b = slot(s.index);
        const r = Atomics.load(i32, b + RUNNING);
        if (r === FENCED || (s.handle.alive() && Atomics.load(i32, b + STATUS) !== DEAD)) continue;
        // the thread ended; write it off so that nothing it might still do counts
        if (Atomics.compareExchange(i32, b + RUNNING, r, FENCED) !== r) continue;
        if (r === 0 && !targeted) continue; // it held no task: the others take its range
        closeRanges(i32);
        const live = used.filter((x) => x !== s);
        while (live.some((x) => Atomics.load(i32, slot(x.index) + RUNNING) > 0 || Atomics.load(i32, slot(x.index) + RUNNING) === -1)) {
          this.sleepOn(Atomics.load(i32, DONE));
        }
        Atomics.store(i32, DONE, ntasks);
        return new Error(
          `simdnet: worker thread ${s.index + 1} died while running ${this.jobLabel} (${readMessage(this.v, s.index) || 'it ended'}); ` +
            'it is being replaced, and this call\'s output is incomplete',
        );
      }
    }
  }

  /** Sleeps (or, where this thread may not block, polls) until DONE moves from d, or a slice passes. */
  private sleepOn(d: number): void {
    const i32 = this.v.i32;
    if (this.block) {
      Atomics.store(i32, POOL_WAITS, 1);
      Atomics.wait(i32, DONE, d, WAIT_SLICE_MS);
      Atomics.store(i32, POOL_WAITS, 0);
    } else {
      // a page's main thread may not block: poll the counter for up to one slice
      const t1 = performance.now();
      while (Atomics.load(i32, DONE) === d && performance.now() - t1 < WAIT_SLICE_MS) { /* spin */ }
    }
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
