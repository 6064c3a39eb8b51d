// Axes of layers counted on the batched tensor (as Softmax's `dim`): checked against a per-sample
// shape once the rank is known. The batch axis (0, or −rank) is never one of them.
import type { Shape } from '../tensor.js';
import { describe } from '../ops/validate.js';

/** A list of axis integers from a constructor argument (one integer or an array). */
export function axisList(op: string, name: string, v: unknown): number[] {
  const list = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(list) || list.some((a) => typeof a !== 'number' || !Number.isInteger(a))) {
    throw new TypeError(`${op}: ${name} must be an integer or an array of integers (axes of the batched tensor), got ${describe(v)}`);
  }
  return list.slice();
}

/**
 * The axes normalised to 1 … rank − 1 of the batched tensor whose per-sample shape is `shape`, or
 * a message saying why they do not fit.
 */
export function batchedAxes(axes: readonly number[], shape: Shape): number[] | string {
  const rank = shape.length + 1;
  const out: number[] = [];
  for (const a of axes) {
    const d = a < 0 ? a + rank : a;
    if (d < 1 || d >= rank) return `axis ${a} must name a non-batch axis of the batched rank-${rank} tensor (1 … ${rank - 1}, or −${rank - 1} … −1)`;
    if (out.includes(d)) return `axes [${axes.join(', ')}] name axis ${d} twice`;
    out.push(d);
  }
  return out.sort((x, y) => x - y);
}
