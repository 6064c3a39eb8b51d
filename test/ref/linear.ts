// Plain reference dense layer (PyTorch's F.linear): y[n, o] = Σ_i x[n, i]·W[o, i] + b[o], float64
// sums, nested loops. Never imported by src/.

export function refLinear(
  x: ArrayLike<number>, n: number, inF: number,
  w: ArrayLike<number>, out: number,
  bias: ArrayLike<number> | null,
): Float64Array {
  const y = new Float64Array(n * out);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < out; o++) {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i] * w[o * inF + i];
      y[r * out + o] = s;
    }
  }
  return y;
}

/**
 * Gradients of refLinear for dy [n, out]: dx[r, i] = Σ_o dy[r, o]·W[o, i],
 * dw[o, i] = Σ_r dy[r, o]·x[r, i], db[o] = Σ_r dy[r, o]. float64 sums.
 */
export function refLinearBackward(
  dy: ArrayLike<number>, x: ArrayLike<number>, n: number, inF: number, w: ArrayLike<number>, out: number,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const dx = new Float64Array(n * inF);
  const dw = new Float64Array(out * inF);
  const db = new Float64Array(out);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < out; o++) {
      const d = dy[r * out + o];
      db[o] += d;
      for (let i = 0; i < inF; i++) {
        dx[r * inF + i] += d * w[o * inF + i];
        dw[o * inF + i] += d * x[r * inF + i];
      }
    }
  }
  return { dx, dw, db };
}
