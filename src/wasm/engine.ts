// init(): loads simdnet.wasm from any source, checks it, and owns the one instance, its memory
// and the heap. The only room (with heap.ts) that touches WebAssembly.* and memory.buffer.
import { Heap } from './heap.js';
import { KERNEL_NAMES, type Kernels } from './abi.js';

/** Where the wasm comes from: a compiled module, its bytes, a URL (or URL string) or a Response. */
export type WasmSource =
  | WebAssembly.Module
  | ArrayBuffer
  | ArrayBufferView
  | URL
  | string
  | Response
  | PromiseLike<Response>;

/** The four builds of the kernels: plain or relaxed SIMD, single-thread or over a shared memory. */
export type BuildName = 'simd' | 'relaxed' | 'threads' | 'threads-relaxed';

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

/**
 * A runtime's default source for each build, asked for only when init() needs it: Node reads
 * the file, browsers fetch it, Deno and workerd hand over the modules they imported (those
 * runtimes forbid or restrict compiling from bytes).
 */
export type DefaultWasm = (build: BuildName) => WasmSource | Promise<WasmSource>;

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
  const simd = WebAssembly.validate(SIMD_PROBE);
  if (!simd) {
    throw new Error(
      'simdnet needs WebAssembly SIMD, which this runtime lacks (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+, Deno)',
    );
  }
  const relaxedSupported = WebAssembly.validate(RELAXED_PROBE);
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

/** The sources options.wasm names: one module for whatever build it is, or one per build. */
function sourcesOf(w: InitOptions['wasm']): { single: WasmSource | null; byBuild: Partial<Record<BuildName, WasmSource>> } {
  if (w === undefined) return { single: null, byBuild: {} };
  if (typeof w === 'object' && w !== null && !(w instanceof WebAssembly.Module) && !(w instanceof URL) &&
    !ArrayBuffer.isView(w) && !(w instanceof ArrayBuffer) && !isResponseLike(w) && !isThenable(w)) {
    const rec = w as Partial<Record<BuildName, WasmSource>>;
    const bad = Object.keys(rec).filter((k) => !(BUILDS as readonly string[]).includes(k));
    if (bad.length > 0) throw new TypeError(`init: options.wasm has unknown build name(s) ${bad.join(', ')}; the builds are ${BUILDS.join(', ')}`);
    return { single: null, byBuild: rec };
  }
  return { single: w as WasmSource, byBuild: {} };
}

const BUILDS = ['simd', 'relaxed', 'threads', 'threads-relaxed'] as const;

async function sourceFor(build: BuildName, s: ReturnType<typeof sourcesOf>, d: RuntimeDefaults): Promise<WasmSource> {
  if (s.single !== null) return s.single;
  return s.byBuild[build] ?? (await d.wasm(build));
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

function defaultWasmUrl(build: BuildName): URL {
  return wasmUrlOf(build);
}

/**
 * The file of each build beside this module. Literal `new URL('./x.wasm', import.meta.url)`
 * expressions, the pattern bundlers recognise and copy as assets.
 */
export function wasmUrlOf(build: BuildName): URL {
  switch (build) {
    case 'relaxed': return new URL('./simdnet-relaxed.wasm', import.meta.url);
    case 'threads': return new URL('./simdnet-threads.wasm', import.meta.url);
    case 'threads-relaxed': return new URL('./simdnet-threads-relaxed.wasm', import.meta.url);
    default: return new URL('./simdnet.wasm', import.meta.url);
  }
}

async function compile(src: WasmSource): Promise<{ module: WebAssembly.Module; bytes: number | null }> {
  if (src instanceof WebAssembly.Module) return { module: src, bytes: null };
  if (typeof src === 'string' || src instanceof URL) return compileBytes(await fetchBytes(new URL(src, baseUrl())), String(src));
  if (isResponseLike(src)) return compileResponse(src);
  if (isThenable(src)) return compileResponse(await src);
  if (src instanceof ArrayBuffer) return compileBytes(new Uint8Array(src), 'an ArrayBuffer');
  if (ArrayBuffer.isView(src)) {
    return compileBytes(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), `a ${src.constructor.name}`);
  }
  throw new TypeError(
    `init: options.wasm must be a WebAssembly.Module, bytes (ArrayBuffer or a typed array), a URL or a Response; got ${describe(src)}`,
  );
}

function baseUrl(): string | undefined {
  const loc = (globalThis as { location?: { href: string } }).location;
  return loc ? loc.href : import.meta.url;
}

