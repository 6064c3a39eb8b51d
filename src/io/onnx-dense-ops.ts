// ONNX operators of dense prediction (detection and segmentation heads, U-Nets): Resize and the
// older Upsample → nn.Upsample, ConvTranspose → nn.ConvTranspose2d, and Pad on activations →
// nn.Pad (a zero Pad read only by Conv / AveragePool nodes stays pending, folded into them by
// onnx-shape-ops.ts's handler).
import { Upsample } from '../nn/upsample.js';
import { ConvTranspose2d } from '../nn/convtranspose2d.js';
import { Pad } from '../nn/pad.js';
import type { CoordinateMode, NearestMode } from '../ops/resize.js';
import { fmt, type Act, type Ctx, type Handler } from './onnx-context.js';
import { ivec, normAxis } from './onnx-const-ops.js';
import { SHAPE_HANDLERS, padArgs } from './onnx-shape-ops.js';

function image(c: Ctx, x: Act): void {
  if (x.shape.length !== 3) throw c.fail(`the input must be an image [N, C, H, W]; it is [N, ${x.shape.join(', ')}]`);
}

const COORDS = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'];
const NEAREST = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

/** Scales [1, 1, sh, sw] (or [sh, sw] over axes [2, 3]) → [sh, sw]. */
function hwScales(c: Ctx, s: readonly number[], axes: number[] | null): [number, number] {
  const full = axes ? [1, 1, s[0], s[1]] : s;
  if (full.length !== 4) throw c.fail(`scales ${fmt(s)} must have 4 entries [N, C, H, W]`);
  if (full[0] !== 1 || full[1] !== 1) throw c.fail(`scales ${fmt(s)} resize the batch or channel axis (only H and W can be resized)`);
  if (!(full[2] > 0 && full[3] > 0)) throw c.fail(`scales ${fmt(s)} must be positive`);
  return [full[2], full[3]];
}

/** Resize (opsets 10, 11, 13, 18+) and Upsample (opsets 7–9) on images. */
function resize(c: Ctx, upsample: boolean): void {
  const x = c.act(0, 'X');
  image(c, x);
  let mode = c.attrString('mode', 'nearest');
  if (mode === 'bilinear') mode = 'linear'; // Upsample-7's spelling
  if (mode !== 'nearest' && mode !== 'linear') throw c.fail(`mode '${mode}' is not supported (nearest and linear are)`);
  const legacy = upsample || c.opset < 11;
  let coord = legacy ? 'asymmetric' : c.attrString('coordinate_transformation_mode', 'half_pixel');
  if (coord === 'tf_crop_and_resize') throw c.fail(`coordinate_transformation_mode 'tf_crop_and_resize' (resizing a region of interest) is not supported`);
  if (!COORDS.includes(coord)) throw c.fail(`coordinate_transformation_mode '${coord}' is not supported (${COORDS.join(', ')} are)`);
  const nearest = legacy ? 'floor' : c.attrString('nearest_mode', 'round_prefer_floor');
  if (!NEAREST.includes(nearest)) throw c.fail(`nearest_mode '${nearest}' is not one of ${NEAREST.join(', ')}`);
  if (c.attrInt('antialias', 0) !== 0) throw c.fail('antialias = 1 is not supported');
  const policy = c.attrString('keep_aspect_ratio_policy', 'stretch');
  if (policy !== 'stretch') throw c.fail(`keep_aspect_ratio_policy '${policy}' is not supported (only stretch)`);
  let axes: number[] | null = null;
  const ax = c.attrInts('axes');
  if (ax !== undefined) {
    axes = ax.map((a) => normAxis(c, a, 4));
    if (axes.length !== 2 || axes[0] !== 2 || axes[1] !== 3) throw c.fail(`axes ${fmt(ax)} must be [2, 3] (H and W)`);
  }
  let scale: [number, number] | null = null, size: [number, number] | null = null;
  if (upsample && c.opset < 9) {
    const s = (c.attr('scales')?.floats as number[] | undefined) ?? c.attrInts('scales');
    if (!s) throw c.fail('the scales attribute is missing');
    scale = hwScales(c, s, null);
  } else {
    const at = legacy ? 1 : 2;
    const sc = c.konst(at, 'scales', false);
    if (sc !== null && sc.data.length > 0) scale = hwScales(c, Array.from(sc.data), axes);
    if (!legacy && c.input(3) !== null) {
      if (scale) throw c.fail('both scales and sizes are given');
      const v = ivec(c, c.input(3), 'sizes');
      const e = axes ? ['N', x.shape[0], ...v.elems] : v.elems;
      if (e.length !== 4) throw c.fail(`sizes ${fmt(v.elems)} must have 4 entries [N, C, H, W]`);
      if (e[1] !== x.shape[0]) throw c.fail(`sizes ${fmt(v.elems)} change the channel count ${x.shape[0]}`);
      if (typeof e[2] !== 'number' || typeof e[3] !== 'number') throw c.fail(`sizes ${fmt(v.elems)} must give H and W as numbers`);
      size = [e[2], e[3]];
    }
    if (!scale && !size) throw c.fail('neither scales nor sizes is given');
  }
  if (legacy && mode === 'nearest' && scale && (scale[0] < 1 || scale[1] < 1)) throw c.fail(`downscaling ${fmt(scale)} with the legacy nearest rule is not supported`);
  const layer = new Upsample({
    ...(scale ? { scaleFactor: scale } : { size: size! }),
    mode: mode === 'nearest' ? 'nearest' : 'bilinear',
    coordinateMode: coord as CoordinateMode,
    ...(mode === 'nearest' ? { nearestMode: nearest as NearestMode } : {}),
  });
  c.addLayer(layer, [x]);
}

