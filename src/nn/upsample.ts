import { cfg, layerName, type LayerConfig } from './layer.js';
import { PreparedLayer } from './prepared-layer.js';
import type { Tensor, Shape } from '../tensor.js';
import { interpolateBackward, interpolateSize, interpolateSpec, prepareInterpolate, type InterpolateOptions, type InterpolateSpec } from '../ops/resize.js';
import { perImage, type Prepared } from '../ops/prepared.js';
import { knownOptions } from '../ops/validate.js';
import { attr, type LowerOptions, type OnnxEmitter } from './lowering.js';

export interface UpsampleOptions extends InterpolateOptions {
  name?: string;
}

/**
 * Resizes [C, H, W] images, as torch.nn.Upsample / F.interpolate (modes 'nearest' and 'bilinear',
 * alignCorners, a size or a scale factor used as given for the coordinate map), and ONNX Resize /
 * Upsample through `coordinateMode` and `nearestMode` (see ops.interpolate). Backward: the adjoint.
 */
export class Upsample extends PreparedLayer {
  static readonly type = 'Upsample';
  readonly type = Upsample.type;
  readonly options: InterpolateOptions;
  private readonly spec: InterpolateSpec;

  static fromConfig(c: LayerConfig, name: string): Upsample {
    const o: Record<string, unknown> = { name };
    for (const k of ['size', 'scaleFactor', 'mode', 'alignCorners', 'coordinateMode', 'nearestMode']) if (c[k] !== undefined && c[k] !== null) o[k] = c[k];
    return new Upsample(cfg(o));
  }

  constructor(options: UpsampleOptions) {
    super(layerName('nn.Upsample', options, ['size', 'scaleFactor', 'mode', 'alignCorners', 'coordinateMode', 'nearestMode', 'name']));
    const op = 'nn.Upsample';
    const { name: _name, ...rest } = knownOptions(op, options, ['size', 'scaleFactor', 'mode', 'alignCorners', 'coordinateMode', 'nearestMode', 'name']);
    this.spec = interpolateSpec(op, rest as InterpolateOptions);
    this.options = rest as InterpolateOptions;
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length !== 3) throw this.shapeError(inputs, 'it needs a [C, H, W] image');
    try {
      return [s[0], ...interpolateSize(`layer '${this.name || this.type}'`, this.spec, s[1], s[2])];
    } catch (e) {
      throw this.shapeError(inputs, (e as Error).message);
    }
  }

  lower(inputs: readonly Shape[], options: LowerOptions = {}): Prepared {
    const stride = options.outImageStride;
    if (stride === undefined) return prepareInterpolate(inputs[0], this.spec);
    // image by image into a concat's slices (compile/joins.ts)
    const [n, ...chw] = inputs[0];
    return perImage(prepareInterpolate([1, ...chw], this.spec), n, [chw.reduce((a, b) => a * b, 1)], stride);
  }

  protected gradient(dy: Tensor, xShape: Shape): Tensor {
    return interpolateBackward(dy, xShape, this.spec);
  }

  /** ONNX Resize (opset 11+): scales, or sizes built from the input's Shape (the batch stays dynamic). */
  toOnnx(e: OnnxEmitter): void {
    const s = this.spec;
    if (e.opset < 11) throw e.refuse(`Upsample is written as Resize, which needs opset 11 or later (the file is opset ${e.opset})`);
    const coord = s.coord !== 'pytorch' ? s.coord : s.mode === 'nearest' ? 'asymmetric' : 'pytorch_half_pixel';
    const attrs = [attr.s('mode', s.mode === 'nearest' ? 'nearest' : 'linear'), attr.s('coordinate_transformation_mode', coord)];
    if (s.mode === 'nearest') attrs.push(attr.s('nearest_mode', s.nearest));
    const roi = e.weight('roi', new Float32Array(0), [0]);
    if (s.scale) {
      e.op('Resize', [e.inputs[0], roi, e.weight('scales', new Float32Array([1, 1, ...s.scale]), [4])], attrs);
      return;
    }
    const shape = e.op('Shape', [e.inputs[0]], [], `${e.name}/shape`);
    const nc = e.op('Slice', [shape, e.int64s('starts', [0]), e.int64s('ends', [2])], [], `${e.name}/nc`);
    const sizes = e.op('Concat', [nc, e.int64s('hw', s.size!)], [attr.i('axis', 0)], `${e.name}/sizes`);
    e.op('Resize', [e.inputs[0], roi, '', sizes], attrs);
  }

  config() {
    return { ...this.options };
  }
}
