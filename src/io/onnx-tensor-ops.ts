// ONNX operators on activations that reduce, normalise, reorder or cut tensors: ReduceMean /
// ReduceSum / ReduceMax, GlobalMaxPool, LayerNormalization, Transpose, Slice, Split and MatMul
// (by a constant: a Linear over the last dim; of two activations: nn.MatMul), ArgMax / ArgMin
// (nn.ArgMax / nn.ArgMin: float32 indices). Transpose and Slice
// of constants stay shape arithmetic (onnx-const-ops.ts). Fusions: the decomposed layer norm
// (onnx-fuse.ts) and Transpose → LayerNorm over C → Transpose (ConvNeXt's LayerNorm2d).
import { Reduce, type ReduceOp } from '../nn/reduce.js';
import { GlobalMaxPool2d } from '../nn/globalmaxpool2d.js';
import { LayerNorm } from '../nn/layernorm.js';
import { LayerNorm2d } from '../nn/layernorm2d.js';
import { Permute } from '../nn/permute.js';
import { Slice } from '../nn/slice.js';
import { MatMul } from '../nn/matmul.js';
import { Linear } from '../nn/linear.js';
import { ArgMax, ArgMin } from '../nn/argmax.js';
import type { OnnxNode } from './onnx-proto.js';
import { fmt, prod, type Act, type Ctx, type Handler } from './onnx-context.js';
import { CONST_HANDLERS, ivec, normAxis } from './onnx-const-ops.js';
import { fuseLayerNorm, reduceAxes, takeBias } from './onnx-fuse.js';

function reduce(c: Ctx, n: OnnxNode, op: ReduceOp): void {
  if (op === 'mean' && fuseLayerNorm(c, n)) return;
  const x = c.act(0, 'the data');
  const r = x.shape.length + 1;
  const fromInput = op === 'sum' ? 13 : 18;
  let axes = c.opset < fromInput ? c.attrInts('axes') ?? null : c.input(1) === null ? null : (ivec(c, c.input(1), 'axes').elems as number[]);
  if (c.opset >= fromInput && axes === null && n.inputs[1]) axes = reduceAxes(c, n, fromInput);
  if (axes === null || axes.length === 0) {
    if (c.attrInt('noop_with_empty_axes', 0) === 1) return void c.set(x);
    throw c.fail('reducing over every axis (no axes given) would reduce the batch, which is not supported');
  }
  const at = axes.map((a) => normAxis(c, a, r));
  if (at.includes(0)) throw c.fail(`axes ${fmt(axes)} include the batch axis, which is not supported`);
  c.addLayer(new Reduce(op, at, { keepdim: c.attrInt('keepdims', 1) === 1 }), [x]);
}

function layerNormalization(c: Ctx): void {
  const x = c.act(0, 'X');
  c.unusedOutput(1, 'Mean');
  c.unusedOutput(2, 'InvStdDev');
  const r = x.shape.length + 1;
  const a = normAxis(c, c.attrInt('axis', -1), r);
  if (a === 0) throw c.fail('normalising over the batch axis is not supported');
  const ns = x.shape.slice(a - 1);
  const size = prod(ns);
  const scale = c.konst(1, 'Scale')!;
  const b = c.konst(2, 'B', false);
  if (scale.data.length !== size) throw c.fail(`Scale ${fmt(scale.dims)} must hold ${size} values (the normalised dims ${fmt(ns)})`);
  if (b !== null && b.data.length !== size) throw c.fail(`B ${fmt(b.dims)} must hold ${size} values (the normalised dims ${fmt(ns)})`);
  const layer = new LayerNorm(ns, { eps: c.attrFloat('epsilon', 1e-5) });
  c.addLayer(layer, [x], { weight: scale.data, bias: b ? b.data : new Float32Array(size) });
}

