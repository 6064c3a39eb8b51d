// add(a, b): elementwise sum with NumPy/PyTorch broadcasting. The shapes are aligned from the
// right; sizes must match or one of them must be 1. The pair of shapes is then simplified (dims
// of output size 1 dropped, neighbouring dims merged when both operands lay them out alike, a
// and b swapped so that a is the full operand) and one of four kernels runs:
//   same shape                      → add_f32_simd
//   b repeats along the outer dims  → add_f32_row_simd      ([N, F] + [F])
//   b is one value per channel      → add_f32_channel_simd  ([N, C, H, W] + [C, 1, 1], scalars)
//   anything else                   → add_f32_strided_simd  ([N, 1] + [1, M], …)
import { Tensor } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { fmtShape, tensorArg } from './validate.js';

/** The broadcast of two shapes, or a RangeError naming both and the first clashing dimension. */
function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
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
function stridesIn(shape: readonly number[], out: readonly number[]): number[] {
  const st = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let i = out.length - 1, j = shape.length - 1; i >= 0; i--, j--) {
    const d = j >= 0 ? shape[j] : 1;
    st[i] = d === 1 ? 0 : s;
    s *= d;
  }
  return st;
}

interface Plan { dims: number[]; as: number[]; bs: number[] }

/** Drops dims of size 1 and merges neighbours that both operands traverse contiguously. */
function simplify(out: number[], as: number[], bs: number[]): Plan {
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

const same = (x: number[], y: number[]) => x.length === y.length && x.every((v, i) => v === y[i]);

/**
 * a + b elementwise with broadcasting; the output has the broadcast shape of both.
 * Throws, naming both shapes, when they do not broadcast.
 */
export function add(a: Tensor, b: Tensor): Tensor {
  const ta = tensorArg('add', 'a', a);
  const tb = tensorArg('add', 'b', b);
  const out = broadcastShapes('add', ta.shape, tb.shape);
  const y = Tensor.empty(out);
  if (y.size === 0) return y;
  let pa = ta.ptr, pb = tb.ptr;
  let { dims, as, bs } = simplify(out, stridesIn(ta.shape, out), stridesIn(tb.shape, out));
  const r = dims.length;
  const k = kernels();
  // x + y = y + x exactly in IEEE arithmetic, so the full (or last-dim contiguous) operand goes first
  if (as[r - 1] === 0) { [pa, pb] = [pb, pa]; [as, bs] = [bs, as]; }
  const contiguous = dims.map((_, i) => dims.slice(i + 1).reduce((m, d) => m * d, 1));
  if (same(as, contiguous)) {
    if (same(bs, contiguous)) { k.add_f32_simd(pa, pb, y.ptr, y.size); return y; }
    const pattern = bs.map((s) => (s === 0 ? 'B' : s === 1 ? 'P' : 'X')).join('');
    if (pattern === 'B') { k.add_f32_channel_simd(pa, pb, y.ptr, 1, 1, dims[0]); return y; }
    if (pattern === 'BP') { k.add_f32_row_simd(pa, pb, y.ptr, dims[0], dims[1]); return y; }
    if (pattern === 'PB') { k.add_f32_channel_simd(pa, pb, y.ptr, 1, dims[0], dims[1]); return y; }
    if (pattern === 'BPB') { k.add_f32_channel_simd(pa, pb, y.ptr, dims[0], dims[1], dims[2]); return y; }
  }
  const h = heap();
  const params = h.alloc(4 * (1 + 4 * r));
  try {
    const i32 = new Int32Array(h.u8view().buffer, params, 1 + 4 * r);
    i32[0] = r;
    i32.set(dims, 1);
    i32.set(as, 1 + r);
    i32.set(bs, 1 + 2 * r);
    k.add_f32_strided_simd(pa, pb, y.ptr, params);
  } finally {
    h.release(params);
  }
  return y;
}
