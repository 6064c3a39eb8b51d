// Op-level jobs: an op that calls kernels block by block (im2col + GEMM over the row blocks of
// every image, a backward pass image by image) describes each block as one task, and the pool's
// threads claim the tasks one at a time (src/threads/pool.ts): one hand-out per op instead of one
// per kernel call, each thread on its own blocks, a slower thread taking fewer. Every block is
// computed by the same calls whichever thread runs it, so results do not depend on the threads.
import { KERNEL_NAMES, type Kernels } from '../wasm/abi.js';
import { kernels, threadPool } from '../wasm/engine.js';
import type { Pool, TaskSink } from './pool.js';
import { tasksWorth } from './split.js';
import { relocate } from './protocol.js';

export { gemmNs } from './split.js';

const ID = new Map<string, number>(KERNEL_NAMES.map((n, i) => [n, i]));

/** Writes a job's tasks (see runTasks). */
export interface Tasks {
  /** Starts the next task: the calls until the next task() run in order on one thread. */
  task(): void;
  call(name: keyof Kernels, ...args: number[]): void;
  /**
   * A call whose arguments with their bit set in `mask` are byte offsets into the job's
   * per-thread scratch: the buffer of the thread that runs the task is added to them.
   */
  scratchCall(name: keyof Kernels, mask: number, ...args: number[]): void;
}

/** Threads a job can use (the pool's capacity): an op sizes its per-thread scratch by this. */
export function threadCount(): number {
  return threadPool()?.capacity ?? 1;
}

/**
 * How many tasks to cut `units` equal pieces of work (workNs single-thread ns in all) into for
 * `threads` threads: a few per thread while each stays worth handing out; 1 on one thread.
 */
export function taskCount(workNs: number, units: number, threads = threadCount()): number {
  return threads < 2 ? 1 : tasksWorth(workNs, threads, units);
}

/**
 * Runs a job of `count` tasks (about `workNs` single-thread ns in all) that body writes. Thread t
 * (t < threads) has scratch at base + t·stride bytes. On one thread, or when the job is too small
 * to hand out, the calls run at once in order with the scratch of thread 0.
 */
export function runTasks(label: string, count: number, workNs: number, threads: number, base: number, stride: number, body: (t: Tasks) => void): void {
  const pool = threadPool() as Pool | null;
  if (pool === null) {
    const k = kernels() as unknown as Record<string, (...a: number[]) => unknown>;
    const args: number[] = [];
    body({
      task() {},
      call(name, ...a) { k[name]!(...a); },
      scratchCall(name, mask, ...a) { k[name]!(...relocate(a, 0, a.length, mask, base, args)); },
    });
    return;
  }
  pool.runJob(label, count, workNs, threads, base, stride, (sink: TaskSink) => body(wrapSink(sink)));
}

function wrapSink(sink: TaskSink): Tasks {
  return {
    task: () => sink.task(),
    call: (name, ...a) => sink.call(ID.get(name)!, 0, a),
    scratchCall: (name, mask, ...a) => sink.call(ID.get(name)!, mask, a),
  };
}

/** Splits [0, n) into T contiguous ranges as even as possible: range t is [at(t), at(t + 1)). */
export function evenRange(n: number, T: number): (t: number) => number {
  return (t) => Math.floor((n * t) / T);
}
