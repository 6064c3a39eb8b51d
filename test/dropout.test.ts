import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { keptRef } from './ref/dropout.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

/** Values away from 0, so that a kept element is never 0. */
function data(n: number, seed: number): Float32Array {
  const d = randArray(n, seed, 0.5, 2);
  for (let i = 0; i < n; i += 2) d[i] = -d[i];
  return d;
}

function run(d: Float32Array, shape: number[], p: number, opts?: ops.DropoutOptions): Float32Array {
  const x = Tensor.from(d, shape);
  const y = ops.dropout(x, p, opts);
  try {
    expectCanariesIntact(`dropout p=${p}`);
    expect(y.shape).toEqual(shape);
    expect(y.ptr).not.toBe(x.ptr);
    expect(Array.from(x.toFloat32Array())).toEqual(Array.from(d));
    return y.toFloat32Array();
  } finally {
    x.dispose();
    y.dispose();
  }
}

describe('dropout', () => {
  it('keeps a fraction within 5 standard deviations of 1 − p over 100k elements, in every lane', () => {
    const n = 100_000;
    const d = data(n, 1);
    for (const p of [0.05, 0.1, 0.3, 0.5, 0.9]) {
      const y = run(d, [n], p, { seed: 1234 });
      const kept = y.reduce((k, v) => k + (v !== 0 ? 1 : 0), 0);
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(kept - n * (1 - p)), `p = ${p}: kept ${kept} of ${n}`).toBeLessThan(5 * sd);
      // each lane position (i mod 4) and neighbouring pairs behave like independent draws
      for (let lane = 0; lane < 4; lane++) {
        let k = 0;
        for (let i = lane; i < n; i += 4) k += y[i] !== 0 ? 1 : 0;
        expect(Math.abs(k - (n / 4) * (1 - p)), `p = ${p}, lane ${lane}`).toBeLessThan(5 * Math.sqrt((n / 4) * p * (1 - p)));
      }
      let pairs = 0;
      for (let i = 0; i + 1 < n; i++) pairs += y[i] !== 0 && y[i + 1] !== 0 ? 1 : 0;
      const q = (1 - p) ** 2;
      expect(Math.abs(pairs - (n - 1) * q), `p = ${p}: neighbour pairs`).toBeLessThan(6 * Math.sqrt(n * q * (1 - q)) + 10);
    }
  });

  it('kept values are exactly x·f32(1/(1 − p)), dropped are 0, and the mask follows the reference hash', () => {
    const sizes = [...Array.from({ length: 71 }, (_, i) => i), 100, 1000, 4099];
    for (const p of [0.25, 0.5, 0.7]) {
      const scale = Math.fround(1 / (1 - p));
      for (const n of sizes) {
        const seed = 77 + n;
        const d = data(n, n);
        const y = run(d, [n], p, { seed });
        for (let i = 0; i < n; i++) {
          const keep = keptRef(seed, i, p);
          const want = keep ? Math.fround(d[i] * scale) : 0;
          if (y[i] !== want) throw new Error(`p = ${p}, n = ${n}: element ${i} is ${y[i]}, expected ${want} (${keep ? 'kept' : 'dropped'})`);
          if (keep) expect(Math.abs(y[i] - d[i] / (1 - p))).toBeLessThanOrEqual(1e-6 * Math.abs(d[i] / (1 - p)));
        }
      }
    }
  });

  it('same seed → same output, different seed → different output; without a seed every call differs', () => {
    const n = 1000;
    const d = data(n, 3);
    const a = run(d, [10, 100], 0.5, { seed: 42 });
    const b = run(d, [10, 100], 0.5, { seed: 42 });
    const c = run(d, [10, 100], 0.5, { seed: 43 });
    expect(Array.from(a)).toEqual(Array.from(b));
    const same = a.reduce((k, v, i) => k + (v === c[i] ? 1 : 0), 0);
    expect(same, 'elements equal under seeds 42 and 43').toBeLessThan(0.65 * n); // ~50% expected
    const u = run(d, [n], 0.5), v = run(d, [n], 0.5);
    expect(Array.from(u)).not.toEqual(Array.from(v));
    const s0 = ops.dropoutSeed(), s1 = ops.dropoutSeed();
    expect(s1).toBe((s0 + 1) >>> 0);
    expect(Number.isInteger(s0) && s0 >= 0 && s0 < 2 ** 32).toBe(true);
    // an omitted seed is the counter's next value
    const w = run(d, [n], 0.5);
    expect(Array.from(w)).toEqual(Array.from(run(d, [n], 0.5, { seed: (s1 + 1) >>> 0 })));
    // seeds near 2^32 work
    expect(run(d, [n], 0.5, { seed: 0xffffffff }).some((x) => x !== 0)).toBe(true);
  });

  it('training false and p = 0 return an identical copy; p = 1 gives all zeros', () => {
    const d = data(37, 4);
    d[3] = NaN;
    d[5] = Infinity;
    for (const [p, opts] of [[0.5, { training: false }], [0, {}], [0, { seed: 9 }], [1, { training: false }]] as const) {
      const y = run(d, [37], p, opts);
      expect(Array.from(y)).toEqual(Array.from(d));
    }
    const z = run(data(37, 5), [37], 1, { seed: 3 });
    expect(z.every((v) => v === 0)).toBe(true);
    const e = run(new Float32Array(0), [2, 0], 0.5);
    expect(e.length).toBe(0);
  });

  it('works on shapes of rank 1–4', () => {
    for (const s of [[13], [3, 7], [2, 3, 5], [2, 3, 4, 5]]) {
      const d = data(sizeOf(s), 6);
      const y = run(d, s, 0.4, { seed: 5 });
      const flat = run(d, [sizeOf(s)], 0.4, { seed: 5 });
      expect(Array.from(y)).toEqual(Array.from(flat)); // the mask depends on the flat index only
    }
  });

  it('dropoutWithMask returns the same output, a 0 or 1/(1 − p) mask, and its seed', () => {
    for (const n of [1, 3, 4, 5, 16, 17, 70, 1001]) {
      for (const p of [0, 0.3, 1]) {
        const d = data(n, n);
        const x = Tensor.from(d, [n]);
        const { output, mask, seed } = ops.dropoutWithMask(x, p, { seed: n * 3 });
        expectCanariesIntact(`dropoutWithMask n=${n}`);
        expect(seed).toBe(n * 3);
        expect(output.shape).toEqual([n]);
        expect(mask.shape).toEqual([n]);
        const y = output.toFloat32Array(), m = mask.toFloat32Array();
        const scale = p === 1 ? 0 : Math.fround(1 / (1 - p));
        const plain = run(d, [n], p, { seed: n * 3 });
        for (let i = 0; i < n; i++) {
          expect(m[i] === 0 || m[i] === scale, `mask[${i}] = ${m[i]}`).toBe(true);
          expect(y[i]).toBe(Math.fround(d[i] * m[i]));
          expect(y[i] === plain[i]).toBe(true);
          if (p === 0) expect(m[i]).toBe(1);
          else expect(m[i] !== 0).toBe(keptRef(n * 3, i, p) && p < 1);
        }
        for (const t of [x, output, mask]) t.dispose();
      }
    }
    const x = Tensor.from(data(10, 1));
    const r = ops.dropoutWithMask(x, 0.5);
    expect(Number.isInteger(r.seed)).toBe(true);
    for (const t of [x, r.output, r.mask]) t.dispose();
  });

  it('rejects bad p, seeds, options, non-tensors and disposed tensors with specific messages', () => {
    const x = Tensor.zeros([4]);
    for (const p of [-0.1, 1.5, NaN, Infinity]) {
      expect(() => ops.dropout(x, p)).toThrow(new RegExp(`dropout: p must be a probability in \\[0, 1\\], got ${String(p)}`));
      expect(() => ops.dropoutWithMask(x, p)).toThrow(/dropoutWithMask: p must be a probability in \[0, 1\]/);
    }
    expect(() => ops.dropout(x, '0.5' as never)).toThrow(/dropout: p must be a probability in \[0, 1\], got "0.5"/);
    for (const seed of [-1, 1.5, 2 ** 32, NaN]) {
      expect(() => ops.dropout(x, 0.5, { seed })).toThrow(new RegExp(`dropout: seed must be an integer in \\[0, 4294967295\\], got ${String(seed)}`));
    }
    expect(() => ops.dropout(x, 0.5, { seeds: 1 } as never)).toThrow(/dropout: unknown option 'seeds' \(known: training, seed\)/);
    expect(() => ops.dropout(x, 0.5, { training: 'yes' } as never)).toThrow(/dropout: training must be a boolean, got "yes"/);
    expect(() => ops.dropoutWithMask(x, 0.5, { training: true } as never)).toThrow(/dropoutWithMask: unknown option 'training'/);
    expect(() => ops.dropout([1, 2] as never, 0.5)).toThrow(/dropout: x must be a Tensor, got an array \[1, 2\]/);
    x.dispose();
    expect(() => ops.dropout(x, 0.5)).toThrow(/dropout: x was disposed/);
    expect(() => ops.dropoutWithMask(x, 0.5)).toThrow(/dropoutWithMask: x was disposed/);
  });
});

