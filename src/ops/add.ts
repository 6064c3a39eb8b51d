// add(a, b) and mul(a, b): elementwise with NumPy/PyTorch broadcasting. The shapes are aligned
// from the right; sizes must match or one of them must be 1. Planning and the kernel choice are
// broadcast.ts's, shared with sub/div/pow (binary.ts). addBackward reduces dy over each operand's
// broadcast dims (add_bwd_f32_row/channel/strided_simd); scale and accumulate are the plain
// helpers training needs (x·s, and target += x in place for gradient fan-in).
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { BINARY_OPS, checkGradShape, prepareBroadcast, reduceTo } from './broadcast.js';
import { type Prepared, runOnce } from './prepared.js';
import { numberArg, sameShape, tensorArg, shapeArg } from './validate.js';

/**
 * add prepared for a of aShape and b of bShape: inputs [a, b]; output of their broadcast shape
 * (same messages as add). Owns a parameter block in the general broadcast case (freed by
 * dispose). In place allowed: out may be the address of an input whose shape is the output
 * shape (every kernel reads a row's elements before it writes them, and that input's row r
 * is read only for output row r).
 */
export function prepareAdd(aShape: Shape, bShape: Shape): Prepared {
  return prepareBroadcast('add', BINARY_OPS.add, shapeArg('add', 'aShape', aShape), shapeArg('add', 'bShape', bShape));
}

/** mul prepared for a of aShape and b of bShape: inputs [a, b]; output and in place as prepareAdd. */
export function prepareMul(aShape: Shape, bShape: Shape): Prepared {
  return prepareBroadcast('mul', BINARY_OPS.mul, shapeArg('mul', 'aShape', aShape), shapeArg('mul', 'bShape', bShape));
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
  const out = checkGradShape(op, 'add', d, as, bs);
  const da = reduceTo(d, as, out);
  try {
    return [da, reduceTo(d, bs, out)];
  } catch (e) {
    da.dispose();
    throw e;
  }
}
