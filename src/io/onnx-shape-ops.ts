// ONNX operators that reshape activations without arithmetic (Reshape, Flatten, Squeeze,
// Unsqueeze, Identity, SpaceToDepth; the channel shuffle and the pixel (un)shuffle written as
// Reshape → Transpose → Reshape fused into one layer) and a zero Pad waiting to be folded into the
// Conv that reads it.
import { Flatten } from '../nn/flatten.js';
import { Reshape } from '../nn/reshape.js';
import type { Layer } from '../nn/layer.js';
import { Permute } from '../nn/permute.js';
import { ChannelShuffle } from '../nn/channelshuffle.js';
import { PixelShuffle, PixelUnshuffle } from '../nn/pixelshuffle.js';
import { fmt, prod, type Act, type Ctx, type Value, type Handler } from './onnx-context.js';
import { ivec, normAxis, CONST_HANDLERS, type Elem } from './onnx-const-ops.js';

/** Axes from the attribute (before `fromOpset`) or input 1. */
function axesOf(c: Ctx, fromOpset: number): number[] | null {
  if (c.opset < fromOpset) return c.attrInts('axes') ?? null;
  const v = c.input(1);
  return v === null ? null : (ivec(c, v, 'axes').elems as number[]);
}

/**
 * The layer that turns per-sample shape `from` into `to`: a Flatten when `to` merges one run of
 * consecutive dimensions (what compiled plans run as an alias), else a Reshape.
 */
export function reshapeLayer(from: readonly number[], to: readonly number[]): Layer {
  for (let a = 0; a < from.length; a++) {
    for (let b = a + 1; b < from.length; b++) {
      const merged = [...from.slice(0, a), prod(from.slice(a, b + 1)), ...from.slice(b + 1)];
      if (fmt(merged) === fmt(to)) return new Flatten(a + 1, b === from.length - 1 ? -1 : b + 1);
    }
  }
  return new Reshape(to);
}

/**
 * PyTorch's channel shuffle, Reshape [C, …] → [g, C/g, …], Transpose of those two, Reshape back
 * to [C, …] (the current node, reading x), when each step is read once: one nn.ChannelShuffle(g).
 */
function fuseShuffle(c: Ctx, x: Act, per: number[]): boolean {
  const t = c.foldable(x, 0);
  if (!(t?.layer instanceof Permute)) return false;
  const d = t.layer.dims;
  if (d.length < 4 || d[1] !== 2 || d[2] !== 1 || d.slice(3).some((p, i) => p !== i + 3)) return false;
  const r = c.specs.find((s) => s.name === t.inputs[0]);
  if (!r || !(r.layer instanceof Reshape || r.layer instanceof Flatten) || !c.usedOnce(r.name)) return false;
  const [g, cg, ...rest] = r.shape;
  if (fmt(per) !== fmt([g * cg, ...rest])) return false;
  // the reshape's input had shape per: the spec it reads (or a graph input) holds it
  const src = c.values.get(r.inputs[0]);
  if (src?.kind !== 'act' || fmt(src.shape) !== fmt(per)) return false;
  c.addLayer(new ChannelShuffle(g), [src]);
  return true;
}

/**
 * The pixel (un)shuffles as Reshape → Transpose → Reshape (PyTorch 1.13 writes pixel_unshuffle so,
 * at every opset; other exporters write DepthToSpace / SpaceToDepth so): the 5-D view of [C, H, W]
 * each makes (f, the factor, read from the view), the batched permutation, and the layer.
 */
