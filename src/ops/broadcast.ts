// NumPy/PyTorch broadcasting for the binary ops (add.ts, binary.ts): the broadcast shape, the
// simplified iteration plan, the choice of kernel layout, and the reduction of a gradient back
// to an operand's shape. Not exported from ops/index.ts.
//
// A pair of shapes is simplified (dims of output size 1 dropped, neighbouring dims merged when
// both operands lay them out alike, a and b swapped so that a is the full operand — a
// non-commutative op then runs reversed) and one of four layouts runs:
//   same shape                      → binary_f32_simd
//   b repeats along the outer dims  → binary_f32_row_simd      ([N, F] ∘ [F])
//   b is one value per channel      → binary_f32_channel_simd  ([N, C, H, W] ∘ [C, 1, 1], scalars)
//   anything else                   → binary_f32_strided_simd  ([N, 1] ∘ [1, M], …)
import { Tensor } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { type Prepared, paramBlock, releaseAll } from './prepared.js';
import { fmtShape } from './validate.js';

/** Op codes of the binary kernels (assembly/binary-common.ts). */
export const BINARY_OPS = { add: 0, mul: 1, sub: 2, div: 3, pow: 4 } as const;
export type BinaryOp = keyof typeof BINARY_OPS;
/** y = b ∘ a: the reversed code of a non-commutative op. */
const reversed = (code: number) => (code >= 2 ? code + 3 : code);

/** The broadcast of two shapes, or a RangeError naming both and the first clashing dimension. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1, db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(
        `${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast: dimension ${a.length - r + i} of a is ${da} ` +
          `but dimension ${b.length - r + i} of b is ${db} (aligned from the right, sizes must match or one must be 1)`,
      );
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Element strides of `shape` read as the broadcast `out` (0 along broadcast dims). */
export function stridesIn(shape: readonly number[], out: readonly number[]): number[] {
  const st = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = out.length - 1, j = shape.length - 1; i >= 0; i--, j--) {
    const d = j >= 0 ? shape[j] : 1;
    st[i] = d === 1 ? 0 : s;
    s *= d;
  }
  return st;
}

export interface Plan { dims: number[]; as: number[]; bs: number[] }

/** Drops dims of size 1 and merges neighbours that both operands traverse contiguously. */
export function simplify(out: readonly number[], as: number[], bs: number[]): Plan {
  const p: Plan = { dims: [], as: [], bs: [] };
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 1) continue;
    const k = p.dims.length - 1;
    if (k >= 0 && p.as[k] === as[i] * out[i] && p.bs[k] === bs[i] * out[i]) {
      p.dims[k] *= out[i];
      p.as[k] = as[i];
      p.bs[k] = bs[i];
    } else {
      p.dims.push(out[i]);
      p.as.push(as[i]);
      p.bs.push(bs[i]);
    }
  }
  if (p.dims.length === 0) return { dims: [1], as: [1], bs: [1] };
  return p;
}

