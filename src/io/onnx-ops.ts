// ONNX operators that become layers: convolution, pooling, dense, normalisation, activations,
// joins. Each handler reads the current node through the import context, maps it to our layers
// (or folds it into the layer before it), and refuses what our layers cannot express, saying why.
import { Conv2d } from '../nn/conv2d.js';
import { Linear } from '../nn/linear.js';
import { MaxPool2d } from '../nn/maxpool2d.js';
import { AvgPool2d } from '../nn/avgpool2d.js';
import { GlobalAvgPool2d } from '../nn/globalavgpool2d.js';
import { ReLU } from '../nn/relu.js';
import { LeakyReLU } from '../nn/leakyrelu.js';
import { Sigmoid } from '../nn/sigmoid.js';
import { Tanh } from '../nn/tanh.js';
import { Softmax } from '../nn/softmax.js';
import { Dropout } from '../nn/dropout.js';
import { LocalResponseNorm } from '../nn/localresponsenorm.js';
import { BatchNorm2d } from '../nn/batchnorm2d.js';
import { Concat } from '../nn/concat.js';
import { Reshape } from '../nn/reshape.js';
import { PixelShuffle } from '../nn/pixelshuffle.js';
import type { Layer } from '../nn/layer.js';
import type { OnnxNode } from './onnx-proto.js';
import { fmt, prod, type Act, type Ctx, type Handler } from './onnx-context.js';
import { SHAPE_HANDLERS, reshapeLayer } from './onnx-shape-ops.js';
import { constConcat, normAxis } from './onnx-const-ops.js';
import { perChannel, withBias } from './onnx-fold.js';
import { ELEMENTWISE_HANDLERS } from './onnx-elementwise-ops.js';
import { TENSOR_HANDLERS } from './onnx-tensor-ops.js';
import { DENSE_HANDLERS } from './onnx-dense-ops.js';
import { QUANT_HANDLERS } from './onnx-quant-ops.js';

/** A pair attribute (strides, dilations) of a 2-D window, default [d, d]. */
function pair(c: Ctx, name: string, d: number): [number, number] {
  const v = c.attrInts(name);
  if (v === undefined) return [d, d];
  if (v.length !== 2) throw c.fail(`${name} ${fmt(v)} must have 2 entries (only 2-D windows are supported)`);
  return [v[0], v[1]];
}

