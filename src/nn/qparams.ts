// What the quantized layers (QConv2d, QLinear, QAdd, QGlobalAvgPool2d, QuantizeLinear,
// DequantizeLinear) share: their quantization parameters as config values, checked once.
import type { QClamp, QParams } from '../ops/qs8.js';
import { qparamsArg } from '../ops/qs8.js';
import { describe } from '../ops/validate.js';

/** A checked copy of { scale, zeroPoint } (plain JSON for the model file). */
export function qArg(op: string, name: string, v: unknown): QParams {
  const q = qparamsArg(op, name, v);
  return { scale: q.scale, zeroPoint: q.zeroPoint };
}

/** A checked copy of a fused clamp { min?, max? } in real units, or undefined. */
export function clampArg(op: string, v: unknown): QClamp | undefined {
  if (v === undefined || v === null) return undefined;
  const c = v as QClamp;
  if (typeof c !== 'object') throw new TypeError(`${op}: clamp must be { min?, max? }, got ${describe(v)}`);
  for (const k of ['min', 'max'] as const) {
    if (c[k] !== undefined && (typeof c[k] !== 'number' || Number.isNaN(c[k]))) throw new TypeError(`${op}: clamp.${k} must be a number, got ${describe(c[k])}`);
  }
  if (c.min !== undefined && c.max !== undefined && c.min > c.max) throw new RangeError(`${op}: clamp.min ${c.min} is above clamp.max ${c.max}`);
  const out: QClamp = {};
  if (c.min !== undefined && Number.isFinite(c.min)) out.min = c.min;
  if (c.max !== undefined && Number.isFinite(c.max)) out.max = c.max;
  return out;
}