async function fetchBytes(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') {
    const fs = await import('node:fs/promises');
    try {
      return new Uint8Array(await fs.readFile(url));
    } catch (e) {
      throw new Error(`init: cannot read ${url.href}: ${(e as Error).message}`);
    }
  }
  const res = await fetch(url);
  return bytesOfResponse(res, url.href);
}

async function compileResponse(res: Response): Promise<{ module: WebAssembly.Module; bytes: number | null }> {
  const what = res.url || 'the Response';
  return compileBytes(await bytesOfResponse(res, what), what);
}

async function bytesOfResponse(res: Response, what: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) {
    throw new Error(
      `init: fetching ${what} failed with HTTP ${res.status} ${res.statusText}; received ${preview(bytes)} instead of simdnet.wasm`,
    );
  }
  return bytes;
}

async function compileBytes(bytes: Uint8Array, what: string): Promise<{ module: WebAssembly.Module; bytes: number }> {
  const magic = bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
  if (!magic) {
    throw new Error(
      `init: ${what} is not a WebAssembly module (expected simdnet.wasm, starting with \\0asm); received ${preview(bytes)}`,
    );
  }
  try {
    // Copy into a plain ArrayBuffer: compile() rejects SharedArrayBuffer-backed views.
    return { module: await WebAssembly.compile(bytes.slice().buffer), bytes: bytes.length };
  } catch (e) {
    const message = (e as Error).message;
    // workerd (Cloudflare Workers) refuses any compile from bytes, while WebAssembly.validate
    // still says true; a page's Content-Security-Policy without 'wasm-unsafe-eval' does the same.
    if (/disallowed by embedder|wasm-unsafe-eval|unsafe-eval/.test(message)) {
      throw new Error(
        `init: this runtime forbids compiling WebAssembly from bytes (${message}), so ${what} cannot be used; ` +
          `import simdnet.wasm as a module and pass that WebAssembly.Module as options.wasm, or call init() ` +
          `without options.wasm (the workerd entry imports it for you), or allow 'wasm-unsafe-eval' in the page's CSP`,
      );
    }
    throw new Error(`init: ${what} (${bytes.length} bytes) is not a valid simdnet.wasm, perhaps truncated or corrupt: ${message}`);
  }
}

function checkExports(module: WebAssembly.Module): void {
  const have = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const missing = KERNEL_NAMES.filter((n) => !have.has(n));
  const imported = WebAssembly.Module.imports(module).some((i) => i.kind === 'memory');
  if (!have.has('memory') && !imported) missing.unshift('memory' as never);
  if (missing.length > 0) {
    throw new Error(
      `init: the wasm module is not the simdnet.wasm this package expects (another version?): ` +
        `it lacks ${missing.length} of ${KERNEL_NAMES.length + 1} exports, e.g. ${missing.slice(0, 5).join(', ')}`,
    );
  }
}

function preview(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'an empty body (0 bytes)';
  const head = bytes.subarray(0, 48);
  const text = Array.from(head, (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
  const printable = head.every((b) => (b >= 32 && b < 127) || b === 9 || b === 10 || b === 13);
  const kind = printable ? (/^\s*</.test(text) ? 'an HTML/XML document' : 'text') : 'binary data';
  return `${bytes.length} bytes of ${kind} beginning ${JSON.stringify(text)}`;
}

function isResponseLike(x: unknown): x is Response {
  return typeof Response === 'function' && x instanceof Response;
}

function isThenable(x: unknown): x is PromiseLike<Response> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array [${v.slice(0, 6).map((e) => describe(e)).join(', ')}${v.length > 6 ? ', …' : ''}]`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return `a ${(v as object).constructor?.name ?? 'object'}`;
  return `${typeof v} ${String(v)}`;
}

// (func (result v128) v128.const 0 f32x4.add ...) — a minimal module using SIMD
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 43, 1, 41, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 228, 1, 11,
]);
// the same with three operands and f32x4.relaxed_madd (0xfd 0x105)
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 133, 2, 11,
]);

/** Memory accounting for leak checks and reports. */
export function memoryInfo(): { bytesInUse: number; bytesReserved: number; liveTensors: number; liveBlocks: number } {
  const h = heap();
  return { bytesInUse: h.bytesInUse, bytesReserved: h.bytesReserved, liveTensors: liveTensorCount(), liveBlocks: h.liveBlocks };
}

let liveTensorCount: () => number = () => 0;
/** The tensor room registers how it counts live tensors (wasm never imports tensor.ts). */
export function setLiveTensorCounter(f: () => number): void {
  liveTensorCount = f;
}
