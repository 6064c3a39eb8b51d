import { Layer, cfg, layerName, type LayerConfig } from './layer.js';
import type { OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import type { Tensor, Shape } from '../tensor.js';
import { globalMaxPool2d, globalMaxPool2dBackward, prepareGlobalMaxPool2d } from '../ops/reduce.js';
import { describe, pairArg } from '../ops/validate.js';

/** The maximum over H and W of each channel: [C, H, W] → [C, 1, 1] per sample (ONNX GlobalMaxPool). */
export class GlobalMaxPool2d extends Layer {
  static readonly type: string = 'GlobalMaxPool2d';
  readonly type: string = GlobalMaxPool2d.type;
  static fromConfig(_c: LayerConfig, name: string): GlobalMaxPool2d {
    return new GlobalMaxPool2d({ name });
  }
  constructor(options: { name?: string } = {}) {
    // new.target: AdaptiveMaxPool2d names itself in its options' errors
    super(layerName(`nn.${new.target.type}`, options, []));
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length !== 3) throw this.shapeError(inputs, 'it needs an image [C, H, W]');
    return [s[0], 1, 1];
  }
  private saved: Tensor | null = null;
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const x = this.inputOf(inputs, training);
    this.saved = training ? x : null;
    return globalMaxPool2d(x);
  }
  backward(dy: Tensor, needs?: readonly boolean[]): Tensor[] {
    this.gradOf(dy, needs);
    if (this.saved === null) throw this.notTrained();
    return [globalMaxPool2dBackward(dy, this.saved)];
  }
  release(): void {
    this.saved = null;
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareGlobalMaxPool2d(inputs[0]);
  }
  toOnnx(e: OnnxEmitter): void {
    e.op('GlobalMaxPool', [e.inputs[0]]);
  }
  config(): Record<string, unknown> {
    return {};
  }
}

/** torch.nn.AdaptiveMaxPool2d with output size 1 (the only size supported): GlobalMaxPool2d. */
export class AdaptiveMaxPool2d extends GlobalMaxPool2d {
  static readonly type: string = 'AdaptiveMaxPool2d';
  readonly type: string = AdaptiveMaxPool2d.type;
  static fromConfig(c: LayerConfig, name: string): AdaptiveMaxPool2d {
    return new AdaptiveMaxPool2d(cfg(c.outputSize), { name });
  }
  constructor(outputSize: number | readonly [number, number] = 1, options: { name?: string } = {}) {
    super(options);
    const op = 'nn.AdaptiveMaxPool2d';
    const sz = pairArg(op, 'outputSize', outputSize, 1);
    if (sz[0] !== 1 || sz[1] !== 1) throw new RangeError(`${op}: only outputSize 1 is supported (a global max pool), got ${describe(outputSize)}`);
  }
  config(): Record<string, unknown> {
    return { outputSize: 1 };
  }
}
