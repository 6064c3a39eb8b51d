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

/** Per-channel mean and biased variance over the N·spatial values, float64 (two passes). */
export function refBatchStats(x: ArrayLike<number>, shape: readonly number[]): { mean: Float64Array; variance: Float64Array; count: number } {
  const N = shape[0], C = shape[1];
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  const mean = new Float64Array(C), variance = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) sum += x[(n * C + c) * S + s];
    mean[c] = sum / (N * S);
    let sq = 0;
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) sq += (x[(n * C + c) * S + s] - mean[c]) ** 2;
    variance[c] = sq / (N * S);
  }
  return { mean, variance, count: N * S };
}

/**
 * Training batch norm as PyTorch: normalize with the batch statistics (biased variance), and
 * the running averages moved by momentum with the unbiased variance. Returns new arrays.
 */
export function refBatchNormTrain(
  x: ArrayLike<number>,
  shape: readonly number[],
  weight: ArrayLike<number> | null,
  bias: ArrayLike<number> | null,
  runningMean: ArrayLike<number>,
  runningVar: ArrayLike<number>,
  momentum = 0.1,
  eps = 1e-5,
): { y: Float64Array; mean: Float64Array; invStd: Float64Array; runningMean: Float64Array; runningVar: Float64Array } {
  const { mean, variance, count } = refBatchStats(x, shape);
  const y = refBatchNorm(x, shape, mean, variance, weight, bias, eps);
  const invStd = variance.map((v) => 1 / Math.sqrt(v + eps));
  const rm = Float64Array.from(runningMean, (r, c) => (1 - momentum) * r + momentum * mean[c]);
  const rv = Float64Array.from(runningVar, (r, c) => (1 - momentum) * r + momentum * variance[c] * (count / (count - 1)));
  return { y, mean, invStd, runningMean: rm, runningVar: rv };
}

/**
 * The training gradient written out per channel (statistics recomputed in float64):
 * x̂ = (x − mean)/σ, dx = (w/σ)·(dy − mean(dy) − x̂·mean(dy·x̂)), dWeight = Σ dy·x̂, dBias = Σ dy.
 */
export function refBatchNormBackward(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  shape: readonly number[],
  weight: ArrayLike<number> | null,
  eps = 1e-5,
): { dx: Float64Array; dWeight: Float64Array; dBias: Float64Array } {
  const N = shape[0], C = shape[1];
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  const { mean, variance, count } = refBatchStats(x, shape);
  const dx = new Float64Array(x.length), dWeight = new Float64Array(C), dBias = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const sigma = Math.sqrt(variance[c] + eps);
    const idx: number[] = [];
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) idx.push((n * C + c) * S + s);
    const xhat = idx.map((i) => (x[i] - mean[c]) / sigma);
    let sumDy = 0, sumDyXhat = 0;
    idx.forEach((i, t) => {
      sumDy += dy[i];
      sumDyXhat += dy[i] * xhat[t];
    });
    const w = weight ? weight[c] : 1;
    idx.forEach((i, t) => {
      dx[i] = (w / sigma) * (dy[i] - sumDy / count - (xhat[t] * sumDyXhat) / count);
    });
    dWeight[c] = sumDyXhat;
    dBias[c] = sumDy;
  }
  return { dx, dWeight, dBias };
}
