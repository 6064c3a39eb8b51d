import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { init, Tensor } from '../src/index.js';
import { WASM_PATH } from './helpers.js';

it('init from a Response and from a Promise<Response>', async () => {
  const body = readFileSync(WASM_PATH);
  const p = Promise.resolve(new Response(body, { headers: { 'Content-Type': 'application/wasm' } }));
  const info = await init({ wasm: p });
  expect(info.wasmBytes).toBe(body.length);
  const t = Tensor.zeros([3]);
  expect(t.size).toBe(3);
  t.dispose();
});
