// quantize(…, { equalize: true }): a convolution / dense layer whose float32 input (here after a
// Hardswish) has one channel 30× wider than the others takes that input scaled per channel by a
// float32 Mul, its weights divided alike. Checked: the function is unchanged in float32 (the
// scaled graph with the int8 rounding taken out equals the model), the int8 error drops against
// equalize: false, the chosen scales follow the rule of src/quantize/equalize.ts, and the result
// compiles and saves like any quantized graph. Also: the logits of a quantize()d classifier come
// out of its last dense layer in float32, exactly its int32 sums times x_scale·w_scale.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Graph, Tensor, compile, io, nn, quantize } from '../src/index.js';
import { equalize } from '../src/quantize/equalize.js';
import { bytesInUse, randArray, ready } from './helpers.js';

beforeAll(ready);
let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

function sqnr(y: Float32Array, yq: Float32Array): number {
  let s = 0, e = 0;
  for (let i = 0; i < y.length; i++) { s += y[i] * y[i]; e += (y[i] - yq[i]) ** 2; }
  return 10 * Math.log10(s / e);
}

/** conv 3→8 (channel 0's filter ×30) → Hardswish → conv 1×1 8→6 (channel 0's weights ×1/30) → global pool → dense 6→5. */
function wideChannelNet(): Graph {
  const c1 = new nn.Conv2d(3, 8, 3, { padding: 1 }), c2 = new nn.Conv2d(8, 6, 1), fc = new nn.Linear(6, 5);
  const g = new Graph({
    inputs: { x: [3, 10, 10] },
    nodes: [
      { name: 'c1', layer: c1, inputs: 'x' }, { name: 'hs', layer: new nn.Hardswish(), inputs: 'c1' },
      { name: 'c2', layer: c2, inputs: 'hs' }, { name: 'gap', layer: new nn.GlobalAvgPool2d(), inputs: 'c2' },
      { name: 'flat', layer: new nn.Flatten(), inputs: 'gap' }, { name: 'fc', layer: fc, inputs: 'flat' },
    ],
    outputs: 'fc',
    seed: 3,
  });
  const w1 = c1.weight.value.toFloat32Array().slice();
  for (let j = 0; j < 27; j++) w1[j] *= 30;
  c1.weight.assign(w1);
  const w2 = c2.weight.value.toFloat32Array().slice();
  for (let o = 0; o < 6; o++) w2[o * 8] /= 30;
  c2.weight.assign(w2);
  return g;
}

