// The job side of the control block (src/threads/protocol.ts), as the calling thread drives it:
// writing a job's tasks into the program, publishing it (each thread's range, the workers woken
// if they sleep), taking this thread's share, and waiting for the workers' — counting for a
// worker found dead so that nothing hangs. The pool (pool.ts) owns the workers and decides what
// runs as a job; this file knows nothing of how workers start or are replaced.
import type { Kernels } from '../wasm/abi.js';
import { KERNEL_NAMES } from '../wasm/abi.js';
import {
  MAX_WORKERS, PROGRAM_F64, PROGRAM_HEADER,
  GEN, NTASKS, DONE, CMD, POOL_WAITS, THREADS, STEAL, RANGE, TID, RUNNING, STATUS, MSGLEN, SLEEPING,
  OK, TRAPPED, DEAD, FENCED, CLAIMING,
  slot, range, claim, closeRanges, countDone, runTask, readMessage, type ControlViews,
} from './protocol.js';

type Fn = (...args: number[]) => unknown;

/** How often a waiting caller checks that the workers it waits for are still alive. */
const WAIT_SLICE_MS = 20;
/** How long the caller polls for the workers' last tasks before it sleeps. */
const SPIN_MS = 1;
/** Task offsets a job may hold (a job with more runs as several). */
const MAX_JOB_TASKS = 4096;

/** A live worker as a job sees it: its slot in the control block and whether its thread runs. */
export interface JobWorker {
  readonly index: number;
  readonly handle: { alive(): boolean };
}

/** What running a job found out about its workers. */
export interface JobOutcome {
  /** The first failure (a kernel's error, a trapped kernel in a worker, a worker that died), or null. */
  failure: Error | null;
  /** Workers found dead or written off: the pool replaces them. */
  dead: JobWorker[];
}

export class JobBoard {
  private gen: number;
  private q = 0;
  private ntasks = 0;
  /** Where the task being written starts in the program. */
  private task0 = 0;
  private label = '';
  private readonly table: Fn[];
  private readonly args: number[] = [];

  /**
   * v: the control block's views; raw: the unsplit kernels of this thread; block: whether this
   * thread may sleep in Atomics.wait (a page's main thread may not).
   */
  constructor(private readonly v: ControlViews, raw: Kernels, private readonly block: boolean) {
    this.gen = Atomics.load(v.i32, GEN);
    this.table = KERNEL_NAMES.map((n) => raw[n] as unknown as Fn);
  }

  /** Starts writing a job (named `label` in errors) whose per-thread scratch is base + t·stride. */
  begin(label: string, base: number, stride: number): void {
    this.label = label;
    this.v.program[0] = base;
    this.v.program[1] = stride;
    this.ntasks = 0;
    this.q = PROGRAM_HEADER + MAX_JOB_TASKS;
  }

  /**
   * Starts the next task. `flush` runs the tasks written so far when the program is full (the
   * pool's dispatch); the job then goes on in an empty program.
   */
  newTask(flush: () => void): void {
    if (this.ntasks === MAX_JOB_TASKS || this.q + 1 > PROGRAM_F64) {
      flush();
      this.restart();
    }
    const p = this.v.program;
    p[PROGRAM_HEADER + this.ntasks++] = this.q;
    p[this.q] = 0;
    this.task0 = this.q++;
  }

  /**
   * Appends a call to the task being written. When the program is full, the tasks before this
   * one are run (flush) and this one moves to the front of an empty program: a task may hold any
   * number of calls up to the whole program (a convolution's image with dozens of row blocks).
   */
  addCall(id: number, mask: number, args: number[], flush: () => void): void {
    const need = 3 + args.length;
    if (this.q + need > PROGRAM_F64) {
      const start = PROGRAM_HEADER + MAX_JOB_TASKS;
      if (this.task0 === start || this.q - this.task0 + need > PROGRAM_F64 - start) {
        throw new Error(`simdnet: a task of ${this.label} needs more than the pool's ${PROGRAM_F64 - start} doubles of program`);
      }
      const partial = this.v.program.slice(this.task0, this.q);
      this.ntasks--;
      flush();
      this.restart();
      this.v.program.set(partial, start);
      this.v.program[PROGRAM_HEADER] = start;
      this.ntasks = 1;
      this.task0 = start;
      this.q = start + partial.length;
    }
    const p = this.v.program;
    p[this.q] = id;
    p[this.q + 1] = args.length;
    p[this.q + 2] = mask;
    for (let i = 0; i < args.length; i++) p[this.q + 3 + i] = args[i]!;
    this.q += need;
    p[this.task0]!++;
  }

  /** Empties the program after a flush (the job's scratch stays). */
  private restart(): void {
    this.ntasks = 0;
    this.q = PROGRAM_HEADER + MAX_JOB_TASKS;
  }

  /**
   * Publishes the written tasks to `used` (every live worker, in thread-index order) and runs
   * them: with this thread taking part (target < 0), or on worker slot `target` alone (`cmd`: RUN
   * or a command). Returns once every task has stopped.
   */
  run(used: readonly JobWorker[], target: number, cmd: number): JobOutcome {
    const v = this.v, i32 = v.i32;
    const ntasks = this.ntasks;
    if (ntasks === 0) return { failure: null, dead: [] };
    const targetAt = target >= 0 ? used.findIndex((s) => s.index === target) : -1;
    if (target >= 0 && targetAt < 0) return { failure: new Error(`simdnet: worker slot ${target + 1} is not running`), dead: [] };
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
    let failure = target < 0 ? this.work() : null;
    const lost = this.waitFor(ntasks, used, target >= 0);
    failure = failure ?? lost;
    const dead: JobWorker[] = [];
    for (const s of used) {
      const b = slot(s.index);
      if (Atomics.load(i32, b + STATUS) === TRAPPED && failure === null) {
        failure = new Error(`simdnet: ${this.label} failed in worker thread ${s.index + 1}: ${readMessage(v, s.index)}`);
      }
      if (Atomics.load(i32, b + STATUS) === DEAD || Atomics.load(i32, b + RUNNING) === FENCED || !s.handle.alive()) dead.push(s);
    }
    return { failure, dead };
  }

  /** This thread's share (thread 0): takes tasks until none is left. Returns a kernel's error, if any. */
  private work(): Error | null {
    const i32 = this.v.i32;
    for (let task = claim(i32, 0); task >= 0; task = claim(i32, 0)) {
      try {
        runTask(this.v.program, task, 0, this.table, this.args);
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
  private waitFor(ntasks: number, used: readonly JobWorker[], targeted: boolean): Error | null {
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
        const busy = (x: JobWorker) => { const rx = Atomics.load(i32, slot(x.index) + RUNNING); return rx > 0 || rx === CLAIMING; };
        while (live.some(busy)) {
          this.sleepOn(Atomics.load(i32, DONE));
        }
        Atomics.store(i32, DONE, ntasks);
        return new Error(
          `simdnet: worker thread ${s.index + 1} died while running ${this.label} (${readMessage(this.v, s.index) || 'it ended'}); ` +
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
}
