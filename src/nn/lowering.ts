// What a layer declares about itself for the rooms above nn/: how it lowers into a compiled plan
// (compile/), and how it is written to ONNX (io/). The types live here, below both, so that each
// layer class can implement them beside its forward and backward; compile/ and io/ only call them.
import { viewTensor, type DType, type Shape, type Tensor } from '../tensor.js';
import type { Prepared } from '../ops/prepared.js';
import { prepareCopy } from '../ops/copy.js';

/** An activation fused into the store of the layer before it: y = min(max(y, min), max). */
export interface Clamp {
  min: number;
  max: number;
}

/** A per-channel affine map y = x·scale + shift that the layer before can absorb (batch norm at inference). */
export interface ChannelAffine {
  scale: Float32Array;
  shift: Float32Array;
}

/** Weights with the next layer folded in, owned by the plan (disposed with it). */
export interface Folded {
  weight: Tensor;
  bias: Tensor;
}

/**
 * An activation as the layer before can fuse it (Layer.epilogueAtInference): a clamp (ReLU,
 * ReLU6, Hardtanh: lowered as LowerOptions.clamp, for layers whose `takesClamp` is true), or
 * hardswish / SiLU (lowered as LowerOptions.activation, only for layers whose `takesActivation`
 * is true: Conv2d, which applies it after its clamp, in its store or in place in the same step).
 * min and max are the clamp's bounds (±Infinity for hardswish and SiLU).
 */
export interface Epilogue {
  kind: 'clamp' | 'hardswish' | 'silu';
  min: number;
  max: number;
}

/** What compile() asks of a lowering besides the shapes. */
export interface LowerOptions {
  /** An activation to fuse into the store (only for layers whose `takesClamp` is true). */
  clamp?: Clamp;
  /** Hardswish or SiLU to fuse after the store (only for layers whose `takesActivation` is true). */
  activation?: 'hardswish' | 'silu';
  /** Replacement weights from fold() (batch norm folded into a convolution). */
  folded?: Folded;
  /**
   * Write image n of the output at out + n·outImageStride floats (a slice of a concat's output at
   * batch > 1). A lowering that can do so sets Prepared.outImageStride to the same number; others
   * ignore it, and the plan copies instead.
   */
  outImageStride?: number;
  /** The inputs' element types (int8: a quantized activation; absent: float32), for layers that move either (Slice, Permute, ChannelShuffle). */
  dtypes?: readonly DType[];
}

/** The element type a data-movement layer's lowering moves (Slice, Permute, ChannelShuffle): int8 when its input is, else float32. */
export const movedDtype = (options: LowerOptions): 'float32' | 'int8' => (options.dtypes?.[0] === 'int8' ? 'int8' : 'float32');

/** An ONNX attribute as the writer takes it. */
export type OnnxAttr = { name: string } & ({ i: number } | { f: number } | { ints: readonly number[] } | { floats: readonly number[] } | { s: string });

/**
 * The writer's view of one graph node, handed to Layer.toOnnx(). Value names are node names; the
 * node's own output value is `name`. Helper values (initializers, intermediate outputs) get names
 * prefixed by the node's name.
 */
export interface OnnxEmitter {
  /** The node's name, which is also its output value's name. */
  readonly name: string;
  /** Names of the node's input values. */
  readonly inputs: readonly string[];
  /** The inputs' shapes per sample (without the batch). */
  readonly inputShapes: readonly Shape[];
  /** The inputs' element types (int8: a quantized activation, written as an INT8 tensor). */
  readonly inputDtypes: readonly DType[];
  /** The output's shape per sample. */
  readonly outputShape: Shape;
  /** The opset the file is written for. */
  readonly opset: number;
  /** Adds an operator node; its single output is `out` (default: the node's own name). Returns `out`. */
  op(opType: string, inputs: readonly string[], attrs?: readonly OnnxAttr[], out?: string): string;
  /** Adds a float32 initializer named `<node>.<suffix>`; returns its name. */
  weight(suffix: string, data: Float32Array, dims: readonly number[]): string;
  /** Adds an int64 initializer named `<node>.<suffix>`; returns its name. */
  int64s(suffix: string, values: readonly number[]): string;
  /** Adds an INT8 initializer (quantized weights, zero points) named `<node>.<suffix>`; returns its name. */
  int8s(suffix: string, data: Int8Array, dims: readonly number[]): string;
  /** Adds an INT32 initializer (quantized biases) named `<node>.<suffix>`; returns its name. */
  int32s(suffix: string, data: Int32Array, dims: readonly number[]): string;
  /** The error to throw when this layer (or this configuration of it) has no ONNX form. */
  refuse(why: string): Error;
}

/** Attribute helpers for toOnnx implementations. */
export const attr = {
  i: (name: string, v: number): OnnxAttr => ({ name, i: v }),
  f: (name: string, v: number): OnnxAttr => ({ name, f: v }),
  ints: (name: string, v: readonly number[]): OnnxAttr => ({ name, ints: v }),
  s: (name: string, v: string): OnnxAttr => ({ name, s: v }),
};

/** The shape of a forward-running layer: anything with outputShape and forward. */
interface Forwarding {
  outputShape(inputs: readonly Shape[]): Shape;
  forward(inputs: readonly Tensor[], training: boolean): Tensor;
}

/**
 * The lowering of a layer that declares none: each run wraps the input addresses as tensors,
 * calls the layer's own forward (inference), copies its result into the plan's buffer and frees
 * it. Costs an allocation and a copy per run, which a real lowering avoids.
 */
export function forwardLowering(layer: Forwarding, inputs: readonly Shape[]): Prepared {
  const batch = inputs[0][0];
  const outShape = [batch, ...layer.outputShape(inputs.map((s) => s.slice(1)))];
  const copy = prepareCopy(outShape);
  return {
    outShape,
    scratchBytes: 0,
    run(ins, out) {
      const xs = ins.map((p, i) => viewTensor(p, inputs[i]));
      try {
        const y = layer.forward(xs, false);
        try {
          if (y.size !== copy.outShape.reduce((a, b) => a * b, 1)) {
            throw new RangeError(`compile: the layer's forward returned shape [${y.shape.join(', ')}], but its outputShape() said [${outShape.join(', ')}]`);
          }
          copy.run([y.ptr], out, 0);
        } finally {
          if (!xs.includes(y)) y.dispose();
        }
      } finally {
        for (const x of xs) x.dispose();
      }
    },
    dispose() {},
  };
}
