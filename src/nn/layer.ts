// The layer contract: per-sample shape inference (shapes without the batch dimension), a forward
// pass over batched tensors, parameters, and the arithmetic that summary() reports.
import { Tensor, type DType, type Shape } from '../tensor.js';
import { Param, type ParamSpec } from './param.js';
import { mixSeed } from '../random.js';
import type { Prepared } from '../ops/prepared.js';
import { boolArg, describe, fmtShape, numberArg, elementCount, knownOptions, shapesArg, tensorArg, tensorsArg } from '../ops/validate.js';
import { forwardLowering, type ChannelAffine, type Clamp, type Epilogue, type Folded, type LowerOptions, type OnnxEmitter } from './lowering.js';

export class ShapeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

/** A layer's config() as stored in model files: plain JSON values. */
export type LayerConfig = Record<string, unknown>;

/**
 * A config value handed to a constructor as is: model files are untrusted, and the constructors'
 * own argument checks are what stand between a hostile value and the engine.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const cfg = (v: unknown): any => v;

/**
 * Checks a layer constructor's options object (undefined is {}; null, arrays and unknown keys are
 * errors naming `op`) and returns its `name` (a string or undefined), for `super(…)`.
 */
export function layerName(op: string, options: unknown, keys: readonly string[]): string | undefined {
  const o = knownOptions(op, options, keys.includes('name') ? keys : [...keys, 'name']);
  if (o.name !== undefined && typeof o.name !== 'string') throw new TypeError(`${op}: name must be a string, got ${describe(o.name)}`);
  return o.name as string | undefined;
}

export abstract class Layer {
  /** Set by the model that holds the layer (or by the `name` option). */
  name: string;
  abstract readonly type: string;
  /** How many inputs the layer takes: 1, or [min, max] for Add / Concat. */
  readonly inputs: number | readonly [number, number] = 1;
  protected readonly paramList: Param[] = [];

  constructor(name = '') {
    this.name = name;
  }

  /** Output shape (per sample) for the given input shapes (per sample); throws a ShapeError naming the layer. */
  abstract outputShape(inputs: readonly Shape[]): Shape;

  /** The forward pass over batched tensors. Returns a new tensor; inputs are left alone. */
  abstract forward(inputs: readonly Tensor[], training: boolean): Tensor;

  /**
   * The backward pass: given dL/dy for the output of the last forward(…, training = true), returns
   * dL/dx for each input (new tensors the caller owns) and adds parameter gradients into each
   * Param's grad. What forward saved is referenced, not owned: the model keeps those tensors alive.
   * `needs[i]` false says nobody wants input i's gradient (a graph input): a layer may skip that
   * work and return null in its place.
   */
  backward(_dy: Tensor, _needs?: readonly boolean[]): (Tensor | null)[] {
    throw new Error(`layer '${this.name || this.type}' (${this.type}) cannot be trained: it has no backward pass`);
  }

  protected notTrained(): Error {
    return new Error(`layer '${this.name || this.type}' (${this.type}): backward needs a forward pass with training true first`);
  }

  #trainable = true;

  /**
   * Whether training changes this layer (default true). A frozen layer (false) keeps its
   * parameters: they get no gradient (and keep no .grad), and in a training pass it computes as at
   * inference (BatchNorm2d uses and keeps its running statistics, Dropout passes its input
   * through), as Keras does; gradients still flow through it to trainable layers before it.
   */
  get trainable(): boolean {
    return this.#trainable;
  }

  set trainable(v: boolean) {
    if (typeof v !== 'boolean') throw new TypeError(`layer '${this.name || this.type}' (${this.type}): trainable must be true or false, got ${String(v)}`);
    this.#trainable = v;
    for (const p of this.paramList) if (!p.buffer && p.dtype === 'float32') p.trainable = v;
  }

  /** Forgets what the last training forward saved. */
  release(): void {}

  /** Trainable parameters and buffers, in a fixed order. */
  params(): readonly Param[] {
    return this.paramList;
  }

  /** Multiply-adds per sample. */
  macs(_inputs: readonly Shape[], _output: Shape): number {
    return 0;
  }

  /** Warnings for summary(), e.g. a window that drops input rows under floor rounding. */
  notes(_inputs: readonly Shape[]): string[] {
    return [];
  }

  /** The constructor arguments, for model files. */
  abstract config(): Record<string, unknown>;

  /** Seeds every parameter's initialisation from one number. */
  seed(seed: number): void {
    numberArg(this.where('seed'), 'seed', seed);
    this.paramList.forEach((p, i) => p.setSeed(mixSeed(seed, i)));
  }

  /** Adds a parameter; its element count is checked (≤ 2^30) before anything is allocated. */
  protected addParam(spec: ParamSpec): Param {
    elementCount(`nn.${this.type}`, spec.name, spec.shape);
    const p = new Param(spec);
    this.paramList.push(p);
    return p;
  }

  /** A ShapeError that names this layer. */
  protected shapeError(inputs: readonly Shape[], need: string): ShapeError {
    const got = inputs.map((s) => fmtShape(s)).join(' and ');
    return new ShapeError(`layer '${this.name || this.type}' (${this.type}): got input shape ${got} (per sample, without the batch), but ${need}`);
  }

  /** How this layer names itself in argument errors: `layer 'conv1' (Conv2d).forward`. */
  protected where(method: string): string {
    return `layer '${this.name || this.type}' (${this.type}).${method}`;
  }