/** [top, left, bottom, right] from auto_pad or pads, for an input of h × w. */
function padsOf(c: Ctx, h: number, w: number, k: [number, number], s: [number, number], d: [number, number]): [number, number, number, number] {
  const auto = c.attrString('auto_pad', 'NOTSET');
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const same = (n: number, i: number) => {
      const total = Math.max((Math.ceil(n / s[i]) - 1) * s[i] + d[i] * (k[i] - 1) + 1 - n, 0);
      const small = Math.floor(total / 2);
      return auto === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    };
    const [t, b] = same(h, 0), [l, r] = same(w, 1);
    return [t, l, b, r];
  }
  if (auto === 'VALID') return [0, 0, 0, 0];
  if (auto !== 'NOTSET') throw c.fail(`auto_pad '${auto}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  const p = c.attrInts('pads') ?? [0, 0, 0, 0];
  if (p.length !== 4) throw c.fail(`pads ${fmt(p)} must have 4 entries [top, left, bottom, right]`);
  if (p.some((x) => x < 0)) throw c.fail(`negative pads ${fmt(p)} (cropping) are not supported`);
  return [p[0], p[1], p[2], p[3]];
}

function image(c: Ctx, x: Act, what = 'the input'): void {
  if (x.shape.length !== 3) throw c.fail(`${what} must be an image [N, C, H, W] (2-D operator); it is [N, ${x.shape.join(', ')}]`);
}

function conv(c: Ctx): void {
  const v = c.input(0);
  let extra: [number, number, number, number] = [0, 0, 0, 0];
  const x = v?.kind === 'padded' ? v.src : c.act(0, 'X');
  if (v?.kind === 'padded') extra = v.pads;
  image(c, x);
  const w = c.konst(1, 'the weight W')!;
  if (w.dims.length !== 4) throw c.fail(`the weight W must be [M, C/group, kH, kW], it is ${fmt(w.dims)}`);
  const [m, cg, kh, kw] = w.dims;
  const group = c.attrInt('group', 1);
  if (group < 1 || cg * group !== x.shape[0]) throw c.fail(`W has ${cg} input channels per group × group ${group}, the input has ${x.shape[0]} channels`);
  const ks = c.attrInts('kernel_shape');
  if (ks !== undefined && (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw)) throw c.fail(`kernel_shape ${fmt(ks)} disagrees with W ${fmt(w.dims)}`);
  const s = pair(c, 'strides', 1), d = pair(c, 'dilations', 1);
  const p = padsOf(c, x.shape[1] + extra[0] + extra[2], x.shape[2] + extra[1] + extra[3], [kh, kw], s, d);
  const pads = p.map((q, i) => q + extra[i]) as [number, number, number, number];
  const b = c.konst(2, 'the bias B', false);
  if (b !== null && b.data.length !== m) throw c.fail(`the bias B has ${b.data.length} values for ${m} output channels`);
  const padding = pads[0] === pads[2] && pads[1] === pads[3] ? [pads[0], pads[1]] as [number, number] : pads;
  const layer = new Conv2d(x.shape[0], m, [kh, kw], { stride: s, dilation: d, groups: group, padding, bias: b !== null });
  c.addLayer(layer, [x], b ? { weight: w.data, bias: b.data } : { weight: w.data });
}

/**
 * Max/average pooling. Our layers pad symmetrically and round like PyTorch; ONNX pads may be
 * asymmetric (exporters emulate ceil_mode that way). Asymmetric pads are accepted when the padded
 * cells never count (max, or average without count_include_pad) and some rounding of the
 * symmetric begin padding gives the same number of windows at the same places.
 */
function pool(c: Ctx, kind: 'max' | 'avg'): void {
  const v = c.input(0);
  const x = v?.kind === 'padded' && kind === 'avg' ? v.src : c.act(0, 'X');
  image(c, x);
  const pre = v?.kind === 'padded' && kind === 'avg' ? v.pads : null; // explicit zeros: they count
  const ks = c.attrInts('kernel_shape');
  if (ks === undefined || ks.length !== 2) throw c.fail(`kernel_shape ${ks ? fmt(ks) : '(missing)'} must have 2 entries`);
  const k: [number, number] = [ks[0], ks[1]];
  const s = pair(c, 'strides', 1), d = pair(c, 'dilations', 1);
  if (c.attrInt('storage_order', 0) !== 0) throw c.fail('storage_order 1 (column-major indices) is not supported');
  c.unusedOutput(1, 'Indices');
  if (kind === 'avg' && (d[0] !== 1 || d[1] !== 1)) throw c.fail(`dilations ${fmt(d)} are not supported for average pooling`);
  const ceil = c.attrInt('ceil_mode', 0) === 1;
  const include = kind === 'avg' && c.attrInt('count_include_pad', 0) === 1;
  const h = x.shape[1] + (pre ? pre[0] + pre[2] : 0), w = x.shape[2] + (pre ? pre[1] + pre[3] : 0);
  const p = padsOf(c, h, w, k, s, d);
  // ONNX's output size; with ceil_mode a last window that would start in the end padding is
  // dropped (the rule PyTorch and onnxruntime follow, written into the ONNX pooling docs since)
  const onnxOut = (n: number, i: number, p0: number, p1: number) => {
    const span = (n + p0 + p1 - (d[i] * (k[i] - 1) + 1)) / s[i];
    const out = (ceil ? Math.ceil(span) : Math.floor(span)) + 1;
    return ceil && (out - 1) * s[i] >= n + p0 ? out - 1 : out;
  };
  const want = [onnxOut(h, 0, p[0], p[2]), onnxOut(w, 1, p[1], p[3])];
  let begin: [number, number] = [p[0], p[1]];
  let countPad = include;
  if (pre) {
    if (pre[0] !== pre[2] || pre[1] !== pre[3]) throw c.fail(`the zero Pad before it is asymmetric ${fmt(pre)}; average pooling pads symmetrically`);
    if (p[0] !== 0 || p[1] !== 0 || (include && (p[2] !== 0 || p[3] !== 0))) {
      throw c.fail(`pads ${fmt(p)} on top of a zero Pad ${fmt(pre)} cannot be expressed`);
    }
    begin = [pre[0], pre[1]];
    countPad = true;
  }
  const symmetric = !pre && p[0] === p[2] && p[1] === p[3];
  if (!symmetric && !pre && include) throw c.fail(`asymmetric pads ${fmt(p)} with count_include_pad cannot be expressed (our pooling pads symmetrically)`);
  const modes = symmetric ? [ceil] : [false, true];
  let last = '';
  for (const ceilMode of modes) {
    let layer: Layer;
    try {
      layer = kind === 'max'
        ? new MaxPool2d(k, { stride: s, padding: begin, dilation: d, ceilMode })
        : new AvgPool2d(k, { stride: s, padding: begin, ceilMode, countIncludePad: countPad });
      const out = layer.outputShape([x.shape]);
      if (out[1] === want[0] && out[2] === want[1]) {
        c.addLayer(layer, [x]);
        return;
      }
      last = `our ${ceilMode ? 'ceil' : 'floor'} rounding gives ${out[1]}×${out[2]} windows, ONNX ${want[0]}×${want[1]}` +
        (pre && ceil ? ' (its last window starts in the zero padding of the Pad node, which PyTorch would drop: an exporter mismatch)' : '');
    } catch (e) {
      last = (e as Error).message;
    }
  }
  throw c.fail(`pads ${fmt(p)}${pre ? ` after a zero Pad ${fmt(pre)}` : ''} with ceil_mode ${ceil ? 1 : 0} cannot be expressed: ${last}`);
}

function gemm(c: Ctx): void {
  const x = c.act(0, 'A');
  if (c.attrInt('transA', 0) !== 0) throw c.fail('transA = 1 (transposing the batch into the features) is not supported');
  if (x.shape.length !== 1) throw c.fail(`A must be [N, K]; it is [N, ${x.shape.join(', ')}] (flatten it first)`);
  const bt = c.konst(1, 'B')!;
  if (bt.dims.length !== 2) throw c.fail(`B must be a matrix, it is ${fmt(bt.dims)}`);
  const transB = c.attrInt('transB', 0) === 1;
  const alpha = c.attrFloat('alpha', 1), beta = c.attrFloat('beta', 1);
  const [kk, nn] = transB ? [bt.dims[1], bt.dims[0]] : bt.dims;
  if (kk !== x.shape[0]) throw c.fail(`A has ${x.shape[0]} features, B${transB ? 'ᵀ' : ''} ${fmt(bt.dims)} expects ${kk}`);
  const wt = new Float32Array(nn * kk);
  for (let o = 0; o < nn; o++) for (let i = 0; i < kk; i++) wt[o * kk + i] = alpha * (transB ? bt.data[o * kk + i] : bt.data[i * nn + o]);
  const cc = c.konst(2, 'C', false);
  let bias: Float32Array | null = null;
  if (cc !== null && beta !== 0) {
    const vec = perChannel(cc, [nn]);
    if (vec === null) throw c.fail(`C ${fmt(cc.dims)} must broadcast as a bias of ${nn} values (per-row C is not supported)`);
    bias = vec.map((v) => v * beta);
  }
  c.addLayer(new Linear(kk, nn, { bias: bias !== null }), [x], bias ? { weight: wt, bias } : { weight: wt });
}

function matmul(c: Ctx): void {
  const x = c.act(0, 'A (the activation)');
  const bt = c.konst(1, 'B')!;
  if (x.shape.length !== 1) throw c.fail(`A must be [N, K] (a batched matrix product over [N, ${x.shape.join(', ')}] is not supported)`);
  if (bt.dims.length !== 2 || bt.dims[0] !== x.shape[0]) throw c.fail(`B ${fmt(bt.dims)} must be [${x.shape[0]}, M]`);
  const [kk, nn] = bt.dims;
  const wt = new Float32Array(nn * kk);
  for (let o = 0; o < nn; o++) for (let i = 0; i < kk; i++) wt[o * kk + i] = bt.data[i * nn + o];
  c.addLayer(new Linear(kk, nn, { bias: false }), [x], { weight: wt });
}

function batchNorm(c: Ctx): void {
  const x = c.act(0, 'X');
  if (c.attrInt('spatial', 1) !== 1) throw c.fail('spatial = 0 (per-element statistics) is not supported');
  if (c.attrInt('training_mode', 0) !== 0) throw c.fail('training_mode = 1 is not supported (export the model in eval mode)');
  for (let i = 1; i < 5; i++) c.unusedOutput(i, 'training statistics');
  const ch = x.shape[0];
  const [scale, bias, mean, variance] = ['scale', 'B', 'mean', 'var'].map((w, i) => {
    const k = c.konst(i + 1, w)!;
    if (k.data.length !== ch) throw c.fail(`${w} has ${k.data.length} values for ${ch} channels`);
    return k.data;
  });
  const eps = c.attrFloat('epsilon', 1e-5);
  const spec = c.foldable(x, 0);
  if (spec && (spec.layer instanceof Conv2d || (spec.layer instanceof Linear && spec.shape.length === 1))) {
    const w = spec.params.weight, b = spec.params.bias ?? new Float32Array(ch);
    const per = w.length / ch;
    const w2 = new Float32Array(w.length), b2 = new Float32Array(ch);
    for (let o = 0; o < ch; o++) {
      const s = scale[o] / Math.sqrt(variance[o] + eps);
      for (let j = 0; j < per; j++) w2[o * per + j] = w[o * per + j] * s;
      b2[o] = (b[o] - mean[o]) * s + bias[o];
    }
    spec.params.weight = w2;
    spec.params.bias = b2;
    c.absorb(spec, withBias(spec.layer));
    return;
  }
  c.addLayer(new BatchNorm2d(ch, { eps }), [x], { weight: scale, bias, runningMean: mean, runningVar: variance });
}

function softmax(c: Ctx, log: boolean): void {
  const x = c.act(0);
  const r = x.shape.length + 1;
  const a = normAxis(c, c.attrInt('axis', c.opset >= 13 ? -1 : 1), r);
  if (a === 0) throw c.fail('a softmax over the batch axis is not supported');
  const tail = x.shape.slice(a);
  const make = () => (log ? new Softmax(a, { log: true }) : new Softmax(a));
  if (c.opset >= 13 || prod(tail) === 1) {
    c.addLayer(make(), [x]);
    return;
  }
  // before opset 13 the input is flattened to [∏ dims < axis, ∏ dims ≥ axis]: softmax over the
  // trailing block, then back
  const out = c.node.outputs[0];
  const flat = c.addLayer(reshapeLayer(x.shape, [...x.shape.slice(0, a - 1), prod(x.shape.slice(a - 1))]), [x], {}, c.fresh(`${out}/flatten`));
  const sm = c.addLayer(make(), [flat], {}, c.fresh(`${out}/softmax`));
  c.addLayer(new Reshape(x.shape), [sm]);
}

function simple(make: (c: Ctx) => Layer): Handler {
  return (c) => {
    c.addLayer(make(c), [c.act(0)]);
  };
}

function lrn(c: Ctx): void {
  const x = c.act(0);
  if (x.shape.length < 1 || x.shape.length > 3) throw c.fail(`the input must be [N, C], [N, C, L] or [N, C, H, W]`);
  const size = c.attrInt('size', 0);
  if (size < 1) throw c.fail(`size ${size} must be a positive integer`);
  const layer = new LocalResponseNorm(size, {
    alpha: c.attrFloat('alpha', 1e-4), beta: c.attrFloat('beta', 0.75), k: c.attrFloat('bias', 1),
    lrnWindow: [Math.floor((size - 1) / 2), Math.ceil((size - 1) / 2)],
  });
  c.addLayer(layer, [x]);
}

function dropout(c: Ctx): void {
  const x = c.act(0);
  c.unusedOutput(1, 'mask');
  let ratio = c.attrFloat('ratio', 0.5);
  if (c.opset >= 12) {
    const r = c.konst(1, 'ratio', false);
    ratio = r ? r.data[0] : 0.5;
    const t = c.konst(2, 'training_mode', false);
    if (t && t.data[0] !== 0) throw c.fail('training_mode = true is not supported');
  }
  if (!(ratio >= 0 && ratio < 1)) throw c.fail(`ratio ${ratio} must be in [0, 1)`);
  c.addLayer(new Dropout(ratio), [x]);
}

function concat(c: Ctx, n: OnnxNode): void {
  const vals = n.inputs.map((_, i) => c.input(i));
  if (vals.every((v) => v?.kind !== 'act')) return void c.set(constConcat(c, n));
  if (vals.some((v) => v?.kind !== 'act')) throw c.fail('concatenating constants with activations is not supported');
  const xs = vals as Act[];
  const a = normAxis(c, c.attrInt('axis', 1), xs[0].shape.length + 1);
  if (a === 0) throw c.fail('concatenating along the batch axis is not supported');
  if (xs.length === 1) return void c.set(xs[0]);
  c.addLayer(new Concat(a), xs);
}

/** DepthToSpace (blocksize, mode DCR or CRD) on an image: a PixelShuffle. */
function depthToSpace(c: Ctx): void {
  const x = c.act(0);
  image(c, x);
  const mode = c.attrString('mode', 'DCR');
  if (mode !== 'DCR' && mode !== 'CRD') throw c.fail(`mode '${mode}' is not DCR or CRD`);
  c.addLayer(new PixelShuffle(c.attrInt('blocksize', 0), { mode }), [x]);
}

export const OPS: Record<string, Handler> = {
  DepthToSpace: depthToSpace,
  Conv: conv,
  MaxPool: (c) => pool(c, 'max'),
  AveragePool: (c) => pool(c, 'avg'),
  GlobalAveragePool: (c) => {
    const x = c.act(0);
    image(c, x);
    c.addLayer(new GlobalAvgPool2d(), [x]);
  },
  Gemm: gemm,
  MatMul: matmul,
  BatchNormalization: batchNorm,
  Relu: simple(() => new ReLU()),
  LeakyRelu: simple((c) => new LeakyReLU(c.attrFloat('alpha', 0.01))),
  Sigmoid: simple(() => new Sigmoid()),
  Tanh: simple(() => new Tanh()),
  Softmax: (c) => softmax(c, false),
  LogSoftmax: (c) => softmax(c, true),
  LRN: lrn,
  Dropout: dropout,
  Concat: concat,
  ...SHAPE_HANDLERS,
  ...ELEMENTWISE_HANDLERS,
  ...TENSOR_HANDLERS,
  ...DENSE_HANDLERS,
  ...QUANT_HANDLERS,
};