const PIXEL_PATTERNS: { perm: number[]; factor: (v: number[]) => number; view: (s: readonly number[], f: number) => number[]; make: (f: number) => Layer }[] = [
  { perm: [0, 1, 3, 5, 2, 4], factor: (v) => v[2], view: (s, f) => [s[0], s[1] / f, f, s[2] / f, f], make: (f) => new PixelUnshuffle(f) },
  { perm: [0, 3, 5, 1, 2, 4], factor: (v) => v[2], view: (s, f) => [s[0], s[1] / f, f, s[2] / f, f], make: (f) => new PixelUnshuffle(f, { mode: 'DCR' }) },
  { perm: [0, 1, 4, 2, 5, 3], factor: (v) => v[1], view: (s, f) => [s[0] / (f * f), f, f, s[1], s[2]], make: (f) => new PixelShuffle(f) },
  { perm: [0, 3, 4, 1, 5, 2], factor: (v) => v[0], view: (s, f) => [f, f, s[0] / (f * f), s[1], s[2]], make: (f) => new PixelShuffle(f, { mode: 'DCR' }) },
];

/** Back from value `name` through Reshape / Flatten layers whose outputs are read once: the first other value. */
function pastReshapes(c: Ctx, name: string): string {
  for (;;) {
    const s = c.usedOnce(name) ? c.specs.find((p) => p.name === name) : undefined;
    if (!s || !(s.layer instanceof Reshape || s.layer instanceof Flatten)) return name;
    name = s.inputs[0];
  }
}

/**
 * [C, H, W] → reshapes to a 5-D view → Transpose → reshapes → this reshape to `per`, each step read
 * once: one PixelShuffle / PixelUnshuffle of [C, H, W]. (PyTorch 1.13 writes pixel_unshuffle of an
 * input it knows the shape of as one Reshape on each side; otherwise as Unsqueeze, two Reshapes,
 * the Transpose, a Reshape and a Squeeze.)
 */
function fusePixelShuffle(c: Ctx, x: Act, per: number[]): boolean {
  if (!c.foldable(x, 0)) return false;
  const pName = pastReshapes(c, x.node);
  const t = c.specs.find((s) => s.name === pName);
  if (!(t?.layer instanceof Permute) || t.layer.dims.length !== 6 || (pName !== x.node && !c.usedOnce(pName))) return false;
  const view = c.values.get(t.inputs[0]), src = c.values.get(pastReshapes(c, t.inputs[0]));
  if (view?.kind !== 'act' || src?.kind !== 'act' || src.shape.length !== 3) return false;
  const dims = t.layer.dims;
  for (const p of PIXEL_PATTERNS) {
    if (fmt(p.perm) !== fmt(dims)) continue;
    const f = p.factor(view.shape);
    if (f < 2 || fmt(p.view(src.shape, f)) !== fmt(view.shape)) continue;
    const layer = p.make(f);
    if (fmt(layer.outputShape([src.shape])) !== fmt(per)) continue;
    c.addLayer(layer, [src]);
    return true;
  }
  return false;
}

/** A reshape of an activation to a per-sample shape (or nothing when it is already that shape). */
function reshapeAct(c: Ctx, x: Act, per: number[]): void {
  if (per.length === 0) throw c.fail('the result would have no per-sample dimensions (only the batch), which is not supported');
  if (fmt(per) === fmt(x.shape)) return void c.set(x);
  if (fuseShuffle(c, x, per) || fusePixelShuffle(c, x, per)) return;
  c.addLayer(reshapeLayer(x.shape, per), [x]);
}

