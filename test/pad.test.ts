// ops.pad / nn.Pad (constant with any value, reflect incl. width 2, replicate; 2 or 4 pads in
// F.pad's order) against test/ref/pad.ts, the adjoint by central differences, compiled = eager,
// save/load and ONNX round trips.
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, Tensor, nn, ops } from '../src/index.js';
import { expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { checkLayer } from './layer-check.js';
import { refPad } from './ref/pad.js';

beforeAll(ready);

const MODES = ['constant', 'reflect', 'replicate'] as const;

describe('ops.pad', () => {
  it('matches the reference over modes, shapes (width 2 and odd) and pads', () => {
    const shapes = [[1, 1, 2, 2], [2, 3, 5, 7], [1, 2, 3, 9], [2, 4, 6], [3, 5]];
    const padSets = [[1, 1, 1, 1], [0, 1, 1, 0], [2, 0, 0, 2], [1, 1], [0, 3], [3, 5, 1, 2]];
    let n = 0;
    for (const shape of shapes) {
      const xs = randArray(sizeOf(shape), shape.length * 10 + shape[shape.length - 1]);
      const x = Tensor.from(xs, shape);
      for (const pads of padSets) {
        if (pads.length === 4 && shape.length < 3) continue;
        for (const mode of MODES) {
          const dims = pads.length / 2;
          const fits = mode !== 'reflect' || Array.from({ length: dims }, (_, i) => pads[2 * i] < shape[shape.length - 1 - i] && pads[2 * i + 1] < shape[shape.length - 1 - i]).every(Boolean);
          const opts = mode === 'constant' ? { mode, value: -0.5 } : { mode };
          if (!fits) {
            expect(() => ops.pad(x, pads, opts)).toThrow(/reflect pads .* must be less than its size/);
            continue;
          }
          const want = refPad(xs, shape, pads, mode, -0.5);
          const y = ops.pad(x, pads, opts);
          expect(y.shape).toEqual(want.shape);
          expectClose(y.toFloat32Array(), want.data, want.shape, `[${shape}] ${mode} [${pads}]`, 0, 0);
          y.dispose();
          n++;
        }
      }
      x.dispose();
    }
    expect(n).toBeGreaterThan(60);
  });

  it('backward accumulates borders onto their sources (central differences), reflect at width 2', () => {
    for (const [shape, pads] of [[[2, 2, 3, 2], [1, 1, 2, 1]], [[1, 3, 4, 5], [2, 3, 1, 0]], [[2, 3, 6], [4, 2]]] as [number[], number[]][]) {
      for (const mode of MODES) {
        if (mode === 'reflect' && (pads[0] >= shape[shape.length - 1] || pads[1] >= shape[shape.length - 1] || (pads.length === 4 && Math.max(pads[2], pads[3]) >= shape[shape.length - 2]))) continue;
        const xs = randArray(sizeOf(shape), 8);
        const x = Tensor.from(xs, shape);
        const y = ops.pad(x, pads, { mode });
        const r = randArray(y.size, 9);
        const dy = Tensor.from(r, y.shape);
        const dx = ops.padBackward(dy, shape, pads, { mode });
        const fwd = (v: Float32Array) => {
          const t = Tensor.from(v, shape);
          const o = ops.pad(t, pads, { mode });
          const a = o.toFloat32Array();
          t.dispose(); o.dispose();
          return a;
        };
        fdCheck({ x: xs, shape, r, forward: fwd, analytic: dx.toFloat32Array(), what: `pad ${mode} [${shape}] [${pads}]` });
        for (const t of [x, y, dy, dx]) t.dispose();
      }
    }
  });

  it('refuses negative pads, odd pad counts and values for non-constant modes', () => {
    const x = Tensor.zeros([1, 1, 2, 2]);
    expect(() => ops.pad(x, [-1, 0])).toThrow(/negative pads \(cropping\) are not supported/);
    expect(() => ops.pad(x, [1, 1, 1])).toThrow(/pads must be \[left, right\] or \[left, right, top, bottom\]/);
    expect(() => ops.pad(x, [1, 1], { mode: 'reflect', value: 2 })).toThrow(/value applies to mode 'constant' only/);
    expect(() => ops.pad(x, [1, 1], { mode: 'circular' as never })).toThrow(/mode must be 'constant', 'reflect', 'replicate'/);
    x.dispose();
  });
});

describe('nn.Pad', () => {
  for (const mode of MODES) {
    it(`${mode}: compiled, saved, exported and trained as eager`, () => {
      const opts = mode === 'constant' ? { mode, value: 0.25 } : { mode };
      checkLayer(`Pad ${mode}`, () => new Sequential([new nn.Pad([1, 2, 2, 1], opts), new nn.Conv2d(2, 2, 3)], { inputShape: [2, 3, 5] }), { shape: [2, 3, 5] });
    });
  }
  it('pads the last dim of [C, L] inputs', () => {
    checkLayer('Pad 1-D', () => new Sequential([new nn.Pad([2, 1], { mode: 'reflect' })], { inputShape: [3, 4] }), { shape: [3, 4] });
  });
  it('says why a shape does not fit', () => {
    expect(() => new Sequential([new nn.Pad([2, 2], { mode: 'reflect' })], { inputShape: [3, 2] })).toThrow(/reflect pads 2, 2 of dim 2 must be less than its size 2/);
  });
});
