// Metrics computed from a batch's outputs (copied out: [N, classes] is small).

/** How many rows have their label among the k largest outputs (ties: lower index first). */
export function topKCorrect(out: Float32Array, classes: number, labels: ArrayLike<number>, k: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = i * classes;
    const target = out[row + labels[i]];
    let above = 0;
    for (let c = 0; c < classes; c++) {
      const v = out[row + c];
      if (v > target || (v === target && c < labels[i])) above++;
    }
    if (above < k) correct++;
  }
  return correct;
}
