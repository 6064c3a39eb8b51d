// init(): picks a build, instantiates what load.ts compiled, and owns the one instance, its
// memory and the heap. With heap.ts and load.ts, the only files that touch WebAssembly.* and
// memory.buffer.
import { probeQs8 } from './probe-qs8.js';
import { Heap } from './heap.js';
import type { Kernels } from './abi.js';
import { describe } from './describe.js';
import {
  checkExports, compile, defaultWasmUrl, simdSupport, sourceFor, sourcesOf,
  type BuildName, type DefaultWasm, type WasmSource,
} from './load.js';

export { describe };
export { wasmUrlOf, type BuildName, type DefaultWasm, type WasmSource } from './load.js';

export interface InitOptions {
  /**
   * The wasm to run: one module (its imports tell whether it is a threaded build), or one per
   * build. Defaults to the files shipped beside this module.
   */
  wasm?: WasmSource | Partial<Record<BuildName, WasmSource>>;
  /**
   * Worker threads over one shared memory: a number (1 = no workers) or 'auto' (the core count,
   * at most 8). Threads need SharedArrayBuffer (a cross-origin-isolated page) and workers; when
   * either is missing the single-thread build runs and engineInfo().off.threads says why.
   * Default: 1.
   */
  threads?: number | 'auto';
  /** Use the relaxed-SIMD build (fused multiply-add) where the runtime has it: default 'auto'. */
  relaxedSimd?: boolean | 'auto';
}

export interface EngineInfo {
  /** The build that runs. */
  build: BuildName;
  /** Threads computing kernels (the calling thread included). */
  threads: number;
  /** Why each feature that is not in use is off. */
  off: { relaxed?: string; threads?: string };
  /** What the runtime supports, whatever runs. */
  runtime: { simd: boolean; relaxedSimd: boolean; sharedMemory: boolean; crossOriginIsolated: boolean | null; cores: number | null };
  /** Bytes of the wasm module, when known. */
  wasmBytes: number | null;
  /**
   * The int8 GEMM and depthwise kernels (assembly/gemm-qs8.ts, dwconv2d-qs8.ts): 'dot_i16x8'
   * (i32x4.dot_i16x8_s: the plain SIMD builds, or a relaxed build whose runtime failed the start-up
   * check), 'relaxed_dot' (one relaxed dot per 4 bytes, exact on signed bytes here: Arm),
   * 'relaxed_dot_u8' (one relaxed dot per 4 bytes on activations fed in as unsigned bytes: the
   * runtime reads the i7 operand unsigned without saturating, as x86 with VNNI does) or
   * 'relaxed_dot_split' (relaxed dot on the 7-bit halves of each activation: unsigned and
   * saturating, as x86 without VNNI).
   */
  int8: Int8Kernels;
}

/** engineInfo().int8 by relaxed-dot mode + 1 (mode −1: dot_i16x8_s, 0: split, 1: signed, 2: unsigned). */
const INT8_KERNELS = ['dot_i16x8', 'relaxed_dot_split', 'relaxed_dot', 'relaxed_dot_u8'] as const;
export type Int8Kernels = (typeof INT8_KERNELS)[number];

/** The int8 kernels' relaxed-dot mode chosen at start-up (src/wasm/probe-qs8.ts): 2 unsigned, 1 signed, 0 split, −1 dot_i16x8_s. */
export function rdotMode(): number {
  if (engine === null) throw notInitialised();
  return INT8_KERNELS.indexOf(engine.info.int8) - 1;
}

/** A running worker pool as the engine sees it (src/threads implements it). */
export interface ThreadPool {
  /** Threads in use now, the caller included (fewer while a replaced worker starts). */
  readonly size: number;
  /** Threads it was started with (size returns to it after a worker is replaced). */
  readonly capacity: number;
  /** The kernel table to hand out: splittable kernels run across the pool. */
  readonly kernels: Kernels;
  /** Called once the heap exists (the pool keeps per-thread scratch there). */
  attach(heap: Heap): void;
  terminate(): void;
}

/** How a runtime starts workers over a shared memory (src/threads; absent where there are none). */
export interface ThreadSupport {
  /** Why this runtime cannot run workers, or null. */
  unavailable(): string | null;
  /** The number of cores, or null when unknown. */
  cores(): number | null;
  start(module: WebAssembly.Module, memory: WebAssembly.Memory, exports: Kernels, threads: number): Promise<ThreadPool>;
}

interface Engine {
  kernels: Kernels;
  memory: WebAssembly.Memory;
  heap: Heap;
  info: EngineInfo;
  pool: ThreadPool | null;
}

let engine: Engine | null = null;
let pending: Promise<EngineInfo> | null = null;

