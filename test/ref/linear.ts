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
