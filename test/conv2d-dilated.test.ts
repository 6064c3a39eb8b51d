// Dilated 3×3 convolutions through Winograd over their phases (src/ops/conv2d-dilated.ts) against
// the float64 reference convolution: rates equal and unequal per axis, sizes that are and are not
// multiples of the rate, rates past the image, batch > 1, bias and a fused clamp, every tile size;
// 'auto' picks it on deep layers; the compiled plan (with a fused ReLU) equals the eager pass.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, compile, nn, Sequential } from '../src/index.js';
import { conv2dClamped, prepareConv2d } from '../src/ops/conv2d.js';
import { expectCanariesIntact, randArray, ready } from './helpers.js';
import { refClamp, refConv2d } from './ref/conv2d.js';

beforeAll(ready);

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return d / Math.max(m, 1e-30);
}

describe('dilated 3×3 convolution by Winograd over the phases', () => {
  it('matches the float64 reference over rates, sizes, batches and tile sizes', () => {
    const cases: [number[], [number, number], string][] = [
      [[1, 3, 7, 9], [2, 2], 'winograd'], [[2, 4, 13, 11], [3, 3], 'winograd'], [[1, 5, 8, 8], [2, 3], 'winograd-2x2'],
      [[1, 3, 28, 28], [6, 6], 'winograd'], [[1, 2, 28, 28], [12, 12], 'winograd-4x4'], [[1, 2, 28, 28], [18, 18], 'winograd'],
      [[2, 3, 9, 5], [4, 1], 'winograd'], [[1, 3, 5, 6], [7, 7], 'winograd-6x6'], [[1, 9, 16, 16], [4, 4], 'winograd-4x4'],
    ];
    for (const [xs, [dh, dw], algorithm] of cases) {
      const ws = [5, xs[1], 3, 3];
      const xd = randArray(xs.reduce((a, b) => a * b, 1), xs[2] + dh), wd = randArray(ws.reduce((a, b) => a * b, 1), dw + 3), bd = randArray(5, 9);
      const x = Tensor.from(xd, xs), w = Tensor.from(wd, ws), b = Tensor.from(bd, [5]);
      const p = prepareConv2d(xs, w, b, { padding: [dh, dw], dilation: [dh, dw], algorithm: algorithm as 'winograd' });
      expect(p.algorithm, `${xs} rate ${dh},${dw}`).toMatch(new RegExp(`over ${dh}×${dw} phases`));
      p.dispose();
      const y = conv2dClamped(x, w, b, { padding: [dh, dw], dilation: [dh, dw], algorithm: algorithm as 'winograd' }, -0.5, 0.75);
      const want = refClamp(refConv2d(xd, xs, wd, ws, bd, { padding: [dh, dw, dh, dw], dilation: [dh, dw] }).data, -0.5, 0.75);
      expect(y.shape).toEqual([xs[0], 5, xs[2], xs[3]]);
      expect(maxRel(y.toFloat32Array(), want), `${xs} rate ${dh},${dw} ${algorithm}`).toBeLessThan(algorithm === 'winograd-4x4' || algorithm === 'winograd-6x6' ? 1e-4 : 2e-5);
      expectCanariesIntact(`dilated ${xs}`);
      for (const t of [x, w, b, y]) t.dispose();
    }
  });

  it("'auto' runs the phases on deep dilated layers (FCN, ASPP), the GEMM path where padding is not the rate", () => {
    const w = Tensor.zeros([128, 128, 3, 3]);
    const alg = (xs: number[], o: object) => { const p = prepareConv2d(xs, w, null, o); const a = p.algorithm; p.dispose(); return a; };
    expect(alg([1, 128, 28, 28], { padding: 2, dilation: 2 })).toBe('winograd F(2×2, 3×3) over 2×2 phases');
    expect(alg([1, 128, 56, 56], { padding: 6, dilation: 6 })).toBe('winograd F(2×2, 3×3) over 6×6 phases');
    expect(alg([1, 128, 28, 28], { padding: 0, dilation: 2 })).toBe('gemm');
    expect(alg([1, 128, 28, 28], { padding: 2, dilation: 2, algorithm: 'gemm' })).toBe('gemm');
    w.dispose();
  });

  it('compiled with batch norm folded and ReLU fused equals the eager pass', () => {
    const m = new Sequential([
      new nn.Conv2d(8, 12, 3, { padding: 2, dilation: 2, algorithm: 'winograd' }), new nn.BatchNorm2d(12), new nn.ReLU(),
      new nn.Conv2d(12, 6, 3, { padding: 3, dilation: 3, algorithm: 'winograd' }),
    ], { inputShape: [8, 15, 13], seed: 3 });
    for (const batch of [1, 3]) {
      const x = Tensor.from(randArray(batch * 8 * 15 * 13, 4), [batch, 8, 15, 13]);
      const eager = m.predict(x);
      const plan = compile(m, { batchSize: batch });
      expect(plan.info.steps.map((s) => s.algorithm)).toEqual(['winograd F(2×2, 3×3) over 2×2 phases', 'winograd F(2×2, 3×3) over 3×3 phases']);
      expect(maxRel(plan.run(x).toFloat32Array(), eager.toFloat32Array())).toBeLessThan(1e-5);
      plan.dispose(); eager.dispose(); x.dispose();
    }
    m.dispose();
  });
});
