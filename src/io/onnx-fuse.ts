// Patterns of several ONNX nodes that import as one layer, matched ahead from their first node:
// the layer norm PyTorch exports before opset 17 (ReduceMean → Sub → Pow(2) → ReduceMean →
// Add(eps) → Sqrt → Div, then an optional Mul(weight) → Add(bias)), over the last dims
// (nn.LayerNorm) or over the channels of NCHW (nn.LayerNorm2d); and a MatMul by a constant with
// the bias Add after it. A pattern fuses only when every value inside it is read by the pattern
// alone (no other reader, no graph output); the inner nodes are then skipped by the walk.
import { LayerNorm } from '../nn/layernorm.js';
import { LayerNorm2d } from '../nn/layernorm2d.js';
import type { OnnxNode } from './onnx-proto.js';
import { prod, type Act, type Const, type Ctx } from './onnx-context.js';
import { constOf, ivec, normAxis } from './onnx-const-ops.js';

/** The constant named `name`: a value known already, or a Constant node not yet walked. */
export function constNamed(c: Ctx, name: string): Const | null {
  const v = c.values.get(name);
  if (v !== undefined) return v.kind === 'const' ? v : null;
  const p = c.nodes.find((n) => n.outputs[0] === name);
  if (p?.opType !== 'Constant' || c.skipped.has(p)) return null;
  const t = p.attrs.get('value')?.t;
  if (t !== undefined) return constOf(t, c.limit);
  const f = p.attrs.get('value_float')?.f;
  return f === undefined ? null : { kind: 'const', dims: [], data: Float32Array.of(f), ints: null };
}

/** The one node reading `name` (once), when it is of type `op` and `name` is no graph output. */
function only(c: Ctx, name: string, op: string): OnnxNode | null {
  if (!c.usedOnce(name)) return null;
  const k = c.consumers(name);
  return k.length === 1 && k[0].opType === op ? k[0] : null;
}

/** The constant operand of a binary node whose other operand is `name`. */
function otherConst(c: Ctx, n: OnnxNode, name: string): Const | null {
  if (n.inputs.length !== 2) return null;
  const i = n.inputs[0] === name ? 1 : n.inputs[1] === name ? 0 : -1;
  return i < 0 || n.inputs[1 - i] !== name ? null : constNamed(c, n.inputs[i]);
}

/** A reduction's axes (attribute, or input 1 from `fromOpset`), or null when not constant. */
export function reduceAxes(c: Ctx, n: OnnxNode, fromOpset: number): number[] | null {
  if (c.opset < fromOpset) return n.attrs.get('axes')?.ints ?? null;
  if (!n.inputs[1]) return null;
  const k = constNamed(c, n.inputs[1]);
  return k === null ? null : (ivec(c, k, 'axes').elems as number[]);
}

/** True when constant k holds `per` values laid out along `dims` of the batched tensor (leading 1s allowed). */
function fits(k: Const, want: number[]): boolean {
  const d = k.dims.slice();
  while (d.length > want.length && d[0] === 1) d.shift();
  while (d.length < want.length) d.unshift(1);
  return d.every((v, i) => v === want[i]);
}

/** Fuses the decomposed layer norm starting at ReduceMean node n (the current node); false when it is not one. */
export function fuseLayerNorm(c: Ctx, n: OnnxNode): boolean {
  const x = c.values.get(n.inputs[0]);
  if (x?.kind !== 'act' || (n.attrs.get('keepdims')?.i ?? 1) !== 1) return false;
  const r = x.shape.length + 1;
  const ax = reduceAxes(c, n, 18);
  if (ax === null || ax.length === 0) return false;
  let axes: number[];
  try {
    axes = ax.map((a) => normAxis(c, a, r)).sort((a, b) => a - b);
  } catch {
    return false;
  }
  const key = axes.join(',');
  const sameAxes = (m: OnnxNode) => (m.attrs.get('keepdims')?.i ?? 1) === 1 && reduceAxes(c, m, 18)?.map((a) => (a < 0 ? a + r : a)).sort((a, b) => a - b).join(',') === key;
  const sub = only(c, n.outputs[0], 'Sub');
  if (!sub || sub.inputs[0] !== n.inputs[0] || sub.inputs[1] !== n.outputs[0]) return false;
  const d = sub.outputs[0];
  const readers = c.consumers(d);
  if (c.graphOutputs.has(d) || readers.length !== 2 || (c.uses.get(d) ?? 0) !== 2) return false;
  const pow = readers.find((k) => k.opType === 'Pow' && k.inputs[0] === d);
  const div = readers.find((k) => k.opType === 'Div' && k.inputs[0] === d);
  const two = pow && pow.inputs[1] ? constNamed(c, pow.inputs[1]) : null;
  if (!pow || !div || two?.data.length !== 1 || two.data[0] !== 2) return false;
  const rm = only(c, pow.outputs[0], 'ReduceMean');
  if (!rm || !sameAxes(rm)) return false;
  const add = only(c, rm.outputs[0], 'Add');
  const eps = add ? otherConst(c, add, rm.outputs[0]) : null;
  if (!add || eps?.data.length !== 1) return false;
  const sq = only(c, add.outputs[0], 'Sqrt');
  if (!sq || only(c, sq.outputs[0], 'Div') !== div || div.inputs[1] !== sq.outputs[0]) return false;
  // the form: the last k dims, or the channels of [N, C, …]
  const k = r - axes[0];
  const last = axes.length === k && axes.every((a, i) => a === r - k + i) && axes[0] >= 1;
  const channels = key === '1' && r >= 3;
  if (!last && !channels) return false;
  const ns = last ? x.shape.slice(axes[0] - 1) : [x.shape[0]];
  const want = last ? ns : [x.shape[0], ...x.shape.slice(1).map(() => 1)];
  const skip = [sub, pow, rm, add, sq, div];
  let out = div.outputs[0];
  let weight: Float32Array | null = null, bias: Float32Array | null = null;
  const mul = only(c, out, 'Mul');
  const w = mul ? otherConst(c, mul, out) : null;
  if (mul && w && w.ints === null && fits(w, want)) {
    weight = w.data;
    skip.push(mul);
    out = mul.outputs[0];
  }
  const badd = only(c, out, 'Add');
  const b = badd ? otherConst(c, badd, out) : null;
  if (badd && b && b.ints === null && fits(b, want)) {
    bias = b.data;
    skip.push(badd);
    out = badd.outputs[0];
  }
  const e = eps.data[0];
  const affine = weight !== null || bias !== null;
  const layer = last ? new LayerNorm(ns, { eps: e, elementwiseAffine: affine }) : new LayerNorm2d(ns[0], { eps: e, elementwiseAffine: affine });
  const size = prod(ns);
  const params: Record<string, Float32Array> = affine ? { weight: weight ?? new Float32Array(size).fill(1), bias: bias ?? new Float32Array(size) } : {};
  c.addLayer(layer, [x as Act], params, out);
  for (const s of skip) c.skipped.add(s);
  return true;
}

/** The bias of a MatMul's only reader when it is an Add of a constant of `m` values along the last axis; marks the Add skipped. */
export function takeBias(c: Ctx, n: OnnxNode, m: number): { bias: Float32Array; out: string } | null {
  const add = only(c, n.outputs[0], 'Add');
  const b = add ? otherConst(c, add, n.outputs[0]) : null;
  if (!add || !b || b.data.length !== m || b.dims[b.dims.length - 1] !== m) return null;
  c.skipped.add(add);
  return { bias: b.data, out: add.outputs[0] };
}
