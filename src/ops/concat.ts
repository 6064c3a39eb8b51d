// Layout copies: concat (PyTorch's torch.cat) and flatten. Both return new tensors; the data
// moves with SIMD block copies and never leaves wasm memory.
import { Tensor } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { describe, fmtShape, tensorArg } from './validate.js';

/** An integer dim in [−r, r) resolved to [0, r); the message names the op, the argument and the shape. */
function dimArg(op: string, name: string, v: unknown, shape: readonly number[], r: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: ${name} must be an integer, got ${describe(v)}`);
  if (v < -r || v >= r) {
    throw new RangeError(`${op}: ${name} ${v} is out of range for shape ${fmtShape(shape)} (rank ${shape.length}; valid ${-r}..${r - 1})`);
  }
  return v < 0 ? v + r : v;
}

/**
 * Joins tensors along `axis` (default 1, the channels of NCHW; negative counts from the end).
 * All tensors must have the same rank (≥ 1) and the same size in every other dimension.
 */
export function concat(tensors: readonly Tensor[], axis = 1): Tensor {
  const op = 'concat';
  if (!Array.isArray(tensors)) throw new TypeError(`${op}: tensors must be an array of Tensors, got ${describe(tensors)}`);
  if (tensors.length === 0) throw new RangeError(`${op}: needs at least one tensor, got an empty list`);
  const ts = tensors.map((t, i) => tensorArg(op, `tensors[${i}]`, t));
  const first = ts[0];
  const r = first.rank;
  if (r === 0) throw new RangeError(`${op}: tensors[0] has shape [] (rank 0); a scalar cannot be concatenated, reshape it to [1]`);
  const ax = dimArg(op, 'axis', axis, first.shape, r);
  let total = 0;
  for (let i = 0; i < ts.length; i++) {
    const s = ts[i].shape;
    if (s.length !== r) {
      throw new RangeError(
        `${op}: tensors[${i}] has rank ${s.length} (shape ${fmtShape(s)}) but tensors[0] has rank ${r} (shape ${fmtShape(first.shape)}); all must have the same rank`,
      );
    }
    for (let d = 0; d < r; d++) {
      if (d !== ax && s[d] !== first.shape[d]) {
        throw new RangeError(
          `${op}: tensors[${i}] has shape ${fmtShape(s)} but tensors[0] has shape ${fmtShape(first.shape)}; ` +
            `they must match in every dimension except axis ${ax} (dimension ${d}: ${s[d]} vs ${first.shape[d]})`,
        );
      }
    }
    total += s[ax];
  }
  const out = first.shape.slice();
  out[ax] = total;
  const y = Tensor.empty(out);
  if (y.size === 0) return y;
  let outer = 1, inner = 1;
  for (let d = 0; d < ax; d++) outer *= out[d];
  for (let d = ax + 1; d < r; d++) inner *= out[d];
  const h = heap();
  const params = h.alloc(8 * ts.length);
  try {
    const i32 = new Int32Array(h.u8view().buffer, params, 2 * ts.length);
    ts.forEach((t, i) => {
      i32[2 * i] = t.ptr;
      i32[2 * i + 1] = t.shape[ax] * inner;
    });
    kernels().concat_f32_simd(params, ts.length, outer, y.ptr);
  } finally {
    h.release(params);
  }
  return y;
}

/**
 * PyTorch's flatten: dims startDim..endDim (inclusive; defaults 1 and −1, as nn.Flatten) merged
 * into one. A rank-0 tensor becomes [1]. Returns a new tensor (a copy).
 */
export function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor {
  const op = 'flatten';
  const t = tensorArg(op, 'x', x);
  const shape = t.rank === 0 ? [1] : t.shape;
  const r = shape.length;
  const s = dimArg(op, 'startDim', startDim, t.shape, r);
  const e = dimArg(op, 'endDim', endDim, t.shape, r);
  if (s > e) {
    throw new RangeError(`${op}: startDim ${startDim} (dimension ${s}) comes after endDim ${endDim} (dimension ${e}) for shape ${fmtShape(t.shape)}`);
  }
  const out = [...shape.slice(0, s), shape.slice(s, e + 1).reduce((a, b) => a * b, 1), ...shape.slice(e + 1)];
  const y = Tensor.empty(out);
  if (y.size > 0) kernels().copy_f32_simd(t.ptr, y.ptr, t.size);
  return y;
}
