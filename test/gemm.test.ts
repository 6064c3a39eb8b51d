// The GEMM core (assembly/gemm.ts) and its packing (assembly/gemm-pack.ts) called directly, against
// a float64 reference: both of the driver's loop orders (row tile by row tile for a short K; a B
// panel against an MC-row block) over few and many rows and an A past 16 MB, B packed and read in
// place, C stored plainly and transposed, bias and clamp, tile edges in M, N and K (K chunks and
// their 128-step sums). And the property the threads rely on: a row range computed by its own
// call (other blocks, another loop order) has the same bits as those rows of the whole product.
// The batch-1 GEMV (assembly/gemv.ts) likewise: against float64, and row ranges keep their bits.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor } from '../src/index.js';
import { kernels } from '../src/wasm/engine.js';
import { bytesInUse, expectClose, randArray, ready } from './helpers.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

interface Case { m: number; n: number; k: number; packed?: boolean; trans?: boolean; bias?: boolean; clamp?: [number, number] }

/** C [M, N] = clamp(A [M, K]·B [K, N] + bias) in float64, rounded to f32. */
function reference(a: Float32Array, b: Float32Array, bias: Float32Array | null, c: Case): Float32Array {
  const out = new Float32Array(c.m * c.n);
  const row = new Float64Array(c.n);
  for (let i = 0; i < c.m; i++) {
    row.fill(bias ? bias[i] : 0);
    for (let k = 0; k < c.k; k++) {
      const av = a[i * c.k + k], bk = k * c.n;
      for (let j = 0; j < c.n; j++) row[j] += av * b[bk + j];
    }
    for (let j = 0; j < c.n; j++) {
      const v = c.clamp ? Math.min(Math.max(row[j], c.clamp[0]), c.clamp[1]) : row[j];
      out[i * c.n + j] = v;
    }
  }
  return out;
}

/**
 * Runs the GEMM on rows [r0, r1) of A (r1 − r0 rows in one call), B as packed panels or read in
 * place (a row-major [K, N] matrix with N mod 8 = 0 or ≥ 5, padded by 8 floats per row), C plain
 * [M, N] or transposed [N, M]. Returns C as [rows, N].
 */
function run(a: Float32Array, b: Float32Array, bias: Float32Array | null, c: Case, r0 = 0, r1 = c.m): Float32Array {
  const k = kernels();
  const rows = r1 - r0;
  const ldb = c.n + 8;
  const bRows = new Float32Array(c.k * ldb);
  for (let kk = 0; kk < c.k; kk++) bRows.set(b.subarray(kk * c.n, (kk + 1) * c.n), kk * ldb);
  const ta = Tensor.from(a.subarray(r0 * c.k, r1 * c.k), [rows, c.k]);
  const tb = Tensor.from(bRows, [c.k, ldb]);
  const tp = Tensor.zeros([Math.ceil(c.n / 8) * 8 * c.k + 8]);
  const tbias = bias ? Tensor.from(bias.subarray(r0, r1), [rows]) : null;
  const tc = Tensor.zeros([rows * c.n + 4]);
  try {
    const [lo, hi] = c.clamp ?? [-Infinity, Infinity];
    let bp = tb.ptr, rs = ldb, ps = 8;
    if (c.packed) {
      k.gemm_pack_f32_p8_simd(tb.ptr, ldb, tp.ptr, c.k, c.n);
      bp = tp.ptr; rs = 8; ps = 8 * c.k;
    }
    const bptr = tbias ? tbias.ptr : 0;
    if (c.trans) k.gemm_f32_ct_4x8_minmax_simd(ta.ptr, c.k, bp, rs, ps, tc.ptr, rows, bptr, rows, c.n, c.k, lo, hi);
    else k.gemm_f32_4x8_minmax_simd(ta.ptr, c.k, bp, rs, ps, tc.ptr, c.n, bptr, rows, c.n, c.k, lo, hi);
    const got = tc.toFloat32Array().subarray(0, rows * c.n);
    expect(Array.from(tc.toFloat32Array().subarray(rows * c.n)), 'floats past C').toEqual([0, 0, 0, 0]);
    if (!c.trans) return got;
    const t = new Float32Array(rows * c.n);
    for (let i = 0; i < rows; i++) for (let j = 0; j < c.n; j++) t[i * c.n + j] = got[j * rows + i];
    return t;
  } finally {
    for (const t of [ta, tb, tp, tbias, tc]) t?.dispose();
  }
}

