// The part of a value's range that matters to the activation reading it: an int8 value whose only
// reader is a Hardswish or a Hardsigmoid (run in float32 after dequantizing) needs no grid points
// where that function is constant — Hardswish is 0 below −3, Hardsigmoid min(max(αx + β, 0), 1) is
// constant outside [−β/α, (1 − β)/α] — so the range is cut there, which changes no output and
// makes the step finer. (SiLU, GELU and Sigmoid only tend to their limits: a cut would move every
// clipped value the same way, a bias the next layer adds up over its inputs; they keep min/max.)
import * as nn from '../nn/layers.js';
import type { Layer } from '../nn/layer.js';

/** [lo, hi] narrowed to where `reader` (the value's only reader) is not constant; unchanged for other layers. */
export function activeRange(lo: number, hi: number, reader: Layer): [number, number] {
  if (reader instanceof nn.Hardswish) return [Math.max(lo, -3), hi];
  if (reader instanceof nn.Hardsigmoid && reader.alpha > 0) return [Math.max(lo, -reader.beta / reader.alpha), Math.min(hi, (1 - reader.beta) / reader.alpha)];
  return [lo, hi];
}
