// The control block shared by the pool (the calling thread) and its workers: a SharedArrayBuffer
// of its own (never wasm memory, so growing the heap never moves it).
//
// A job is a list of independent tasks (each a short list of kernel calls). Each thread taking
// part (the calling thread is thread 0) owns a contiguous range of them and takes tasks from its
// front; a thread whose range is empty takes tasks from the back of the others' ranges. So each
// thread keeps to its own images or rows (from one layer to the next, the same images stay on
// the same core's caches), and a thread that runs slower (a busy core, a late wake-up) ends up
// with fewer tasks.
//
//   Int32 [GEN]          bumped by the pool to publish a job; workers poll, then sleep, on it
//   Int32 [NTASKS]       tasks in the job
//   Int32 [DONE]         tasks finished (the thread that finishes the last one notifies DONE if the pool sleeps)
//   Int32 [CMD]          RUN, or a command (STOP; TEST_CRASH: the worker that claims the job's task dies)
//   Int32 [POOL_WAITS]   1 while the pool sleeps on DONE
//   Int32 [THREADS]      threads taking part (ranges 0 … THREADS − 1)
//   Int32 [STEAL]        1: threads may take tasks from other ranges (0 for a job aimed at one worker)
//   Int32 [RANGE + t]    thread t's range: first task << 16 | end; changed only by compareExchange
//   Int32 [slot(w) + TID]      w's thread index (1 … THREADS − 1) in the current job
//   Int32 [slot(w) + RUNNING]  task + 1 while w runs it, CLAIMING while it looks for one, else 0;
//                              w changes it only by compareExchange, so once the pool has written
//                              a dead worker off (FENCED) nothing it still does is counted
//   Int32 [slot(w) + STATUS]   OK, TRAPPED (a kernel threw) or DEAD (the worker died)
//   Int32 [slot(w) + MSGLEN]   characters of the error message
//   Int32 [slot(w) + SLEEPING] 1 while w sleeps in Atomics.wait (the pool then notifies GEN)
//   Uint16 msg(w) [MAX_MSG]    the error message's UTF-16 code units
//   Float64 program [PROGRAM_F64]:
//     [0] scratch base, [1] scratch bytes per thread: an argument marked in a call's mask gets
//         base + thread index × stride added (each thread's own buffer, whoever's range the task
//         came from); [2 .. 2 + tasks) each task's offset in the program; at each task: its call
//         count, then per call the kernel's index in KERNEL_NAMES, the argument count, the mask,
//         the arguments (every i32, u32 and f32 argument fits a double exactly).
// A job is published in this order: program, NTASKS, DONE, CMD, TIDs, ranges, GEN. A worker that
// still runs behind (it saw an earlier GEN) can only take a task out of a range, and ranges are
// filled last; a job cannot end while one of its tasks is taken, so whatever the worker reads
// after taking one (its TID, the program) belongs to that task's job.
export const MAX_WORKERS = 15;
export const MAX_MSG = 480;

export const GEN = 0, NTASKS = 1, DONE = 2, CMD = 3, POOL_WAITS = 4, THREADS = 5, STEAL = 6, RANGE = 8;
const HEADER_INTS = RANGE + MAX_WORKERS + 1;
const SLOT_INTS = 8;
export const TID = 0, RUNNING = 1, STATUS = 2, MSGLEN = 3, SLEEPING = 4;

export const OK = 0, TRAPPED = 1, DEAD = 2;
/** RUNNING while a worker looks for a task, and once the pool has written a dead worker off. */
export const CLAIMING = -1, FENCED = -2;
export const RUN = 0, STOP = -1, TEST_CRASH = -2;

/** Tasks per job at most (a range packs its first and end task into 16 bits each). */
export const MAX_TASKS = 0xffff;
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

/** A range word: tasks [first, end). */
export const range = (first: number, end: number): number => (first << 16) | end;

/** Takes the first task of range t, or −1 when it is empty. */
function takeFront(i32: Int32Array, t: number): number {
  for (;;) {
    const r = Atomics.load(i32, RANGE + t);
    const first = r >>> 16, end = r & 0xffff;
    if (first >= end) return -1;
    if (Atomics.compareExchange(i32, RANGE + t, r, range(first + 1, end)) === r) return first;
  }
}

/** Takes the last task of range t, or −1 when it is empty. */
function takeBack(i32: Int32Array, t: number): number {
  for (;;) {
    const r = Atomics.load(i32, RANGE + t);
    const first = r >>> 16, end = r & 0xffff;
    if (first >= end) return -1;
    if (Atomics.compareExchange(i32, RANGE + t, r, range(first, end - 1)) === r) return end - 1;
  }
}

/**
 * The next task for thread t: from the front of its own range, else (when the job allows it) from
 * the back of another's, the next thread's first; −1 when no range holds one.
 */
export function claim(i32: Int32Array, t: number): number {
  const own = takeFront(i32, t);
  if (own >= 0 || Atomics.load(i32, STEAL) === 0) return own;
  const n = Atomics.load(i32, THREADS);
  for (let k = 1; k < n; k++) {
    const task = takeBack(i32, (t + k) % n);
    if (task >= 0) return task;
  }
  return -1;
}

/** Empties every range (no task is taken after this); returns how many tasks they still held. */
export function closeRanges(i32: Int32Array): number {
  let left = 0;
  const n = Atomics.load(i32, THREADS);
  for (let t = 0; t < n; t++) {
    for (;;) {
      const r = Atomics.load(i32, RANGE + t);
      const first = r >>> 16, end = r & 0xffff;
      if (first >= end) break;
      if (Atomics.compareExchange(i32, RANGE + t, r, range(end, end)) === r) { left += end - first; break; }
    }
  }
  return left;
}

/**
 * Copies n arguments from src[from …] into `out` (reused, returned), adding `rel` (a thread's
 * scratch address) to those whose bit is set in `mask`.
 */
export function relocate(src: ArrayLike<number>, from: number, n: number, mask: number, rel: number, out: number[]): number[] {
  out.length = n;
  for (let i = 0; i < n; i++) out[i] = ((mask >>> i) & 1) === 1 ? src[from + i]! + rel : src[from + i]!;
  return out;
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
    table[k]!(...relocate(p, q + 3, n, mask, rel, args));
    q += 3 + n;
  }
}

/**
 * Worker w's state change `from` → `to` in RUNNING; false when the pool has fenced it off (the
 * worker then stops).
 */
export function setRunning(i32: Int32Array, w: number, from: number, to: number): boolean {
  return Atomics.compareExchange(i32, slot(w) + RUNNING, from, to) === from;
}

/** Counts one finished task; wakes the pool when it was the last and the pool sleeps. */
export function countDone(i32: Int32Array, n = 1): void {
  const done = Atomics.add(i32, DONE, n) + n;
  if (done >= Atomics.load(i32, NTASKS) && Atomics.load(i32, POOL_WAITS) === 1) Atomics.notify(i32, DONE);
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
