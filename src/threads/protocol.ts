// The control block shared by the pool (main thread) and its workers: a SharedArrayBuffer of its
// own (never wasm memory, so growing the heap never moves it). One slot per worker:
//
//   Int32 [PENDING]                         workers still running the current job
//   Int32 [slot(w) + GEN]                   bumped by the pool to hand worker w a job
//   Int32 [slot(w) + KERNEL]                the kernel's index in KERNEL_NAMES (or a command)
//   Int32 [slot(w) + NARGS]                 how many of the f64 arguments it takes
//   Int32 [slot(w) + STATUS]                OK, TRAPPED (the kernel threw) or DEAD (the worker died)
//   Int32 [slot(w) + MSGLEN]                characters of the error message
//   Int32 [slot(w) + STARTED]               the GEN the worker picked up
//   Int32 [slot(w) + DONE]                  the GEN the worker finished (claimed with compareExchange,
//                                           by the worker or, for a dead worker, by the pool)
//   Float64 args(w) [MAX_ARGS]              the arguments (every i32 and f32 fits a double exactly)
//   Uint16 msg(w) [MAX_MSG]                 the error message's UTF-16 code units
//   Float64 program(w) [PROGRAM_F64]        a BATCH job: call count, then per call the kernel's
//                                           index, its argument count and its arguments
export const MAX_WORKERS = 15;
export const MAX_ARGS = 16;
export const MAX_MSG = 480;

export const PENDING = 0;
const HEADER_INTS = 4;
const SLOT_INTS = 8;
export const GEN = 0, KERNEL = 1, NARGS = 2, STATUS = 3, MSGLEN = 4, DONE = 5, STARTED = 6;

export const OK = 0, TRAPPED = 1, DEAD = 2;
/** Commands in the KERNEL slot (kernels are ≥ 0). */
export const STOP = -1, TEST_CRASH = -2, BATCH = -3;
/** Doubles of program space per worker (a BATCH job's calls). */
export const PROGRAM_F64 = 16_384;

const ARGS_BYTES = HEADER_INTS * 4 + MAX_WORKERS * SLOT_INTS * 4;
const MSG_BYTES = ARGS_BYTES + MAX_WORKERS * MAX_ARGS * 8;
const PROGRAM_BYTES = MSG_BYTES + MAX_WORKERS * MAX_MSG * 2;
export const CONTROL_BYTES = PROGRAM_BYTES + MAX_WORKERS * PROGRAM_F64 * 8;

export interface ControlViews {
  i32: Int32Array;
  f64: Float64Array;
  u16: Uint16Array;
  program: Float64Array;
}

export function controlViews(sab: SharedArrayBuffer): ControlViews {
  return {
    i32: new Int32Array(sab, 0, ARGS_BYTES / 4),
    f64: new Float64Array(sab, ARGS_BYTES, MAX_WORKERS * MAX_ARGS),
    u16: new Uint16Array(sab, MSG_BYTES, MAX_WORKERS * MAX_MSG),
    program: new Float64Array(sab, PROGRAM_BYTES, MAX_WORKERS * PROGRAM_F64),
  };
}

/** Index of worker w's first Int32. */
export function slot(w: number): number {
  return HEADER_INTS + w * SLOT_INTS;
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

/** Marks job `gen` of worker w finished; false when someone (the pool, for a dead worker) already did. */
export function claimDone(v: ControlViews, w: number, gen: number): boolean {
  const d = slot(w) + DONE;
  const prev = Atomics.load(v.i32, d);
  if (prev === gen) return false;
  if (Atomics.compareExchange(v.i32, d, prev, gen) !== prev) return false;
  Atomics.sub(v.i32, PENDING, 1);
  Atomics.notify(v.i32, PENDING);
  return true;
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
