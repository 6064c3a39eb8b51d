// Reference broadcasting add: for every output coordinate, read each operand at the same
// coordinate (right-aligned), using index 0 along its dims of size 1. float64.
export function broadcastShapeRef(a: readonly number[], b: readonly number[]): number[] | null {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
    const db = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

function readAt(x: ArrayLike<number>, shape: readonly number[], coord: number[]): number {
  const off = coord.length - shape.length;
  let idx = 0;
  for (let d = 0; d < shape.length; d++) idx = idx * shape[d] + (shape[d] === 1 ? 0 : coord[d + off]);
  return x[idx];
}

/** Reference broadcasting y = f(a, b) (float64): every output coordinate reads each operand at it. */
export function broadcastRef(
  f: (x: number, y: number) => number, a: ArrayLike<number>, as: readonly number[], b: ArrayLike<number>, bs: readonly number[],
): { y: Float64Array; shape: number[] } {
  const shape = broadcastShapeRef(as, bs);
  if (shape === null) throw new Error('reference: shapes do not broadcast');
  const n = shape.reduce((p, d) => p * d, 1);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const coord: number[] = [];
    let rest = i;
    for (let d = shape.length - 1; d >= 0; d--) { coord.unshift(rest % shape[d]); rest = Math.floor(rest / shape[d]); }
    y[i] = f(readAt(a, as, coord), readAt(b, bs, coord));
  }
  return { y, shape };
}

export function addRef(a: ArrayLike<number>, as: readonly number[], b: ArrayLike<number>, bs: readonly number[]): { y: Float64Array; shape: number[] } {
  return broadcastRef((x, y) => x + y, a, as, b, bs);
}

/** Reference elementwise product with broadcasting. */
export function mulRef(a: ArrayLike<number>, as: readonly number[], b: ArrayLike<number>, bs: readonly number[]): { y: Float64Array; shape: number[] } {
  return broadcastRef((x, y) => x * y, a, as, b, bs);
}

/**
 * Reference gradient of an operand of shape `shape` broadcast to dy's shape `out`: every dy
 * element is added (float64) into the operand element it was read from.
 */
export function reduceGradRef(dy: ArrayLike<number>, out: readonly number[], shape: readonly number[]): Float64Array {
  const g = new Float64Array(shape.reduce((p, d) => p * d, 1));
  const off = out.length - shape.length;
  for (let i = 0; i < dy.length; i++) {
    const coord: number[] = [];
    let rest = i;
    for (let d = out.length - 1; d >= 0; d--) { coord.unshift(rest % out[d]); rest = Math.floor(rest / out[d]); }
    let idx = 0;
    for (let d = 0; d < shape.length; d++) idx = idx * shape[d] + (shape[d] === 1 ? 0 : coord[d + off]);
    g[idx] += dy[i];
  }
  return g;
}
