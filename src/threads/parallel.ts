// Op-level threading: an op that would otherwise call kernels block by block (im2col + GEMM over
// row blocks of every image) cuts its blocks into one contiguous range per thread and hands each
// thread its whole list of calls at once, so a layer costs one hand-out instead of one per
// kernel call. Each block's calls are those of one thread, so results do not depend on the cut.
import { KERNEL_NAMES, type Kernels } from '../wasm/abi.js';
import { kernels, threadPool } from '../wasm/engine.js';
import type { Pool } from './pool.js';
import { partsWorth } from './split.js';

const ID = new Map<string, number>(KERNEL_NAMES.map((n, i) => [n, i]));

/** Records one kernel call for a thread's list. */
export type Emit = (name: keyof Kernels, ...args: number[]) => void;

/**
 * Threads worth giving an op of `workNs` single-thread nanoseconds cut into at most `units`
 * pieces: 1 on a single-thread build or for small work.
 */
export function opThreads(workNs: number, units: number): number {
  const pool = threadPool();
  if (pool === null) return 1;
  return partsWorth(workNs, pool.size, units);
}

/**
 * Runs body(t, emit) for t < T: the calls body emits for t run in order on thread t (t = 0 on
 * this one); returns once every thread is done. On one thread, the calls simply run in order.
 */
export function perThread(T: number, body: (t: number, emit: Emit) => void): void {
  const pool = threadPool() as Pool | null;
  if (pool === null || T <= 1) {
    const k = kernels() as unknown as Record<string, (...a: number[]) => unknown>;
    for (let t = 0; t < T; t++) body(t, (name, ...args) => { k[name]!(...args); });
    return;
  }
  const lists: number[][][] = [];
  for (let t = 0; t < T; t++) {
    const list: number[][] = [];
    body(t, (name, ...args) => { list.push([ID.get(name)!, ...args]); });
    lists.push(list);
  }
  pool.runLists(lists);
}

/** Splits [0, n) into T contiguous ranges as even as possible: range t is [at(t), at(t + 1)). */
export function evenRange(n: number, T: number): (t: number) => number {
  return (t) => Math.floor((n * t) / T);
}