let seed = 11;
function data(c: Case): { a: Float32Array; b: Float32Array; bias: Float32Array | null } {
  return {
    a: randArray(c.m * c.k, seed++),
    b: randArray(c.k * c.n, seed++),
    bias: c.bias === false ? null : randArray(c.m, seed++),
  };
}

function check(c: Case): void {
  const d = data(c);
  const what = JSON.stringify(c);
  expectClose(run(d.a, d.b, d.bias, c), reference(d.a, d.b, d.bias, c), [c.m, c.n], what, atolFor(c));
}

/** f32 sums of K products of numbers in [−1, 1]: an error growing with K. */
const atolFor = (c: Case): number => Math.max(1e-5, 1e-6 * c.k);

/** Every row range [r, r + step) computed alone gives the bits of the whole product's rows. */
function checkRowRanges(c: Case, step: number): void {
  const d = data(c);
  const whole = run(d.a, d.b, d.bias, c);
  expectClose(whole, reference(d.a, d.b, d.bias, c), [c.m, c.n], JSON.stringify(c), atolFor(c));
  for (let r = 0; r < c.m; r += step) {
    const r1 = Math.min(c.m, r + step);
    const part = run(d.a, d.b, d.bias, c, r, r1);
    const same = whole.subarray(r * c.n, r1 * c.n);
    expect(Buffer.from(part.buffer, part.byteOffset, part.byteLength).equals(Buffer.from(same.buffer, same.byteOffset, same.byteLength)),
      `${JSON.stringify(c)}: rows [${r}, ${r1}) alone differ from the whole product's`).toBe(true);
  }
}

describe('gemm_f32_4x8_minmax_simd and the transposed-C form', () => {
  it('few rows: every M, N and K remainder, packed and in place, plain and transposed C', () => {
    for (const m of [1, 2, 3, 4, 5, 7, 9]) {
      for (const n of [1, 5, 8, 13, 16, 21]) {
        for (const k of [1, 3, 33, 300]) {
          check({ m, n, k, packed: true, trans: m % 2 === 1 });
          if (n % 8 === 0 || n % 8 >= 5) check({ m, n, k, trans: m % 2 === 0 });
        }
      }
    }
  });

  it('MC-row blocks against B panels: K chunks (equal, non-multiples of 4), row tails, clamp, no bias', () => {
    // (the last: few rows, but a K chunk of B past 256 KB)
    for (const [m, n, k] of [[133, 13, 300], [200, 8, 257], [130, 21, 513], [257, 5, 130], [6, 1005, 300]]) {
      check({ m, n, k, packed: true });
      check({ m, n, k, trans: true, packed: true, clamp: [-0.5, 0.75] });
      check({ m, n, k, bias: false, clamp: [0, Infinity] });
    }
  });

  it('a short K over many rows (row tile by row tile, whole rows of C)', () => {
    check({ m: 301, n: 40, k: 20, packed: true });
    check({ m: 150, n: 13, k: 32, trans: true });
  });

  it('an A past 16 MB (many MC-row blocks and K chunks)', () => {
    check({ m: 1030, n: 9, k: 4100, packed: true, clamp: [-10, 10] });
    check({ m: 1031, n: 5, k: 4096, trans: true, packed: true });
  });

  it('row ranges computed alone (other blocks, or the short-K order) give the same bits as the whole product', () => {
    checkRowRanges({ m: 1030, n: 9, k: 4100, packed: true }, 300); // other MC-row blocks
    checkRowRanges({ m: 200, n: 13, k: 600, packed: true, trans: true }, 7); // row tails
    checkRowRanges({ m: 150, n: 24, k: 20 }, 5); // short K
  });
});

