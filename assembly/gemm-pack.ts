// Packing kernels of the GEMM family (assembly/gemm.ts): rows of X or a row-major B into the GEMM's
// 8-column panels ([⌈N/8⌉][K][8], zero padded or repeating the last row), which the GEMM then
// reads contiguously with one pointer. Shared inline helpers in assembly/gemm-common.ts.
import { loadN } from "./gemm-common";

// Panels written per pass over B's rows by gemm_pack_f32_p8_simd.
const PACK_PANELS: i32 = 4;

/**
 * Packs rows of X into 8-column B panels: P[nb][k][r] = X[8·nb + r, k] for k < K.
 * xPtr: X row-major [N, ldx]; pPtr: f32[⌈N/8⌉·K·8]. Lanes of rows ≥ N repeat row N − 1 (they are
 * never stored by the GEMM). A K tail (K mod 4) reads and writes only the valid elements.
 * @split rows count=N move=xPtr*ldx,pPtr*K align=8 cost=K*0.15
 */
export function gemm_pack_f32_t_p8_simd(xPtr: usize, ldx: i32, pPtr: usize, N: i32, K: i32): void {
  if (N <= 0 || K <= 0) return;
  const ld4 = <usize>ldx << 2;
  const last = xPtr + <usize>(N - 1) * ld4;
  let dst = pPtr;
  for (let n0 = 0; n0 < N; n0 += 8) {
    const r0 = xPtr + <usize>n0 * ld4;
    const q0 = r0, q1 = min(r0 + ld4, last), q2 = min(r0 + 2 * ld4, last), q3 = min(r0 + 3 * ld4, last);
    const q4 = min(r0 + 4 * ld4, last), q5 = min(r0 + 5 * ld4, last);
    const q6 = min(r0 + 6 * ld4, last), q7 = min(r0 + 7 * ld4, last);
    let k = 0;
    while (k < K) {
      const n = min(4, K - k);
      const o = <usize>k << 2;
      transposeStore(dst, loadN(q0 + o, n), loadN(q1 + o, n), loadN(q2 + o, n), loadN(q3 + o, n), n);
      transposeStore(dst + 16, loadN(q4 + o, n), loadN(q5 + o, n), loadN(q6 + o, n), loadN(q7 + o, n), n);
      dst += <usize>n << 5;
      k += n;
    }
  }
}

/**
 * Packs a row-major B into 8-column panels without transposing: P[nb][k][j] = B[k, 8·nb + j]
 * for k < K, j < 8 (lanes of columns ≥ N are zero). bPtr: B row-major [K, ldb]; pPtr:
 * f32[⌈N/8⌉·K·8]. Reads only columns < N.
 * @split rows count=N move=bPtr,pPtr*K align=8 cost=K*0.15
 */
export function gemm_pack_f32_p8_simd(bPtr: usize, ldb: i32, pPtr: usize, K: i32, N: i32): void {
  if (N <= 0 || K <= 0) return;
  const ld4 = <usize>ldb << 2;
  const panel4 = <usize>K << 5;
  const N8 = N & ~7;
  // PACK_PANELS panels per pass down B's rows: each row's piece is read once, in order (walking
  // one panel down all K rows would read each cache line twice, far apart, and a row stride of
  // H·W floats maps the rows onto a few cache sets), and only a few panels are written at once
  // (panels K·32 bytes apart map onto the same cache sets)
  for (let j0 = 0; j0 < N8; j0 += PACK_PANELS << 3) {
    const j1 = min(N8, j0 + (PACK_PANELS << 3));
    let src = bPtr + (<usize>j0 << 2);
    let dst = pPtr + <usize>(j0 >> 3) * panel4;
    for (let k = 0; k < K; k++) {
      let s = src, d = dst;
      for (let j = j0; j < j1; j += 8) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        s += 32;
        d += panel4;
      }
      src += ld4;
      dst += 32;
    }
  }
  if (N8 < N) {
    const n0 = min(4, N - N8);
    const n1 = N - N8 - 4;
    let src = bPtr + (<usize>N8 << 2);
    let dst = pPtr + <usize>(N8 >> 3) * panel4;
    for (let k = 0; k < K; k++) {
      v128.store(dst, loadN(src, n0));
      v128.store(dst, loadN(src + 16, n1), 16);
      src += ld4;
      dst += 32;
    }
  }
}

/** Transposes rows a..d (4 lanes each) and stores column c at dst + 32·c, for c < n. */
@inline function transposeStore(dst: usize, a: v128, b: v128, c: v128, d: v128, n: i32): void {
  const t0 = f32x4.shuffle(a, b, 0, 4, 1, 5);
  const t1 = f32x4.shuffle(c, d, 0, 4, 1, 5);
  const t2 = f32x4.shuffle(a, b, 2, 6, 3, 7);
  const t3 = f32x4.shuffle(c, d, 2, 6, 3, 7);
  v128.store(dst, f32x4.shuffle(t0, t1, 0, 1, 4, 5));
  if (n > 1) v128.store(dst, f32x4.shuffle(t0, t1, 2, 3, 6, 7), 32);
  if (n > 2) v128.store(dst, f32x4.shuffle(t2, t3, 0, 1, 4, 5), 64);
  if (n > 3) v128.store(dst, f32x4.shuffle(t2, t3, 2, 3, 6, 7), 96);
}
