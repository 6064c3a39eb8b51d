// sub, div, pow (beside add and mul in add.ts): elementwise with NumPy/PyTorch broadcasting,
// PyTorch semantics (pow follows C's pow: a negative base with a non-integer exponent is NaN,
// 0^negative is +∞, exponents exactly 2, ±1 and 0.5 are exact). prepareBinary is the prepared
// form of all five, and can bind either operand as a constant tensor (activation × constant
// in compiled plans). binaryBackward gives the gradients of all five, each reduced over its
// operand's broadcast dims; subBackward, mulBackward, divBackward, powBackward are its
// shorthands.
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import {
  BINARY_OPS, type BinaryOp, checkGradShape, prepareBroadcast, reduceTo, sameDims, simplify, stridedBlock, stridesIn,
} from './broadcast.js';
import { type Prepared, releaseAll, runOnce } from './prepared.js';
import { describe, shapeArg, tensorArg } from './validate.js';

export type { BinaryOp };
const OP_NAMES = Object.keys(BINARY_OPS) as BinaryOp[];

function opArg(fn: string, op: unknown): BinaryOp {
  if (typeof op !== 'string' || !(OP_NAMES as string[]).includes(op)) {
    throw new TypeError(`${fn}: op must be one of ${OP_NAMES.map((o) => `'${o}'`).join(', ')}, got ${describe(op)}`);
  }
  return op as BinaryOp;
}

/** A shape, or a constant tensor (copied now, owned by the Prepared). */
function operandArg(fn: string, name: string, v: unknown): { shape: number[]; constant: Tensor | null } {
  if (v instanceof Tensor) {
    const t = tensorArg(fn, name, v);
    return { shape: t.shape.slice(), constant: t.clone() };
  }
  return { shape: shapeArg(fn, `${name}Shape`, v), constant: null };
}

/**
 * `op` (add, mul, sub, div, pow) prepared for a and b, each given as its shape (a runtime input)
 * or as a Tensor (a constant, copied now and freed by dispose). run()'s inputs are the runtime
 * operands in order: [a, b], [a] (b constant, e.g. prepareBinary('mul', xShape, scale)) or [b]
 * (a constant). Output of the broadcast shape; in place allowed as prepareAdd.
 */
export function prepareBinary(op: BinaryOp, a: Shape | Tensor, b: Shape | Tensor): Prepared {
  const o = opArg('prepareBinary', op);
  const A = operandArg(op, 'a', a);
  let B: ReturnType<typeof operandArg>;
  try {
    B = operandArg(op, 'b', b);
  } catch (e) {
    A.constant?.dispose();
    throw e;
  }
  const consts = [A.constant, B.constant];
  let inner: Prepared;
  try {
    inner = prepareBroadcast(o, BINARY_OPS[o], A.shape, B.shape);
  } catch (e) {
    for (const c of consts) c?.dispose();
    throw e;
  }
  return {
    outShape: inner.outShape,
    scratchBytes: 0,
    run(inputs, out, scratch) {
      let k = 0;
      const ptrs = consts.map((c) => (c === null ? inputs[k++] : c.ptr));
      inner.run(ptrs, out, scratch);
    },
    dispose() {
      inner.dispose();
      for (const c of consts) c?.dispose();
      consts.fill(null);
    },
  };
}

function eager(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const ta = tensorArg(op, 'a', a);
  const tb = tensorArg(op, 'b', b);
  return runOnce(prepareBroadcast(op, BINARY_OPS[op], ta.shape.slice(), tb.shape.slice()), [ta.ptr, tb.ptr], (s) => Tensor.empty(s));
}

/** a − b elementwise with broadcasting (torch.sub). */
export function sub(a: Tensor, b: Tensor): Tensor {
  return eager('sub', a, b);
}

/** a / b elementwise with broadcasting (torch.div, true division: x/0 = ±∞, 0/0 = NaN). */
export function div(a: Tensor, b: Tensor): Tensor {
  return eager('div', a, b);
}

/**
 * a^b elementwise with broadcasting (torch.pow with a tensor exponent; C's pow special cases:
 * b = 0 or a = 1 → 1, negative finite a with non-integer b → NaN, odd integer b keeps a's sign).
 * Computed in float64 and rounded once; b exactly 2, 1, −1, 0.5 take exact paths (a·a, a, 1/a, √a).
 */
