// ops.pad / nn.Pad (constant with any value, reflect incl. width 2, replicate; pads in F.pad's
// order on the last dim, the last two, and the channel and batch dims before them) against
// test/ref/pad.ts, the adjoint by central differences, compiled = eager, save/load and ONNX round
// trips, ONNX Pad of the channels imported (the batch refused).
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, Tensor, io, nn, ops } from '../src/index.js';
import { model, node } from './onnx-fixtures.js';
import { expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { checkLayer } from './layer-check.js';
import { refPad } from './ref/pad.js';

beforeAll(ready);

const MODES = ['constant', 'reflect', 'replicate'] as const;

describe('ops.pad', () => {
  it('matches the reference over modes, shapes (width 2 and odd) and pads', () => {
    const shapes = [[1, 1, 2, 2], [2, 3, 5, 7], [1, 2, 3, 9], [2, 4, 6], [3, 5], [7], [2, 3, 2, 3, 5]];
    const padSets = [
      [1, 1, 1, 1], [0, 1, 1, 0], [2, 0, 0, 2], [1, 1], [0, 3], [3, 5, 1, 2],
      // beyond the last two dims: channels, batch, a 5-D tensor's depth
      [0, 0, 0, 0, 1, 2], [1, 0, 0, 1, 2, 1], [0, 0, 0, 0, 0, 0, 1, 1], [1, 1, 0, 1, 1, 0, 2, 1], [0, 1, 1, 0, 1, 1, 1, 1, 1, 0],
    ];
    let n = 0;
    for (const shape of shapes) {
      const xs = randArray(sizeOf(shape), shape.length * 10 + shape[shape.length - 1]);
      const x = Tensor.from(xs, shape);
      for (const pads of padSets) {
        if (pads.length / 2 > shape.length) continue;
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
    expect(n).toBeGreaterThan(120);
  });

  it('backward accumulates borders onto their sources (central differences), reflect at width 2', () => {
    const cases: [number[], number[]][] = [
      [[2, 2, 3, 2], [1, 1, 2, 1]], [[1, 3, 4, 5], [2, 3, 1, 0]], [[2, 3, 6], [4, 2]],
      [[2, 3, 3, 2], [1, 0, 0, 1, 2, 1]], [[3, 2, 2, 3], [0, 1, 1, 1, 1, 1, 2, 1]], [[2, 1, 3, 2, 3], [1, 1, 0, 1, 1, 0, 0, 0, 1, 1]],
    ];
    for (const [shape, pads] of cases) {
      for (const mode of MODES) {
        const k = pads.length / 2;
        if (mode === 'reflect' && Array.from({ length: k }, (_, i) => Math.max(pads[2 * i], pads[2 * i + 1]) >= shape[shape.length - 1 - i]).some(Boolean)) continue;
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
    expect(() => ops.pad(x, [1, 1, 1])).toThrow(/pads must be \[left, right\], \[left, right, top, bottom\] or more \(begin, end\) pairs/);
    expect(() => ops.pad(x, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1])).toThrow(/pad: pads \[1, 1, 1, 1, 1, 1, 1, 1, 1, 1\] pad 5 dims, but x \[1, 1, 2, 2\] has rank 4/);
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
  it('pads the channels (every mode) and a 5-D depth axis', () => {
    checkLayer('Pad C', () => new Sequential([new nn.Pad([1, 0, 0, 1, 2, 1], { value: -1 }), new nn.Conv2d(5, 2, 1)], { inputShape: [2, 3, 4] }), { shape: [2, 3, 4] });
    checkLayer('Pad C reflect', () => new Sequential([new nn.Pad([1, 1, 1, 1, 1, 1], { mode: 'reflect' }), new nn.Conv2d(5, 2, 3)], { inputShape: [3, 3, 4] }), { shape: [3, 3, 4] });
    checkLayer('Pad D replicate', () => new Sequential([new nn.Pad([0, 1, 1, 0, 2, 1], { mode: 'replicate' })], { inputShape: [2, 3, 2, 3] }), { shape: [2, 3, 2, 3] });
  });
  it('never pads the batch; ONNX Pad of the channels imports, of the batch is refused', () => {
    expect(() => new Sequential([new nn.Pad([0, 0, 0, 0, 0, 0, 1, 0])], { inputShape: [2, 3, 3] })).toThrow(/the batch is never padded/);
    const ints = (name: string, v: number[]) => ({ name, dims: [v.length], int64s: v });
    const x = Tensor.from(randArray(2 * 3 * 4 * 5, 3), [2, 3, 4, 5]);
    for (const [mode, pads] of [['constant', [0, 1, 0, 2, 0, 2, 1, 0]], ['reflect', [0, 2, 1, 0, 0, 0, 1, 1]], ['edge', [0, 1, 0, 0, 0, 2, 0, 1]]] as const) {
      const g = io.fromONNX(model([3, 4, 5], [node('Pad', ['x', 'p'], [{ name: 'mode', s: mode }])], [ints('p', [...pads])]));
      expect(g.nodes.map((n) => n.layer.type)).toEqual(['Pad']);
      const y = g.predict(x);
      const want = refPad(x.toFloat32Array(), [2, 3, 4, 5], [pads[3], pads[7], pads[2], pads[6], pads[1], pads[5]], mode === 'edge' ? 'replicate' : mode);
      expect(y.shape).toEqual(want.shape);
      expectClose(y.toFloat32Array(), want.data, want.shape, `ONNX Pad ${mode} [${pads}]`, 0, 0);
      y.dispose();
      g.dispose();
    }
    expect(() => io.fromONNX(model([3, 4, 5], [node('Pad', ['x', 'p'])], [ints('p', [1, 0, 0, 0, 0, 0, 0, 0])]))).toThrow(/pad the batch axis/);
    x.dispose();
  });
  it('says why a shape does not fit', () => {
    expect(() => new Sequential([new nn.Pad([2, 2], { mode: 'reflect' })], { inputShape: [3, 2] })).toThrow(/reflect pads 2, 2 of dim 2 must be less than its size 2/);
  });
});