const channelsLast = (r: number) => [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
const channelsFirst = (r: number) => [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Transpose → LayerNorm over the last dim → this Transpose back: one LayerNorm2d. */
function fuseLayerNorm2d(c: Ctx, x: Act, perm: number[]): boolean {
  const r = perm.length;
  if (r < 3 || !same(perm, channelsFirst(r))) return false;
  const ln = c.foldable(x, 0);
  if (!(ln?.layer instanceof LayerNorm) || ln.layer.normalizedShape.length !== 1) return false;
  const pre = c.specs.find((s) => s.name === ln.inputs[0]);
  if (!(pre?.layer instanceof Permute) || !same(pre.layer.dims, channelsLast(r)) || !c.usedOnce(pre.name)) return false;
  const old = ln.layer;
  const out = perm.slice(1).map((p) => x.shape[p - 1]);
  ln.inputs = [...pre.inputs];
  ln.shape = out;
  c.absorb(ln, new LayerNorm2d(old.normalizedShape[0], { eps: old.eps, elementwiseAffine: old.weight !== null }));
  return true;
}

function transpose(c: Ctx): void {
  if (c.input(0)?.kind !== 'act') return CONST_HANDLERS.Transpose(c, c.node);
  const x = c.act(0);
  const r = x.shape.length + 1;
  const perm = c.attrInts('perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  if (perm.length !== r) throw c.fail(`perm ${fmt(perm)} does not permute the ${r} axes of [N, ${x.shape.join(', ')}]`);
  if (perm[0] !== 0) throw c.fail(`perm ${fmt(perm)} moves the batch axis, which is not supported`);
  if (perm.every((p, i) => p === i)) return void c.set(x);
  if (fuseLayerNorm2d(c, x, perm)) return;
  c.addLayer(new Permute(perm), [x]);
}

const BIG = 2 ** 62;

/** One axis of a slice made concrete for a dim of size n: [start, end, step], JSON-safe (no ±2⁶³). */
function concrete(n: number, start: number, end: number, step: number): [number, number, number] {
  let b = start < 0 ? start + n : start, e = end < 0 ? end + n : end;
  if (step > 0) [b, e] = [Math.min(Math.max(b, 0), n), Math.min(Math.max(e, 0), n)];
  else [b, e] = [Math.min(Math.max(b, 0), n - 1), Math.min(Math.max(e, -1), n - 1)];
  // a negative step that runs past element 0 ends at −1, which ONNX would read as "the last"
  return [b, e === -1 ? -n - 1 : e, step];
}

function slice(c: Ctx): void {
  if (c.input(0)?.kind !== 'act') return CONST_HANDLERS.Slice(c, c.node);
  const x = c.act(0);
  const r = x.shape.length + 1;
  const list = (i: number, name: string) => (c.opset < 10 ? c.attrInts(name) ?? null : c.input(i) === null ? null : (ivec(c, c.input(i), name).elems as number[]));
  const starts = list(1, 'starts'), ends = list(2, 'ends');
  if (starts === null || ends === null || starts.length !== ends.length) throw c.fail('starts and ends must be given, of one length');
  const axes = (list(3, 'axes') ?? starts.map((_, i) => i)).map((a) => normAxis(c, a, r));
  const steps = list(4, 'steps') ?? starts.map(() => 1);
  if (steps.length !== starts.length || axes.length !== starts.length) throw c.fail('starts, ends, axes and steps differ in length');
  const st: number[] = [], en: number[] = [], ax: number[] = [], sp: number[] = [];
  axes.forEach((a, i) => {
    if (steps[i] === 0) throw c.fail('a step of 0 is invalid');
    if (a === 0) {
      if (starts[i] === 0 && ends[i] >= BIG && steps[i] === 1) return;
      throw c.fail(`slicing the batch axis (${starts[i]}:${ends[i]}:${steps[i]}) is not supported`);
    }
    const n = x.shape[a - 1];
    const [b, e, s] = concrete(n, starts[i], ends[i], steps[i]);
    if (s === 1 && b === 0 && e === n) return;
    st.push(b); en.push(e); ax.push(a); sp.push(s);
  });
  if (st.length === 0) return void c.set(x);
  c.addLayer(new Slice(st, en, { axes: ax, steps: sp }), [x]);
}

function split(c: Ctx, n: OnnxNode): void {
  const x = c.act(0);
  const a = normAxis(c, c.attrInt('axis', 0), x.shape.length + 1);
  if (a === 0) throw c.fail('splitting the batch axis is not supported');
  const len = x.shape[a - 1];
  const outs = n.outputs.length;
  let sizes = c.opset < 13 ? c.attrInts('split') ?? null : c.input(1) === null ? null : (ivec(c, c.input(1), 'split').elems as number[]);
  if (sizes === null) {
    const k = c.opset >= 18 && c.attr('num_outputs') ? c.attrInt('num_outputs', outs) : outs;
    const each = c.opset >= 18 ? Math.ceil(len / k) : len / k;
    if (!Number.isInteger(each) || each < 1) throw c.fail(`${len} does not split evenly into ${k} parts`);
    sizes = Array.from({ length: k }, (_, i) => Math.min(each, len - i * each));
  }
  if (sizes.length !== outs || sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((p, q) => p + q, 0) !== len) {
    throw c.fail(`sizes ${fmt(sizes)} do not split ${len} into ${outs} outputs`);
  }
  if (outs === 1) return void c.set(x);
  let at = 0;
  sizes.forEach((s, i) => {
    const name = n.outputs[i];
    if (name) c.addLayer(new Slice([at], [at + s], { axes: [a] }), [x], {}, name);
    at += s;
  });
}

function matmul(c: Ctx, n: OnnxNode): void {
  const a = c.input(0), b = c.input(1);
  if (a?.kind === 'act' && b?.kind === 'act') return void c.addLayer(new MatMul(), [a, b]);
  const x = c.act(0, 'A (the activation)');
  const bt = c.konst(1, 'B')!;
  const kk = x.shape[x.shape.length - 1];
  if (bt.dims.length !== 2 || bt.dims[0] !== kk) throw c.fail(`B ${fmt(bt.dims)} must be a [${kk}, M] matrix (a product with a batched constant is not supported)`);
  const m = bt.dims[1];
  const wt = new Float32Array(m * kk);
  for (let o = 0; o < m; o++) for (let i = 0; i < kk; i++) wt[o * kk + i] = bt.data[i * m + o];
  const bias = takeBias(c, n, m);
  c.addLayer(new Linear(kk, m, { bias: bias !== null }), [x], bias ? { weight: wt, bias: bias.bias } : { weight: wt }, bias?.out);
}

/** ArgMax / ArgMin (axis default 0, keepdims default 1, select_last_index from opset 12): float32 indices. */
function argMax(c: Ctx, min: boolean): void {
  const x = c.act(0, 'the data');
  const a = normAxis(c, c.attrInt('axis', 0), x.shape.length + 1);
  if (a === 0) throw c.fail('indices along the batch axis are not supported');
  const options = { keepDim: c.attrInt('keepdims', 1) === 1, selectLastIndex: c.attrInt('select_last_index', 0) === 1 };
  c.addLayer(min ? new ArgMin(a, options) : new ArgMax(a, options), [x]);
}

export const TENSOR_HANDLERS: Record<string, Handler> = {
  ReduceMean: (c, n) => reduce(c, n, 'mean'),
  ReduceSum: (c, n) => reduce(c, n, 'sum'),
  ReduceMax: (c, n) => reduce(c, n, 'max'),
  GlobalMaxPool: (c) => {
    const x = c.act(0);
    if (x.shape.length !== 3) throw c.fail(`the input must be an image [N, C, H, W]; it is [N, ${x.shape.join(', ')}]`);
    c.addLayer(new GlobalMaxPool2d(), [x]);
  },
  LayerNormalization: layerNormalization,
  Transpose: transpose,
  Slice: slice,
  Split: split,
  MatMul: matmul,
  ArgMax: (c) => argMax(c, false),
  ArgMin: (c) => argMax(c, true),
};
