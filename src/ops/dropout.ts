// Inverted dropout (PyTorch's F.dropout): in training each element is kept with probability
// 1 − p and scaled by 1/(1 − p), otherwise zeroed; at inference it is the identity (a copy).
// Element i's keep decision is a pure function of (seed, i), a counter-based hash computed in the
// kernel, so the same seed always gives the same mask and a backward pass can regenerate it:
// dx = dropout(dy, p, { seed }) with the forward seed, or dy·mask with dropoutWithMask's mask.
import { Tensor, checkShape, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { type Prepared, runOnce } from './prepared.js';
import { describe, knownOptions, tensorArg } from './validate.js';

export interface DropoutOptions {
  /** Drop elements (default true); false returns a copy of x. */
  training?: boolean;
  /**
   * An integer in [0, 2^32). Omitted: the next value of a module-level counter whose start is
   * drawn from Math.random when this module loads (see dropoutSeed()), so every call differs.
   */
  seed?: number;
}

export interface DropoutWithMaskOptions {
  seed?: number;
}

export interface DropoutWithMask {
  /** x·mask. */
  output: Tensor;
  /** Same shape as x: 1/(1 − p) where the element was kept, 0 where it was dropped. */
  mask: Tensor;
  /** The seed that produced the mask. */
  seed: number;
}

let counter = Math.floor(Math.random() * 2 ** 32) >>> 0;

/**
 * The seed the next dropout call without `seed` would use, consumed: consecutive values of a
 * counter started from Math.random. A layer that wants to regenerate its mask in backward draws
 * one here and passes it to dropout explicitly.
 */
export function dropoutSeed(): number {
  const s = counter;
  counter = (counter + 1) >>> 0;
  return s;
}

function pArg(op: string, p: unknown): number {
  if (typeof p !== 'number' || Number.isNaN(p) || p < 0 || p > 1) {
    throw new RangeError(`${op}: p must be a probability in [0, 1], got ${describe(p)}`);
  }
  return p;
}

function seedArg(op: string, seed: unknown): number {
  if (seed === undefined) return dropoutSeed();
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`${op}: seed must be an integer in [0, 4294967295], got ${describe(seed)}`);
  }
  return seed;
}

/** The kernel's u32 threshold and scale for p: kept iff hash ≥ threshold. */
function keepRule(p: number): { threshold: number; scale: number } {
  // p = 1: threshold 0 keeps every element with scale 0, i.e. y = x·0
  if (p === 1) return { threshold: 0, scale: 0 };
  return { threshold: Math.min(Math.round(p * 2 ** 32), 0xffffffff), scale: 1 / (1 - p) };
}

/**
 * dropout prepared for x of xShape (p and options as dropout): inputs [x]; output of xShape.
 * The seed is fixed when preparing (options.seed, or one drawn from dropoutSeed() when omitted
 * in training with p > 0), so every run applies the same mask; p = 0 or training = false is a
 * copy. In place allowed (out === x): the kernel loads each vector before storing it.
 */
export function prepareDropout(xShape: Shape, p = 0.5, options: DropoutOptions = {}): Prepared {
  const op = 'dropout';
  if (!Array.isArray(xShape)) throw new TypeError(`${op}: xShape must be an array of non-negative integers, got ${describe(xShape)}`);
  const n = checkShape(xShape, `${op}: xShape`);
  const outShape: number[] = xShape.slice();
  const pp = pArg(op, p);
  const o = knownOptions(op, options, ['training', 'seed']);
  const training = o.training ?? true;
  if (typeof training !== 'boolean') throw new TypeError(`${op}: training must be a boolean, got ${describe(training)}`);
  const seed = training && pp > 0 ? seedArg(op, o.seed) : o.seed === undefined ? 0 : seedArg(op, o.seed);
  let run: (x: number, y: number) => void;
  if (!training || pp === 0) {
    run = (x, y) => kernels().copy_f32_simd(x, y, n);
  } else {
    const { threshold, scale } = keepRule(pp);
    run = (x, y) => kernels().dropout_f32_simd(x, y, 0, n, threshold, scale, seed);
  }
  return {
    outShape,
    scratchBytes: 0,
    run(inputs, out) {
      if (n > 0) run(inputs[0], out);
    },
    dispose() {},
  };
}

