// pixelShuffle / pixelUnshuffle (F.pixel_shuffle / F.pixel_unshuffle; ONNX DepthToSpace /
// SpaceToDepth): [*, C·r², H, W] ↔ [*, C, H·r, W·r], each the other's inverse and adjoint, so each
// backward is the other op. Mode 'CRD' (PyTorch's channel order, the default) or 'DCR' (ONNX's
// DepthToSpace default and SpaceToDepth's only order). Kernels: assembly/pixelshuffle.ts.
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { paramBlock, prepared, runOnce, type Prepared } from './prepared.js';
import { sizeOf } from './axes.js';
import { enumArg, fmtShape, intArg, knownOptions, rankArg, shapeArg } from './validate.js';

export type DepthToSpaceMode = 'CRD' | 'DCR';

export interface PixelShuffleOptions {
  /** 'CRD' (PyTorch's channel order, default) or 'DCR' (ONNX's DepthToSpace default, SpaceToDepth's order). */
  mode?: DepthToSpaceMode;
}

const RANKS = [3, 4, 5, 6];

/** The space side's geometry: [*, C, H·r, W·r] with depth planes H × W. */
interface Geometry { lead: number[]; c: number; r: number; h: number; w: number; mode: DepthToSpaceMode }

function args(op: string, name: string, factor: unknown, options: unknown): { r: number; mode: DepthToSpaceMode } {
  const r = intArg(op, name, factor, 1, 4096);
  const o = knownOptions(op, options, ['mode']) as PixelShuffleOptions;
  return { r, mode: enumArg<DepthToSpaceMode>(op, 'mode', o.mode, ['CRD', 'DCR'], 'CRD') };
}

/** Geometry from the depth side's shape [*, C·r², H, W]. */
function fromDepth(op: string, s: readonly number[], r: number, mode: DepthToSpaceMode): Geometry {
  const k = s.length;
  if (k < 3) throw new RangeError(`${op}: x ${fmtShape(s)} must be [*, C·r², H, W]`);
  if (s[k - 3] % (r * r) !== 0) throw new RangeError(`${op}: x ${fmtShape(s)} has ${s[k - 3]} channels, not a multiple of r² = ${r * r}`);
  return { lead: s.slice(0, k - 3), c: s[k - 3] / (r * r), r, h: s[k - 2], w: s[k - 1], mode };
}

/** Geometry from the space side's shape [*, C, H·r, W·r]. */
function fromSpace(op: string, s: readonly number[], r: number, mode: DepthToSpaceMode): Geometry {
  const k = s.length;
  if (k < 3) throw new RangeError(`${op}: x ${fmtShape(s)} must be [*, C, H·r, W·r]`);
  if (s[k - 2] % r !== 0 || s[k - 1] % r !== 0) throw new RangeError(`${op}: x ${fmtShape(s)} has H × W = ${s[k - 2]} × ${s[k - 1]}, not multiples of r = ${r}`);
  return { lead: s.slice(0, k - 3), c: s[k - 3], r, h: s[k - 2] / r, w: s[k - 1] / r, mode };
}

const depthShape = (g: Geometry) => [...g.lead, g.c * g.r * g.r, g.h, g.w];
const spaceShape = (g: Geometry) => [...g.lead, g.c, g.h * g.r, g.w * g.r];

function prepareMove(g: Geometry, toSpace: boolean): Prepared {
  const planes = sizeOf(g.lead) * g.c;
  const params = paramBlock([g.c, g.r, g.h, g.w, g.mode === 'DCR' ? 1 : 0]);
  const k = kernels();
  const out = toSpace ? spaceShape(g) : depthShape(g);
  const empty = sizeOf(out) === 0;
  return prepared(out, 0, [params], (ins, y) => {
    if (empty) return;
    if (toSpace) k.depth_to_space_f32_simd(ins[0], y, params, 0, planes);
    else k.space_to_depth_f32_simd(ins[0], y, params, 0, planes);
  });
}

/** pixelShuffle prepared for x of xShape [*, C·r², H, W] → [*, C, H·r, W·r] (kernel depth_to_space_f32_simd). */
export function preparePixelShuffle(xShape: Shape, upscaleFactor: number, options?: PixelShuffleOptions): Prepared {
  const op = 'pixelShuffle';
  const { r, mode } = args(op, 'upscaleFactor', upscaleFactor, options);
  return prepareMove(fromDepth(op, shapeArg(op, 'xShape', xShape), r, mode), true);
}

/** pixelUnshuffle prepared for x of xShape [*, C, H·r, W·r] → [*, C·r², H, W] (kernel space_to_depth_f32_simd). */
export function preparePixelUnshuffle(xShape: Shape, downscaleFactor: number, options?: PixelShuffleOptions): Prepared {
  const op = 'pixelUnshuffle';
  const { r, mode } = args(op, 'downscaleFactor', downscaleFactor, options);
  return prepareMove(fromSpace(op, shapeArg(op, 'xShape', xShape), r, mode), false);
}

/** The eager ops: t (named `name`) moved to the space side (toSpace) or the depth side. */
function move(op: string, name: string, t: unknown, factorName: string, factor: unknown, options: unknown, toSpace: boolean): Tensor {
  const x = rankArg(op, name, t, RANKS, toSpace ? '*, C·r², H, W' : '*, C, H·r, W·r');
  const { r, mode } = args(op, factorName, factor, options);
  const g = toSpace ? fromDepth(op, x.shape, r, mode) : fromSpace(op, x.shape, r, mode);
  return runOnce(prepareMove(g, toSpace), [x.ptr], (s) => Tensor.empty(s));
}

/** y[*, c, h·r + i, w·r + j] = x[*, c·r² + i·r + j, h, w] (F.pixel_shuffle; DCR: x[*, (i·r + j)·C + c, h, w]). */
export function pixelShuffle(x: Tensor, upscaleFactor: number, options?: PixelShuffleOptions): Tensor {
  return move('pixelShuffle', 'x', x, 'upscaleFactor', upscaleFactor, options, true);
}

/** The inverse of pixelShuffle: [*, C, H·r, W·r] → [*, C·r², H, W] (F.pixel_unshuffle; DCR: ONNX SpaceToDepth). */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number, options?: PixelShuffleOptions): Tensor {
  return move('pixelUnshuffle', 'x', x, 'downscaleFactor', downscaleFactor, options, false);
}

/** dx of pixelShuffle given dy [*, C, H·r, W·r]: the pixelUnshuffle of dy (a permutation's adjoint is its inverse). */
export function pixelShuffleBackward(dy: Tensor, upscaleFactor: number, options?: PixelShuffleOptions): Tensor {
  return move('pixelShuffleBackward', 'dy', dy, 'upscaleFactor', upscaleFactor, options, false);
}

/** dx of pixelUnshuffle given dy [*, C·r², H, W]: the pixelShuffle of dy. */
export function pixelUnshuffleBackward(dy: Tensor, downscaleFactor: number, options?: PixelShuffleOptions): Tensor {
  return move('pixelUnshuffleBackward', 'dy', dy, 'downscaleFactor', downscaleFactor, options, true);
}
