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
