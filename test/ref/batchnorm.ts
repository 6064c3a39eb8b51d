// Reference inference batch normalization: y = (x − mean[c]) / √(var[c] + eps) · w[c] + b[c],
// channel axis 1, any trailing dims. Plain loops, float64.

export function refBatchNorm(
  x: ArrayLike<number>,
  shape: readonly number[],
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  weight: ArrayLike<number> | null,
  bias: ArrayLike<number> | null,
  eps = 1e-5,
): Float64Array {
  const N = shape[0], C = shape[1];
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  const y = new Float64Array(N * C * S);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let s = 0; s < S; s++) {
        const i = (n * C + c) * S + s;
        const norm = (x[i] - mean[c]) / Math.sqrt(variance[c] + eps);
        y[i] = norm * (weight ? weight[c] : 1) + (bias ? bias[c] : 0);
      }
    }
  }
  return y;
}
