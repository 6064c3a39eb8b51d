// Reference local response normalization, as PyTorch's local_response_norm computes it: square,
// zero-pad the channel axis by ⌊size/2⌋ before and ⌊(size−1)/2⌋ after, average `size` neighbours,
// then b = a / (k + alpha·avg)^beta. Plain loops, float64.

export function refLocalResponseNorm(
  x: ArrayLike<number>,
  shape: readonly number[],
  size: number,
  alpha = 1e-4,
  beta = 0.75,
  k = 1,
): Float64Array {
  const N = shape[0], C = shape[1];
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  const front = Math.floor(size / 2), back = Math.floor((size - 1) / 2);
  const y = new Float64Array(N * C * S);
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      // the padded column of squares: front zeros, C squares, back zeros
      const padded: number[] = [];
      for (let i = 0; i < front; i++) padded.push(0);
      for (let c = 0; c < C; c++) padded.push(x[(n * C + c) * S + s] ** 2);
      for (let i = 0; i < back; i++) padded.push(0);
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let j = 0; j < size; j++) sum += padded[c + j];
        const div = Math.pow(k + alpha * (sum / size), beta);
        y[(n * C + c) * S + s] = x[(n * C + c) * S + s] / div;
      }
    }
  }
  return y;
}
