// Transposed 2-D convolution (PyTorch's F.conv_transpose2d, ONNX ConvTranspose). It is the
// convolution's data gradient: a ConvTranspose2d weight [Cin, Cout/groups, kh, kw] is the weight
// [O, C/groups, kh, kw] of the convolution that maps the [N, Cout, OH, OW] output back onto the
// [N, Cin, H, W] input, so the forward runs conv2d-backward.ts's runBackwardData (GEMM Wᵀ·x, then
// col2im) with that geometry and adds the bias after. Backward: dx is that convolution's forward,
// dW its filter gradient with the roles of input and output swapped, db the plane sums.
import { Tensor, viewTensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { fmtShape, intArg, knownOptions, pairArg, rankArg, tensorArg, xShapeArg, shapeArg } from './validate.js';
import { prepared, runOnce, type Prepared } from './prepared.js';
import { geometry, type ConvGeom } from './conv2d-common.js';
import { runBackwardData } from './conv2d-backward.js';
import { conv2d, conv2dBackwardBias, conv2dBackwardFilter, type Conv2dBackwardFilterOptions } from './conv2d.js';

export interface ConvTranspose2dOptions {
  /** A number or [h, w]. Default 1. */
  stride?: number | readonly [number, number];
  /** Removed from the output's borders: a number, [h, w] or [top, left, bottom, right] (ONNX order). Default 0. */
  padding?: number | readonly [number, number] | readonly [number, number, number, number];
  /** Added to the output's bottom and right: a number or [h, w], each < its stride. Default 0. */
  outputPadding?: number | readonly [number, number];
  /** A number or [h, w]. Default 1. */
  dilation?: number | readonly [number, number];
  /** Default 1. */
  groups?: number;
}

const KEYS = ['stride', 'padding', 'outputPadding', 'dilation', 'groups'];

/** The resolved geometry: the convolution whose data gradient this is, and its options. */
export interface TransposeGeom {
  conv: ConvGeom;
  convOptions: { stride: [number, number]; padding: [number, number, number, number]; dilation: [number, number]; groups: number };
  outShape: number[];
}

function padding4(op: string, p: unknown): [number, number, number, number] {
  if (Array.isArray(p) && p.length === 4) return p.map((v, i) => intArg(op, `padding[${i}]`, v, 0)) as [number, number, number, number];
  const [h, w] = pairArg(op, 'padding', p ?? 0, 0);
  return [h, w, h, w];
}

/** Checks x [N, Cin, H, W] against weight [Cin, Cout/groups, kh, kw] and the options. */
export function transposeGeometry(op: string, xs: readonly number[], ws: readonly number[], options: ConvTranspose2dOptions | undefined): TransposeGeom {
  const o = knownOptions(op, options, KEYS);
  const stride = pairArg(op, 'stride', o.stride ?? 1, 1);
  const dilation = pairArg(op, 'dilation', o.dilation ?? 1, 1);
  const groups = intArg(op, 'groups', o.groups ?? 1, 1);
  const padding = padding4(op, o.padding);
  const op2 = pairArg(op, 'outputPadding', o.outputPadding ?? 0, 0);
  if (ws.length !== 4) throw new RangeError(`${op}: weight must be [in, out/groups, kh, kw], got ${fmtShape(ws)}`);
  const [n, cin, h, w] = xs;
  if (ws[0] !== cin) throw new RangeError(`${op}: weight ${fmtShape(ws)} is for ${ws[0]} input channels, x ${fmtShape(xs)} has ${cin}`);
  for (let i = 0; i < 2; i++) {
    if (op2[i] >= stride[i]) {
      throw new RangeError(`${op}: outputPadding ${fmtShape(op2)} must be less than the stride ${fmtShape(stride)} on each axis (outputPadding ≥ stride, allowed by PyTorch when dilation > stride, is not supported)`);
    }
  }
  const size = (len: number, i: number) => (len - 1) * stride[i] - padding[i] - padding[i + 2] + dilation[i] * (ws[2 + i] - 1) + op2[i] + 1;
  const oh = size(h, 0), ow = size(w, 1);
  if (h < 1 || w < 1 || oh < 1 || ow < 1) throw new RangeError(`${op}: x ${fmtShape(xs)} with weight ${fmtShape(ws)} and padding ${fmtShape(padding)} gives an empty output ${oh}×${ow}`);
  const outShape = [n, ws[1] * groups, oh, ow];
  const convOptions = { stride, padding, dilation, groups };
  const conv = geometry(op, outShape, 'the output', ws, 'weight', convOptions);
  if (conv.g.oh !== h || conv.g.ow !== w) throw new Error(`${op}: internal geometry mismatch (${conv.g.oh}×${conv.g.ow} for ${h}×${w})`);
  return { conv, convOptions, outShape };
}

/** The prepared transposed convolution of x [N, Cin, H, W]; weight and bias are bound now. */
export function prepareConvTranspose2d(xShape: Shape, weight: Tensor, bias?: Tensor | null, options?: ConvTranspose2dOptions): Prepared {
  const op = 'convTranspose2d';
  const xs = xShapeArg(op, xShape, [4], 'N, C, H, W');
  const w = rankArg(op, 'weight', weight, 4, 'in, out/groups, kh, kw');
  const t = transposeGeometry(op, xs, w.shape, options);
  const b = bias === undefined || bias === null ? null : tensorArg(op, 'bias', bias);
  const cout = t.outShape[1], plane = t.outShape[2] * t.outShape[3];
  if (b !== null && (b.rank !== 1 || b.shape[0] !== cout)) throw new RangeError(`${op}: bias must be [${cout}], got ${fmtShape(b.shape)}`);
  const k = kernels();
  return prepared(t.outShape, 0, [], (ins, out) => {
    if (xs[0] === 0) return;
    const x = viewTensor(ins[0], xs), y = viewTensor(out, t.outShape);
    try {
      runBackwardData(t.conv, x, w, y);
    } finally {
      x.dispose();
      y.dispose();
    }
    if (b !== null) k.binary_f32_channel_simd(out, b.ptr, out, xs[0], cout, plane, 0);
  });
}

/**
 * y = F.conv_transpose2d(x, weight, bias, stride, padding, outputPadding, groups, dilation):
 * y[n, g·Cout/groups + co, oy·… ] = Σ x[n, ci, iy, ix]·w[ci, co, ki, kj] over ci of group g and the
 * taps with iy·sh − padTop + ki·dh = oy, ix·sw − padLeft + kj·dw = ox, plus bias[co].
 * x [N, Cin, H, W]; weight [Cin, Cout/groups, kh, kw]; output [N, Cout, (H−1)·sh − padTop −
 * padBottom + dh·(kh−1) + outputPadding + 1, …].
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvTranspose2dOptions): Tensor {
  const t = rankArg('convTranspose2d', 'x', x, 4, 'N, C, H, W');
  return runOnce(prepareConvTranspose2d(t.shape, weight, bias, options), [t.ptr], (s) => Tensor.empty(s));
}

/** The checked geometry of a backward call, with dy checked against the forward's output. */
function backwardGeometry(op: string, dy: Tensor, xShape: readonly number[], wShape: readonly number[], options: ConvTranspose2dOptions | undefined): TransposeGeom {
  const d = rankArg(op, 'dy', dy, 4, 'N, Cout, OH, OW');
  const t = transposeGeometry(op, xShapeArg(op, xShape, [4], 'N, C, H, W'), wShape, options);
  if (d.shape.some((v, i) => v !== t.outShape[i])) throw new RangeError(`${op}: dy ${fmtShape(d.shape)} must be the forward output ${fmtShape(t.outShape)}`);
  return t;
}

/** dx [N, Cin, H, W] of convTranspose2d given dy: the convolution conv2d(dy, weight) (no bias). */
export function convTranspose2dBackwardData(dy: Tensor, weight: Tensor, xShape: readonly number[], options?: ConvTranspose2dOptions): Tensor {
  const w = rankArg('convTranspose2dBackwardData', 'weight', weight, 4, 'in, out/groups, kh, kw');
  const t = backwardGeometry('convTranspose2dBackwardData', dy, xShape, w.shape, options);
  return conv2d(dy, w, null, t.convOptions);
}

/** dW [Cin, Cout/groups, kh, kw] (+= into options.accumulateInto): the convolution's filter gradient with dy as its input and x as its output gradient. */
export function convTranspose2dBackwardFilter(
  x: Tensor, dy: Tensor, wShape: readonly number[], options?: ConvTranspose2dOptions & Pick<Conv2dBackwardFilterOptions, 'accumulateInto'>,
): Tensor {
  const op = 'convTranspose2dBackwardFilter';
  const ws = shapeArg(op, 'wShape', wShape);
  if (ws.length !== 4) throw new RangeError(`${op}: wShape must be [in, out/groups, kh, kw], got ${fmtShape(ws)}`);
  const { accumulateInto, ...rest } = options ?? {};
  const xt = rankArg(op, 'x', x, 4, 'N, C, H, W');
  const t = backwardGeometry(op, dy, xt.shape, wShape, rest);
  return conv2dBackwardFilter(dy, xt, wShape, accumulateInto ? { ...t.convOptions, accumulateInto } : t.convOptions);
}

/** db [Cout] (+= into options.accumulateInto): the sums of dy's planes. */
export const convTranspose2dBackwardBias = conv2dBackwardBias;
