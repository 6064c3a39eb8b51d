// Metrics computed from a batch's outputs (copied out: [N, classes] is small).

/**
 * How many rows have their label among the k largest outputs (ties: lower index first). With
 * inner > 1, out is [N, classes, inner] and labels [N·inner]: each position is a row whose classes
 * are inner apart.
 */
export function topKCorrect(out: Float32Array, classes: number, labels: ArrayLike<number>, k: number, inner = 1): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const j = i % inner;
    const row = (i - j) * classes + j;
    const target = out[row + labels[i] * inner];
    let above = 0;
    for (let c = 0; c < classes; c++) {
      const v = out[row + c * inner];
      if (v > target || (v === target && c < labels[i])) above++;
    }
    if (above < k) correct++;
  }
  return correct;
}
