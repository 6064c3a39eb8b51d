// The threaded build in Node whatever SIMDNET_BUILD says: results identical to one thread, a
// kernel that traps in a worker or a worker that dies surfaces as an error on the call (or the
// test hook's promise) without hanging, and the pool recovers.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, ops, memoryInfo, models, optim } from '../src/index.js';
import { engineInfo, heap, initWithDefault, threadPool } from '../src/wasm/engine.js';
import { runTasks } from '../src/threads/parallel.js';
import { Pool, threadSupport } from '../src/threads/pool.js';
import { nodeSpawner } from '../src/threads/spawn-node.js';
import { setSplitThreshold } from '../src/threads/split.js';
import {
  CONTROL_BYTES, PROGRAM_HEADER, GEN, NTASKS, DONE, CMD, THREADS, STEAL, RANGE, TID, RUNNING, STATUS, OK, DEAD, RUN, TEST_CRASH,
  controlViews, range, slot,
} from '../src/threads/protocol.js';
import { KERNEL_NAMES } from '../src/wasm/abi.js';
import { randArray, expectCanariesIntact } from './helpers.js';

const dist = (f: string): string => fileURLToPath(new URL(`../dist/${f}`, import.meta.url));
let pool: Pool;

beforeAll(async () => {
  const bytes = readFileSync(dist('simdnet-threads.wasm'));
  const worker = new URL('../dist/worker-node.js', import.meta.url);
  await initWithDefault(
    { wasm: () => bytes, threads: threadSupport(nodeSpawner(() => new Worker(worker))) },
    { wasm: { threads: bytes }, threads: 2, relaxedSimd: false },
  );
  pool = threadPool() as Pool;
});

/** Runs f with every splittable kernel split (threshold 0) and with none split; both outputs. */
function bothWays(f: () => Tensor): [Float32Array, Float32Array] {
  setSplitThreshold(0);
  const a = f();
  setSplitThreshold(Number.POSITIVE_INFINITY);
  const b = f();
  setSplitThreshold(0);
  const out: [Float32Array, Float32Array] = [a.toFloat32Array(), b.toFloat32Array()];
  a.dispose();
  b.dispose();
  return out;
}

function expectBitwise(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let first = -1;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) { first = i; break; }
  expect(first, first >= 0 ? `first difference at ${first}: ${a[first]} vs ${b[first]}` : '').toBe(-1);
}