/** The kernels of the running instance; throws a clear error before init(). */
export function kernels(): Kernels {
  if (engine === null) throw notInitialised();
  return engine.kernels;
}

/** The heap of the running instance; throws a clear error before init(). */
export function heap(): Heap {
  if (engine === null) throw notInitialised();
  return engine.heap;
}

export function isInitialised(): boolean {
  return engine !== null;
}

function notInitialised(): Error {
  return new Error('simdnet is not initialised: call `await init()` before creating tensors or running ops');
}

/**
 * Loads and instantiates simdnet.wasm. Safe to call more than once: later calls return the
 * running engine's info (pass a different `wasm` only before the first call).
 */
export function init(options: InitOptions = {}): Promise<EngineInfo> {
  return initWithDefault({ wasm: defaultWasmUrl }, options);
}

/** What a runtime entry (src/entries/*) supplies: its wasm files and, where it has workers, threads. */
export interface RuntimeDefaults {
  wasm: DefaultWasm;
  threads?: ThreadSupport;
}

/**
 * init() with a runtime entry's defaults (src/entries/*). Each entry exports its own `init` that
 * calls this, rather than setting a default at import time: an entry's top-level statement could
 * be dropped by bundlers under `sideEffects: false`.
 */
export function initWithDefault(defaults: RuntimeDefaults | (() => WasmSource | Promise<WasmSource>), options: InitOptions = {}): Promise<EngineInfo> {
  if (engine !== null) return Promise.resolve(engine.info);
  if (pending !== null) return pending;
  const d: RuntimeDefaults = typeof defaults === 'function' ? { wasm: defaults } : defaults;
  pending = start(options, d).catch((e) => {
    pending = null;
    throw e;
  });
  return pending;
}

/** The running worker pool, or null on one thread (tests and benchmarks reach it). */
export function threadPool(): ThreadPool | null {
  if (engine === null) throw notInitialised();
  return engine.pool;
}

/** Which build runs and why the others are off. Throws before init(). */
export function engineInfo(): EngineInfo {
  if (engine === null) throw notInitialised();
  return structuredCloneInfo({ ...engine.info, threads: engine.pool ? engine.pool.size : 1 });
}

function structuredCloneInfo(i: EngineInfo): EngineInfo {
  return { ...i, off: { ...i.off }, runtime: { ...i.runtime } };
}

const MAX_AUTO_THREADS = 8;