describe('quantize(): input equalization (option equalize)', () => {
  it('scales a wide channel down before the int8 grid, keeps the function, and lowers the int8 error', () => {
    const m = wideChannelNet();
    const cal = Tensor.from(randArray(32 * 300, 5, -1, 1), [32, 3, 10, 10]), x = Tensor.from(randArray(8 * 300, 6, -1, 1), [8, 3, 10, 10]);
    const plain = quantize(m, cal), eq = quantize(m, cal, { equalize: true });
    try {
      expect(plain.nodes.some((n) => n.name === 'c2.inputScale')).toBe(false);
      const mul = eq.node('c2.inputScale').layer as nn.Mul;
      expect(mul).toBeInstanceOf(nn.Mul);
      expect(eq.node('c2').inputs).toEqual(['c2.inputScale.quantize']);
      expect(eq.metadata.quantized).toMatchObject({ equalize: true });
      const a = mul.constant!.value.toFloat32Array();
      // channel 0 (30× wider, weights 30× smaller) is scaled down against the others
      const rest = Array.from(a.subarray(1));
      expect(a[0]).toBeLessThan(Math.min(...rest) / 3);
      expect(Math.max(...a)).toBe(1);

      const yt = m.predict(x), y = yt.toFloat32Array();
      yt.dispose();
      const yp = plain.predict(x), ye = eq.predict(x);
      const dbPlain = sqnr(y, yp.toFloat32Array()), dbEq = sqnr(y, ye.toFloat32Array());
      console.log(`one channel 30× wider: int8 SQNR ${dbPlain.toFixed(1)} dB plain, ${dbEq.toFixed(1)} dB equalized`);
      expect(dbEq).toBeGreaterThan(dbPlain + 3);

      // compiled and reloaded: the eager bits
      const plan = compile(eq, { batchSize: 8 });
      expect(Array.from(plan.run(x).toFloat32Array())).toEqual(Array.from(ye.toFloat32Array()));
      const back = io.load(io.save(eq));
      const yb = back.predict(x);
      expect(Array.from(yb.toFloat32Array())).toEqual(Array.from(ye.toFloat32Array()));
      plan.dispose(); back.dispose(); yp.dispose(); ye.dispose(); yb.dispose();
    } finally {
      plain.dispose(); eq.dispose(); m.dispose(); cal.dispose(); x.dispose();
    }
  });

  it('equalize(): the scaled weights give the same function, the scales follow a = wmax^(1−α) / xmax^α; no gain, or too few values, means no scaling', () => {
    // dense 3 → 2, input channels with max |x| 1, 10, 100 and weights reading them 1, 1, 0.01
    const w = Float32Array.of(1, 0.5, 0.01, -0.5, 1, -0.005);
    const st = { min: Float64Array.of(-1, -10, -100), max: Float64Array.of(1, 10, 100), meanSquare: Float64Array.of(0.3, 30, 3000), count: 4096 };
    const e = equalize(w, 2, 1, st)!;
    expect(e).not.toBeNull();
    for (let o = 0; o < 2; o++) for (let k = 0; k < 3; k++) expect(e.weight[o * 3 + k] * e.scales[k]).toBeCloseTo(w[o * 3 + k], 6);
    const alphaOf = (al: number) => {
      const a = [0, 1, 2].map((k) => [1, 1, 0.01][k] ** (1 - al) / [1, 10, 100][k] ** al);
      const top = Math.max(...a);
      return a.map((v) => Math.fround(v / top));
    };
    const picked = [0.25, 0.5].map(alphaOf).find((a) => a.every((v, k) => v === e.scales[k]));
    expect(picked, `scales ${Array.from(e.scales)}`).toBeDefined();
    let lo = 0, hi = 0;
    for (let k = 0; k < 3; k++) { lo = Math.min(lo, e.scales[k] * st.min[k]); hi = Math.max(hi, e.scales[k] * st.max[k]); }
    expect(e.range[0]).toBeCloseTo(lo, 6);
    expect(e.range[1]).toBeCloseTo(hi, 6);
    // channels of one range and weights of one size: nothing to gain
    const flat = { min: Float64Array.of(-1, -1, -1), max: Float64Array.of(1, 1, 1), meanSquare: Float64Array.of(0.3, 0.3, 0.3), count: 4096 };
    expect(equalize(Float32Array.of(1, -1, 1, 1, 1, -1), 2, 1, flat)).toBeNull();
    // too few values per channel to trust their maxima (a pooled vector of 32 images): left alone
    expect(equalize(w, 2, 1, { ...st, count: 32 })).toBeNull();
  });

  it('the logits come out of the last dense layer in float32: its int32 sums scaled, no output rounding or clipping', () => {
    const m = wideChannelNet();
    const cal = Tensor.from(randArray(16 * 300, 7, -0.5, 0.5), [16, 3, 10, 10]);
    const x = Tensor.from(randArray(4 * 300, 8, -0.5, 0.5), [4, 3, 10, 10]);
    const q = quantize(m, cal);
    const cut = q.truncate('flat');
    try {
      const fc = q.node('fc').layer as nn.QLinear;
      expect(fc).toBeInstanceOf(nn.QLinear);
      expect(fc.output).toBe('float32');
      expect(q.outputNames).toEqual(['fc']);
      expect(q.summary()).toMatch(/fc\s+QLinear float32/);
      const h = cut.predict(x), yq = q.predict(x);
      // the logits from fc's int8 input in plain arithmetic: Σ (x − zx)·w + round(b / (sx·sw)), times sx·sw
      const xi = h.toInt8Array(), w = fc.qweights(), got = yq.toFloat32Array();
      for (let n = 0; n < 4; n++) for (let o = 0; o < 5; o++) {
        let acc = Math.round(w.bias![o] / (fc.qx.scale * w.scales[o]));
        for (let k = 0; k < 6; k++) acc += (xi[n * 6 + k] - fc.qx.zeroPoint) * w.data[o * 6 + k];
        expect(got[n * 5 + o]).toBe(Math.fround(Math.fround(acc) * Math.fround(fc.qx.scale * w.scales[o])));
      }
      h.dispose(); yq.dispose();
    } finally {
      cut.dispose(); q.dispose(); m.dispose(); cal.dispose(); x.dispose();
    }
  });
});