  /** outputShape's argument: an array of per-sample shapes, as many as the layer takes. */
  protected shapesOf(inputs: unknown): number[][] {
    const [lo, hi] = inputRange(this);
    const s = shapesArg(this.where('outputShape'), 'inputs', inputs, [0, Infinity]);
    if (s.length < lo || s.length > hi) {
      throw this.shapeError(s, lo === hi ? `it takes exactly ${lo === 1 ? 'one' : lo} input${lo === 1 ? '' : 's'}` : `it takes ${lo} … ${hi} inputs`);
    }
    return s;
  }

  protected one(inputs: readonly Shape[]): Shape {
    return this.shapesOf(inputs)[0];
  }

  /** forward's arguments checked: `inputs` an array of live tensors of dtype (float32; int8 for quantized layers), as many as the layer takes, `training` a boolean. */
  protected tensorsOf(inputs: unknown, training: unknown, dtype: DType = 'float32'): Tensor[] {
    boolArg(this.where('forward'), 'training', training, false);
    return tensorsArg(this.where('forward'), 'inputs', inputs, inputRange(this), dtype);
  }

  /** The single input of a one-input layer's forward, checked. */
  protected inputOf(inputs: unknown, training: unknown, dtype: DType = 'float32'): Tensor {
    return this.tensorsOf(inputs, training, dtype)[0];
  }

  /**
   * The input of a layer that passes or moves values unchanged at inference (Flatten, Dropout,
   * Identity; Slice, Permute, ChannelShuffle): float32, or int8 (a quantized model's activations)
   * when training is false.
   */
  protected passInputOf(inputs: unknown, training: unknown): Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : undefined;
    const int8 = training !== true && x instanceof Tensor && !x.disposed && x.dtype === 'int8';
    return this.inputOf(inputs, training, int8 ? 'int8' : 'float32');
  }

  /** backward's arguments checked: dy a live float32 tensor, needs undefined or an array of booleans. */
  protected gradOf(dy: unknown, needs?: unknown): Tensor {
    const op = this.where('backward');
    if (needs !== undefined && (!Array.isArray(needs) || needs.some((b) => typeof b !== 'boolean'))) {
      throw new TypeError(`${op}: needs must be an array of booleans (one per input), got ${describe(needs)}`);
    }
    return tensorArg(op, 'dy', dy);
  }

  /** backward's arguments checked as gradOf does, and dy's shape against `shape`, the forward output's. */
  protected gradLike(dy: unknown, shape: readonly number[], needs?: unknown): Tensor {
    const t = this.gradOf(dy, needs);
    if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(`${this.where('backward')}: dy has shape ${fmtShape(t.shape)} but the forward output had shape ${fmtShape(shape)}; they must match`);
    }
    return t;
  }

  // ── Inference: how the layer lowers into a compiled plan ──────────────────────────────────

  /** True when at inference the output is the input's bytes under another shape (Flatten, Dropout, Reshape, Identity): compile() gives it no step. */
  get isAlias(): boolean {
    return false;
  }

  /**
   * The element type of the output given the inputs' (summary, compile): an alias passes its
   * input's through (so do Slice, Permute and ChannelShuffle), quantized layers say int8,
   * everything else float32.
   */
  outputDtype(inputs: readonly DType[]): DType {
    return this.isAlias ? inputs[0] ?? 'float32' : 'float32';
  }

  /** True when lower() takes `options.clamp`: an activation fused into this layer's store (Conv2d, Linear). */
  get takesClamp(): boolean {
    return false;
  }

  /** This layer as a clamp the layer before it can fuse into its store (ReLU: [0, ∞), ReLU6: [0, 6]), or null. */
  clampAtInference(): Clamp | null {
    return null;
  }

  /** True when lower() takes `options.activation` (hardswish or SiLU after the store: Conv2d). */
  get takesActivation(): boolean {
    return false;
  }

  /**
   * This layer as an epilogue the layer before can fuse (see lowering.ts's Epilogue): its clamp
   * when it has one, else null; Hardswish and SiLU answer with their kind.
   */
  epilogueAtInference(): Epilogue | null {
    const c = this.clampAtInference();
    return c ? { kind: 'clamp', min: c.min, max: c.max } : null;
  }

  /** This layer at inference as a per-channel affine map the layer before can absorb (BatchNorm2d), or null. */
  channelAffine(): ChannelAffine | null {
    return null;
  }

  /** This layer's weights with `next` folded in (a convolution absorbing a batch norm), or null when it cannot. */
  fold(_next: Layer): Folded | null {
    return null;
  }

  /**
   * The Prepared kernel call(s) of this layer at inference, for batched input shapes. A layer
   * that does not override it runs its own forward inside the plan (correct, not allocation-free).
   */
  lower(inputs: readonly Shape[], options: LowerOptions = {}): Prepared {
    if (options.clamp || options.folded) throw new Error(`compile: layer '${this.name || this.type}' (${this.type}) cannot take a fused activation or folded weights`);
    return forwardLowering(this, inputs);
  }

  // ── ONNX ───────────────────────────────────────────────────────────────────────────────────

  /** Writes this layer as ONNX operators. A layer type without an ONNX form refuses (the default). */
  toOnnx(e: OnnxEmitter): void {
    throw e.refuse(`layer type '${this.type}' has no ONNX form (a user-defined layer can give one by overriding toOnnx(emitter))`);
  }

  dispose(): void {
    this.release();
    for (const p of this.paramList) p.dispose();
  }
}

/** How many inputs a layer takes, as [min, max]. */
function inputRange(l: Layer): [number, number] {
  const n = l.inputs;
  return typeof n === 'number' ? [n, n] : [n[0], n[1]];
}

export const shapeStr = (s: Shape) => `[${s.join(', ')}]`;
