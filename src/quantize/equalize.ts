// Input equalization for quantize(): a convolution or dense layer whose input is a float32 value
// (computed by a layer that stays in float32, e.g. Hardswish, SiLU, a channel gate) and read by it
// alone can take that input per channel scaled, x'[k] = a[k]·x[k] (an f32 Mul by a constant before
// the QuantizeLinear), with its weights divided by the same a[k] on the input-channel axis: the
// same function in exact arithmetic. One per-tensor int8 grid then serves channels whose ranges
// differ by 10× and more (MobileNetV3's classifier hidden vector: two of 1024 channels reach 9 where
// the median peaks at 0.6), as a per-channel activation scale would, at the price of coarser weight
// rows where a[k] is small. Zero stays zero, so zero padding is unchanged: any kernel, any groups.
//
// a[k] = wmax[k]^(1−α) / xmax[k]^α (the form of SmoothQuant, Xiao et al. 2023; wmax[k] the largest
// |weight| reading channel k, xmax[k] the largest |x[k]| seen in calibration). The α is chosen among
// 0.25 and 0.5, or no scaling at all, by the output noise each predicts for this layer:
// Σ_o [ Σ_k,t (w'[o,k,t])² · Δx²/12 + (max |w'[o,·]| / 127)² / 12 · Σ_k,t E[x'[k]²] ], Δx the step of
// the scaled input's int8 grid (activation rounding through the weights, plus weight rounding
// against the input's power). Scaling is used only where it predicts at least 1 dB less noise.
// α = 0.75 and 1 (every channel stretched to the whole grid) measured worse: a channel that stayed
// small in calibration and grows at inference is clipped; for the same reason a value with fewer
// than MIN_VALUES values per channel is left alone. On the trained torchvision models (96 px, 32
// calibration images; bench/README.md "int8 accuracy") it gives EfficientNet-B0 17.7 → 20.9 dB,
// MobileNetV3-Large 31.9 → 34.4, ShuffleNetV2 34.9 → 36.4, but MobileNetV3-Small 27.6 → 26.1:
// quantize()'s option `equalize` is off by default.
import type { ChannelStats } from './calibrate.js';

const ALPHAS = [0.25, 0.5];
/**
 * Values per channel needed to trust its calibrated max: a new value exceeds the largest of n
 * others with probability 1/(n + 1), so a channel stretched to the grid's edge from a few dozen
 * values (a pooled feature vector has one per calibration image) clips at inference, where one
 * grid for all channels has C·n values behind its edge. ShuffleNetV2's classifier input (32 values
 * a channel) lost 8 dB to it; feature maps give samples × positions.
 */
const MIN_VALUES = 1024;
/** Noise ratio a scaling must predict (−1 dB) to be used. */
const GAIN = 10 ** -0.1;

export interface Equalized {
  /** a[k] per input channel. */
  scales: Float32Array;
  /** The weights with input channel k divided by a[k] (a[k] = 0: zero). */
  weight: Float32Array;
  /** The scaled input's range for its int8 grid: its channels' scaled min/max (0 included). */
  range: [number, number];
}

/**
 * The equalization of a layer with weights w [O, C/groups, …taps] reading a value with channel
 * statistics st, or null where no scaling predicts a 1 dB gain.
 */
export function equalize(w: Float32Array, O: number, groups: number, st: ChannelStats): Equalized | null {
  if (st.count < MIN_VALUES) return null;
  const C = st.min.length, per = w.length / O, cg = C / groups, taps = per / cg, og = O / groups;
  if (!Number.isInteger(cg) || !Number.isInteger(taps) || !Number.isInteger(og)) return null;
  const xmax = new Float64Array(C), wmax = new Float64Array(C);
  for (let k = 0; k < C; k++) xmax[k] = Math.max(Math.abs(st.min[k]), Math.abs(st.max[k]));
  const [lo, hi] = scaledRange(st, new Float64Array(C).fill(1));
  if (!(hi > lo) || !xmax.every(Number.isFinite)) return null;
  const ch = inputChannels(O, per, cg, taps, og);
  for (let i = 0; i < w.length; i++) wmax[ch[i]] = Math.max(wmax[ch[i]], Math.abs(w[i]));
  const cost = (a: Float64Array): number => {
    const [l, h] = scaledRange(st, a);
    const dx = (h - l) / 255;
    let total = 0;
    for (let o = 0; o < O; o++) {
      let sw2 = 0, wm = 0, sx2 = 0;
      for (let i = o * per; i < (o + 1) * per; i++) {
        const k = ch[i];
        const v = a[k] === 0 ? 0 : w[i] / a[k];
        sw2 += v * v;
        wm = Math.max(wm, Math.abs(v));
        sx2 += a[k] * a[k] * st.meanSquare[k];
      }
      total += (sw2 * dx * dx) / 12 + ((wm / 127) ** 2 / 12) * sx2;
    }
    return total;
  };
  const none = cost(new Float64Array(C).fill(1));
  let best: Float64Array | null = null, bestCost = none * GAIN;
  for (const alpha of ALPHAS) {
    const a = new Float64Array(C);
    for (let k = 0; k < C; k++) a[k] = xmax[k] > 0 ? wmax[k] ** (1 - alpha) / xmax[k] ** alpha : 1;
    // the scale of a as a whole is free (one grid for all channels): keep its largest at 1
    const top = a.reduce((m, v) => Math.max(m, v), 0);
    if (!(top > 0) || !Number.isFinite(top)) continue;
    for (let k = 0; k < C; k++) a[k] = Math.fround(a[k] / top);
    const c = cost(a);
    if (c < bestCost) { best = a; bestCost = c; }
  }
  if (!best) return null;
  const b = best;
  const weight = Float32Array.from(w, (v, i) => (b[ch[i]] === 0 ? 0 : v / b[ch[i]]));
  // the scaled value's grid spans its channels' scaled min/max, whatever the range method: a cut
  // chosen for the unscaled value (percentile, mse) says nothing of the scaled channels (carried
  // over, it measured 8.7 dB on EfficientNet-B0 where min/max gave 23.6)
  return { scales: Float32Array.from(best), weight, range: scaledRange(st, best) };
}

/** The input channel each weight of w [O, C/groups, …taps] (flat, per = w.length / O a row) reads. */
function inputChannels(O: number, per: number, cg: number, taps: number, og: number): Int32Array {
  const ch = new Int32Array(O * per);
  for (let o = 0; o < O; o++) {
    const k0 = Math.floor(o / og) * cg;
    for (let j = 0; j < per; j++) ch[o * per + j] = k0 + Math.floor(j / taps);
  }
  return ch;
}

/** The range of the value with channel k scaled by a[k]: its scaled min/max, 0 included. */
function scaledRange(st: ChannelStats, a: Float64Array): [number, number] {
  let l = 0, h = 0;
  for (let k = 0; k < a.length; k++) {
    l = Math.min(l, a[k] * st.min[k]);
    h = Math.max(h, a[k] * st.max[k]);
  }
  return [l, h];
}
