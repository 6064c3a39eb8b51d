// add(a, b) and mul(a, b): elementwise with NumPy/PyTorch broadcasting. The shapes are aligned
// from the right; sizes must match or one of them must be 1. The pair of shapes is then
// simplified (dims of output size 1 dropped, neighbouring dims merged when both operands lay
// them out alike, a and b swapped so that a is the full operand) and one of four kernels runs:
//   same shape                      → add_f32_simd / mul_f32_simd
//   b repeats along the outer dims  → add_f32_row_simd      ([N, F] + [F])
//   b is one value per channel      → add_f32_channel_simd  ([N, C, H, W] + [C, 1, 1], scalars)
//   anything else                   → add_f32_strided_simd  ([N, 1] + [1, M], …)
// addBackward reduces dy over each operand's broadcast dims with the same simplification
// (add_bwd_f32_row/channel/strided_simd); scale and accumulate are the plain helpers training
// needs (x·s, and target += x in place for gradient fan-in).
import { Tensor, type Shape } from '../tensor.js';
import { heap, kernels } from '../wasm/engine.js';
import { type Prepared, paramBlock, releaseAll, runOnce } from './prepared.js';
import { fmtShape, numberArg, sameShape, tensorArg, shapeArg } from './validate.js';

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

type Kind = 'add' | 'mul';


