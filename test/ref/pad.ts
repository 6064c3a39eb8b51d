// Plain reference padding (F.pad: constant, reflect, replicate) of the last one or two dims,
// pads in F.pad's order (last dim first). Never imported by src/.

function src(i: number, n: number, mode: string): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'constant') return -1;
  if (mode === 'reflect') return i < 0 ? -i : 2 * (n - 1) - i;
  return i < 0 ? 0 : n - 1;
}

export function refPad(x: ArrayLike<number>, shape: readonly number[], pads: readonly number[], mode: string, value = 0): { data: Float64Array; shape: number[] } {
  const r = shape.length, two = pads.length === 4;
  const W = shape[r - 1], H = two ? shape[r - 2] : 1;
  const [l, rt, t, b] = two ? pads : [pads[0], pads[1], 0, 0];
  const OH = H + t + b, OW = W + l + rt;
  const planes = shape.reduce((a, v) => a * v, 1) / (H * W);
  const y = new Float64Array(planes * OH * OW);
  for (let p = 0; p < planes; p++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++) {
        const si = src(i - t, H, mode), sj = src(j - l, W, mode);
        y[(p * OH + i) * OW + j] = si < 0 || sj < 0 ? value : x[(p * H + si) * W + sj];
      }
  const out = shape.slice();
  out[r - 1] = OW;
  if (two) out[r - 2] = OH;
  return { data: y, shape: out };
}
