// The layer contract: per-sample shape inference (shapes without the batch dimension), a forward
// pass over batched tensors, parameters, and the arithmetic that summary() reports.
import type { Tensor, Shape } from '../tensor.js';
import { Param, type ParamSpec } from './param.js';
import { mixSeed } from './init.js';

export class ShapeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
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
    this.paramList.forEach((p, i) => p.setSeed(mixSeed(seed, i)));
  }

  protected addParam(spec: ParamSpec): Param {
    const p = new Param(spec);
    this.paramList.push(p);
    return p;
  }

  /** A ShapeError that names this layer. */
  protected shapeError(inputs: readonly Shape[], need: string): ShapeError {
    const got = inputs.map((s) => `[${s.join(', ')}]`).join(' and ');
    return new ShapeError(`layer '${this.name || this.type}' (${this.type}): got input shape ${got} (per sample, without the batch), but ${need}`);
  }

  protected one(inputs: readonly Shape[]): Shape {
    if (inputs.length !== 1) throw this.shapeError(inputs, 'it takes exactly one input');
    return inputs[0];
  }

  dispose(): void {
    for (const p of this.paramList) p.dispose();
  }
}

export const shapeStr = (s: Shape) => `[${s.join(', ')}]`;
