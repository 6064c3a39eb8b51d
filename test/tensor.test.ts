import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, tidy, keep, memoryInfo, engineInfo, init } from '../src/index.js';
import { heap } from '../src/wasm/engine.js';
import { ready, expectCanariesIntact, randArray, BUILD, THREADS } from './helpers.js';

beforeAll(ready);

describe('Tensor', () => {
  it('round-trips data and shape', () => {
    const d = randArray(2 * 3 * 5, 1);
    const t = Tensor.from(d, [2, 3, 5]);
    expect(t.shape).toEqual([2, 3, 5]);
    expect(t.size).toBe(30);
    expect(t.dtype).toBe('float32');
    expect(t.ptr % 16).toBe(0);
    expect(Array.from(t.toFloat32Array())).toEqual(Array.from(d));
    expect(t.toArray()).toEqual([[Array.from(d.subarray(0, 5)), Array.from(d.subarray(5, 10)), Array.from(d.subarray(10, 15))], [Array.from(d.subarray(15, 20)), Array.from(d.subarray(20, 25)), Array.from(d.subarray(25, 30))]]);
    t.dispose();
  });

  it('accepts number arrays, defaults to 1-D, zeros and full', () => {
    const a = Tensor.from([1, 2, 3]);
    expect(a.shape).toEqual([3]);
    const z = Tensor.zeros([3, 7]);
    expect(z.toFloat32Array().every((v) => v === 0)).toBe(true);
    const f = Tensor.full([5], 2.5);
    expect(Array.from(f.toFloat32Array())).toEqual([2.5, 2.5, 2.5, 2.5, 2.5]);
    for (const t of [a, z, f]) t.dispose();
  });

  it('zeros really zeroes reused memory', () => {
    const a = Tensor.from(new Float32Array(37).fill(9), [37]);
    a.dispose();
    const z = Tensor.zeros([37]);
    expect(z.toFloat32Array().every((v) => v === 0)).toBe(true);
    z.dispose();
  });

  it('rejects bad shapes and data with specific messages', () => {
    expect(() => Tensor.from([1, 2, 3], [2, 2])).toThrow(/3 elements but shape \[2, 2\] needs 4/);
    expect(() => Tensor.zeros([2, -1])).toThrow(/dimension 1 = -1/);
    expect(() => Tensor.zeros([2, NaN])).toThrow(/dimension 1 = NaN/);
    expect(() => Tensor.zeros([2.5])).toThrow(/dimension 0 = 2.5/);
    expect(() => Tensor.from([1, 'a' as unknown as number], [2])).toThrow(/data\[1\] is "a"/);
    expect(() => Tensor.from(3 as unknown as number[], [1])).toThrow(/must be a Float32Array/);
  });

  it('a disposed tensor throws on use, and double dispose is harmless', () => {
    const t = Tensor.from([1, 2], [2]);
    t.dispose();
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => t.toFloat32Array()).toThrow(/disposed/);
    expect(() => t.ptr).toThrow(/disposed/);
  });

  it('reshape copies and infers -1', () => {
    const t = Tensor.from(randArray(24, 2), [2, 3, 4]);
    const r = t.reshape([4, -1]);
    expect(r.shape).toEqual([4, 6]);
    expect(Array.from(r.toFloat32Array())).toEqual(Array.from(t.toFloat32Array()));
    expect(() => t.reshape([5, -1])).toThrow(/cannot infer/);
    expect(() => t.reshape([5, 5])).toThrow(/24 elements/);
    t.dispose();
    r.dispose();
  });
});

describe('tidy', () => {
  it('frees temporaries and keeps what is returned or kept', () => {
    const before = memoryInfo();
    let kept!: Tensor;
    const out = tidy(() => {
      Tensor.zeros([100]);
      kept = keep(Tensor.zeros([3]));
      const inner = tidy(() => {
        Tensor.zeros([50]);
        return { a: Tensor.zeros([4]), b: [Tensor.zeros([5])] };
      });
      expect(inner.a.disposed).toBe(false);
      return inner.b[0];
    });
    expect(out.disposed).toBe(false);
    expect(kept.disposed).toBe(false);
    expect(memoryInfo().liveTensors).toBe(before.liveTensors + 2);
    out.dispose();
    kept.dispose();
    const after = memoryInfo();
    expect(after.bytesInUse).toBe(before.bytesInUse);
    expect(after.liveTensors).toBe(before.liveTensors);
  });

  it('disposes temporaries when fn throws, and refuses async functions', () => {
    const before = memoryInfo().liveTensors;
    expect(() => tidy(() => { Tensor.zeros([8]); throw new Error('boom'); })).toThrow('boom');
    expect(memoryInfo().liveTensors).toBe(before);
    expect(() => tidy((async () => 1) as never)).toThrow(/synchronous/);
  });
});

