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

export interface InitOptions {
  /** The simdnet.wasm to run; defaults to the file shipped beside this module. */
  wasm?: WasmSource;
  /**
   * Worker threads over a shared memory: a number or 'auto'. This release runs the
   * single-thread build; any value other than 1 is recorded and engineInfo() says why it is off.
   */
  threads?: number | 'auto';
}

export interface EngineInfo {
  /** The build that runs: 'simd', 'relaxed' or 'threads'. */
  build: 'simd' | 'relaxed' | 'threads';
  threads: number;
  /** Why each build that does not run is off. */
  off: { relaxed?: string; threads?: string };
  /** What the runtime supports, whatever runs. */
  runtime: { simd: boolean; relaxedSimd: boolean; sharedMemory: boolean; crossOriginIsolated: boolean | null };
  /** Bytes of the wasm module, when known. */
  wasmBytes: number | null;
}

interface Engine {
  kernels: Kernels;
  memory: WebAssembly.Memory;
  heap: Heap;
  info: EngineInfo;
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
  return initWithDefault(defaultWasmUrl, options);
}

/**
 * A runtime's default source for simdnet.wasm, asked for only when init() runs without
 * `options.wasm`: Node reads the file, browsers fetch it, Deno and workerd hand over the module
 * they imported (those runtimes forbid or restrict compiling from bytes).
 */
export type DefaultWasm = () => WasmSource | Promise<WasmSource>;

/**
 * init() with a runtime entry's default source (src/entries/*). Each entry exports its own
 * `init` that calls this, rather than setting a default at import time: an entry's top-level
 * statement could be dropped by bundlers under `sideEffects: false`.
 */
export function initWithDefault(defaultWasm: DefaultWasm, options: InitOptions = {}): Promise<EngineInfo> {
  if (engine !== null) return Promise.resolve(engine.info);
  if (pending !== null) return pending;
  pending = start(options, defaultWasm).catch((e) => {
    pending = null;
    throw e;
  });
  return pending;
}

/** Which build runs and why the others are off. Throws before init(). */
export function engineInfo(): EngineInfo {
  if (engine === null) throw notInitialised();
  return structuredCloneInfo(engine.info);
}

function structuredCloneInfo(i: EngineInfo): EngineInfo {
  return { ...i, off: { ...i.off }, runtime: { ...i.runtime } };
}

async function start(options: InitOptions, defaultWasm: DefaultWasm): Promise<EngineInfo> {
  checkThreadsOption(options.threads);
  const simd = WebAssembly.validate(SIMD_PROBE);
  if (!simd) {
    throw new Error(
      'simdnet needs WebAssembly SIMD, which this runtime lacks (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+, Deno)',
    );
  }
  const { module, bytes } = await compile(options.wasm ?? (await defaultWasm()));
  checkExports(module);
  const instance = await WebAssembly.instantiate(module, {});
  const exports = instance.exports as unknown as Kernels & { memory: WebAssembly.Memory };
  const memory = exports.memory;
  const heap = new Heap(memory, exports.heap_base());
  const relaxed = WebAssembly.validate(RELAXED_PROBE);
  const sab = typeof SharedArrayBuffer === 'function';
  const coi = typeof (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === 'boolean'
    ? (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated!
    : null;
  const wanted = options.threads === undefined ? 1 : options.threads;
  const info: EngineInfo = {
    build: 'simd',
    threads: 1,
    off: {
      relaxed: relaxed
        ? 'this release ships no relaxed-SIMD build yet (the runtime supports relaxed SIMD)'
        : 'the runtime does not support relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)',
      threads: wanted === 1
        ? 'threads: 1 was asked for (the default)'
        : `threads: ${String(wanted)} was asked for, but this release ships no threaded build yet`,
    },
    runtime: { simd, relaxedSimd: relaxed, sharedMemory: sab, crossOriginIsolated: coi },
    wasmBytes: bytes,
  };
  engine = { kernels: exports, memory, heap, info };
  return structuredCloneInfo(info);
}

function checkThreadsOption(t: InitOptions['threads']): void {
  if (t === undefined || t === 'auto') return;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 1) {
    throw new TypeError(`init: threads must be a positive integer or 'auto', got ${describe(t)}`);
  }
}

function defaultWasmUrl(): URL {
  return new URL('./simdnet.wasm', import.meta.url);
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
  if (!have.has('memory')) missing.unshift('memory' as never);
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
