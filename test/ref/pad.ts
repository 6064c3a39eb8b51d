// Plain reference padding (F.pad: constant, reflect, replicate) of any number of trailing dims,
// pads in F.pad's order (last dim first: [left, right, top, bottom, …]). Never imported by src/.

function src(i: number, n: number, mode: string): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'constant') return -1;
  if (mode === 'reflect') return i < 0 ? -i : 2 * (n - 1) - i;
  return i < 0 ? 0 : n - 1;
}

export function refPad(x: ArrayLike<number>, shape: readonly number[], pads: readonly number[], mode: string, value = 0): { data: Float64Array; shape: number[] } {
  const r = shape.length;
  const before = shape.map((_, d) => (r - 1 - d < pads.length / 2 ? pads[2 * (r - 1 - d)] : 0));
  const out = shape.map((n, d) => (r - 1 - d < pads.length / 2 ? n + pads[2 * (r - 1 - d)] + pads[2 * (r - 1 - d) + 1] : n));
  const size = out.reduce((a, v) => a * v, 1);
  const y = new Float64Array(size);
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < size; o++) {
    // the output coordinates of o, each mapped to its source (−1: constant padding)
    let rest = o, at = 0, stride = 1, inside = true;
    for (let d = r - 1; d >= 0; d--) {
      idx[d] = rest % out[d];
      rest = Math.floor(rest / out[d]);
      const s = src(idx[d] - before[d], shape[d], mode);
      if (s < 0) inside = false;
      at += s * stride;
      stride *= shape[d];
    }
    y[o] = inside ? x[at] : value;
  }
  return { data: y, shape: out };
}
