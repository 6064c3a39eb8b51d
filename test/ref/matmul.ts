// Reference matmul with NumPy broadcasting: every output element a float64 dot product.
import { ravel, unravel } from './transpose.js';

export function matmulRef(a: ArrayLike<number>, as: readonly number[], b: ArrayLike<number>, bs: readonly number[]): { y: Float64Array; shape: number[] } {
  const a2 = as.length === 1 ? [1, as[0]] : as.slice(), b2 = bs.length === 1 ? [bs[0], 1] : bs.slice();
  const M = a2[a2.length - 2], K = a2[a2.length - 1], N = b2[b2.length - 1];
  const ab = a2.slice(0, -2), bb = b2.slice(0, -2);
  const r = Math.max(ab.length, bb.length);
  const pa = [...Array(r - ab.length).fill(1), ...ab], pb = [...Array(r - bb.length).fill(1), ...bb];
  const batch = pa.map((x, i) => Math.max(x, pb[i]));
  const full = [...batch, M, N];
  const y = new Float64Array(full.reduce((p, q) => p * q, 1));
  for (let i = 0; i < y.length; i++) {
    const c = unravel(i, full);
    const bc = c.slice(0, r), m = c[r], n = c[r + 1];
    const ai = bc.map((v, d) => (pa[d] === 1 ? 0 : v)), bi = bc.map((v, d) => (pb[d] === 1 ? 0 : v));
    let s = 0;
    for (let k = 0; k < K; k++) s += a[ravel([...ai, m, k], [...pa, M, K])] * b[ravel([...bi, k, n], [...pb, K, N])];
    y[i] = s;
  }
  const shape = [...batch, ...(as.length === 1 ? [] : [M]), ...(bs.length === 1 ? [] : [N])];
  return { y, shape };
}