function reshape(c: Ctx): void {
  const v = c.input(0);
  const t = ivec(c, c.input(1), 'the target shape');
  if (t.dims.length !== 1) throw c.fail(`the target shape must be a vector, it is ${fmt(t.dims)}`);
  const allowzero = c.attrInt('allowzero', 0) === 1;
  if (v?.kind === 'const') {
    const dims = t.elems.map((d, i) => (d === 0 && !allowzero ? v.dims[i] : d));
    if (dims.some((d) => typeof d !== 'number' || d === undefined)) throw c.fail('cannot reshape a constant by the batch size');
    const nums = dims as number[];
    const k = nums.indexOf(-1);
    if (k >= 0) nums[k] = v.data.length / prod(nums.filter((_, i) => i !== k));
    if (nums.some((d) => !Number.isInteger(d) || d < 0) || prod(nums) !== v.data.length) throw c.fail(`cannot reshape a constant ${fmt(v.dims)} to ${fmt(t.elems)}`);
    return void c.set({ ...v, dims: nums });
  }
  const x = c.act(0, 'the data');
  const batched: Elem[] = ['N', ...x.shape];
  const r = t.elems.map((d, i) => {
    if (d !== 0 || allowzero) return d;
    if (i >= batched.length) throw c.fail(`target ${fmt(t.elems)} copies dimension ${i} (0), which the input [N, ${x.shape.join(', ')}] lacks`);
    return batched[i];
  });
  if (r.length === 0) throw c.fail('a rank-0 target would drop the batch dimension');
  const [first, ...rest] = r;
  if (rest.includes('N')) throw c.fail(`target ${fmt(t.elems)} moves the batch size away from the first axis`);
  if (rest.some((d) => d === 0 || (typeof d === 'number' && d < -1))) throw c.fail(`target ${fmt(t.elems)} has a zero or invalid size`);
  const per = rest as number[];
  const keepsBatch = first === 'N' || (first === -1 && !per.includes(-1) && prod(per) === prod(x.shape)) ||
    (typeof first === 'number' && first > 0 && first === c.batchHint && (per.includes(-1) || prod(per) === prod(x.shape)));
  if (!keepsBatch) {
    throw c.fail(`target ${fmt(t.elems)} for [N, ${x.shape.join(', ')}] does not keep the batch dimension first (write 0 or -1 there)`);
  }
  const known = prod(per.filter((d) => d !== -1));
  const size = prod(x.shape);
  if (per.includes(-1) ? size % known !== 0 : known !== size) throw c.fail(`[N, ${x.shape.join(', ')}] cannot be reshaped to ${fmt(t.elems)}`);
  reshapeAct(c, x, per.map((d) => (d === -1 ? size / known : d)));
}

/** Flatten's axis for a rank-r input: −r … r, negative counting from the end. */
function flattenAxis(c: Ctx, r: number): number {
  const axis = c.attrInt('axis', 1);
  const a = axis < 0 ? axis + r : axis;
  if (a < 0 || a > r) throw c.fail(`axis ${axis} is out of range for a rank-${r} input (−${r} … ${r})`);
  return a;
}

function flatten(c: Ctx): void {
  const v = c.input(0);
  if (v?.kind === 'const') {
    const a = flattenAxis(c, v.dims.length);
    return void c.set({ ...v, dims: [prod(v.dims.slice(0, a)), prod(v.dims.slice(a))] });
  }
  const x = c.act(0);
  const a = flattenAxis(c, x.shape.length + 1);
  if (a === 0) throw c.fail('axis 0 merges the batch into the features, which is not supported');
  if (prod(x.shape.slice(0, a - 1)) !== 1) throw c.fail(`axis ${a} folds [${x.shape.slice(0, a - 1).join(', ')}] into the batch, which is not supported`);
  reshapeAct(c, x, [prod(x.shape.slice(a - 1))]);
}

function unsqueeze(c: Ctx): void {
  const v = c.input(0);
  const axes = axesOf(c, 13);
  if (axes === null) throw c.fail('axes are missing');
  const base: Elem[] = v?.kind === 'act' ? ['N', ...v.shape] : ivec(c, v, 'the input').dims;
  const r = base.length + axes.length;
  const at = new Set(axes.map((a) => normAxis(c, a, r)));
  if (at.size !== axes.length) throw c.fail(`axes ${fmt(axes)} repeat an axis`);
  const out: Elem[] = [];
  for (let i = 0, k = 0; i < r; i++) out.push(at.has(i) ? 1 : base[k++]);
  if (v?.kind === 'act') {
    if (out[0] !== 'N') throw c.fail('inserting an axis before the batch is not supported');
    return reshapeAct(c, v, out.slice(1) as number[]);
  }
  setDims(c, v!, out as number[]);
}

