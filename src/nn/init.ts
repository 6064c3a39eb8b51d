// Seeded weight initialisation: He/Kaiming and Xavier/Glorot, uniform or normal.
import { Rng } from '../random.js';
import type { Shape } from '../tensor.js';
import { describe, elementCount, enumArg, shapeArg } from '../ops/validate.js';

export { Rng, mixSeed } from '../random.js';

export type WeightInit = 'kaimingUniform' | 'kaimingNormal' | 'xavierUniform' | 'xavierNormal' | 'zeros' | 'ones';

/** Every WeightInit, for argument checks. */
export const WEIGHT_INITS: readonly WeightInit[] = ['kaimingUniform', 'kaimingNormal', 'xavierUniform', 'xavierNormal', 'zeros', 'ones'];

/** fan_in and fan_out of a weight shape: [out, in, ...kernel] (conv OIHW, dense [out, in]). */
export function fans(shape: Shape): { fanIn: number; fanOut: number } {
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: (shape[1] ?? 1) * receptive, fanOut: shape[0] * receptive };
}

/**
 * Fills a new array for `shape` (or `out`, which must have shape's element count: a parameter
 * fills its tensor's memory in place, so a large weight is never built twice). Kaiming uses the ReLU gain √2 and fan_in (He et al. 2015);
 * Xavier uses fan_in + fan_out (Glorot & Bengio 2010).
 */
export function initArray(kind: WeightInit, shape: Shape, seed: number, fanShape: Shape = shape, out?: Float32Array): Float32Array {
  const op = 'initArray';
  enumArg(op, 'kind', kind, WEIGHT_INITS);
  const n = elementCount(op, 'shape', shapeArg(op, 'shape', shape));
  elementCount(op, 'fanShape', shapeArg(op, 'fanShape', fanShape));
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new TypeError(`${op}: seed must be a finite number, got ${describe(seed)}`);
  if (out !== undefined && (!(out instanceof Float32Array) || out.length !== n)) {
    throw new RangeError(`${op}: out must be a Float32Array of ${n} elements (shape's), got ${describe(out)}`);
  }
  out ??= new Float32Array(n);
  if (kind === 'zeros') return out.fill(0);
  if (kind === 'ones') return out.fill(1);
  const { fanIn, fanOut } = fans(fanShape);
  const rng = new Rng(seed);
  let std: number;
  if (kind === 'kaimingUniform' || kind === 'kaimingNormal') std = Math.sqrt(2 / fanIn);
  else std = Math.sqrt(2 / (fanIn + fanOut));
  if (kind === 'kaimingUniform' || kind === 'xavierUniform') {
    const bound = Math.sqrt(3) * std;
    for (let i = 0; i < n; i++) out[i] = (2 * rng.next() - 1) * bound;
  } else {
    for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
  }
  return out;
}
