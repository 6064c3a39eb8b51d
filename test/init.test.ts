// init() from every kind of source, and the errors for wrong ones. This file starts with no
// engine so that the "before init" messages can be checked.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { init, engineInfo, memoryInfo, Tensor, ops } from '../src/index.js';
import { WASM_PATH } from './helpers.js';

const bytes = readFileSync(WASM_PATH);

describe('before init()', () => {
  it('every entry point says to call init first', () => {
    expect(() => Tensor.zeros([2])).toThrow(/not initialised: call `await init\(\)`/);
    expect(() => engineInfo()).toThrow(/not initialised/);
    expect(() => memoryInfo()).toThrow(/not initialised/);
  });
});

describe('wrong sources give errors that say what was received', () => {
  it('an HTML 404 page', async () => {
    const res = new Response('<!DOCTYPE html><html><body>Not Found</body></html>', { status: 404, statusText: 'Not Found' });
    await expect(init({ wasm: res })).rejects.toThrow(/HTTP 404 Not Found; received \d+ bytes of an HTML\/XML document beginning "<!DOCTYPE html>/);
  });
  it('an HTML page served with status 200', async () => {
    const res = new Response('<html>oops</html>', { status: 200 });
    await expect(init({ wasm: res })).rejects.toThrow(/not a WebAssembly module \(expected simdnet.wasm, starting with \\0asm\); received 17 bytes of an HTML/);
  });
  it('a truncated file', async () => {
    await expect(init({ wasm: bytes.subarray(0, bytes.length >> 1) })).rejects.toThrow(/is not a valid simdnet.wasm, perhaps truncated or corrupt/);
  });
  it('an empty body', async () => {
    await expect(init({ wasm: new Uint8Array(0) })).rejects.toThrow(/received an empty body \(0 bytes\)/);
  });
  it('a wasm module from another version (missing kernels)', async () => {
    const other = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]); // a valid, empty module
    await expect(init({ wasm: other })).rejects.toThrow(/not the simdnet.wasm this package expects \(another version\?\): it lacks/);
  });
  it('a missing file', async () => {
    await expect(init({ wasm: pathToFileURL('/nonexistent/simdnet.wasm') })).rejects.toThrow(/cannot read file:\/\/\/nonexistent\/simdnet.wasm/);
  });
  it('a value of the wrong type, and bad threads', async () => {
    await expect(init({ wasm: 42 as never })).rejects.toThrow(/options.wasm must be a WebAssembly.Module, bytes .*got 42/);
    await expect(init({ threads: 0 })).rejects.toThrow(/threads must be a positive integer or 'auto', got 0/);
  });
});

describe('good sources', () => {
  it('a precompiled WebAssembly.Module (and later calls return the same engine)', async () => {
    const mod = await WebAssembly.compile(bytes);
    const info = await init({ wasm: mod });
    expect(info.build).toBe('simd');
    expect(info.wasmBytes).toBeNull();
    // the engine is running: a second init with another source is a no-op
    const again = await init({ wasm: pathToFileURL(WASM_PATH) });
    expect(again).toEqual(info);
    const t = Tensor.from([1, 2, 3, 4], [4]);
    expect(Array.from(t.toFloat32Array())).toEqual([1, 2, 3, 4]);
    t.dispose();
    expect(typeof ops.outputSize).toBe('function');
  });
});
