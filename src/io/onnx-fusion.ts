// Import-time fusion of the activation patterns exporters write out as several operators:
// x·Sigmoid(x) → SiLU, x·HardSigmoid(x) (alpha 1/6, beta 1/2: PyTorch's Hardswish before opset
// 14) → Hardswish, x·(1 + erf(x/√2))·0.5 (PyTorch's exact GELU before opset 20) → GELU, and
// x·Tanh(Softplus(x)) → Mish. The first three are recognised at the final Mul by walking back
// through the layers already made (the ones the fusion bypasses are left without readers and
// dropped when the graph is assembled); Mish is recognised ahead, at its Softplus, since we have
// no Softplus layer. Every intermediate value must be read by the next step of the pattern only
// (and be no graph output), so a graph that uses them elsewhere is left as it is.
import { Sigmoid } from '../nn/sigmoid.js';
import { Hardsigmoid } from '../nn/hardsigmoid.js';
import { SiLU } from '../nn/silu.js';
import { Hardswish } from '../nn/hardswish.js';
import { GELU } from '../nn/gelu.js';
import { Unary } from '../nn/unary.js';
import { Add } from '../nn/add.js';
import { Mul } from '../nn/mul.js';
import { Div } from '../nn/div.js';
import type { Layer } from '../nn/layer.js';
import type { Act, Const, Ctx, Spec } from './onnx-context.js';

/** The layer made for value `name` when the pattern's next step is its only reader and it is no graph output. */
function sole(c: Ctx, name: string): Spec | null {
  if ((c.uses.get(name) ?? 0) !== 1 || c.graphOutputs.has(name)) return null;
  return c.specs.find((s) => s.name === name) ?? null;
}

const near = (v: number, want: number) => Math.abs(v - want) <= 1e-6 * Math.abs(want);

/** The scalar value of a layer's constant operand when the layer is `type` with the constant on `side` (any side when omitted). */
function scalarOf(spec: Spec, type: { type: string }, side?: 'left' | 'right'): number | null {
  const l = spec.layer as Layer & { constantSide?: string };
  const k = spec.params.constant;
  if (l.type !== type.type || k === undefined || k.length !== 1 || (side !== undefined && l.constantSide !== side)) return null;
  return k[0];
}

const actOf = (c: Ctx, name: string): Act | null => {
  const v = c.values.get(name);
  return v?.kind === 'act' && v.node === name ? v : null;
};

/** Mul(a, b) of two activations as SiLU or Hardswish of one of them, or null. */
function gatedByOther(c: Ctx, a: Act, b: Act): Layer | null {
  const g = sole(c, b.node);
  if (g === null || g.inputs.length !== 1 || g.inputs[0] !== a.node) return null;
  if (g.layer instanceof Sigmoid) return new SiLU();
  if (g.layer instanceof Hardsigmoid && near(g.layer.alpha, 1 / 6) && g.layer.beta === 0.5) return new Hardswish();
  return null;
}

/** When `name` is 1 + erf(x/√2) (or x·(1/√2)) as PyTorch writes it, the name of x. */
function erfPlusOne(c: Ctx, name: string): string | null {
  const plus = sole(c, name);
  if (plus === null || scalarOf(plus, Add) !== 1) return null;
  const erf = sole(c, plus.inputs[0]);
  if (erf === null || !(erf.layer instanceof Unary) || erf.layer.op !== 'erf') return null;
  const scaled = sole(c, erf.inputs[0]);
  if (scaled === null) return null;
  const d = scalarOf(scaled, Div, 'right'), m = scalarOf(scaled, Mul);
  return (d !== null && near(d, Math.SQRT2)) || (m !== null && near(m, Math.SQRT1_2)) ? scaled.inputs[0] : null;
}

/** Mul of two activations a·b as SiLU, Hardswish or GELU (x·0.5 times 1 + erf(x/√2)); adds the layer and returns true, or false. */
export function fuseMulActs(c: Ctx, a: Act, b: Act): boolean {
  for (const [p, q] of [[a, b], [b, a]]) {
    const fused = gatedByOther(c, p, q);
    if (fused) return void c.addLayer(fused, [p]), true;
    // (x·0.5)·(1 + erf(x/√2))
    const half = sole(c, p.node);
    const x = erfPlusOne(c, q.node);
    if (half !== null && x !== null && scalarOf(half, Mul) === 0.5 && half.inputs[0] === x) {
      const xa = actOf(c, x);
      if (xa) return void c.addLayer(new GELU(), [xa]), true;
    }
  }
  return false;
}

/** Mul of an activation m by the constant k as GELU, when m = x·(1 + erf(x/√2)) and k = 0.5 (PyTorch 1.13's order); adds it and returns true. */
export function fuseMulConst(c: Ctx, m: Act, k: Const): boolean {
  if (k.data.length !== 1 || k.data[0] !== 0.5) return false;
  const prod = sole(c, m.node);
  if (prod === null || !(prod.layer instanceof Mul) || prod.layer.constant !== null) return false;
  const [p, q] = prod.inputs;
  for (const [x, other] of [[p, q], [q, p]]) {
    if (erfPlusOne(c, other) === x) {
      const xa = actOf(c, x);
      if (xa) return c.addLayer(new GELU(), [xa]), true;
    }
  }
  return false;
}

/** Softplus outputs (and the Tanh outputs after them) that stand for part of a Mish, by import. */
const pendingMish = new WeakMap<Ctx, Map<string, Act>>();

/**
 * At a Softplus node: when its only reader is a Tanh whose only reader is a Mul by the Softplus's
 * own input, records the pattern (the Tanh and the Mul then make one Mish layer) and returns true.
 */
export function startMish(c: Ctx, x: Act): boolean {
  const n = c.node, s = n.outputs[0];
  const readers = (v: string) => c.nodes.filter((m) => m.inputs.includes(v));
  const open = (v: string) => !c.graphOutputs.has(v) && readers(v).length === 1;
  if (!s || !open(s)) return false;
  const t = readers(s)[0];
  if (t.opType !== 'Tanh' || !t.outputs[0] || !open(t.outputs[0])) return false;
  const m = readers(t.outputs[0])[0];
  if (m.opType !== 'Mul' || m.inputs.length !== 2 || !m.inputs.includes(n.inputs[0]) || !m.inputs.includes(t.outputs[0])) return false;
  let map = pendingMish.get(c);
  if (!map) pendingMish.set(c, (map = new Map()));
  map.set(s, x);
  return true;
}

/** At a Tanh node: true when its input is a recorded Softplus (the Tanh is then part of a Mish). */
export function continueMish(c: Ctx): boolean {
  const map = pendingMish.get(c), x = map?.get(c.node.inputs[0]);
  if (!map || !x || !c.node.outputs[0]) return false;
  map.set(c.node.outputs[0], x);
  return true;
}

/** At a Mul node: the input of the Mish it completes, or null. */
export function endMish(c: Ctx): Act | null {
  const map = pendingMish.get(c);
  if (!map) return null;
  for (const name of c.node.inputs) {
    const x = map.get(name); // a Tanh output: startMish checked that the Mul's other input is x
    if (x) return x;
  }
  return null;
}
