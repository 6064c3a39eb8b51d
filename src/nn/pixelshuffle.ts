import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import { Tensor, type Shape } from '../tensor.js';
import {
  pixelShuffleBackward, pixelUnshuffleBackward, preparePixelShuffle, preparePixelUnshuffle, type DepthToSpaceMode,
} from '../ops/pixelshuffle.js';
import { runOnce, type Prepared } from '../ops/prepared.js';
import { intArg, describe } from '../ops/validate.js';
import { attr, type OnnxEmitter } from './lowering.js';

export type { DepthToSpaceMode };

/**
 * What PixelShuffle and PixelUnshuffle share: a factor r, a channel order, and a kernel each way
 * (depth_to_space / space_to_depth), each the other's backward.
 */
abstract class PixelRearrange extends Layer {
  readonly mode: DepthToSpaceMode;
  protected readonly r: number;
  /** True for PixelShuffle (depth → space), false for PixelUnshuffle. */
  protected abstract readonly toSpace: boolean;

  constructor(op: string, factorName: string, factor: number, options: { mode?: DepthToSpaceMode; name?: string }) {
    super(layerName(op, options, ['mode']));
    this.r = intArg(op, factorName, factor, 1, 4096);
    const mode = options?.mode ?? 'CRD';
    if (mode !== 'CRD' && mode !== 'DCR') throw new TypeError(`${op}: mode must be 'CRD' (PyTorch's) or 'DCR' (ONNX's), got ${describe(mode)}`);
    this.mode = mode;
  }

  lower(inputs: readonly Shape[]): Prepared {
    this.outputShape([inputs[0].slice(1)]);
    const p = this.toSpace ? preparePixelShuffle : preparePixelUnshuffle;
    return p(inputs[0], this.r, { mode: this.mode });
  }

  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.xShape = null;
    const y = runOnce(this.lower([x.shape]), [x.ptr], (s) => Tensor.empty(s));
    this.xShape = training ? x.shape : null;
    return y;
  }

  private xShape: Shape | null = null;

  backward(dy: Tensor, needs?: readonly boolean[]): Tensor[] {
    this.gradOf(dy, needs);
    const x = this.xShape;
    if (x === null) throw this.notTrained();
    this.gradLike(dy, [x[0], ...this.outputShape([x.slice(1)])]);
    return [(this.toSpace ? pixelShuffleBackward : pixelUnshuffleBackward)(dy, this.r, { mode: this.mode })];
  }

  release(): void {
    this.xShape = null;
  }
}

/**
 * Rearranges [C·r², H, W] into [C, H·r, W·r], as torch.nn.PixelShuffle(r) (sub-pixel convolution
 * upsampling): y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w] — ONNX DepthToSpace in 'CRD' mode.
 * `mode: 'DCR'` is ONNX's default ordering instead, x[(i·r + j)·C + c, h, w]. Backward: PixelUnshuffle.
 */
export class PixelShuffle extends PixelRearrange {
  static readonly type = 'PixelShuffle';
  readonly type = PixelShuffle.type;
  protected readonly toSpace = true;

  static fromConfig(c: LayerConfig, name: string): PixelShuffle {
    return new PixelShuffle(cfg(c.upscaleFactor), { mode: cfg(c.mode), name });
  }

  constructor(upscaleFactor: number, options: { mode?: DepthToSpaceMode; name?: string } = {}) {
    super('nn.PixelShuffle', 'upscaleFactor', upscaleFactor, options);
  }

  get upscaleFactor(): number {
    return this.r;
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    const r2 = this.r ** 2;
    if (s.length !== 3 || s[0] % r2 !== 0) {
      throw this.shapeError(inputs, `it needs [C·${r2}, H, W] (channels a multiple of upscaleFactor² = ${r2})`);
    }
    return [s[0] / r2, s[1] * this.r, s[2] * this.r];
  }

  toOnnx(e: OnnxEmitter): void {
    e.op('DepthToSpace', [e.inputs[0]], [attr.i('blocksize', this.r), attr.s('mode', this.mode)]);
  }

  config() {
    return { upscaleFactor: this.r, mode: this.mode };
  }
}

/**
 * The inverse of PixelShuffle: [C, H·r, W·r] into [C·r², H, W], as torch.nn.PixelUnshuffle(r):
 * y[c·r² + i·r + j, h, w] = x[c, h·r + i, w·r + j]. `mode: 'DCR'` orders the channels as ONNX
 * SpaceToDepth does, y[(i·r + j)·C + c, h, w]. Backward: PixelShuffle.
 */
export class PixelUnshuffle extends PixelRearrange {
  static readonly type = 'PixelUnshuffle';
  readonly type = PixelUnshuffle.type;
  protected readonly toSpace = false;

  static fromConfig(c: LayerConfig, name: string): PixelUnshuffle {
    return new PixelUnshuffle(cfg(c.downscaleFactor), { mode: cfg(c.mode), name });
  }

  constructor(downscaleFactor: number, options: { mode?: DepthToSpaceMode; name?: string } = {}) {
    super('nn.PixelUnshuffle', 'downscaleFactor', downscaleFactor, options);
  }

  get downscaleFactor(): number {
    return this.r;
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    const r = this.r;
    if (s.length !== 3 || s[1] % r !== 0 || s[2] % r !== 0) {
      throw this.shapeError(inputs, `it needs [C, H, W] with H and W multiples of downscaleFactor = ${r}`);
    }
    return [s[0] * r * r, s[1] / r, s[2] / r];
  }

  /** SpaceToDepth (DCR); PyTorch's order as PyTorch exports it: Reshape → Transpose → Reshape (imported back as one layer). */
  toOnnx(e: OnnxEmitter): void {
    if (this.mode === 'DCR') {
      e.op('SpaceToDepth', [e.inputs[0]], [attr.i('blocksize', this.r)]);
      return;
    }
    const [c, h, w] = e.inputShapes[0], r = this.r;
    const six = e.op('Reshape', [e.inputs[0], e.int64s('split', [0, c, h / r, r, w / r, r])], [], `${e.name}/split`);
    const t = e.op('Transpose', [six], [attr.ints('perm', [0, 1, 3, 5, 2, 4])], `${e.name}/transpose`);
    e.op('Reshape', [t, e.int64s('shape', [0, c * r * r, h / r, w / r])]);
  }

  config() {
    return { downscaleFactor: this.r, mode: this.mode };
  }
}