export const sameDims = (x: readonly number[], y: readonly number[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
const contiguousStrides = (dims: readonly number[]) => dims.map((_, i) => dims.slice(i + 1).reduce((m, d) => m * d, 1));

/** [r, dims, aStrides, bStrides, counter]: the strided kernels' block (they reset the counter on every call). */
export function stridedBlock(p: Plan): number {
  return paramBlock([p.dims.length, ...p.dims, ...p.as, ...p.bs, ...new Array<number>(p.dims.length).fill(0)]);
}

/**
 * The Prepared of y = a ∘ b for a of aShape and b of bShape (checked by the caller): inputs
 * [a, b]; output of the broadcast shape. Owns a parameter block in the general case. In place
 * allowed: out may be the address of an input whose shape is the output shape (every kernel
 * reads a row's elements before it writes them, and that input's row r is read only for
 * output row r).
 */
export function prepareBroadcast(op: string, code: number, aShape: number[], bShape: number[]): Prepared {
  const out = broadcastShapes(op, aShape, bShape);
  const size = out.reduce((m, d) => m * d, 1);
  let swap = false, params = 0;
  let call: (a: number, b: number, y: number) => void = () => {};
  if (size > 0) {
    let { dims, as, bs } = simplify(out, stridesIn(aShape, out), stridesIn(bShape, out));
    const r = dims.length;
    if (as[r - 1] === 0) { swap = true; [as, bs] = [bs, as]; code = reversed(code); }
    const c = code;
    const contiguous = contiguousStrides(dims);
    const pattern = !sameDims(as, contiguous) ? ''
      : sameDims(bs, contiguous) ? 'same' : bs.map((s) => (s === 0 ? 'B' : s === 1 ? 'P' : 'X')).join('');
    const [d0, d1, d2] = dims;
    const k = kernels;
    if (pattern === 'same') call = (a, b, y) => k().binary_f32_simd(a, b, y, size, c);
    else if (pattern === 'B') call = (a, b, y) => k().binary_f32_channel_simd(a, b, y, 1, 1, d0, c);
    else if (pattern === 'BP') call = (a, b, y) => k().binary_f32_row_simd(a, b, y, d0, d1, c);
    else if (pattern === 'PB') call = (a, b, y) => k().binary_f32_channel_simd(a, b, y, 1, d0, d1, c);
    else if (pattern === 'BPB') call = (a, b, y) => k().binary_f32_channel_simd(a, b, y, d0, d1, d2, c);
    else {
      const p = (params = stridedBlock({ dims, as, bs }));
      call = (a, b, y) => k().binary_f32_strided_simd(a, b, y, p, c);
    }
  }
  return {
    outShape: out,
    scratchBytes: 0,
    run(inputs, y) {
      if (swap) call(inputs[1], inputs[0], y);
      else call(inputs[0], inputs[1], y);
    },
    dispose() {
      releaseAll([params]);
      params = 0;
    },
  };
}

/** dy summed over the dims along which `shape` was broadcast to `out` (dy's shape): a new tensor of `shape`. */
export function reduceTo(dy: Tensor, shape: number[], out: readonly number[]): Tensor {
  const size = shape.reduce((m, d) => m * d, 1);
  if (size === dy.size) {
    // nothing was broadcast (or both are empty): the gradient is dy itself
    const g = Tensor.empty(shape);
    if (size > 0) kernels().copy_f32_simd(dy.ptr, g.ptr, size);
    return g;
  }
  const g = Tensor.zeros(shape);
  if (dy.size === 0) return g;
  const { dims, bs } = simplify(out, contiguousStrides(out), stridesIn(shape, out));
  const k = kernels();
  const pattern = bs.map((s) => (s === 0 ? 'B' : 'P')).join('');
  if (pattern === 'B') { k.add_bwd_f32_channel_simd(dy.ptr, g.ptr, 1, 1, dims[0]); return g; }
  if (pattern === 'BP') { k.add_bwd_f32_row_simd(dy.ptr, g.ptr, dims[0], dims[1]); return g; }
  if (pattern === 'PB') { k.add_bwd_f32_channel_simd(dy.ptr, g.ptr, 1, dims[0], dims[1]); return g; }
  if (pattern === 'BPB') { k.add_bwd_f32_channel_simd(dy.ptr, g.ptr, dims[0], dims[1], dims[2]); return g; }
  const r = dims.length;
  const h = heap();
  const params = h.alloc(4 * (1 + 3 * r));
  try {
    const i32 = h.i32view();
    const at = params >>> 2;
    i32[at] = r;
    i32.set(dims, at + 1);
    i32.set(bs, at + 1 + r);
    k.add_bwd_f32_strided_simd(dy.ptr, g.ptr, params);
  } finally {
    h.release(params);
  }
  return g;
}

/** dy checked against the broadcast of aShape and bShape (the forward output's shape); returns that shape. */
export function checkGradShape(op: string, fwd: string, dy: Tensor, as: number[], bs: number[]): number[] {
  const out = broadcastShapes(op, as, bs);
  if (!sameDims(out, dy.shape)) {
    throw new RangeError(
      `${op}: dy has shape ${fmtShape(dy.shape)} but ${fwd} of a ${fmtShape(as)} and b ${fmtShape(bs)} gives ${fmtShape(out)}; they must match`,
    );
  }
  return out;
}
