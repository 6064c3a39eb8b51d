// Loading simdnet.wasm: the sources init() accepts (a Module, bytes, a URL, a Response or a
// promise of one; one module or one per build), the default file of each build beside this
// module, reading (fetch, or readFile for file: URLs), compiling with messages that say what was
// received instead, checking the exports, and the feature probes. engine.ts instantiates what
// this file compiles and owns the running instance.
import { KERNEL_NAMES } from './abi.js';
import { describe } from './describe.js';

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

/**
 * A runtime's default source for each build, asked for only when init() needs it: Node reads
 * the file, browsers fetch it, Deno and workerd hand over the modules they imported (those
 * runtimes forbid or restrict compiling from bytes).
 */
export type DefaultWasm = (build: BuildName) => WasmSource | Promise<WasmSource>;

/** options.wasm sorted by sourcesOf(). */
export interface Sources {
  single: WasmSource | null;
  byBuild: Partial<Record<BuildName, WasmSource>>;
}

/** The sources options.wasm names: one module for whatever build it is, or one per build. */
export function sourcesOf(w: WasmSource | Partial<Record<BuildName, WasmSource>> | undefined): Sources {
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

/** The source of one build: the single module given, that build's entry of options.wasm, or the runtime's default. */
export async function sourceFor(build: BuildName, s: Sources, d: { wasm: DefaultWasm }): Promise<WasmSource> {
  if (s.single !== null) return s.single;
  return s.byBuild[build] ?? (await d.wasm(build));
}

export function defaultWasmUrl(build: BuildName): URL {
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

/** Compiles a source (a Module passes through); `bytes` is the module's size when known. */
export async function compile(src: WasmSource): Promise<{ module: WebAssembly.Module; bytes: number | null }> {
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

/** Throws unless the module exports every kernel this package expects (and a memory, or imports one). */
export function checkExports(module: WebAssembly.Module): void {
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

/** What the runtime's WebAssembly validates: SIMD (required) and relaxed SIMD (optional). */
export function simdSupport(): { simd: boolean; relaxedSimd: boolean } {
  return { simd: WebAssembly.validate(SIMD_PROBE), relaxedSimd: WebAssembly.validate(RELAXED_PROBE) };
}
