// The control block shared by the pool (the calling thread) and its workers: a SharedArrayBuffer
// of its own (never wasm memory, so growing the heap never moves it).
//
// A job is a list of independent tasks (each a short list of kernel calls) that every thread
// taking part claims one at a time from a shared counter, so a thread that runs slower (a busy
// core, a late wake-up) simply takes fewer tasks. The calling thread claims tasks too.
//
//   Int32 [GEN]          bumped by the pool to publish a job; workers spin, then sleep, on it
//   Int32 [NEXT]         the claim counter: (GEN & TAG_MASK) << TAG_SHIFT | next task index; a
//                        worker claims with compareExchange only while the tag is its job's
//   Int32 [NTASKS]       tasks in the job
//   Int32 [DONE]         tasks finished (a worker that ran the last one notifies it if the pool sleeps)
//   Int32 [CMD]          RUN, or a command (STOP, TEST_CRASH)
//   Int32 [POOL_WAITS]   1 while the pool sleeps on DONE
//   Int32 [slot(w) + TID]      w's thread index in this job (1 … threads − 1), or −1: sit it out
//   Int32 [slot(w) + RUNNING]  task + 1 while w runs it, else 0 (cleared with compareExchange by w
//                              or, for a dead worker, by the pool: whoever clears it counts DONE)
//   Int32 [slot(w) + STATUS]   OK, TRAPPED (a kernel threw) or DEAD (the worker died)
//   Int32 [slot(w) + MSGLEN]   characters of the error message
//   Int32 [slot(w) + SLEEPING] 1 while w sleeps in Atomics.wait (the pool then notifies GEN)
//   Uint16 msg(w) [MAX_MSG]    the error message's UTF-16 code units
//   Float64 program [PROGRAM_F64]:
//     [0] scratch base, [1] scratch bytes per thread: an argument marked in a call's mask gets
//         base + thread index × stride added (each thread's own buffer, whoever runs the task);
//     [2 .. 2 + tasks) each task's offset in the program; at each task: its call count, then per
//     call the kernel's index in KERNEL_NAMES, the argument count, the mask, the arguments
//     (every i32, u32 and f32 argument fits a double exactly).
export const MAX_WORKERS = 15;
export const MAX_MSG = 480;

export const GEN = 0, NEXT = 1, NTASKS = 2, DONE = 3, CMD = 4, POOL_WAITS = 5;
const HEADER_INTS = 8;
const SLOT_INTS = 8;
export const TID = 0, RUNNING = 1, STATUS = 2, MSGLEN = 3, SLEEPING = 4;

export const OK = 0, TRAPPED = 1, DEAD = 2;
export const RUN = 0, STOP = -1, TEST_CRASH = -2;

/** The claim counter keeps the job's tag in its high bits. */
export const TAG_SHIFT = 20;
export const TAG_MASK = (1 << (31 - TAG_SHIFT)) - 1;
/** Tasks per job at most (the index part of the claim counter). */
export const MAX_TASKS = (1 << TAG_SHIFT) - 1;
/** Doubles of program space (a job that needs more is run as several). */
export const PROGRAM_F64 = 65_536;
/** Where the task offsets start in the program. */
export const PROGRAM_HEADER = 2;

const INTS_BYTES = (HEADER_INTS + MAX_WORKERS * SLOT_INTS) * 4;
const PROGRAM_BYTES = Math.ceil((INTS_BYTES + MAX_WORKERS * MAX_MSG * 2) / 8) * 8;
export const CONTROL_BYTES = PROGRAM_BYTES + PROGRAM_F64 * 8;

export interface ControlViews {
  i32: Int32Array;
  u16: Uint16Array;
  program: Float64Array;
}

export function controlViews(sab: SharedArrayBuffer): ControlViews {
  return {
    i32: new Int32Array(sab, 0, INTS_BYTES / 4),
    u16: new Uint16Array(sab, INTS_BYTES, MAX_WORKERS * MAX_MSG),
    program: new Float64Array(sab, PROGRAM_BYTES, PROGRAM_F64),
  };
}

/** Index of worker w's first Int32. */
export function slot(w: number): number {
  return HEADER_INTS + w * SLOT_INTS;
}

/** The claim counter's value for task `i` of the job published as generation `gen`. */
export function tagged(gen: number, i: number): number {
  return ((gen & TAG_MASK) << TAG_SHIFT) | i;
}

/**
 * Claims the next task of job `gen` for a thread: its index, or −1 when the job has no task
 * left or is no longer the current one.
 */
export function claim(i32: Int32Array, gen: number): number {
  const tag = (gen & TAG_MASK) << TAG_SHIFT;
  for (;;) {
    const cur = Atomics.load(i32, NEXT);
    if ((cur & ~MAX_TASKS) !== tag) return -1;
    const i = cur & MAX_TASKS;
    if (i >= Atomics.load(i32, NTASKS)) return -1;
    if (Atomics.compareExchange(i32, NEXT, cur, cur + 1) === cur) return i;
  }
}

/**
 * Runs task `i` of the program on thread `tid` with the kernel table `table` (args: a reusable
 * array). Throws what the kernel throws.
 */
export function runTask(p: Float64Array, i: number, tid: number, table: ((...a: number[]) => unknown)[], args: number[]): void {
  const rel = p[0]! + tid * p[1]!;
  let q = p[PROGRAM_HEADER + i]!;
  const calls = p[q++]!;
  for (let c = 0; c < calls; c++) {
    const k = p[q]!, n = p[q + 1]!, mask = p[q + 2]!;
    q += 3;
    args.length = n;
    for (let a = 0; a < n; a++) args[a] = mask !== 0 && ((mask >>> a) & 1) === 1 ? p[q + a]! + rel : p[q + a]!;
    q += n;
    table[k]!(...args);
  }
}

/** Marks the task a thread ran (RUNNING = task + 1) finished; true when this call counted it. */
export function finishTask(i32: Int32Array, w: number, task: number): boolean {
  if (Atomics.compareExchange(i32, slot(w) + RUNNING, task + 1, 0) !== task + 1) return false;
  const done = Atomics.add(i32, DONE, 1) + 1;
  if (done >= Atomics.load(i32, NTASKS) && Atomics.load(i32, POOL_WAITS) === 1) Atomics.notify(i32, DONE);
  return true;
}

/** Writes an error message into worker w's message area (truncated to MAX_MSG). */
export function writeMessage(v: ControlViews, w: number, text: string): void {
  const n = Math.min(text.length, MAX_MSG);
  for (let i = 0; i < n; i++) v.u16[w * MAX_MSG + i] = text.charCodeAt(i);
  Atomics.store(v.i32, slot(w) + MSGLEN, n);
}

export function readMessage(v: ControlViews, w: number): string {
  const n = Atomics.load(v.i32, slot(w) + MSGLEN);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(v.u16[w * MAX_MSG + i]!);
  return s;
}

/** What the pool posts to a new worker (a Module and a shared Memory both cross postMessage). */
export interface WorkerInit {
  type: 'init';
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  index: number;
}

/** What a worker posts back once: ready, or why it could not start. */
export type WorkerReply = { type: 'ready' } | { type: 'error'; message: string };
