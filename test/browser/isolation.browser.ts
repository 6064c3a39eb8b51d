// The browser run's own premises (runs in Chromium only: vitest.browser.config.ts includes
// test/browser/*.browser.ts, the Node run's *.test.ts pattern does not): the test iframe is
// cross-origin isolated, and the engine runs the build SIMDNET_BUILD names, on its threads.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../../src/index.js';
import { engineInfo, heap, threadPool } from '../../src/wasm/engine.js';
import type { Pool } from '../../src/threads/pool.js';
import { BUILD, THREADED, THREADS, ready, randArray, expectClose } from './helpers.js';
import { refConv2d } from '../ref/conv2d.js';

beforeAll(ready);

describe(`the browser run (${BUILD})`, () => {
  it('runs in a cross-origin-isolated iframe (COOP/COEP from the test server)', () => {
    expect(window.parent !== window, 'tests run in the orchestrator\'s iframe').toBe(true);
    expect(crossOriginIsolated).toBe(true);
    expect(typeof SharedArrayBuffer).toBe('function');
    expect(() => new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true })).not.toThrow();
  });

  it('runs the build under test, on the threads asked for', () => {
    const info = engineInfo();
    expect(info.build).toBe(BUILD);
    expect(info.runtime.crossOriginIsolated).toBe(true);
    expect(info.runtime.sharedMemory).toBe(true);
    if (THREADED) {
      expect(info.threads).toBe(THREADS);
      expect(info.off.threads).toBeUndefined();
      expect(threadPool()?.size).toBe(THREADS);
    } else {
      expect(info.threads).toBe(1);
      expect(threadPool()).toBeNull();
    }
  });

  it.runIf(THREADED)('each Web Worker runs kernels over the shared memory', async () => {
    const pool = threadPool() as Pool;
    const n = 37;
    const h = heap();
    const p = h.alloc(n * 4);
    for (let w = 0; w < THREADS - 1; w++) {
      await pool.runInWorkerForTest('fill_f32_simd', [p, n, w + 0.5], w);
      const got = Array.from(h.f32view().subarray(p >> 2, (p >> 2) + n));
      expect(got, `written by worker ${w + 1}`).toEqual(new Array(n).fill(w + 0.5));
    }
    h.release(p);
  });

  it.runIf(THREADED)('splits even a tiny kernel call across the threads (split threshold 0)', () => {
    // Pool's private dispatch publishes the tasks of one split call: count its calls.
    const pool = threadPool() as unknown as { dispatch: (...a: unknown[]) => unknown };
    const original = pool.dispatch;
    expect(typeof original, 'Pool.dispatch (src/threads/pool.ts) was renamed: update this test').toBe('function');
    let splits = 0;
    pool.dispatch = function (this: unknown, ...a: unknown[]) { splits++; return original.apply(this, a); };
    try {
      const x = Tensor.from(randArray(200, 4), [200]);
      const y = ops.relu(x);
      expect(splits, 'relu over 200 elements ran as one split call').toBe(1);
      expect(Array.from(y.toFloat32Array())).toEqual(Array.from(x.toFloat32Array(), (v) => Math.max(v, 0)));
      x.dispose();
      y.dispose();
    } finally {
      delete (pool as { dispatch?: unknown }).dispatch; // back to the prototype's
    }
    expect(pool.dispatch).toBe(original);
  });

  it('computes a convolution that is split across the workers (threaded builds) correctly', () => {
    const xs = [2, 5, 13, 11], ws = [9, 5, 3, 3];
    const xd = randArray(2 * 5 * 13 * 11, 1), wd = randArray(9 * 5 * 3 * 3, 2), bd = randArray(9, 3);
    const x = Tensor.from(xd, xs), w = Tensor.from(wd, ws), b = Tensor.from(bd, [9]);
    const y = ops.conv2d(x, w, b, { padding: 1 });
    const ref = refConv2d(xd, xs, wd, ws, bd, { padding: [1, 1, 1, 1] });
    expectClose(y.toFloat32Array(), ref.data, ref.shape, 'conv2d');
    for (const t of [x, w, b, y]) t.dispose();
  });
});
