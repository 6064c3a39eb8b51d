// ONNX's elementwise operators on activations: Add, Sub, Mul, Div, Pow (with broadcasting,
// activation ∘ activation or activation ∘ constant), Sum, Clip, Relu6-like clips, HardSigmoid,
// HardSwish, Gelu, Mish, Softplus (inside Mish), Tanh, and Sqrt, Erf, Exp, Neg, Reciprocal, Abs.
// On two constants the arithmetic is evaluated at import (shape arithmetic, onnx-const-ops.ts).
// A constant added to, subtracted from or multiplied into the output of a Conv/Gemm/MatMul that
// nothing else reads is folded into its bias / weights (onnx-fold.ts); the activation patterns
// exporters spell out are fused into one layer (onnx-fusion.ts).
import { Add } from '../nn/add.js';
import { Sub } from '../nn/sub.js';
import { Mul } from '../nn/mul.js';
import { Div } from '../nn/div.js';
import { Pow } from '../nn/pow.js';
import type { BinaryLayer, BinaryOptions } from '../nn/binary-base.js';
import { ReLU } from '../nn/relu.js';
import { ReLU6 } from '../nn/relu6.js';
import { Hardtanh } from '../nn/hardtanh.js';
import { Hardsigmoid } from '../nn/hardsigmoid.js';
import { Hardswish } from '../nn/hardswish.js';
import { GELU } from '../nn/gelu.js';
import { Mish } from '../nn/mish.js';
import { Tanh } from '../nn/tanh.js';
import { Unary, unaryOpOf } from '../nn/unary.js';
import type { BinaryOp } from '../ops/binary.js';
import type { OnnxNode } from './onnx-proto.js';
import { fmt, type Act, type Const, type Ctx, type Handler } from './onnx-context.js';
import { CONST_HANDLERS, constBinary } from './onnx-const-ops.js';
import { foldBias, foldScale } from './onnx-fold.js';
import { continueMish, endMish, fuseMulActs, fuseMulConst, startMish } from './onnx-fusion.js';

const LAYERS: Record<BinaryOp, new (o: BinaryOptions) => BinaryLayer> = { add: Add, sub: Sub, mul: Mul, div: Div, pow: Pow };

const CONST_MATH: Record<BinaryOp, (p: number, q: number) => number> = {
  add: (p, q) => p + q, sub: (p, q) => p - q, mul: (p, q) => p * q, div: (p, q) => p / q, pow: (p, q) => p ** q,
};

/**
 * A constant's dims as a per-sample operand of an activation of per-sample shape `x`: ONNX aligns
 * them from the right against [N, …x], so a leading dim facing the batch must be 1 (dropped).
 */
function constantShape(c: Ctx, k: Const, x: number[]): number[] {
  const d = k.dims.slice();
  if (d.length > x.length + 1) throw c.fail(`the constant ${fmt(k.dims)} has more dims than the activation [N, ${x.join(', ')}]`);
  if (d.length === x.length + 1) {
    if (d[0] !== 1) throw c.fail(`the constant ${fmt(k.dims)} would broadcast against the batch dimension of [N, ${x.join(', ')}]`);
    d.shift();
  }
  return d.length === 0 ? [1] : d;
}

/** The folds and fusions of an activation ∘ constant, before falling back to a layer; true when done. */
function foldConst(c: Ctx, op: BinaryOp, x: Act, i: number, k: Const): boolean {
  if (op === 'add') return foldBias(c, x, i, k);
  if (op === 'sub') return i === 0 && foldBias(c, x, i, k, -1);
  if (op === 'mul') return foldScale(c, x, i, k) || fuseMulConst(c, x, k);
  return false;
}

function binary(op: BinaryOp): Handler {
  return (c: Ctx, n: OnnxNode) => {
    if (n.inputs.length !== 2) throw c.fail(`it takes 2 inputs, got ${n.inputs.length}`);
    // the Mul that completes x·Tanh(Softplus(x)) (its Tanh input was never set: see onnx-fusion.ts)
    const mish = op === 'mul' ? endMish(c) : null;
    if (mish) return void c.addLayer(new Mish(), [mish]);
    const a = c.input(0), b = c.input(1);
    if (a?.kind !== 'act' && b?.kind !== 'act' && a?.kind !== 'padded' && b?.kind !== 'padded') {
      const k = ({ mul: 'Mul', sub: 'Sub', div: 'Div' } as Record<string, string>)[op];
      if (k !== undefined) return CONST_HANDLERS[k](c, n);
      if (a?.kind !== 'const' || b?.kind !== 'const') throw c.fail('it is supported on constants only (shape arithmetic), not on shape vectors');
      return void c.set(constBinary(c, a, b, CONST_MATH[op]));
    }
    const L = LAYERS[op];
    if (a?.kind === 'act' && b?.kind === 'act') {
      if (a.shape.length !== b.shape.length) {
        throw c.fail(`[N, ${a.shape.join(', ')}] and [N, ${b.shape.join(', ')}] differ in rank: ONNX would broadcast the batch against another dimension`);
      }
      if (op === 'mul' && fuseMulActs(c, a, b)) return;
      return void c.addLayer(new L({}), [a, b]);
    }
    const i = a?.kind === 'act' ? 0 : 1;
    const x = c.act(i);
    const k = c.input(1 - i);
    if (k?.kind !== 'const') throw c.fail(`input ${1 - i} must be an activation or a constant`);
    if (foldConst(c, op, x, i, k)) return;
    const shape = constantShape(c, k, x.shape);
    c.addLayer(new L({ constantShape: shape, constantSide: i === 0 ? 'right' : 'left' }), [x], { constant: k.data.slice() });
  };
}

