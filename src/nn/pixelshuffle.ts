import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import { Tensor, type Shape } from '../tensor.js';
import { prepareTranspose } from '../ops/transpose.js';
import { runOnce, type Prepared } from '../ops/prepared.js';
import { intArg, describe } from '../ops/validate.js';
import { attr, type OnnxEmitter } from './lowering.js';

export type DepthToSpaceMode = 'CRD' | 'DCR';

/**
 * Rearranges [C·r², H, W] into [C, H·r, W·r], as torch.nn.PixelShuffle(r) (sub-pixel convolution
 * upsampling): y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w] — ONNX DepthToSpace in 'CRD' mode.
 * `mode: 'DCR'` is ONNX's default ordering instead, x[(i·r + j)·C + c, h, w]. One transpose of the
 * 6-D view; backward is the inverse transpose (PixelUnshuffle).
 */
export class PixelShuffle extends Layer {
  static readonly type = 'PixelShuffle';
  readonly type = PixelShuffle.type;
  readonly upscaleFactor: number;
  readonly mode: DepthToSpaceMode;

  static fromConfig(c: LayerConfig, name: string): PixelShuffle {
    return new PixelShuffle(cfg(c.upscaleFactor), { mode: cfg(c.mode), name });
  }

  constructor(upscaleFactor: number, options: { mode?: DepthToSpaceMode; name?: string } = {}) {
    const op = 'nn.PixelShuffle';
    super(layerName(op, options, ['mode']));
    this.upscaleFactor = intArg(op, 'upscaleFactor', upscaleFactor, 1);
    if (this.upscaleFactor > 4096) throw new RangeError(`${op}: upscaleFactor must be at most 4096, got ${upscaleFactor}`);
    const mode = options?.mode ?? 'CRD';
    if (mode !== 'CRD' && mode !== 'DCR') throw new TypeError(`${op}: mode must be 'CRD' (PyTorch's) or 'DCR' (ONNX's default), got ${describe(mode)}`);
    this.mode = mode;
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    const r2 = this.upscaleFactor ** 2;
    if (s.length !== 3 || s[0] % r2 !== 0) {
      throw this.shapeError(inputs, `it needs [C·${r2}, H, W] (channels a multiple of upscaleFactor² = ${r2})`);
    }
    return [s[0] / r2, s[1] * this.upscaleFactor, s[2] * this.upscaleFactor];
  }

  /** The 6-D view of the input and the permutation that makes the output (and its inverse). */
  private plan(x: Shape): { view: number[]; perm: number[]; inverse: number[] } {
    const [n, cr, h, w] = x;
    const r = this.upscaleFactor, c = cr / (r * r);
    return this.mode === 'CRD'
      ? { view: [n, c, r, r, h, w], perm: [0, 1, 4, 2, 5, 3], inverse: [0, 1, 3, 5, 2, 4] }
      : { view: [n, r, r, c, h, w], perm: [0, 3, 4, 1, 5, 2], inverse: [0, 3, 5, 1, 2, 4] };
  }

  lower(inputs: readonly Shape[]): Prepared {
    const x = inputs[0];
    const out = [x[0], ...this.outputShape([x.slice(1)])];
    const { view, perm } = this.plan(x);
    const t = prepareTranspose(view, perm);
    return { outShape: out, scratchBytes: t.scratchBytes, run: (ins, y, s) => t.run(ins, y, s), dispose: () => t.dispose() };
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
    const { view, perm, inverse } = this.plan(x);
    const t = prepareTranspose(perm.map((p) => view[p]), inverse);
    const p: Prepared = { outShape: x, scratchBytes: t.scratchBytes, run: (ins, y, s) => t.run(ins, y, s), dispose: () => t.dispose() };
    return [runOnce(p, [dy.ptr], (s) => Tensor.empty(s))];
  }

  release(): void {
    this.xShape = null;
  }

  toOnnx(e: OnnxEmitter): void {
    e.op('DepthToSpace', [e.inputs[0]], [attr.i('blocksize', this.upscaleFactor), attr.s('mode', this.mode)]);
  }

  config() {
    return { upscaleFactor: this.upscaleFactor, mode: this.mode };
  }
}
