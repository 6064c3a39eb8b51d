// Reference softmax / log-softmax along one axis: explicit loops over every slice, float64.
function slices(shape: readonly number[], axis: number): { outer: number; c: number; inner: number } {
  const s = shape.length === 0 ? [1] : shape;
  let outer = 1, inner = 1;
  for (let d = 0; d < axis; d++) outer *= s[d];
  for (let d = axis + 1; d < s.length; d++) inner *= s[d];
  return { outer, c: s[axis], inner };
}

export function softmaxRef(x: ArrayLike<number>, shape: readonly number[], axis: number, log = false): Float64Array {
  const { outer, c, inner } = slices(shape, axis);
  const y = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const at = (k: number) => (o * c + k) * inner + j;
      let max = -Infinity;
      for (let k = 0; k < c; k++) max = Math.max(max, x[at(k)]);
      let sum = 0;
      for (let k = 0; k < c; k++) sum += Math.exp(x[at(k)] - max);
      for (let k = 0; k < c; k++) y[at(k)] = log ? x[at(k)] - max - Math.log(sum) : Math.exp(x[at(k)] - max) / sum;
    }
  }
  return y;
}

/**
 * Reference backward through the full Jacobian of each slice, from the forward output y:
 * softmax: ∂y_j/∂x_i = y_j(δ_ij − y_i); logSoftmax: ∂y_j/∂x_i = δ_ij − exp(y_i).
 * dx_i = Σ_j dy_j·∂y_j/∂x_i, float64, O(c²) per slice.
 */
export function softmaxBackwardRef(
  dy: ArrayLike<number>, y: ArrayLike<number>, shape: readonly number[], axis: number, log = false,
): Float64Array {
  const { outer, c, inner } = slices(shape, axis);
  const dx = new Float64Array(y.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const at = (k: number) => (o * c + k) * inner + j;
      for (let i = 0; i < c; i++) {
        let s = 0;
        for (let k = 0; k < c; k++) {
          const delta = i === k ? 1 : 0;
          const jac = log ? delta - Math.exp(y[at(i)]) : y[at(k)] * (delta - y[at(i)]);
          s += dy[at(k)] * jac;
        }
        dx[at(i)] = s;
      }
    }
  }
  return dx;
}
