// Reference local response normalization, as PyTorch's local_response_norm computes it: square,
// zero-pad the channel axis by ⌊size/2⌋ before and ⌊(size−1)/2⌋ after, average `size` neighbours,
// then b = a / (k + alpha·avg)^beta. Plain loops, float64. An explicit window [front, back] pads
// by those amounts instead (ONNX's extents; front + back + 1 = size).

export function refLocalResponseNorm(
  x: ArrayLike<number>,
  shape: readonly number[],
  size: number,
  alpha = 1e-4,
  beta = 0.75,
  k = 1,
  window?: readonly [number, number],
): Float64Array {
  const N = shape[0], C = shape[1];
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  const [front, back] = window ?? [Math.floor(size / 2), Math.floor((size - 1) / 2)];
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

/**
 * The gradient straight from the definition: b_c = a_c·d_c^(−β) with d_c = k + (alpha/size)·Σ_{c' ∈ win(c)} a_c'²,
 * so ∂b_c/∂a_j = [c = j]·d_c^(−β) − β·a_c·d_c^(−β−1)·(alpha/size)·2a_j·[j ∈ win(c)], and
 * dx_j = Σ_c dy_c·∂b_c/∂a_j. win(c) = [c − front, c + back] ∩ [0, C).
 */
export function refLocalResponseNormBackward(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  shape: readonly number[],
  size: number,
  alpha = 1e-4,
  beta = 0.75,
  k = 1,
  window?: readonly [number, number],
): Float64Array {
  const N = shape[0], C = shape[1];
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  const [front, back] = window ?? [Math.floor(size / 2), Math.floor((size - 1) / 2)];
  const dx = new Float64Array(N * C * S);
  const at = (n: number, c: number, s: number) => (n * C + c) * S + s;
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      const d: number[] = [];
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let c2 = Math.max(0, c - front); c2 <= Math.min(C - 1, c + back); c2++) sum += x[at(n, c2, s)] ** 2;
        d.push(k + (alpha / size) * sum);
      }
      for (let j = 0; j < C; j++) {
        let g = 0;
        for (let c = 0; c < C; c++) {
          const inWindow = j >= c - front && j <= c + back;
          let partial = c === j ? Math.pow(d[c], -beta) : 0;
          if (inWindow) partial -= beta * x[at(n, c, s)] * Math.pow(d[c], -beta - 1) * (alpha / size) * 2 * x[at(n, j, s)];
          g += dy[at(n, c, s)] * partial;
        }
        dx[at(n, j, s)] = g;
      }
    }
  }
  return dx;
}