describe('dropoutBackward', () => {
  function bwd(dy: Float32Array, shape: number[], p: number, opts: ops.DropoutBackwardOptions): Float32Array {
    const t = Tensor.from(dy, shape);
    const dx = ops.dropoutBackward(t, p, opts);
    try {
      expectCanariesIntact(`dropoutBackward p=${p}`);
      expect(dx.shape).toEqual(shape);
      expect(dx.ptr).not.toBe(t.ptr);
      return dx.toFloat32Array();
    } finally {
      t.dispose();
      dx.dispose();
    }
  }

  it('regenerates the forward mask from the seed: dx = dy·m with m from the reference hash, every size 0..70', () => {
    for (const p of [0.2, 0.5, 0.8]) {
      const scale = Math.fround(1 / (1 - p));
      for (let n = 0; n <= 70; n++) {
        const dy = data(n, n + 100);
        const dx = bwd(dy, [n], p, { seed: 1000 + n });
        for (let i = 0; i < n; i++) {
          const want = keptRef(1000 + n, i, p) ? Math.fround(dy[i] * scale) : 0;
          if (dx[i] !== want) throw new Error(`p = ${p}, n = ${n}: dx[${i}] = ${dx[i]}, expected ${want}`);
        }
      }
    }
  });

  it('the seed path and the mask path agree with each other and with the forward mask', () => {
    for (const shape of [[3, 7], [2, 3, 4, 5], [1001]]) {
      const n = sizeOf(shape);
      const x = Tensor.from(data(n, 1), shape);
      const { output, mask, seed } = ops.dropoutWithMask(x, 0.4, { seed: 321 });
      const dy = data(n, 2);
      const a = bwd(dy, shape, 0.4, { seed });
      const b = bwd(dy, shape, 0.4, { mask });
      const m = mask.toFloat32Array();
      expect(Array.from(a)).toEqual(Array.from(b));
      expect(Array.from(b)).toEqual(Array.from(dy, (v, i) => Math.fround(v * m[i])));
      for (const t of [x, output, mask]) t.dispose();
    }
  });

  it('matches central differences of L = Σ dropout(x)⊙r with a fixed seed', () => {
    const shape = [2, 3, 5];
    const x = data(30, 7), r = randArray(30, 8);
    const dx = bwd(r, shape, 0.3, { seed: 55 });
    fdCheck({
      x, shape, r, analytic: dx, what: 'dropoutBackward',
      forward: (xp) => run(xp, shape, 0.3, { seed: 55 }),
    });
  });

  it('p = 0 copies dy, p = 1 gives zeros; empty tensors work', () => {
    const dy = data(13, 3);
    expect(Array.from(bwd(dy, [13], 0, { seed: 4 }))).toEqual(Array.from(dy));
    expect(bwd(dy, [13], 1, { seed: 4 }).every((v) => v === 0)).toBe(true);
    expect(bwd(new Float32Array(0), [0, 3], 0.5, { seed: 1 }).length).toBe(0);
  });

  it('rejects neither or both options, bad masks, seeds, p and non-tensors', () => {
    const dy = Tensor.zeros([2, 3]), m = Tensor.zeros([3, 2]), ok = Tensor.zeros([2, 3]);
    expect(() => ops.dropoutBackward(dy, 0.5, {})).toThrow(/dropoutBackward: give exactly one of options.seed \(the forward seed\) or options.mask \(from dropoutWithMask\), got neither/);
    expect(() => ops.dropoutBackward(dy, 0.5, { seed: 1, mask: ok })).toThrow(/dropoutBackward: give exactly one of .*got both/);
    expect(() => ops.dropoutBackward(dy, 0.5, undefined as never)).toThrow(/got neither/);
    expect(() => ops.dropoutBackward(dy, 0.5, { mask: m })).toThrow(/dropoutBackward: mask has shape \[3, 2\] but dy has shape \[2, 3\]; they must match/);
    expect(() => ops.dropoutBackward(dy, 0.5, { mask: [1] as never })).toThrow(/dropoutBackward: mask must be a Tensor, got an array/);
    expect(() => ops.dropoutBackward(dy, 0.5, { seed: -1 })).toThrow(/dropoutBackward: seed must be an integer in \[0, 4294967295\], got -1/);
    expect(() => ops.dropoutBackward(dy, 1.5, { seed: 1 })).toThrow(/dropoutBackward: p must be a probability in \[0, 1\], got 1.5/);
    expect(() => ops.dropoutBackward(dy, 0.5, { seed: 1, training: true } as never)).toThrow(/dropoutBackward: unknown option 'training' \(known: seed, mask\)/);
    expect(() => ops.dropoutBackward(3 as never, 0.5, { seed: 1 })).toThrow(/dropoutBackward: dy must be a Tensor, got 3/);
    for (const t of [dy, m, ok]) t.dispose();
  });
});
