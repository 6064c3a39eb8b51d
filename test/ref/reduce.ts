// Reference reductions: every output element visits every x element whose kept coordinates match
// (float64, explicit loops). The max gradient goes to the first maximum in row-major order.
export type Kind = 'sum' | 'mean' | 'max';

function unravel(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return c;
}

/** Flat index into the reduced (keepdims) shape of x's flat index i. */
function outIndex(i: number, shape: readonly number[], axes: readonly number[]): number {
  const c = unravel(i, shape);
  let o = 0;
  for (let d = 0; d < shape.length; d++) o = o * (axes.includes(d) ? 1 : shape[d]) + (axes.includes(d) ? 0 : c[d]);
  return o;
}

export function reduceShape(shape: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((n, d) => {
    if (!axes.includes(d)) out.push(n);
    else if (keepdims) out.push(1);
  });
  return out;
}

export function reduceRef(x: ArrayLike<number>, shape: readonly number[], axes: readonly number[], kind: Kind): Float64Array {
  const m = shape.reduce((a, n, d) => a * (axes.includes(d) ? 1 : n), 1);
  const count = shape.reduce((a, n, d) => a * (axes.includes(d) ? n : 1), 1);
  const y = new Float64Array(m).fill(kind === 'max' ? -Infinity : 0);
  for (let i = 0; i < x.length; i++) {
    const o = outIndex(i, shape, axes);
    y[o] = kind === 'max' ? (Number.isNaN(y[o]) || Number.isNaN(x[i]) ? NaN : Math.max(y[o], x[i])) : y[o] + x[i];
  }
  if (kind === 'mean') for (let o = 0; o < m; o++) y[o] /= count;
  return y;
}

export function reduceBackwardRef(dy: ArrayLike<number>, x: ArrayLike<number>, shape: readonly number[], axes: readonly number[], kind: Kind): Float64Array {
  const count = shape.reduce((a, n, d) => a * (axes.includes(d) ? n : 1), 1);
  const dx = new Float64Array(x.length);
  const y = reduceRef(x, shape, axes, 'max');
  const taken = new Set<number>();
  for (let i = 0; i < x.length; i++) {
    const o = outIndex(i, shape, axes);
    if (kind === 'sum') dx[i] = dy[o];
    else if (kind === 'mean') dx[i] = dy[o] / count;
    else if (!taken.has(o) && x[i] === y[o]) {
      dx[i] = dy[o];
      taken.add(o);
    }
  }
  return dx;
}
