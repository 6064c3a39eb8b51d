// Shared test helpers: engine start-up, seeded random data, comparisons that report the first
// mismatch with its coordinates, and heap checks.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { expect } from 'vitest';
import { Tensor, init, memoryInfo } from '../src/index.js';
import { heap, initWithDefault, type BuildName } from '../src/wasm/engine.js';
import { threadSupport } from '../src/threads/pool.js';
import { nodeSpawner } from '../src/threads/spawn-node.js';
import { setSplitThreshold } from '../src/threads/split.js';
import { rng } from '../examples/rng.js';

export const WASM_PATH = fileURLToPath(new URL('../dist/simdnet.wasm', import.meta.url));

/**
 * The build the suite runs on: SIMDNET_BUILD = simd (default) | relaxed | threads |
 * threads-relaxed (scripts/test-builds.mjs runs the suite once per build). Threaded builds run
 * SIMDNET_THREADS threads (default 2) and split every kernel that can be split, however small,
 * so that the reference tests check each split.
 */
export const BUILD = (process.env.SIMDNET_BUILD ?? 'simd') as BuildName;
/** Threads the suite runs on (1 for the single-thread builds). */
export const THREADS = BUILD.startsWith('threads') ? Number(process.env.SIMDNET_THREADS ?? 2) : 1;
const FILES: Record<BuildName, string> = {
  simd: 'simdnet.wasm', relaxed: 'simdnet-relaxed.wasm', threads: 'simdnet-threads.wasm', 'threads-relaxed': 'simdnet-threads-relaxed.wasm',
};

/** Starts the engine from the freshly built dist/*.wasm of the build under test. */
export async function ready(): Promise<void> {
  const bytes = readFileSync(fileURLToPath(new URL(`../dist/${FILES[BUILD]}`, import.meta.url)));
  const relaxedSimd = BUILD.endsWith('relaxed');
  if (!BUILD.startsWith('threads')) {
    await init({ wasm: { [BUILD]: bytes }, relaxedSimd });
    return;
  }
  setSplitThreshold(0);
  const worker = new URL('../dist/worker-node.js', import.meta.url);
  const info = await initWithDefault(
    { wasm: () => bytes, threads: threadSupport(nodeSpawner(() => new Worker(worker))) },
    { wasm: { [BUILD]: bytes }, threads: THREADS, relaxedSimd },
  );
  if (info.build !== BUILD || info.threads < 2) throw new Error(`expected the ${BUILD} build on threads, got ${JSON.stringify(info)}`);
}

/** Deterministic uniform numbers in [0, 1) (mulberry32; the examples' generator, examples/rng.js). */
export { rng };

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
 * The absolute tolerance's floor. The relaxed builds fuse each multiply-add (one rounding instead
 * of two): as accurate, but not the same rounding, and a long sum whose terms cancel (K = 1,170
 * terms of size ~1 adding up to 0.03 in the prepared-conv tests) lands up to a few 1e-5 away from
 * where the plain build lands, in either direction. Those builds compare with 5e-5.
 */
const ATOL = BUILD.endsWith('relaxed') ? 5e-5 : 1e-5;

/**
 * Asserts |a − b| ≤ atol + rtol·|b| everywhere (the issue's tolerance by default), and that the
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
  atol = Math.max(atol, ATOL);
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

/** x ↦ layer l's eager forward (training false) on x of `shape`: fdCheck's forward for a layer. */
export function layerForward(l: { forward(inputs: readonly Tensor[], training: boolean): Tensor }, shape: readonly number[]): (x: Float32Array) => Float32Array {
  return (v) => {
    const t = Tensor.from(v, shape);
    const y = l.forward([t], false);
    const out = y.toFloat32Array();
    t.dispose(); y.dispose();
    return out;
  };
}

/**
 * Checks an analytic gradient against central differences of L = Σ y ⊙ r (r a fixed random
 * array, float64 loss). `forward` maps the perturbed input to y (it may run kernels). Checks
 * `samples` coordinates (all when undefined), |analytic − numeric| ≤ rtol·max(|a|, |n|) + atol,
 * where atol = rtol·0.1·max|numeric| keeps float32 noise on near-zero entries from failing the
 * check. Throws naming the worst coordinate; returns the largest relative error seen.
 */
export function fdCheck(args: {
  x: Float32Array;
  shape: readonly number[];
  r: Float32Array;
  forward: (x: Float32Array) => Float32Array;
  analytic: Float32Array;
  eps?: number;
  rtol?: number;
  samples?: number;
  seed?: number;
  what?: string;
}): number {
  const { x, r, forward, analytic, shape } = args;
  const eps = args.eps ?? 1e-2;
  const rtol = args.rtol ?? 1e-2;
  const loss = (y: Float32Array) => {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * r[i];
    return s;
  };
  let idx = Array.from({ length: x.length }, (_, i) => i);
  if (args.samples !== undefined && args.samples < x.length) {
    const g = rng(args.seed ?? 99);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(g() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    idx = idx.slice(0, args.samples);
  }
  const numeric = new Float64Array(idx.length);
  idx.forEach((i, k) => {
    const xp = x.slice();
    xp[i] = x[i] + eps;
    const lp = loss(forward(xp));
    xp[i] = x[i] - eps;
    const lm = loss(forward(xp));
    numeric[k] = (lp - lm) / (2 * eps);
  });
  const scale = Math.max(...Array.from(numeric, Math.abs), 1e-6);
  const atol = rtol * 0.1 * scale;
  let worst = 0;
  idx.forEach((i, k) => {
    const a = analytic[i], n = numeric[k];
    const err = Math.abs(a - n);
    const rel = err / Math.max(Math.abs(a), Math.abs(n), 1e-12);
    if (err > rtol * Math.max(Math.abs(a), Math.abs(n)) + atol) {
      throw new Error(
        `${args.what ?? 'gradient'}: at [${coords(i, shape).join(', ')}] analytic ${a} vs central difference ${n} (relative error ${rel.toExponential(2)})`,
      );
    }
    if (Math.abs(n) > atol) worst = Math.max(worst, rel);
  });
  return worst;
}

/** Distinct values (a shuffled ramp) so max pooling's argmax is stable under ±eps. */
export function distinctArray(n: number, seed: number, step = 0.05): Float32Array {
  const g = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (i - n / 2) * step;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(g() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
