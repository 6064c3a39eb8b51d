// Reference self-gated activations (float64) and their derivatives.
import { erfcRef } from './unary.js';

const sig = (x: number): number => 1 / (1 + Math.exp(-x));
/** Φ(x) through erfc, so the far left keeps its relative accuracy. */
const cdf = (x: number): number => 0.5 * erfcRef(-x / Math.SQRT2);
const pdf = (x: number): number => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
const BETA = Math.sqrt(2 / Math.PI), KAPPA = 0.044715;
const softplus = (x: number): number => (x > 30 ? x : Math.log1p(Math.exp(x)));

export const siluRef = (x: number): number => x * sig(x);
export const geluRef = (x: number): number => (x === -Infinity ? NaN : x * cdf(x));
export const geluTanhRef = (x: number): number => 0.5 * x * (1 + Math.tanh(BETA * (x + KAPPA * x * x * x)));
export const mishRef = (x: number): number => x * Math.tanh(softplus(x));

export const siluGradRef = (x: number): number => sig(x) * (1 + x * (1 - sig(x)));
export const geluGradRef = (x: number): number => cdf(x) + x * pdf(x);
export function geluTanhGradRef(x: number): number {
  const t = Math.tanh(BETA * (x + KAPPA * x * x * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * BETA * (1 + 3 * KAPPA * x * x);
}
export function mishGradRef(x: number): number {
  const t = Math.tanh(softplus(x));
  return t + x * sig(x) * (1 - t * t);
}
