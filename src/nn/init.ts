// Seeded weight initialisation: He/Kaiming and Xavier/Glorot, uniform or normal.
import type { Shape } from '../tensor.js';

export type WeightInit = 'kaimingUniform' | 'kaimingNormal' | 'xavierUniform' | 'xavierNormal' | 'zeros' | 'ones';

/** A small, fast, seedable generator (mulberry32) with a Box–Muller normal. */
export class Rng {
  private s: number;
  private spare: number | null = null;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Mixes a seed with indices into a new 32-bit seed (so every parameter gets its own stream). */
export function mixSeed(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** fan_in and fan_out of a weight shape: [out, in, ...kernel] (conv OIHW, dense [out, in]). */
export function fans(shape: Shape): { fanIn: number; fanOut: number } {
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: (shape[1] ?? 1) * receptive, fanOut: shape[0] * receptive };
}

/**
 * Fills a new array for `shape`. Kaiming uses the ReLU gain √2 and fan_in (He et al. 2015);
 * Xavier uses fan_in + fan_out (Glorot & Bengio 2010).
 */
export function initArray(kind: WeightInit, shape: Shape, seed: number, fanShape: Shape = shape): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (kind === 'zeros') return out;
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
