// Calibration for quantize(): the f32 model runs over the calibration batches keeping every node's
// output, and each value's range is recorded: min/max over all batches ('minmax'), a percentile of
// a strided sample of the values (at most SAMPLE values per value and batch: 'percentile'), or the
// range among min/max shrunk by a factor in (0, 1] whose int8 grid gives the sample the least mean
// squared quantization error, clipping included ('mse').
import { Tensor } from '../tensor.js';
import type { Graph } from '../graph/graph.js';
import { indexSelect } from '../ops/gather.js';
import { chooseQParams } from '../ops/qs8.js';
import { describe } from '../ops/validate.js';

export type RangeMethod = 'minmax' | 'percentile' | 'mse';

const SAMPLE = 1 << 16;

/** What calibrate() measures of every graph input and node output, by name. */
export interface Calibration {
  /** [lo, hi] by the range method. */
  ranges: Map<string, [number, number]>;
  /** The mean of each channel (dimension 1) over the calibration samples and positions. */
  means: Map<string, Float64Array>;
  /** Each channel's (dimension 1's) min, max and mean square over the samples and positions. */
  channels: Map<string, ChannelStats>;
}

/** Per-channel statistics of a value [N, C, …]. */
export interface ChannelStats {
  min: Float64Array;
  max: Float64Array;
  meanSquare: Float64Array;
  /** Values seen per channel (samples × positions). */
  count: number;
}

interface ChannelAcc { sum: Float64Array; sq: Float64Array; min: Float64Array; max: Float64Array; count: number }

/** Adds each channel's (dimension 1's) sum, sum of squares, min and max over v [N, C, …] to acc[name]. */
function addChannelStats(acc: Map<string, ChannelAcc>, name: string, v: Float32Array, shape: readonly number[]): void {
  if (shape.length < 2) return;
  const C = shape[1], inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const a = acc.get(name) ?? { sum: new Float64Array(C), sq: new Float64Array(C), min: new Float64Array(C).fill(Infinity), max: new Float64Array(C).fill(-Infinity), count: 0 };
  for (let base = 0; base < v.length; base += inner) {
    const c = (base / inner) % C;
    let s = 0, q = 0, lo = a.min[c], hi = a.max[c];
    for (let i = base; i < base + inner; i++) {
      const x = v[i];
      s += x;
      q += x * x;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    a.sum[c] += s;
    a.sq[c] += q;
    a.min[c] = lo;
    a.max[c] = hi;
  }
  a.count += v.length / C;
  acc.set(name, a);
}

/** The ranges and channel means of every graph input and node output. */
export function calibrate(model: Graph, batches: readonly Tensor[], method: RangeMethod, percentile: number): Calibration {
  const mins = new Map<string, number>(), maxs = new Map<string, number>();
  const samples = new Map<string, number[]>();
  const stats = new Map<string, ChannelAcc>();
  const see = (name: string, t: Tensor) => {
    if (t.dtype !== 'float32') return;
    const v = t.toFloat32Array();
    addChannelStats(stats, name, v, t.shape);
    if (method !== 'percentile') {
      let lo = mins.get(name) ?? Infinity, hi = maxs.get(name) ?? -Infinity;
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      mins.set(name, lo);
      maxs.set(name, hi);
    }
    if (method !== 'minmax') {
      const s = samples.get(name) ?? [];
      const step = Math.max(1, Math.floor(v.length / SAMPLE));
      for (let i = 0; i < v.length; i += step) if (Number.isFinite(v[i])) s.push(v[i]);
      samples.set(name, s);
    }
  };
  const input = model.inputNames[0];
  for (const xb of batches) {
    const r = model.forward(xb, { keep: '*' });
    see(input, xb);
    const seen = new Set<Tensor>();
    try {
      for (const [name, t] of Object.entries(r.kept)) see(name, t);
    } finally {
      for (const t of [...Object.values(r.kept), ...Object.values(r.outputs)]) {
        if (!seen.has(t) && t !== xb) t.dispose();
        seen.add(t);
      }
    }
  }
  const out = new Map<string, [number, number]>(), means = new Map<string, Float64Array>(), channels = new Map<string, ChannelStats>();
  for (const [k, a] of stats) {
    means.set(k, a.sum.map((v) => v / a.count));
    channels.set(k, { min: a.min, max: a.max, meanSquare: a.sq.map((v) => v / a.count), count: a.count });
  }
  if (method === 'minmax') for (const [k, lo] of mins) out.set(k, [lo, maxs.get(k)!]);
  else if (method === 'mse') for (const [k, lo] of mins) out.set(k, leastSquaresRange(lo, maxs.get(k)!, samples.get(k) ?? []));
  else {
    for (const [k, s] of samples) {
      const a = Float64Array.from(s).sort();
      if (a.length === 0) continue;
      const at = (p: number) => a[Math.min(a.length - 1, Math.max(0, Math.round((p / 100) * (a.length - 1))))];
      out.set(k, [at(100 - percentile), at(percentile)]);
    }
  }
  return { ranges: out, means, channels };
}

/** Shrink factors of the min/max range tried by 'mse': 1 down to 0.1 in steps of 2 %. */
const SHRINK = Array.from({ length: 115 }, (_, i) => 0.98 ** i);

/**
 * [lo·f, hi·f] for the f in SHRINK whose int8 grid (chooseQParams) rounds and clips the values s
 * (at most SAMPLE of them, evenly spaced) with the least squared error; ties go to the wider range.
 */
export function leastSquaresRange(lo: number, hi: number, s: readonly number[]): [number, number] {
  const step = Math.max(1, Math.floor(s.length / SAMPLE));
  const v = Float64Array.from({ length: Math.floor((s.length + step - 1) / step) }, (_, i) => s[i * step]);
  let best = Infinity, at = 1;
  for (const f of SHRINK) {
    const { scale, zeroPoint } = chooseQParams(lo * f, hi * f);
    let e = 0;
    for (let i = 0; i < v.length; i++) {
      const q = Math.max(-128, Math.min(127, Math.round(v[i] / scale) + zeroPoint));
      e += ((q - zeroPoint) * scale - v[i]) ** 2;
    }
    if (e < best) { best = e; at = f; }
  }
  return [lo * at, hi * at];
}

/** The calibration data as batches of at most `bs` samples (a single tensor is cut; tensors are not copied otherwise). */
export function calibrationBatches(calibration: Tensor | readonly Tensor[], bs: number): { batches: Tensor[]; owned: Tensor[]; samples: number } {
  if (!(calibration instanceof Tensor) && !Array.isArray(calibration)) {
    throw new TypeError(`quantize: calibration must be a float32 Tensor [N, …input] or an array of them, got ${describe(calibration)}`);
  }
  const list: unknown[] = calibration instanceof Tensor ? [calibration] : [...calibration];
  const batches: Tensor[] = [], owned: Tensor[] = [];
  let samples = 0;
  for (const t of list) {
    if (!(t instanceof Tensor) || t.disposed || t.dtype !== 'float32') {
      for (const o of owned) o.dispose();
      throw new TypeError(`quantize: calibration must be a float32 Tensor [N, …input] or an array of them, got ${describe(t)}`);
    }
    const n = t.shape[0];
    samples += n;
    if (n <= bs) batches.push(t);
    else {
      for (let s = 0; s < n; s += bs) {
        const b = indexSelect(t, Uint32Array.from({ length: Math.min(bs, n - s) }, (_, i) => s + i));
        owned.push(b);
        batches.push(b);
      }
    }
  }
  return { batches, owned, samples };
}
