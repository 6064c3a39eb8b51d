// Reference layer norm over slices given by a list of flat index sets (float64, two-pass).

/** Flat indices of each normalised slice: rows of n (last dims), or channels-first over dim 1. */
export function slicesOf(shape: readonly number[], n: number, cf: boolean): number[][] {
  const size = shape.reduce((a, b) => a * b, 1);
  const out: number[][] = [];
  if (!cf) {
    for (let r = 0; r < size / n; r++) out.push(Array.from({ length: n }, (_, i) => r * n + i));
    return out;
  }
  const c = shape[1], inner = shape.slice(2).reduce((a, b) => a * b, 1);
  for (let o = 0; o < shape[0]; o++) {
    for (let j = 0; j < inner; j++) out.push(Array.from({ length: c }, (_, k) => (o * c + k) * inner + j));
  }
  return out;
}

export function layerNormRef(x: ArrayLike<number>, slices: number[][], w: ArrayLike<number> | null, b: ArrayLike<number> | null, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (const s of slices) {
    const mean = s.reduce((a, i) => a + x[i], 0) / s.length;
    const v = s.reduce((a, i) => a + (x[i] - mean) ** 2, 0) / s.length;
    const rs = 1 / Math.sqrt(v + eps);
    s.forEach((i, k) => { y[i] = (x[i] - mean) * rs * (w ? w[k] : 1) + (b ? b[k] : 0); });
  }
  return y;
}