/** a ∘ b with broadcasting: the shared planning of add and mul, done once from the shapes. */
function prepareBinary(op: Kind, aShape: unknown, bShape: unknown): Prepared {
  const out = broadcastShapes(op, shapeArg(op, 'aShape', aShape), shapeArg(op, 'bShape', bShape));
  const size = out.reduce((m, d) => m * d, 1);
  let swap = false, params = 0;
  let call: (a: number, b: number, y: number) => void = () => {};
  if (size > 0) {
    let { dims, as, bs } = simplify(out, stridesIn(aShape as number[], out), stridesIn(bShape as number[], out));
    const r = dims.length;
    // x + y = y + x and x·y = y·x exactly in IEEE arithmetic, so the full (or last-dim
    // contiguous) operand goes first
    if (as[r - 1] === 0) { swap = true; [as, bs] = [bs, as]; }
    const add = op === 'add';
    const contiguous = dims.map((_, i) => dims.slice(i + 1).reduce((m, d) => m * d, 1));
    const pattern = !same(as, contiguous) ? ''
      : same(bs, contiguous) ? 'same' : bs.map((s) => (s === 0 ? 'B' : s === 1 ? 'P' : 'X')).join('');
    const [d0, d1, d2] = dims;
    if (pattern === 'same') {
      call = add ? (a, b, y) => kernels().add_f32_simd(a, b, y, size) : (a, b, y) => kernels().mul_f32_simd(a, b, y, size);
    } else if (pattern === 'B') {
      call = add ? (a, b, y) => kernels().add_f32_channel_simd(a, b, y, 1, 1, d0) : (a, b, y) => kernels().mul_f32_channel_simd(a, b, y, 1, 1, d0);
    } else if (pattern === 'BP') {
      call = add ? (a, b, y) => kernels().add_f32_row_simd(a, b, y, d0, d1) : (a, b, y) => kernels().mul_f32_row_simd(a, b, y, d0, d1);
    } else if (pattern === 'PB') {
      call = add ? (a, b, y) => kernels().add_f32_channel_simd(a, b, y, 1, d0, d1) : (a, b, y) => kernels().mul_f32_channel_simd(a, b, y, 1, d0, d1);
    } else if (pattern === 'BPB') {
      call = add ? (a, b, y) => kernels().add_f32_channel_simd(a, b, y, d0, d1, d2) : (a, b, y) => kernels().mul_f32_channel_simd(a, b, y, d0, d1, d2);
    } else {
      // [r, dims, aStrides, bStrides, counter]: the kernel resets and uses the counter on every call
      params = paramBlock([r, ...dims, ...as, ...bs, ...new Array<number>(r).fill(0)]);
      const p = params;
      call = add ? (a, b, y) => kernels().add_f32_strided_simd(a, b, y, p) : (a, b, y) => kernels().mul_f32_strided_simd(a, b, y, p);
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

/**
 * add prepared for a of aShape and b of bShape: inputs [a, b]; output of their broadcast shape
 * (same messages as add). Owns a parameter block in the general broadcast case (freed by
 * dispose). In place allowed: out may be the address of an input whose shape is the output
 * shape (every kernel reads a row's elements before it writes them, and that input's row r
 * is read only for output row r).
 */
export function prepareAdd(aShape: Shape, bShape: Shape): Prepared {
  return prepareBinary('add', aShape, bShape);
}

/** mul prepared for a of aShape and b of bShape: inputs [a, b]; output and in place as prepareAdd. */
export function prepareMul(aShape: Shape, bShape: Shape): Prepared {
  return prepareBinary('mul', aShape, bShape);
}

/**
 * a + b elementwise with broadcasting; the output has the broadcast shape of both.
 * Throws, naming both shapes, when they do not broadcast.
 */
export function add(a: Tensor, b: Tensor): Tensor {
  const ta = tensorArg('add', 'a', a);
  const tb = tensorArg('add', 'b', b);
  return runOnce(prepareAdd(ta.shape, tb.shape), [ta.ptr, tb.ptr], (s) => Tensor.empty(s));
}

/** a·b elementwise with the same broadcasting as add. */
export function mul(a: Tensor, b: Tensor): Tensor {
  const ta = tensorArg('mul', 'a', a);
  const tb = tensorArg('mul', 'b', b);
  return runOnce(prepareMul(ta.shape, tb.shape), [ta.ptr, tb.ptr], (s) => Tensor.empty(s));
}

/** x·s elementwise (s a finite number); a new tensor of x's shape. */
export function scale(x: Tensor, s: number): Tensor {
  const t = tensorArg('scale', 'x', x);
  const f = numberArg('scale', 's', s);
  const y = Tensor.empty(t.shape);
  if (t.size > 0) kernels().scale_f32_simd(t.ptr, y.ptr, t.size, f);
  return y;
}

/**
 * target += x IN PLACE (same shape), for gradient fan-in; returns target. x may be target
 * itself (doubling it).
 */
export function accumulate(target: Tensor, x: Tensor): Tensor {
  const op = 'accumulate';
  const t = tensorArg(op, 'target', target);
  const u = tensorArg(op, 'x', x);
  sameShape(op, t, 'target', u, 'x');
  if (t.size > 0) kernels().add_inc_f32_simd(u.ptr, t.ptr, t.size);
  return t;
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────

/** dy summed over the dims along which `shape` was broadcast to `out` (dy's shape): a new tensor of `shape`. */
function reduceTo(dy: Tensor, shape: number[], out: readonly number[]): Tensor {
  const size = shape.reduce((m, d) => m * d, 1);
  if (size === dy.size) {
    // nothing was broadcast (or both are empty): the gradient is dy itself
    const g = Tensor.empty(shape);
    if (size > 0) kernels().copy_f32_simd(dy.ptr, g.ptr, size);
    return g;
  }
  const g = Tensor.zeros(shape);
  if (dy.size === 0) return g;
  const contiguous = out.map((_, i) => out.slice(i + 1).reduce((m, d) => m * d, 1));
  const { dims, bs } = simplify(out.slice(), contiguous, stridesIn(shape, out));
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

/**
 * add's gradients: [da, db], dy summed over the dims along which a (of aShape) and b (of
 * bShape) were broadcast, so da has aShape and db has bShape. dy must have the broadcast shape
 * of the two. Both are new tensors (a copy of dy where nothing was broadcast).
 */
export function addBackward(dy: Tensor, aShape: readonly number[], bShape: readonly number[]): [Tensor, Tensor] {
  const op = 'addBackward';
  const d = tensorArg(op, 'dy', dy);
  const as = shapeArg(op, 'aShape', aShape);
  const bs = shapeArg(op, 'bShape', bShape);
  const out = broadcastShapes(op, as, bs);
  if (!same(out, d.shape.slice())) {
    throw new RangeError(
      `${op}: dy has shape ${fmtShape(d.shape)} but add of a ${fmtShape(as)} and b ${fmtShape(bs)} gives ${fmtShape(out)}; they must match`,
    );
  }
  const da = reduceTo(d, as, out);
  try {
    return [da, reduceTo(d, bs, out)];
  } catch (e) {
    da.dispose();
    throw e;
  }
}
