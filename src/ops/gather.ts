// indexSelect along axis 0: the rows of a batch, in any order (for shuffled mini-batches).
import { Tensor } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { tensorArg, describe, intArg, MAX_ELEMENTS } from './validate.js';

/** y[k] = x[indices[k]] along axis 0 (as torch.index_select(x, 0, indices)). */
export function indexSelect(x: Tensor, indices: ArrayLike<number>): Tensor {
  const op = 'indexSelect';
  const t = tensorArg(op, 'x', x);
  if (t.rank < 1) throw new RangeError(`${op}: x must have rank ≥ 1, got a scalar`);
  if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number') {
    throw new TypeError(`${op}: indices must be an array of integers, got ${describe(indices)}`);
  }
  intArg(op, 'indices.length', indices.length, 0, MAX_ELEMENTS);
  const n = t.shape[0];
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`${op}: indices[${k}] = ${describe(i)} is outside 0 … ${n - 1}`);
  }
  const row = t.size / Math.max(n, 1);
  const y = Tensor.empty([indices.length, ...t.shape.slice(1)]);
  const k = kernels();
  const src = t.ptr, dst = y.ptr;
  // one copy per run of consecutive indices (an unshuffled batch is a single copy)
  for (let j = 0; j < indices.length; ) {
    const first = indices[j];
    let end = j + 1;
    while (end < indices.length && indices[end] === first + (end - j)) end++;
    k.copy_f32_simd(src + first * row * 4, dst + j * row * 4, (end - j) * row);
    j = end;
  }
  return y;
}
