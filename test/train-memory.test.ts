// Memory over a long training run, on whichever build SIMDNET_BUILD selects (scripts/test-builds.mjs
// runs this file on the threaded builds too): bytes in use flat across 2,000 steps, and nothing
// left once the model, the data and the pool are gone. The threaded build's pool holds one fixed
// block of its own (per-part parameter blocks, Pool.heapBytes = 16 KiB) from init until terminate().
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, Tensor, fit, memoryInfo, nn } from '../src/index.js';
import { threadPool } from '../src/wasm/engine.js';
import type { Pool } from '../src/threads/pool.js';
import { THREADS, ready, rng } from './helpers.js';

beforeAll(ready);

describe(`training memory (${THREADS} thread${THREADS > 1 ? 's' : ''})`, () => {
  it('stays flat across 2,000 steps, and disposing everything (then the pool) leaves the heap empty', async () => {
    const poolBytes = () => (threadPool() as Pool | null)?.heapBytes ?? 0;
    // nothing but the pool's own block before the model exists (this file makes no other tensors)
    expect(memoryInfo().bytesInUse).toBe(poolBytes());
    expect(memoryInfo().liveTensors).toBe(0);
    const m = new Sequential([
      new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Dropout(0.2), new nn.Flatten(), new nn.Linear(4 * 4 * 4, 3),
    ], { inputShape: [1, 8, 8], seed: 3 });
    const r = rng(5);
    const x = Tensor.from(Float32Array.from({ length: 8 * 64 }, () => r() - 0.5), [8, 1, 8, 8]);
    const y = Int32Array.from({ length: 8 }, (_, i) => i % 3);
    let afterFirst = -1, last = -1, steps = 0;
    await fit(m, { x, y }, {
      epochs: 1000, batchSize: 4, optimizer: 'adam', seed: 1,
      callbacks: {
        onBatchEnd: () => {
          steps++;
          if (steps === 1) afterFirst = memoryInfo().bytesInUse;
          last = memoryInfo().bytesInUse;
        },
      },
    });
    expect(steps).toBe(2000);
    expect(last).toBe(afterFirst);
    x.dispose();
    m.dispose();
    expect(memoryInfo().liveTensors).toBe(0);
    expect(memoryInfo().bytesInUse).toBe(poolBytes());
    threadPool()?.terminate();
    expect(memoryInfo().bytesInUse).toBe(0);
    expect(memoryInfo().liveBlocks).toBe(0);
  }, 300_000);
});
