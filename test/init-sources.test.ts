// Each source kind in a fresh process (vitest runs every file in its own fork).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { init } from '../src/index.js';
import { WASM_PATH } from './helpers.js';

describe('init from a file URL, then from a Response', () => {
  it('a file: URL is read with node:fs', async () => {
    const info = await init({ wasm: pathToFileURL(WASM_PATH) });
    expect(info.wasmBytes).toBe(readFileSync(WASM_PATH).length);
  });
});