describe('gemm_pack_f32_p8_simd', () => {
  it('copies B [K, N] into 8-column panels (zero lanes past N) for every N remainder and pass width', () => {
    const k = kernels();
    for (const n of [1, 5, 7, 8, 9, 31, 32, 33, 40, 63, 100]) {
      for (const kk of [1, 2, 5, 37]) {
        const ldb = n + 3;
        const b = randArray(kk * ldb, seed++);
        const panels = Math.ceil(n / 8);
        const tb = Tensor.from(b, [kk, ldb]);
        const tp = Tensor.from(new Float32Array(panels * 8 * kk + 4).fill(7), [panels * 8 * kk + 4]);
        k.gemm_pack_f32_p8_simd(tb.ptr, ldb, tp.ptr, kk, n);
        const got = tp.toFloat32Array();
        const want = new Float32Array(panels * 8 * kk + 4).fill(7);
        for (let p = 0; p < panels; p++) {
          for (let r = 0; r < kk; r++) for (let j = 0; j < 8; j++) want[(p * kk + r) * 8 + j] = p * 8 + j < n ? b[r * ldb + p * 8 + j] : 0;
        }
        expect(Array.from(got), `N ${n}, K ${kk}`).toEqual(Array.from(want));
        tb.dispose();
        tp.dispose();
      }
    }
  });
});

describe('gemv_f32_minmax_simd', () => {
  /** y = clamp(A [m, k] (row stride lda)·x + bias) for rows [r0, r1), one kernel call. */
  function gemv(a: Float32Array, lda: number, x: Float32Array, bias: Float32Array | null, m: number, kk: number, clamp: [number, number], r0 = 0, r1 = m): Float32Array {
    const k = kernels();
    const rows = r1 - r0;
    const ta = Tensor.from(a.subarray(r0 * lda, r1 * lda), [rows * lda]);
    const tx = Tensor.from(x, [kk]);
    const tb = bias ? Tensor.from(bias.subarray(r0, r1), [rows]) : null;
    const ty = Tensor.from(new Float32Array(rows + 4).fill(7), [rows + 4]);
    try {
      k.gemv_f32_minmax_simd(ta.ptr, lda, tx.ptr, ty.ptr, tb ? tb.ptr : 0, rows, kk, clamp[0], clamp[1]);
      const y = ty.toFloat32Array();
      expect(Array.from(y.subarray(rows)), 'y past M untouched').toEqual([7, 7, 7, 7]);
      return y.subarray(0, rows);
    } finally {
      for (const t of [ta, tx, tb, ty]) t?.dispose();
    }
  }

  it('four quarters of the rows side by side, row and K tails, lda > K, bias, clamp; row ranges keep their bits', () => {
    for (const m of [1, 3, 4, 5, 8, 11, 17, 64, 103]) {
      for (const kk of [1, 7, 8, 15, 16, 24, 27, 40, 200]) {
        const lda = kk + (m % 3);
        const a = randArray(m * lda, seed++), x = randArray(kk, seed++);
        const bias = m % 2 ? randArray(m, seed++) : null;
        const clamp: [number, number] = kk % 2 ? [-0.5, 0.75] : [-Infinity, Infinity];
        const want = new Float32Array(m);
        for (let i = 0; i < m; i++) {
          let s = bias ? bias[i] : 0;
          for (let j = 0; j < kk; j++) s += a[i * lda + j] * x[j];
          want[i] = Math.min(Math.max(s, clamp[0]), clamp[1]);
        }
        const what = `M ${m}, K ${kk}, lda ${lda}`;
        const whole = gemv(a, lda, x, bias, m, kk, clamp);
        expectClose(whole, want, [m], what);
        for (const [r0, r1] of [[0, Math.min(m, 4)], [1, m], [Math.floor(m / 3), m - 1]]) {
          if (r1 <= r0) continue;
          expect(Array.from(gemv(a, lda, x, bias, m, kk, clamp, r0, r1)), `${what}: rows ${r0}..${r1}`).toEqual(Array.from(whole.subarray(r0, r1)));
        }
      }
    }
  });
});
