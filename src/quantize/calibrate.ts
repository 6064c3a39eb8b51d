// Calibration for quantize(): the f32 model runs over the calibration batches keeping every node's
// output, and each value's range is recorded: min/max over all batches, or a percentile of a
// strided sample of the values (at most SAMPLE values per value and batch).
import { Tensor } from '../tensor.js';
import type { Graph } from '../graph/graph.js';
import { indexSelect } from '../ops/gather.js';

export type RangeMethod = 'minmax' | 'percentile';

const SAMPLE = 1 << 16;

/** [lo, hi] of every graph input and node output, by name. */
export function calibrate(model: Graph, batches: readonly Tensor[], method: RangeMethod, percentile: number): Map<string, [number, number]> {
  const mins = new Map<string, number>(), maxs = new Map<string, number>();
  const samples = new Map<string, number[]>();
  const see = (name: string, t: Tensor) => {
    if (t.dtype !== 'float32') return;
    const v = t.toFloat32Array();
    if (method === 'minmax') {
      let lo = mins.get(name) ?? Infinity, hi = maxs.get(name) ?? -Infinity;
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      mins.set(name, lo);
      maxs.set(name, hi);
    } else {
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
  const out = new Map<string, [number, number]>();
  if (method === 'minmax') for (const [k, lo] of mins) out.set(k, [lo, maxs.get(k)!]);
  else {
    for (const [k, s] of samples) {
      const a = Float64Array.from(s).sort();
      if (a.length === 0) continue;
      const at = (p: number) => a[Math.min(a.length - 1, Math.max(0, Math.round((p / 100) * (a.length - 1))))];
      out.set(k, [at(100 - percentile), at(percentile)]);
    }
  }
  return out;
}

/** The calibration data as batches of at most `bs` samples (a single tensor is cut; tensors are not copied otherwise). */
export function calibrationBatches(calibration: Tensor | readonly Tensor[], bs: number): { batches: Tensor[]; owned: Tensor[]; samples: number } {
  const list = calibration instanceof Tensor ? [calibration] : [...calibration];
  const batches: Tensor[] = [], owned: Tensor[] = [];
  let samples = 0;
  for (const t of list) {
    if (!(t instanceof Tensor) || t.disposed || t.dtype !== 'float32') {
      for (const o of owned) o.dispose();
      throw new TypeError(`quantize: calibration must be a float32 Tensor [N, …input] or an array of them, got ${String(t)}`);
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