function pair(c: Ctx, name: string, d: number): [number, number] {
  const v = c.attrInts(name);
  if (v === undefined) return [d, d];
  if (v.length !== 2) throw c.fail(`${name} ${fmt(v)} must have 2 entries (only 2-D transposed convolutions are supported)`);
  return [v[0], v[1]];
}

/** ConvTranspose (2-D): pads, auto_pad, output_padding, output_shape, dilations, group. */
function convTranspose(c: Ctx): void {
  const x = c.act(0, 'X');
  image(c, x);
  const w = c.konst(1, 'the weight W')!;
  if (w.dims.length !== 4) throw c.fail(`the weight W must be [C, M/group, kH, kW], it is ${fmt(w.dims)}`);
  const [cin, mg, kh, kw] = w.dims;
  const group = c.attrInt('group', 1);
  if (cin !== x.shape[0] || group < 1 || cin % group !== 0) throw c.fail(`W ${fmt(w.dims)} with group ${group} does not fit an input of ${x.shape[0]} channels`);
  const ks = c.attrInts('kernel_shape');
  if (ks !== undefined && (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw)) throw c.fail(`kernel_shape ${fmt(ks)} disagrees with W ${fmt(w.dims)}`);
  const s = pair(c, 'strides', 1), d = pair(c, 'dilations', 1);
  const outPad = pair(c, 'output_padding', 0);
  const auto = c.attrString('auto_pad', 'NOTSET');
  const os = c.attrInts('output_shape');
  let pads = [0, 0, 0, 0];
  if (os !== undefined || auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const want = os ? os.slice(-2) : [x.shape[1] * s[0], x.shape[2] * s[1]];
    if (want.length !== 2) throw c.fail(`output_shape ${fmt(os!)} must end with [H, W]`);
    for (let i = 0; i < 2; i++) {
      const total = s[i] * (x.shape[1 + i] - 1) + outPad[i] + (w.dims[2 + i] - 1) * d[i] + 1 - want[i];
      if (total < 0) {
        outPad[i] -= total;
        continue;
      }
      const half = Math.floor(total / 2);
      const [b, e] = auto === 'SAME_UPPER' ? [half, total - half] : [total - half, half];
      pads[i] = b;
      pads[i + 2] = e;
    }
  } else if (auto === 'NOTSET') {
    const p = c.attrInts('pads') ?? [0, 0, 0, 0];
    if (p.length !== 4) throw c.fail(`pads ${fmt(p)} must have 4 entries [top, left, bottom, right]`);
    if (p.some((v) => v < 0)) throw c.fail(`negative pads ${fmt(p)} are not supported`);
    pads = p;
  } else if (auto !== 'VALID') {
    throw c.fail(`auto_pad '${auto}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
  const b = c.konst(2, 'the bias B', false);
  const m = mg * group;
  if (b !== null && b.data.length !== m) throw c.fail(`the bias B has ${b.data.length} values for ${m} output channels`);
  const padding = pads[0] === pads[2] && pads[1] === pads[3] ? [pads[0], pads[1]] as [number, number] : pads as [number, number, number, number];
  let layer: ConvTranspose2d;
  try {
    layer = new ConvTranspose2d(cin, m, [kh, kw], { stride: s, dilation: d, groups: group, padding, outputPadding: outPad, bias: b !== null });
  } catch (e) {
    throw c.fail((e as Error).message);
  }
  c.addLayer(layer, [x], b ? { weight: w.data, bias: b.data } : { weight: w.data });
}

/**
 * Pad on an activation. A zero constant Pad of H and W read only by Conv / AveragePool nodes is
 * left to the fold (onnx-shape-ops.ts); anything else becomes an nn.Pad of the padded dims (any
 * but the batch: the channels too, in every mode).
 */
function pad(c: Ctx): void {
  const { x, mode, pads, value } = padArgs(c);
  const r = x.shape.length + 1;
  if (pads.length !== 2 * r) throw c.fail(`pads ${fmt(pads)} must have ${2 * r} entries for a rank-${r} input`);
  const readers = c.node.outputs[0] ? c.consumers(c.node.outputs[0]) : [];
  const spatialOnly = r === 4 && !pads[0] && !pads[1] && !pads[4] && !pads[5];
  const folds = mode === 'constant' && value === 0 && spatialOnly && readers.length > 0 && readers.every((n) => n.opType === 'Conv' || n.opType === 'AveragePool') &&
    !c.graphOutputs.has(c.node.outputs[0]);
  if (folds) return SHAPE_HANDLERS.Pad(c, c.node);
  if (pads.some((p) => !Number.isInteger(p))) throw c.fail(`pads ${fmt(pads)} must be integers`);
  if (pads.some((p) => p < 0)) throw c.fail(`negative pads ${fmt(pads)} (cropping) are not supported`);
  if (pads[0] !== 0 || pads[r] !== 0) throw c.fail(`pads ${fmt(pads)} pad the batch axis, which is not supported`);
  // F.pad's order: (begin, end) from the last axis back to the first padded one (at least the last two)
  let first = Math.max(1, r - 2);
  for (let a = 1; a < first; a++) {
    if (pads[a] !== 0 || pads[a + r] !== 0) {
      first = a;
      break;
    }
  }
  const torch: number[] = [];
  for (let a = r - 1; a >= first; a--) torch.push(pads[a], pads[a + r]);
  const m = mode === 'edge' ? 'replicate' : mode;
  if (m !== 'constant' && m !== 'reflect' && m !== 'replicate') throw c.fail(`mode '${mode}' is not supported (constant, reflect and edge are)`);
  let layer: Pad;
  try {
    layer = new Pad(torch, m === 'constant' ? { mode: m, value } : { mode: m });
  } catch (e) {
    throw c.fail((e as Error).message);
  }
  c.addLayer(layer, [x]);
}

export const DENSE_HANDLERS: Record<string, Handler> = {
  Resize: (c) => resize(c, false),
  Upsample: (c) => resize(c, true),
  ConvTranspose: convTranspose,
  Pad: pad,
};
