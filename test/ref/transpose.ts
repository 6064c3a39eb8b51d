// Reference transpose and slice: one output element at a time through its coordinates.
export function unravel(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return c;
}

export function ravel(c: readonly number[], shape: readonly number[]): number {
  let o = 0;
  for (let d = 0; d < shape.length; d++) o = o * shape[d] + c[d];
  return o;
}

export function transposeRef(x: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): { y: Float64Array; shape: number[] } {
  const out = perm.map((p) => shape[p]);
  const y = new Float64Array(x.length);
  for (let i = 0; i < y.length; i++) {
    const oc = unravel(i, out);
    const xc = new Array<number>(shape.length);
    perm.forEach((p, d) => { xc[p] = oc[d]; });
    y[i] = x[ravel(xc, shape)];
  }
  return { y, shape: out };
}

/** ONNX Slice with per-axis Python-like index lists built by brute force. */
export function sliceRef(
  x: ArrayLike<number>, shape: readonly number[], starts: number[], ends: number[], axes: number[], steps: number[],
): { y: Float64Array; shape: number[]; index: number[] } {
  const pick = shape.map((n) => Array.from({ length: n }, (_, i) => i));
  axes.forEach((a0, k) => {
    const a = a0 < 0 ? a0 + shape.length : a0, n = shape[a], st = steps[k];
    let s = starts[k] < 0 ? starts[k] + n : starts[k], e = ends[k] < 0 ? ends[k] + n : ends[k];
    const list: number[] = [];
    if (st > 0) {
      s = Math.max(0, Math.min(n, s)); e = Math.max(0, Math.min(n, e));
      for (let i = s; i < e; i += st) list.push(i);
    } else {
      s = Math.max(0, Math.min(n - 1, s)); e = Math.max(-1, Math.min(n - 1, e));
      for (let i = s; i > e; i += st) list.push(i);
    }
    pick[a] = n === 0 ? [] : list;
  });
  const out = pick.map((l) => l.length);
  const size = out.reduce((a, b) => a * b, 1);
  const y = new Float64Array(size), index: number[] = [];
  for (let i = 0; i < size; i++) {
    const oc = unravel(i, out);
    const xi = ravel(oc.map((c, d) => pick[d][c]), shape);
    y[i] = x[xi];
    index.push(xi);
  }
  return { y, shape: out, index };
}
