// Shared test helpers: engine start-up, seeded random data, comparisons that report the first
// mismatch with its coordinates, and heap checks.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { init, memoryInfo } from '../src/index.js';
import { heap } from '../src/wasm/engine.js';

export const WASM_PATH = fileURLToPath(new URL('../dist/simdnet.wasm', import.meta.url));

/** Starts the engine from the freshly built dist/simdnet.wasm. */
export async function ready(): Promise<void> {
  await init({ wasm: readFileSync(WASM_PATH) });
}

/** Deterministic uniform numbers in [lo, hi) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Coordinates of flat index i in shape. */
export function coords(i: number, shape: readonly number[]): number[] {
  const c: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    c.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return c;
}

/**
 * Asserts |a − b| ≤ atol + rtol·|b| everywhere (the tolerance by default), and that the
 * shapes agree; the failure names the first bad element's coordinates.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  shape: readonly number[],
  what = '',
  atol = 1e-5,
  rtol = 1e-4,
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  expect(sizeOf(shape), `${what}: shape size`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], b = expected[i];
    const ok = Number.isNaN(b) ? Number.isNaN(a) : Math.abs(a - b) <= atol + rtol * Math.abs(b) || a === b;
    if (!ok) {
      throw new Error(
        `${what}: mismatch at [${coords(i, shape).join(', ')}] (flat ${i}) of shape [${shape.join(', ')}]: got ${a}, expected ${b}`,
      );
    }
  }
}

/** Asserts no kernel wrote into any live allocation's padding. */
export function expectCanariesIntact(what = ''): void {
  const bad = heap().checkCanaries();
  if (bad >= 0) throw new Error(`${what}: canary bytes after the allocation at ${bad} were overwritten`);
}

export function bytesInUse(): number {
  return memoryInfo().bytesInUse;
}