function sum(c: Ctx, n: OnnxNode): void {
  const xs = n.inputs.map((_, i) => c.act(i));
  if (xs.length === 1) return void c.set(xs[0]);
  if (xs.some((x) => fmt(x.shape) !== fmt(xs[0].shape))) throw c.fail('its inputs differ in shape; broadcasting is supported for two inputs (Add) only');
  c.addLayer(new Add(), xs);
}

const F32_MAX = 3.4028234663852886e38;

/** Clip → ReLU6 ([0, 6]), ReLU ([0, ∞)) or Hardtanh (either side may be unbounded); bounds are attributes before opset 11, inputs after. */
function clip(c: Ctx): void {
  const x = c.act(0);
  let lo = -Infinity, hi = Infinity;
  if (c.opset < 11) {
    lo = c.attrFloat('min', -Infinity);
    hi = c.attrFloat('max', Infinity);
  } else {
    const bound = (i: number, what: string) => {
      const k = c.konst(i, what, false);
      if (k !== null && k.data.length !== 1) throw c.fail(`${what} must be a scalar, it is ${fmt(k.dims)}`);
      return k === null ? null : k.data[0];
    };
    lo = bound(1, 'min') ?? lo;
    hi = bound(2, 'max') ?? hi;
  }
  if (lo <= -F32_MAX) lo = -Infinity;
  if (hi >= F32_MAX) hi = Infinity;
  if (Number.isNaN(lo) || Number.isNaN(hi) || !(lo < hi)) throw c.fail(`bounds [${lo}, ${hi}] are not supported (min must be below max)`);
  if (lo === 0 && hi === 6) return void c.addLayer(new ReLU6(), [x]);
  if (lo === 0 && hi === Infinity) return void c.addLayer(new ReLU(), [x]);
  c.addLayer(new Hardtanh(lo, hi), [x]);
}

function hardSigmoid(c: Ctx): void {
  c.addLayer(new Hardsigmoid({ alpha: c.attrFloat('alpha', 0.2), beta: c.attrFloat('beta', 0.5) }), [c.act(0)]);
}

function gelu(c: Ctx): void {
  const a = c.attrString('approximate', 'none');
  if (a !== 'none' && a !== 'tanh') throw c.fail(`approximate '${a}' is not 'none' or 'tanh'`);
  c.addLayer(new GELU({ approximate: a }), [c.act(0)]);
}

function softplus(c: Ctx): void {
  const x = c.act(0);
  if (!startMish(c, x)) throw c.fail('Softplus is supported only inside Mish, x·Tanh(Softplus(x)), with nothing else reading its parts');
}

function tanh(c: Ctx): void {
  if (continueMish(c)) return;
  c.addLayer(new Tanh(), [c.act(0)]);
}

const CONST_UNARY: Record<string, ((v: number) => number) | undefined> = {
  Sqrt: Math.sqrt, Exp: Math.exp, Neg: (v) => -v, Reciprocal: (v) => 1 / v, Abs: Math.abs,
};

/** Sqrt, Erf, Exp, Neg, Reciprocal, Abs: a Unary layer on an activation, evaluated on a float constant (not Erf). */
function unary(c: Ctx, n: OnnxNode): void {
  const v = c.input(0);
  if (v?.kind === 'const' && v.ints === null && CONST_UNARY[n.opType]) {
    return void c.set({ kind: 'const', dims: v.dims.slice(), data: v.data.map(CONST_UNARY[n.opType]!), ints: null });
  }
  c.addLayer(new Unary(unaryOpOf(n.opType)!), [c.act(0)]);
}

export const ELEMENTWISE_HANDLERS: Record<string, Handler> = {
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Div: binary('div'),
  Pow: binary('pow'),
  Sum: sum,
  Clip: clip,
  HardSigmoid: hardSigmoid,
  HardSwish: (c) => void c.addLayer(new Hardswish(), [c.act(0)]),
  Gelu: gelu,
  Mish: (c) => void c.addLayer(new Mish(), [c.act(0)]),
  Softplus: softplus,
  Tanh: tanh,
  Sqrt: unary,
  Erf: unary,
  Exp: unary,
  Neg: unary,
  Reciprocal: unary,
  Abs: unary,
};