async function start(options: InitOptions, defaults: RuntimeDefaults): Promise<EngineInfo> {
  checkThreadsOption(options.threads);
  checkRelaxedOption(options.relaxedSimd);
  const { simd, relaxedSimd: relaxedSupported } = simdSupport();
  if (!simd) {
    throw new Error(
      'simdnet needs WebAssembly SIMD, which this runtime lacks (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+, Deno)',
    );
  }
  const sab = typeof SharedArrayBuffer === 'function';
  const g = globalThis as { crossOriginIsolated?: boolean };
  const coi = typeof g.crossOriginIsolated === 'boolean' ? g.crossOriginIsolated : null;
  const cores = defaults.threads?.cores() ?? null;
  const runtime = { simd, relaxedSimd: relaxedSupported, sharedMemory: sab, crossOriginIsolated: coi, cores };

  const sources = sourcesOf(options.wasm);
  const off: EngineInfo['off'] = {};
  // relaxed SIMD: asked for, supported, and a relaxed module at hand
  const wantRelaxed = options.relaxedSimd ?? 'auto';
  let relaxed = false;
  if (wantRelaxed === false) off.relaxed = 'relaxedSimd: false was asked for';
  else if (!relaxedSupported) {
    if (wantRelaxed === true) throw new Error('init: relaxedSimd: true was asked for, but this runtime does not support relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd; Chrome 114+, Deno and workerd have it)');
    off.relaxed = 'the runtime does not support relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)';
  } else if (sources.single) off.relaxed = 'options.wasm gave one module: it runs as given';
  else relaxed = true;

  // threads: asked for, and the runtime has shared memory and workers
  const wanted = options.threads === 'auto' ? Math.max(1, Math.min(cores ?? 1, MAX_AUTO_THREADS)) : options.threads ?? 1;
  let why: string | null = null;
  if (wanted === 1) why = options.threads === 'auto' ? `threads: 'auto' found ${cores ?? 'an unknown number of'} core(s)` : 'threads: 1 was asked for (the default)';
  else if (!sab || coi === false) {
    why = 'SharedArrayBuffer is not available: a page needs cross-origin isolation (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  } else if (!defaults.threads) why = 'this runtime has no workers to run threads on';
  else why = defaults.threads.unavailable();

  let loaded: Loaded | null = null;
  if (why === null) {
    const build: BuildName = relaxed ? 'threads-relaxed' : 'threads';
    try {
      loaded = await instantiate(await compile(await sourceFor(build, sources, defaults)), build, sources.single);
    } catch (e) {
      if (sources.single) throw e;
      why = `the threaded build could not load: ${(e as Error).message}`;
    }
    if (loaded !== null && !loaded.shared) {
      why = 'options.wasm is a single-thread build';
    } else if (loaded !== null) {
      try {
        loaded.pool = await defaults.threads!.start(loaded.module, loaded.memory, loaded.exports, wanted);
      } catch (e) {
        why = `workers could not start: ${(e as Error).message}`;
        loaded = null;
      }
    }
  }
  if (loaded === null || loaded.pool === null) {
    if (loaded === null && relaxed) {
      // an app that copied only simdnet.wasm beside its bundle still starts, on the plain build
      try {
        loaded = await instantiate(await compile(await sourceFor('relaxed', sources, defaults)), 'relaxed', null);
      } catch (e) {
        off.relaxed = `the relaxed-SIMD build could not load (${(e as Error).message}); the plain SIMD build runs`;
      }
    }
    if (loaded === null) loaded = await instantiate(await compile(await sourceFor('simd', sources, defaults)), 'simd', sources.single);
  }
  if (why !== null) off.threads = why;
  const heap = new Heap(loaded.memory, loaded.exports.heap_base());
  loaded.pool?.attach(heap);
  const info: EngineInfo = {
    build: loaded.build,
    threads: loaded.pool ? loaded.pool.size : 1,
    off,
    runtime,
    wasmBytes: loaded.bytes,
    // probed once, as XNNPACK and onnxruntime do: how this runtime's relaxed dot treats its i7 operand
    int8: INT8_KERNELS[probeQs8(loaded.exports, heap) + 1],
  };
  engine = { kernels: loaded.pool ? loaded.pool.kernels : loaded.exports, memory: loaded.memory, heap, info, pool: loaded.pool };
  return structuredCloneInfo(info);
}

interface Loaded {
  module: WebAssembly.Module;
  exports: Kernels;
  memory: WebAssembly.Memory;
  shared: boolean;
  build: BuildName;
  bytes: number | null;
  pool: ThreadPool | null;
}

/** Instantiates a module: a threaded build (it imports env.memory) gets a new shared memory. */
async function instantiate(
  c: { module: WebAssembly.Module; bytes: number | null }, build: BuildName, single: WasmSource | null,
): Promise<Loaded> {
  checkExports(c.module);
  const imp = WebAssembly.Module.imports(c.module);
  const shared = imp.some((i) => i.module === 'env' && i.name === 'memory' && i.kind === 'memory');
  let memory: WebAssembly.Memory;
  let exports: Kernels & { memory: WebAssembly.Memory };
  if (shared) {
    memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
    const instance = await WebAssembly.instantiate(c.module, { env: { memory } });
    exports = instance.exports as unknown as Kernels & { memory: WebAssembly.Memory };
  } else {
    const instance = await WebAssembly.instantiate(c.module, {});
    exports = instance.exports as unknown as Kernels & { memory: WebAssembly.Memory };
    memory = exports.memory;
  }
  // a single module given by the user is named by what it is (relaxed or not cannot be told)
  const name: BuildName = single !== null ? (shared ? 'threads' : 'simd') : build;
  return { module: c.module, exports, memory, shared, build: name, bytes: c.bytes, pool: null };
}

function checkRelaxedOption(r: InitOptions['relaxedSimd']): void {
  if (r === undefined || r === 'auto' || r === true || r === false) return;
  throw new TypeError(`init: relaxedSimd must be true, false or 'auto', got ${describe(r)}`);
}

function checkThreadsOption(t: InitOptions['threads']): void {
  if (t === undefined || t === 'auto') return;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 1) {
    throw new TypeError(`init: threads must be a positive integer or 'auto', got ${describe(t)}`);
  }
}

/**
 * Memory accounting for leak checks and reports. On the threaded build bytesInUse includes the
 * worker pool's one fixed block (16 KiB of per-part parameter blocks, made at init, released when
 * the pool terminates); nothing else stays once every tensor, layer and model is disposed.
 */
export function memoryInfo(): { bytesInUse: number; bytesReserved: number; liveTensors: number; liveBlocks: number } {
  const h = heap();
  return { bytesInUse: h.bytesInUse, bytesReserved: h.bytesReserved, liveTensors: liveTensorCount(), liveBlocks: h.liveBlocks };
}

let liveTensorCount: () => number = () => 0;
/** The tensor room registers how it counts live tensors (wasm never imports tensor.ts). */
export function setLiveTensorCounter(f: () => number): void {
  liveTensorCount = f;
}