function squeeze(c: Ctx): void {
  const v = c.input(0);
  const axes = axesOf(c, 13);
  const base: Elem[] = v?.kind === 'act' ? ['N', ...v.shape] : ivec(c, v, 'the input').dims;
  const at = new Set((axes ?? base.map((d, i) => (d === 1 ? i : -1)).filter((i) => i > 0)).map((a) => normAxis(c, a, base.length)));
  for (const a of at) if (base[a] !== 1) throw c.fail(`axis ${a} has size ${base[a]}, not 1`);
  const out = base.filter((_, i) => !at.has(i));
  if (v?.kind === 'act') {
    if (at.has(0)) throw c.fail('squeezing the batch axis is not supported');
    return reshapeAct(c, v, out.slice(1) as number[]);
  }
  setDims(c, v!, out as number[]);
}

function setDims(c: Ctx, v: Value, dims: number[]): void {
  if (v.kind === 'const' || v.kind === 'sym') c.set({ ...v, dims });
  else throw c.fail('the input cannot be reshaped here');
}

/** A Pad node's data, mode, pads (ONNX order: begins, then ends; rank 4 after axes) and constant value. */
export function padArgs(c: Ctx): { x: Act; mode: string; pads: number[]; value: number } {
  const x = c.act(0, 'the data');
  const mode = c.attrString('mode', 'constant');
  let pads: number[], value = 0;
  if (c.opset < 11) {
    pads = c.attrInts('pads') ?? [];
    value = c.attrFloat('value', 0);
  } else {
    pads = ivec(c, c.input(1), 'pads').elems as number[];
    const k = c.konst(2, 'constant_value', false);
    if (k) value = k.data[0] ?? 0;
    if (c.input(3) !== null) {
      const r = x.shape.length + 1;
      const axes = (ivec(c, c.input(3), 'axes').elems as number[]).map((a) => normAxis(c, a, r));
      const full = new Array(2 * r).fill(0);
      axes.forEach((a, i) => { full[a] = pads[i]; full[a + r] = pads[i + axes.length]; });
      if (pads.length !== 2 * axes.length) throw c.fail(`pads ${fmt(pads)} do not match axes ${fmt(axes)}`);
      pads = full;
    }
  }
  return { x, mode, pads, value };
}

/** A zero Pad on H and W of an image, kept pending until a Conv (or AveragePool) absorbs it. */
function pad(c: Ctx): void {
  const { x, mode, pads, value } = padArgs(c);
  if (mode !== 'constant') throw c.fail(`mode '${mode}' is not supported (only zero padding folded into a Conv)`);
  if (x.shape.length !== 3 || pads.length !== 8) throw c.fail(`only [N, C, H, W] inputs with 8 pads are supported (pads ${fmt(pads)})`);
  if (value !== 0) throw c.fail(`padding with ${value} is not supported (only zeros, folded into a Conv)`);
  if (pads[0] || pads[1] || pads[4] || pads[5]) throw c.fail(`pads ${fmt(pads)} pad the batch or channel axis`);
  if (pads.some((p) => p < 0 || !Number.isInteger(p))) throw c.fail(`negative pads ${fmt(pads)} (cropping) are not supported`);
  c.set({ kind: 'padded', src: x, pads: [pads[2], pads[3], pads[6], pads[7]] });
}

/** SpaceToDepth (blocksize; ONNX's channel order is DCR) on an image: a PixelUnshuffle. */
function spaceToDepth(c: Ctx): void {
  const x = c.act(0);
  if (x.shape.length !== 3) throw c.fail(`the input must be an image [N, C, H, W]; it is [N, ${x.shape.join(', ')}]`);
  c.addLayer(new PixelUnshuffle(c.attrInt('blocksize', 0), { mode: 'DCR' }), [x]);
}

export const SHAPE_HANDLERS: Record<string, Handler> = {
  ...CONST_HANDLERS,
  Identity: (c) => {
    const v = c.input(0);
    if (v === null) throw c.fail('the input is missing');
    c.set(v);
  },
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Reshape: reshape,
  Flatten: flatten,
  Pad: pad,
  SpaceToDepth: spaceToDepth,
};
