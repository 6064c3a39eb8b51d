// ops.padBackward (assembly/pad.ts: interior rows copied, then border columns and the top and
// bottom border rows added onto what they copied) against the exact adjoint of test/ref/pad.ts
// over widths of every remainder mod 4, heights 1–5, pads 0–3 per side and every mode. The adjoint
// is read off the reference itself: padding the indices 0, 1, 2, … (value −1 for "no source")
// says which input each output copies, and dx[i] = Σ dy over the outputs that copy i (float64).
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, memoryInfo, ops } from '../src/index.js';
import { expectClose, expectCanariesIntact, randArray, ready, sizeOf } from './helpers.js';
import { refPad } from './ref/pad.js';

beforeAll(ready);

function refAdjoint(dy: ArrayLike<number>, shape: number[], pads: number[], mode: string): Float64Array {
  const n = sizeOf(shape);
  const from = refPad(Float64Array.from({ length: n }, (_, i) => i), shape, pads, mode, -1).data;
  const dx = new Float64Array(n);
  from.forEach((i, o) => { if (i >= 0) dx[i] += dy[o]; });
  return dx;
}

describe('padBackward against the exact adjoint', () => {
  it('sweeps widths, heights, pads and modes', () => {
    const base = memoryInfo().bytesInUse;
    let count = 0;
    for (const h of [1, 2, 3, 5]) {
      for (const w of [1, 2, 3, 4, 5, 6, 7, 8, 9, 13]) {
        for (const pads of [[1, 1, 1, 1], [0, 2, 1, 0], [3, 1, 2, 2], [2, 3], [0, 0, 3, 1]]) {
          for (const mode of ['constant', 'reflect', 'replicate'] as const) {
            const shape = [2, 3, h, w];
            const dims = pads.length === 4 ? [[pads[0], pads[1], w], [pads[2], pads[3], h]] : [[pads[0], pads[1], w]];
            if (mode === 'reflect' && dims.some(([a, b, n]) => a >= n || b >= n)) continue;
            const y = refPad(new Float64Array(sizeOf(shape)), shape, pads, mode);
            const r = randArray(y.data.length, h * 17 + w);
            const dy = Tensor.from(r, y.shape);
            const dx = ops.padBackward(dy, shape, pads, { mode });
            expectClose(dx.toFloat32Array(), refAdjoint(r, shape, pads, mode), shape, `padBackward ${mode} [${shape}] [${pads}]`, 1e-6, 1e-6);
            dy.dispose();
            dx.dispose();
            count++;
          }
        }
      }
    }
    expect(count).toBeGreaterThan(400);
    expectCanariesIntact('padBackward');
    expect(memoryInfo().bytesInUse).toBe(base);
  });
});
