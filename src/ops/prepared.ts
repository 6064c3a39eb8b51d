// A prepared kernel call: everything an op can work out from shapes and options alone (output
// shape, parameter blocks, packed weights, scratch size), done once, so that a compiled plan can
// run the kernel again and again with no validation and no allocation.
import type { Shape } from '../tensor.js';
import { heap } from '../wasm/engine.js';

export interface Prepared {
  /** The output shape (batched). */
  readonly outShape: Shape;
  /** Scratch bytes run() needs at `scratch` (0: none; the address may then be anything). */
  readonly scratchBytes: number;
  /**
   * Runs the kernel(s): `inputs` are the byte addresses of the input tensors in the order the op
   * takes them (parameters such as weights are bound at prepare time), `out` the output's address.
   * No checks: the caller guarantees live, correctly sized buffers.
   */
  run(inputs: readonly number[], out: number, scratch: number): void;
  /** Frees what prepare allocated (parameter blocks, packed weights). */
  dispose(): void;
  /** Which algorithm run() uses, when the op has a choice (conv2d: 'gemm' or 'winograd F(m×m, 3×3)'). */
  readonly algorithm?: string;
  /**
   * Set by concat: run() only copies input t into floats [off_t, off_t + lengths[t]) of each of
   * `outer` rows of the output (off_t = Σ lengths before t), so a plan may have input t written
   * there by its producer instead and keep only the other copies (`without`).
   */
  readonly join?: Join;
  /**
   * Set when a lowering honoured LowerOptions.outImageStride: the output's images (first dim)
   * are this many floats apart, the gaps left untouched.
   */
  readonly outImageStride?: number;
}

/** What a concat step copies where (Prepared.join). */
export interface Join {
  outer: number;
  lengths: readonly number[];
  /** The same step with the copies of `placed` inputs left out (their producers write in place). */
  without(placed: readonly number[]): Prepared;
}

/** A block of i32 parameters in wasm memory, written once; owned by a Prepared. */
export function paramBlock(values: readonly number[]): number {
  const h = heap();
  const ptr = h.alloc(values.length * 4);
  h.i32view().set(values, ptr >>> 2);
  return ptr;
}

/** Frees parameter blocks and other prepare-time allocations. */
export function releaseAll(ptrs: readonly number[]): void {
  const h = heap();
  for (const p of ptrs) if (p > 0) h.release(p);
}

/**
 * Runs a Prepared once the eager way: allocates the output (via `alloc`) and scratch, runs,
 * frees scratch and the Prepared. The eager ops are this wrapper around their prepare functions.
 */
export function runOnce<T>(p: Prepared, inputs: readonly number[], allocOut: (shape: Shape) => T & { ptr: number }): T {
  const h = heap();
  let scratch = 0;
  let y: (T & { ptr: number }) | null = null;
  try {
    y = allocOut(p.outShape);
    if (p.scratchBytes > 0) scratch = h.alloc(p.scratchBytes);
    p.run(inputs, y.ptr, scratch);
    return y;
  } catch (e) {
    // the output is the caller's only once the run succeeded (a failed scratch allocation or run frees it)
    (y as { dispose?: () => void } | null)?.dispose?.();
    throw e;
  } finally {
    if (scratch > 0) h.release(scratch);
    p.dispose();
  }
}

/** A Prepared that frees `owned` (parameter blocks) once, however often dispose() is called. */
export function prepared(outShape: number[], scratchBytes: number, owned: number[], run: Prepared['run']): Prepared {
  let live = true;
  return {
    outShape,
    scratchBytes,
    run,
    dispose() {
      if (live) releaseAll(owned);
      live = false;
    },
  };
}

/** Runs f with a scratch allocator (sizes in floats) whose blocks are all freed afterwards. */
export function withScratch<T>(f: (alloc: (floats: number) => number) => T): T {
  const blocks: number[] = [];
  try {
    return f((floats) => {
      const ptr = heap().alloc(floats * 4);
      blocks.push(ptr);
      return ptr;
    });
  } finally {
    for (const ptr of blocks) heap().release(ptr);
  }
}

/**
 * `one`, prepared for a single image, run for each of n images: image i reads input j at
 * inputs[j] + i·inFloats[j]·4 and writes at out + i·stride·4 (Prepared.outImageStride = stride).
 * For lowerings that honour LowerOptions.outImageStride by running image by image.
 */
export function perImage(one: Prepared, n: number, inFloats: readonly number[], stride: number): Prepared {
  const args = inFloats.map(() => 0);
  return {
    outShape: [n, ...one.outShape.slice(1)],
    scratchBytes: one.scratchBytes,
    outImageStride: stride,
    run(inputs, out, scratch) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < args.length; j++) args[j] = inputs[j] + i * inFloats[j] * 4;
        one.run(args, out + i * stride * 4, scratch);
      }
    },
    dispose() {
      one.dispose();
    },
  };
}