describe('heap', () => {
  it('aligns, pads, reuses freed blocks and grows memory', () => {
    const h = heap();
    const base = h.bytesInUse;
    const ptrs = [1, 3, 16, 17, 100, 4096].map((n) => h.alloc(n));
    for (const p of ptrs) expect(p % 16).toBe(0);
    for (let i = 0; i + 1 < ptrs.length; i++) expect(ptrs[i + 1] - ptrs[i]).toBeGreaterThanOrEqual(16 + 16);
    h.release(ptrs[2]);
    expect(h.alloc(16)).toBe(ptrs[2]);
    const big = h.alloc(64 << 20); // forces growth
    const reserved = h.bytesReserved;
    expect(reserved).toBeGreaterThan(64 << 20);
    h.release(big);
    for (const p of ptrs) h.release(p);
    expect(h.bytesInUse).toBe(base);
    expect(() => h.release(ptrs[0])).toThrow(/not a live allocation/);
    expectCanariesIntact('heap');
  });

  it('coalesces free neighbours so a large block fits again', () => {
    const h = heap();
    const a = h.alloc(1000), b = h.alloc(1000), c = h.alloc(1000), guard = h.alloc(16);
    h.release(a); h.release(c); h.release(b);
    const d = h.alloc(3000);
    expect(d).toBe(a);
    h.release(d); h.release(guard);
  });

  it('detects a write past the end through the canary', () => {
    const t = Tensor.zeros([5]);
    const u8 = heap().u8view();
    const saved = u8[t.ptr + 20];
    u8[t.ptr + 20] = 0;
    expect(heap().checkCanaries()).toBe(t.ptr);
    u8[t.ptr + 20] = saved;
    expect(heap().checkCanaries()).toBe(-1);
    t.dispose();
  });

  it('reports out of memory clearly instead of trapping', () => {
    expect(() => Tensor.empty([1 << 30])).toThrow(/out of memory|more than a wasm32/);
    expect(() => heap().alloc(5 * 2 ** 30)).toThrow(/out of memory: cannot allocate/);
    const t = Tensor.from([1, 2, 3], [3]);
    expect(Array.from(t.toFloat32Array())).toEqual([1, 2, 3]);
    t.dispose();
  });
});

describe('engine', () => {
  it('reports the running build and why the others are off', async () => {
    const info = engineInfo();
    expect(info.build).toBe(BUILD);
    expect(info.runtime.simd).toBe(true);
    // what is off says why; what runs has no reason
    expect(typeof info.off.relaxed).toBe(BUILD.endsWith('relaxed') ? 'undefined' : 'string');
    expect(typeof info.off.threads).toBe(BUILD.startsWith('threads') ? 'undefined' : 'string');
    expect(info.threads).toBe(THREADS);
    expect(await init()).toEqual(info); // a second init returns the running engine
  });
  it('memoryInfo counts live tensors', () => {
    const m0 = memoryInfo();
    const t = Tensor.zeros([10]);
    const m1 = memoryInfo();
    expect(m1.liveTensors).toBe(m0.liveTensors + 1);
    expect(m1.bytesInUse).toBe(m0.bytesInUse + 40);
    t.dispose();
  });
});

describe('int32 tensors', () => {
  it('hold indices and labels, and ops refuse them with a dtype error', async () => {
    const { ops } = await import('../src/index.js');
    const t = Tensor.from(Int32Array.from([3, -1, 7]), [3]);
    expect(t.dtype).toBe('int32');
    expect(Array.from(t.toInt32Array())).toEqual([3, -1, 7]);
    expect(Array.from(t.toFloat32Array())).toEqual([3, -1, 7]);
    expect(t.reshape([3, 1]).dtype).toBe('int32');
    expect(() => ops.relu(t)).toThrow(/relu: x must be a float32 tensor, got int32/);
    const z = Tensor.zeros([2], 'int32');
    expect(Array.from(z.toInt32Array())).toEqual([0, 0]);
    expect(() => Tensor.empty([2], 'float16' as never)).toThrow(/dtype must be 'float32', 'int32' or 'int8'/);
    t.dispose(); z.dispose();
  });
});
