// What the convolution's forward (conv2d.ts) and backward (conv2d-backward.ts) share: the checked
// geometry, the tests that pick a schedule (depthwise, pointwise, whole input), and the
// parameter blocks of the im2col / col2im and depthwise kernels.
import { elementCount, fmtShape, intArg } from './validate.js';
import { window2d, type Window2d } from './shape.js';

/** A checked convolution geometry: input [n, c, h, wd], o output channels in `groups` groups. */
export interface ConvGeom {
  n: number; c: number; h: number; wd: number;
  o: number; groups: number; cg: number; og: number;
  g: Window2d;
}

/**
 * Checks an input shape [N, C, H, W] against a weight shape [O, C/groups, kh, kw] and the options
 * (stride, padding, dilation, groups), and resolves the window. xName / wName: the arguments'
 * names in the messages.
 */
export function geometry(op: string, xs: readonly number[], xName: string, ws: readonly number[], wName: string, o: Record<string, unknown>): ConvGeom {
  const groups = intArg(op, 'groups', o.groups ?? 1, 1);
  const [n, c, h, wd] = xs;
  const [oc, cg, kh, kw] = ws;
  if (c < 1 || h < 1 || wd < 1) throw new RangeError(`${op}: ${xName} ${fmtShape(xs)} must have at least one channel, row and column`);
  if (oc < 1 || cg < 1 || kh < 1 || kw < 1) throw new RangeError(`${op}: ${wName} ${fmtShape(ws)} must not have a zero dimension`);
  if (c % groups !== 0) {
    throw new RangeError(`${op}: ${xName} has ${c} channels (shape ${fmtShape(xs)}), which groups = ${groups} does not divide`);
  }
  if (oc % groups !== 0) {
    throw new RangeError(`${op}: ${wName} has ${oc} output channels (shape ${fmtShape(ws)}), which groups = ${groups} does not divide`);
  }
  if (cg * groups !== c) {
    throw new RangeError(
      `${op}: ${wName} ${fmtShape(ws)} expects ${cg} input channels per group × groups ${groups} = ${cg * groups} channels, ` +
        `but ${xName} ${fmtShape(xs)} has ${c}`,
    );
  }
  const g = window2d(op, h, wd, { kernelSize: [kh, kw], stride: o.stride, padding: o.padding, dilation: o.dilation });
  elementCount(op, 'the output', [n, oc, g.oh, g.ow]);
  // the kernels pad an image at a time into scratch: one that wasm memory cannot hold is refused
  // here (a batch of 0 has an empty output but still plans that scratch)
  elementCount(op, 'one padded input image', [c, h + g.padTop + g.padBottom, wd + g.padLeft + g.padRight]);
  return { n, c, h, wd, o: oc, groups, cg, og: oc / groups, g };
}

/** One input channel per group (and more than one group): the direct depthwise kernels. */
export function isDepthwise(p: ConvGeom): boolean {
  return p.cg === 1 && p.groups > 1;
}

/**
 * One group whose single output pixel's window is the whole input, read once in order (no
 * padding or dilation inside it): each image flattened is its im2col column, and the convolution
 * is a dense layer over the batch (LeNet's C5), forward and backward.
 */
export function wholeInput(p: ConvGeom): boolean {
  const { g } = p;
  return p.groups === 1 && g.oh === 1 && g.ow === 1 && g.kh === p.h && g.kw === p.wd && g.dh === 1 && g.dw === 1 &&
    g.padTop === 0 && g.padLeft === 0;
}

/** No padding on any side. */
export function unpadded(g: Window2d): boolean {
  return g.padTop === 0 && g.padLeft === 0 && g.padBottom === 0 && g.padRight === 0;
}

/** 1×1, stride 1, no padding: the input already is the [C, H·W] column matrix. */
export function isPointwise(g: Window2d): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && unpadded(g);
}

/** The depthwise parameter block (see assembly/conv2d.ts): one input channel per group, multiplier og. */
export function depthwiseBlock(p: ConvGeom): number[] {
  const { g } = p;
  return [p.c, p.h, p.wd, p.og, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.oh, g.ow];
}

/** The im2col / col2im parameter block (one group's channels). */
export function im2colBlock(p: ConvGeom): number[] {
  const { g } = p;
  return [p.cg, p.h, p.wd, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padTop, g.padLeft, g.ow];
}

/**
 * Which direct kernel, if any, replaces im2col + GEMM: stride 1 along the width, no padding, not
 * 1×1 (conv2d-pointwise.ts packs x for the GEMM), at most 256 taps per output. 'pixels'
 * (conv2d_f32_s1_4x8_minmax_simd: output columns in the lanes, 8- and 4-column tiles per row) or
 * 'channels' (conv2d_f32_s1_ct_4x8_minmax_simd: output channels in the lanes, 8 per panel), by
 * the share of computed lanes that are real outputs, when that is at least 85% (a row of 10
 * computes 12 in the first: no faster than im2col + GEMM).
 */
export function directConv(p: ConvGeom): 'pixels' | 'channels' | null {
  const { g } = p;
  if (g.sw !== 1 || !unpadded(g) || isPointwise(g)) return null;
  // one accumulator per output sums all K taps: keep K within the GEMM's K chunk (its rounding),
  // and leave long reductions (where im2col costs little per multiply-add) to the GEMM
  if (p.cg * g.kh * g.kw > 256) return null;
  const r = g.ow % 8;
  const pixels = g.ow / (g.ow - r + (r > 4 ? 8 : r > 0 ? 4 : 0));
  const channels = p.og / (Math.ceil(p.og / 8) * 8);
  if (Math.max(pixels, channels) < 0.85) return null;
  return channels > pixels ? 'channels' : 'pixels';
}
