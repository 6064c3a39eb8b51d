// Reference losses, float64, written from PyTorch's definitions: cross_entropy(logits, target,
// label_smoothing=ε) = mean_r −Σ_c q_c·log_softmax(x_r)_c with q = (1 − ε)·onehot + ε/C (r a row of
// [N, C], or a position of [N, C, d1, …] whose classes are strided by d1·…), and
// mse_loss = mean (p − t)². Gradients from the textbook formulas. Never imported by src/.

export interface CrossEntropyRef {
  loss: number;
  grad: Float64Array;
  correct: number;
}

export function crossEntropyRef(
  x: ArrayLike<number>, n: number, c: number, labels: ArrayLike<number>, eps = 0, reduction: 'mean' | 'sum' = 'mean', inner = 1,
): CrossEntropyRef {
  // logits [n, c, inner]: position (r, j) has its classes at (r·c + k)·inner + j and its label at r·inner + j
  const grad = new Float64Array(n * c * inner);
  const count = n * inner;
  let total = 0, correct = 0;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < inner; j++) {
      const at = (k: number) => (r * c + k) * inner + j;
      const label = labels[r * inner + j];
      let max = -Infinity, arg = -1;
      for (let k = 0; k < c; k++) {
        if (x[at(k)] > max) { max = x[at(k)]; arg = k; }
      }
      if (arg === label) correct++;
      let sum = 0;
      for (let k = 0; k < c; k++) sum += Math.exp(x[at(k)] - max);
      const lse = max + Math.log(sum);
      for (let k = 0; k < c; k++) {
        const q = (k === label ? 1 - eps : 0) + eps / c;
        const logp = x[at(k)] - lse;
        if (q !== 0) total -= q * logp;
        grad[at(k)] = (Math.exp(logp) - q) / (reduction === 'mean' ? count : 1);
      }
    }
  }
  return { loss: reduction === 'mean' ? total / count : total, grad, correct };
}

export function mseRef(p: ArrayLike<number>, t: ArrayLike<number>, reduction: 'mean' | 'sum' = 'mean'): { loss: number; grad: Float64Array } {
  const n = p.length;
  let s = 0;
  const grad = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s += (p[i] - t[i]) ** 2;
    grad[i] = (2 * (p[i] - t[i])) / (reduction === 'mean' ? n : 1);
  }
  return { loss: reduction === 'mean' ? s / n : s, grad };
}
