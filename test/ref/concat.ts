// Reference concat: for every output coordinate, find the input that owns it along the axis.
export function concatRef(xs: { data: ArrayLike<number>; shape: readonly number[] }[], axis: number): { y: Float64Array; shape: number[] } {
  const shape = xs[0].shape.slice();
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
  const n = shape.reduce((p, d) => p * d, 1);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const coord: number[] = [];
    let rest = i;
    for (let d = shape.length - 1; d >= 0; d--) { coord.unshift(rest % shape[d]); rest = Math.floor(rest / shape[d]); }
    let t = 0, along = coord[axis];
    while (along >= xs[t].shape[axis]) { along -= xs[t].shape[axis]; t++; }
    const c = coord.slice();
    c[axis] = along;
    let idx = 0;
    for (let d = 0; d < shape.length; d++) idx = idx * xs[t].shape[d] + c[d];
    y[i] = xs[t].data[idx];
  }
  return { y, shape };
}

/** PyTorch's flatten shape rule, written out directly. */
export function flattenShapeRef(shape: readonly number[], start: number, end: number): number[] {
  const s = shape.length === 0 ? [1] : shape.slice();
  const r = s.length;
  const a = start < 0 ? start + r : start, b = end < 0 ? end + r : end;
  const out: number[] = [];
  for (let d = 0; d < a; d++) out.push(s[d]);
  let m = 1;
  for (let d = a; d <= b; d++) m *= s[d];
  out.push(m);
  for (let d = b + 1; d < r; d++) out.push(s[d]);
  return out;
}

/** Reference split (concat's backward): each piece's element read from dy at its offset along the axis. */
export function concatBackwardRef(dy: ArrayLike<number>, shapes: readonly (readonly number[])[], axis: number): Float64Array[] {
  const out = shapes[0].slice();
  out[axis] = shapes.reduce((s, x) => s + x[axis], 0);
  let offset = 0;
  return shapes.map((shape) => {
    const n = shape.reduce((p, d) => p * d, 1);
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const coord: number[] = [];
      let rest = i;
      for (let d = shape.length - 1; d >= 0; d--) { coord.unshift(rest % shape[d]); rest = Math.floor(rest / shape[d]); }
      coord[axis] += offset;
      let idx = 0;
      for (let d = 0; d < out.length; d++) idx = idx * out[d] + coord[d];
      x[i] = dy[idx];
    }
    offset += shape[axis];
    return x;
  });
}