describe('threaded build', () => {
  it('runs the threads build on 2 threads and says so', () => {
    const info = engineInfo();
    expect(info.build).toBe('threads');
    expect(info.threads).toBe(2);
    expect(info.off.threads).toBeUndefined();
    expect(info.runtime.sharedMemory).toBe(true);
  });

  it('gives bitwise the results of one thread (output-range splits only)', () => {
    const x = Tensor.from(randArray(3 * 5 * 17 * 19, 1), [3, 5, 17, 19]);
    const w = Tensor.from(randArray(9 * 5 * 3 * 3, 2), [9, 5, 3, 3]);
    const b = Tensor.from(randArray(9, 3), [9]);
    const xs = Tensor.from(randArray(16 * 3 * 20 * 20, 4), [16, 3, 20, 20]);
    const ws = Tensor.from(randArray(12 * 3 * 5 * 5, 5), [12, 3, 5, 5]);
    const a = Tensor.from(randArray(37 * 129, 6), [37, 129]);
    const lw = Tensor.from(randArray(67 * 129, 7), [67, 129]);
    const cases: [string, () => Tensor][] = [
      ['conv2d padded (im2col + GEMM)', () => ops.conv2d(x, w, b, { padding: 1, stride: [1, 2] })],
      ['conv2d unpadded stride 1 (direct)', () => ops.conv2d(xs, ws, null)],
      ['linear (GEMM, C transposed)', () => ops.linear(a, lw, null)],
      ['maxPool2d', () => ops.maxPool2d(x, { kernelSize: 2, stride: 2 })],
      ['softmax', () => ops.softmax(a, 1)],
      ['relu', () => ops.relu(a)],
    ];
    for (const [name, f] of cases) {
      const [split, single] = bothWays(f);
      expect(split.length, name).toBeGreaterThan(0);
      expectBitwise(split, single);
    }
    for (const t of [x, w, b, xs, ws, a, lw]) t.dispose();
    expectCanariesIntact();
  });

  it('trains bitwise as one thread does: a LeNet-5 step (forward, every backward kernel, Adam)', () => {
    const step = (threshold: number): Uint32Array[] => {
      setSplitThreshold(threshold);
      const m = models.lenet5({ seed: 1 });
      const x = Tensor.from(randArray(16 * 32 * 32, 12), [16, 1, 32, 32]);
      const labels = Int32Array.from({ length: 16 }, (_, i) => i % 10);
      const opt = new optim.Adam(m.parameters(), { lr: 0.01 });
      for (let i = 0; i < 2; i++) {
        const { output } = m.forward(x, { training: true });
        const { grad, loss } = ops.softmaxCrossEntropy(output, labels);
        m.backward(grad);
        grad.dispose();
        if (typeof loss === 'object' && loss !== null && 'dispose' in loss) (loss as Tensor).dispose();
        opt.step();
        m.zeroGrad();
      }
      const w = m.namedParams().map((p) => new Uint32Array(p.param.value.toFloat32Array().buffer));
      opt.dispose();
      x.dispose();
      m.dispose();
      return w;
    };
    const split = step(0);
    const single = step(Number.POSITIVE_INFINITY);
    setSplitThreshold(0);
    expect(split.length).toBe(single.length);
    split.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(single[i]!.buffer)), `parameter ${i}`).toBe(true));
  });

  it('runs jobs larger than the program: tasks of thousands of calls, more tasks than a program holds', () => {
    const h = heap();
    const n = 4 * 3000 + 5000;
    const p = h.alloc(n * 4);
    try {
      setSplitThreshold(0);
      // 4 tasks of 3,000 one-element fills (18,000 doubles each: the fourth no longer fits the
      // program and moves to the front of a new one once the first three have run)
      runTasks('big tasks', 4, 1e9, 2, 0, 0, (t) => {
        for (let i = 0; i < 4; i++) {
          t.task();
          for (let j = 0; j < 3000; j++) t.call('fill_f32_simd', p + (i * 3000 + j) * 4, 1, i + 1);
        }
      });
      // 5,000 tasks of one call: more than a program's 4,096 task slots
      runTasks('many tasks', 5000, 1e9, 2, 0, 0, (t) => {
        for (let i = 0; i < 5000; i++) {
          t.task();
          t.call('fill_f32_simd', p + (12000 + i) * 4, 1, 10 + (i % 7));
        }
      });
      const got = h.f32view().subarray(p >> 2, (p >> 2) + n);
      let bad = -1;
      for (let i = 0; i < n; i++) {
        const want = i < 12000 ? Math.floor(i / 3000) + 1 : 10 + ((i - 12000) % 7);
        if (got[i] !== want) { bad = i; break; }
      }
      expect(bad, bad >= 0 ? `element ${bad}: ${got[bad]}` : '').toBe(-1);
    } finally {
      h.release(p);
    }
    expectCanariesIntact();
  });

  it('reports a kernel that traps in a worker on the calling promise, and keeps working', async () => {
    const before = memoryInfo().bytesInUse;
    // a copy from far past the end of memory: the worker's instance traps
    await expect(pool.runInWorkerForTest('copy_f32_simd', [0xffff0000, 0xffff8000, 64])).rejects.toThrow(
      /kernel copy_f32_simd failed in worker thread 1: RuntimeError: memory access out of bounds/,
    );
    expect(engineInfo().threads).toBe(2);
    const x = Tensor.from(randArray(64 * 64, 8), [64, 64]);
    const [split, single] = bothWays(() => ops.relu(x));
    expectBitwise(split, single);
    x.dispose();
    expect(memoryInfo().bytesInUse).toBe(before);
  });

  it('throws when a split kernel traps, on this thread and the worker alike, and keeps working', () => {
    const k = pool.kernels;
    // both parts read past the end of memory
    expect(() => k.copy_f32_simd(0xffff0000, 0xffff8000, 1024)).toThrow(/memory access out of bounds/);
    const x = Tensor.from(randArray(4096, 9), [4096]);
    const [split, single] = bothWays(() => ops.relu(x));
    expectBitwise(split, single);
    x.dispose();
  });

  it('survives a worker that dies outside a kernel: the call fails, the worker is replaced', async () => {
    await expect(pool.crashWorkerForTest(0)).rejects.toThrow(/worker thread \d+ died/);
    await pool.whenFull();
    expect(engineInfo().threads).toBe(2);
    const x = Tensor.from(randArray(4096, 10), [4096]);
    const [split, single] = bothWays(() => ops.relu(x));
    expectBitwise(split, single);
    x.dispose();
  });

  it('a worker still in the last job\'s claim loop dies on a crash task it claims there (never runs it)', async () => {
    // The race behind crashWorkerForTest once resolving: a worker that has not yet left the claim
    // loop of the job before takes the new job's task without seeing GEN move. Here a worker of
    // our own, over its own control block, is held in that loop by a long task A; while it runs A
    // a crash task is added to its range (GEN unchanged). Ordering, not timing, decides: the task
    // is added while RUNNING still says A, so the worker's next claim (after A) sees it.
    const { module, memory } = pool as unknown as { module: WebAssembly.Module; memory: WebAssembly.Memory };
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const v = controlViews(control), i32 = v.i32, s = slot(0);
    const w = new Worker(new URL('../dist/worker-node.js', import.meta.url));
    w.on('error', () => {}); // the crash ends the thread with the error it threw
    const ready = new Promise((r) => w.once('message', r));
    w.postMessage({ type: 'init', module, memory, control, index: 0 });
    expect(await ready).toEqual({ type: 'ready' });
    const n = 1 << 18, buf = heap().alloc(n * 4), fill = KERNEL_NAMES.indexOf('fill_f32_simd');
    const p = v.program;
    /** Writes task `t` (at program offset q) as `calls` fills of the buffer; returns the next free offset. */
    const task = (t: number, q: number, calls: number): number => {
      p[PROGRAM_HEADER + t] = q;
      p[q++] = calls;
      for (let c = 0; c < calls; c++, q += 6) p.set([fill, 3, 0, buf, n, c], q);
      return q;
    };
    const until = (what: string, done: () => boolean): void => {
      const t0 = Date.now();
      while (!done()) if (Date.now() - t0 > 30_000) throw new Error(`timed out waiting until ${what}`);
    };
    try {
      let added = false;
      for (let calls = 64; !added; calls *= 2) {
        expect(calls, 'the test thread never ran while the worker ran task A').toBeLessThan(1 << 14);
        // job A: one long task in the worker's range, published as the pool does
        p[0] = 0; p[1] = 0;
        const end = task(0, PROGRAM_HEADER + 4, calls);
        task(1, end, 1);
        Atomics.store(i32, NTASKS, 1); Atomics.store(i32, DONE, 0); Atomics.store(i32, CMD, RUN);
        Atomics.store(i32, THREADS, 2); Atomics.store(i32, STEAL, 0);
        Atomics.store(i32, s + STATUS, OK); Atomics.store(i32, s + TID, 1);
        Atomics.store(i32, RANGE, range(0, 0)); Atomics.store(i32, RANGE + 1, range(0, 1));
        Atomics.add(i32, GEN, 1); Atomics.notify(i32, GEN);
        until('the worker runs task A', () => Atomics.load(i32, s + RUNNING) === 1 || Atomics.load(i32, DONE) === 1);
        // the crash job's task, added to the worker's range without a new GEN
        Atomics.store(i32, CMD, TEST_CRASH);
        Atomics.compareExchange(i32, RANGE + 1, range(1, 1), range(1, 2));
        if (Atomics.load(i32, s + RUNNING) === 1) added = true; // still in A: its next claim sees task 1
        // A ended first: withdraw task 1 unless the worker took it already (then it is in the case anyway)
        else if (Atomics.compareExchange(i32, RANGE + 1, range(1, 2), range(2, 2)) !== range(1, 2)) added = true;
        else until('the worker leaves job A', () => Atomics.load(i32, s + RUNNING) === 0 && Atomics.load(i32, DONE) === 1);
      }
      until('the worker dies or runs the crash task', () => Atomics.load(i32, s + STATUS) === DEAD || Atomics.load(i32, DONE) === 2);
      expect(Atomics.load(i32, s + STATUS)).toBe(DEAD);
      expect(Atomics.load(i32, DONE)).toBe(1); // task A only: the crash task was never run nor counted
      expect(Atomics.load(i32, s + RUNNING)).toBe(2); // it died holding task 1, as the pool's write-off expects
    } finally {
      await w.terminate();
      heap().release(buf);
    }
  });

  it('survives a worker thread ended from outside while idle: the next call runs on the threads left, the worker is replaced', async () => {
    pool.killWorkerForTest(0);
    const x = Tensor.from(randArray(1 << 16, 11), [1 << 16]);
    const t0 = Date.now();
    setSplitThreshold(0);
    const y = ops.relu(x);
    expect(Date.now() - t0).toBeLessThan(10_000);
    setSplitThreshold(Number.POSITIVE_INFINITY);
    const ref = ops.relu(x);
    setSplitThreshold(0);
    expectBitwise(y.toFloat32Array(), ref.toFloat32Array());
    y.dispose();
    ref.dispose();
    await pool.whenFull();
    expect(engineInfo().threads).toBe(2);
    const [split, single] = bothWays(() => ops.relu(x));
    expectBitwise(split, single);
    x.dispose();
    expectCanariesIntact();
  });

  it('survives a worker thread ended from outside in the middle of a job: the call fails instead of hanging', async () => {
    const x = Tensor.from(randArray(1 << 20, 12), [1 << 20]);
    setSplitThreshold(0);
    // end the worker while it polls for work; the next job either finds it dead before handing
    // out (and succeeds on this thread) or loses the task it claimed (and says so)
    pool.killWorkerForTest(0);
    const t0 = Date.now();
    try {
      ops.relu(x).dispose();
    } catch (e) {
      expect(String(e)).toMatch(/worker thread \d+ died/);
    }
    expect(Date.now() - t0).toBeLessThan(10_000);
    await pool.whenFull();
    const [split, single] = bothWays(() => ops.relu(x));
    expectBitwise(split, single);
    x.dispose();
  });
});