export function pow(a: Tensor, b: Tensor): Tensor {
  return eager('pow', a, b);
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────

const BWD_CODES: Partial<Record<BinaryOp, number>> = { mul: 16, div: 17, pow: 18 };

/** A full-size gradient g (the output's shape) reduced to `shape`; g is consumed. */
function reduceOwned(g: Tensor, shape: number[], out: readonly number[]): Tensor {
  if (sameDims(shape, g.shape)) return g;
  try {
    return reduceTo(g, shape, out);
  } finally {
    g.dispose();
  }
}

/**
 * The gradients of y = a ∘ b (op add, mul, sub, div or pow) from dy (the shape of y) and the
 * forward inputs a and b: [da, db] with da of a's shape and db of b's, each summed over the dims
 * along which its operand was broadcast. needs = [needA, needB] skips a gradient (null in its
 * place). Formulas as PyTorch's autograd: sub (dy, −dy); mul (dy·b, dy·a); div (dy/b,
 * −dy·a/b²); pow (dy·b·a^(b−1) with 0 where b = 0; dy·a^b·ln a with 0 where a = 0 and b ≥ 0).
 * All returned tensors are new.
 */
export function binaryBackward(
  op: BinaryOp, dy: Tensor, a: Tensor, b: Tensor, needs: readonly [boolean, boolean] = [true, true],
): [Tensor | null, Tensor | null] {
  const o = opArg('binaryBackward', op);
  const fn = `${o}Backward`;
  const d = tensorArg(fn, 'dy', dy);
  const ta = tensorArg(fn, 'a', a);
  const tb = tensorArg(fn, 'b', b);
  if (!Array.isArray(needs) || needs.length !== 2 || needs.some((v) => typeof v !== 'boolean')) {
    throw new TypeError(`${fn}: needs must be [boolean, boolean] (which of da, db to compute), got ${describe(needs)}`);
  }
  const as = ta.shape.slice(), bs = tb.shape.slice();
  const out = checkGradShape(fn, o, d, as, bs);
  const code = BWD_CODES[o];
  if (code === undefined) {
    // add and sub: the gradients are ±dy reduced
    const da = needs[0] ? reduceTo(d, as, out) : null;
    const db = needs[1] ? reduceTo(d, bs, out) : null;
    if (db !== null && o === 'sub' && db.size > 0) kernels().neg_f32_simd(db.ptr, db.ptr, db.size);
    return [da, db];
  }
  const ga = Tensor.empty(out), gb = Tensor.empty(out);
  if (d.size > 0) {
    const params = stridedBlock(simplify(out, stridesIn(as, out), stridesIn(bs, out)));
    try {
      kernels().binary_bwd_f32_strided_simd(d.ptr, ta.ptr, tb.ptr, ga.ptr, gb.ptr, params, code);
    } finally {
      releaseAll([params]);
    }
  }
  const take = (g: Tensor, need: boolean, shape: number[]) => {
    if (need) return reduceOwned(g, shape, out);
    g.dispose();
    return null;
  };
  const da = take(ga, needs[0], as);
  return [da, take(gb, needs[1], bs)];
}

/** sub's gradients: [dy reduced to a's shape, −dy reduced to b's shape]. */
export function subBackward(dy: Tensor, a: Tensor, b: Tensor): [Tensor, Tensor] {
  return binaryBackward('sub', dy, a, b) as [Tensor, Tensor];
}

/** mul's gradients: [dy·b, dy·a], each reduced to its operand's shape. */
export function mulBackward(dy: Tensor, a: Tensor, b: Tensor): [Tensor, Tensor] {
  return binaryBackward('mul', dy, a, b) as [Tensor, Tensor];
}

/** div's gradients: [dy/b, −dy·a/b²], each reduced to its operand's shape. */
export function divBackward(dy: Tensor, a: Tensor, b: Tensor): [Tensor, Tensor] {
  return binaryBackward('div', dy, a, b) as [Tensor, Tensor];
}

/** pow's gradients: [dy·b·a^(b−1), dy·a^b·ln a] (PyTorch's zeros at b = 0 and at a = 0, b ≥ 0), reduced. */
export function powBackward(dy: Tensor, a: Tensor, b: Tensor): [Tensor, Tensor] {
  return binaryBackward('pow', dy, a, b) as [Tensor, Tensor];
}