/**
 * Inverted dropout: y = x·m with m = 1/(1 − p) (kept, probability 1 − p) or 0 (dropped).
 * p = 0 or training = false returns a copy; p = 1 gives all zeros. A dropped NaN or ±Infinity
 * becomes NaN (x·0), as in PyTorch.
 */
export function dropout(x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor {
  const t = tensorArg('dropout', 'x', x);
  return runOnce(prepareDropout(t.shape, p, options), [t.ptr], (s) => Tensor.empty(s));
}

/**
 * Training-time dropout that also returns its mask (f32, 0 or 1/(1 − p)) and seed, for a
 * backward pass dx = dy·mask. Same numbers as dropout(x, p, { seed }).
 */
export function dropoutWithMask(x: Tensor, p = 0.5, options: DropoutWithMaskOptions = {}): DropoutWithMask {
  const op = 'dropoutWithMask';
  const t = tensorArg(op, 'x', x);
  const pp = pArg(op, p);
  const o = knownOptions(op, options, ['seed']);
  const seed = seedArg(op, o.seed);
  const { threshold, scale } = keepRule(pp);
  const output = Tensor.empty(t.shape);
  const mask = Tensor.empty(t.shape);
  if (t.size > 0) kernels().dropout_f32_mask_simd(t.ptr, output.ptr, mask.ptr, 0, t.size, threshold, scale, seed);
  return { output, mask, seed };
}

export interface DropoutBackwardOptions {
  /** The seed of the forward call: the mask is regenerated from it (the same hash). */
  seed?: number;
  /** The mask from dropoutWithMask (0 or 1/(1 − p) per element): dx = dy·mask. */
  mask?: Tensor;
}

/**
 * dropout's gradient: dx = dy·m with the forward mask m (0 or 1/(1 − p)). Give exactly one of
 * `seed` (the forward seed; the mask is regenerated, p must be the forward p) or `mask` (from
 * dropoutWithMask, shape of dy). p = 0 gives a copy of dy.
 */
export function dropoutBackward(dy: Tensor, p: number, options: DropoutBackwardOptions): Tensor {
  const op = 'dropoutBackward';
  const d = tensorArg(op, 'dy', dy);
  const pp = pArg(op, p);
  const o = knownOptions(op, options, ['seed', 'mask']);
  const hasSeed = o.seed !== undefined, hasMask = o.mask !== undefined;
  if (hasSeed === hasMask) {
    throw new TypeError(`${op}: give exactly one of options.seed (the forward seed) or options.mask (from dropoutWithMask), got ${hasSeed ? 'both' : 'neither'}`);
  }
  let mask: Tensor | null = null;
  let seed = 0;
  if (hasMask) {
    mask = tensorArg(op, 'mask', o.mask);
    if (mask.rank !== d.rank || mask.shape.some((v, i) => v !== d.shape[i])) {
      throw new RangeError(`${op}: mask has shape [${mask.shape.join(', ')}] but dy has shape [${d.shape.join(', ')}]; they must match`);
    }
  } else {
    seed = seedArg(op, o.seed);
  }
  const dx = Tensor.empty(d.shape);
  if (d.size === 0) return dx;
  const k = kernels();
  if (mask !== null) k.mul_f32_simd(d.ptr, mask.ptr, dx.ptr, d.size);
  else if (pp === 0) k.copy_f32_simd(d.ptr, dx.ptr, d.size);
  else {
    const { threshold, scale } = keepRule(pp);
    k.dropout_f32_simd(d.ptr, dx.ptr, 0, d.size, threshold, scale, seed);
  }
  return dx;
}
