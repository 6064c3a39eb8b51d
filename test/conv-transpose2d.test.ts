// ops.convTranspose2d / nn.ConvTranspose2d against the float64 definition (test/ref/
// conv-transpose2d.ts) over strides 1–3, padding (also asymmetric), outputPadding, dilation,
// groups, odd sizes and batch > 1; its three gradients by central differences; compiled = eager,
// save/load and ONNX round trips.
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, Tensor, nn, ops } from '../src/index.js';
import { expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { checkLayer } from './layer-check.js';
import { refConvTranspose2d, type RefConvTOptions } from './ref/conv-transpose2d.js';

beforeAll(ready);

interface Case { x: number[]; w: number[]; o: RefConvTOptions }

function cases(): Case[] {
  const out: Case[] = [];
  for (const s of [1, 2, 3])
    for (const [k, p] of [[1, 0], [3, 1], [2, 0], [4, 1], [3, 2]])
      for (const d of [1, 2])
        for (const g of [1, 2]) {
          const op = s > 1 ? s - 1 : 0;
          out.push({ x: [2, 2 * g, 5, 3], w: [2 * g, 3, k, k], o: { stride: [s, s], padding: [p, p, p, p], dilation: [d, d], groups: g, outputPadding: [op, 0] } });
        }
  out.push({ x: [1, 3, 4, 7], w: [3, 2, 3, 2], o: { stride: [2, 3], padding: [0, 1, 1, 0], outputPadding: [1, 2] } });
  out.push({ x: [3, 4, 1, 1], w: [4, 5, 3, 3], o: {} });
  out.push({ x: [1, 6, 3, 3], w: [6, 1, 3, 3], o: { groups: 6, stride: [2, 2], padding: [1, 1, 1, 1], outputPadding: [1, 1] } });
  out.push({ x: [2, 17, 6, 5], w: [17, 9, 2, 2], o: { stride: [2, 2] } });
  return out;
}

const opts = (o: RefConvTOptions): ops.ConvTranspose2dOptions => ({
  stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups, outputPadding: o.outputPadding,
});

describe('ops.convTranspose2d', () => {
  it('matches the float64 definition (with and without bias)', () => {
    for (const [i, c] of cases().entries()) {
      const xs = randArray(sizeOf(c.x), i), ws = randArray(sizeOf(c.w), 100 + i);
      const cout = c.w[1] * (c.o.groups ?? 1);
      const bs = randArray(cout, 200 + i);
      const x = Tensor.from(xs, c.x), w = Tensor.from(ws, c.w), b = Tensor.from(bs, [cout]);
      for (const bias of [null, b]) {
        const want = refConvTranspose2d(xs, c.x, ws, c.w, bias ? bs : null, c.o);
        const y = ops.convTranspose2d(x, w, bias, opts(c.o));
        expect(y.shape, JSON.stringify(c)).toEqual(want.shape);
        expectClose(y.toFloat32Array(), want.data, want.shape, `case ${i} ${JSON.stringify(c)} bias ${bias !== null}`);
        y.dispose();
      }
      for (const t of [x, w, b]) t.dispose();
    }
  });

  it('backward: dx, dW and db by central differences', () => {
    for (const c of [cases()[13], cases()[33], cases()[cases().length - 4], cases()[cases().length - 2]]) {
      const xs = randArray(sizeOf(c.x), 1), ws = randArray(sizeOf(c.w), 2);
      const cout = c.w[1] * (c.o.groups ?? 1);
      const bs = randArray(cout, 3);
      const x = Tensor.from(xs, c.x), w = Tensor.from(ws, c.w), b = Tensor.from(bs, [cout]);
      const y = ops.convTranspose2d(x, w, b, opts(c.o));
      const r = randArray(y.size, 4);
      const dy = Tensor.from(r, y.shape);
      const dx = ops.convTranspose2dBackwardData(dy, w, c.x, opts(c.o));
      const dw = ops.convTranspose2dBackwardFilter(x, dy, c.w, opts(c.o));
      const db = ops.conv2dBackwardBias(dy);
      const run = (xv: Float32Array, wv: Float32Array, bv: Float32Array) => {
        const a = Tensor.from(xv, c.x), q = Tensor.from(wv, c.w), e = Tensor.from(bv, [cout]);
        const o = ops.convTranspose2d(a, q, e, opts(c.o));
        const out = o.toFloat32Array();
        for (const t of [a, q, e, o]) t.dispose();
        return out;
      };
      const what = JSON.stringify(c);
      fdCheck({ x: xs, shape: c.x, r, analytic: dx.toFloat32Array(), forward: (v) => run(v, ws, bs), samples: 30, what: `dx ${what}` });
      fdCheck({ x: ws, shape: c.w, r, analytic: dw.toFloat32Array(), forward: (v) => run(xs, v, bs), samples: 30, what: `dW ${what}` });
      fdCheck({ x: bs, shape: [cout], r, analytic: db.toFloat32Array(), forward: (v) => run(xs, ws, v), what: `db ${what}` });
      for (const t of [x, w, b, y, dy, dx, dw, db]) t.dispose();
    }
  });

  it('refuses outputPadding ≥ stride and mismatched channels with the numbers', () => {
    const x = Tensor.zeros([1, 2, 3, 3]), w = Tensor.zeros([2, 1, 3, 3]), w3 = Tensor.zeros([3, 1, 3, 3]);
    expect(() => ops.convTranspose2d(x, w, null, { stride: 2, outputPadding: 2 })).toThrow(/outputPadding \[2, 2\] must be less than the stride \[2, 2\]/);
    expect(() => ops.convTranspose2d(x, w3)).toThrow(/weight \[3, 1, 3, 3\] is for 3 input channels, x \[1, 2, 3, 3\] has 2/);
    expect(() => ops.convTranspose2d(x, w, null, { padding: 4 })).toThrow(/empty output/);
    for (const t of [x, w, w3]) t.dispose();
  });
});

describe('nn.ConvTranspose2d', () => {
  it('stride 2 with outputPadding: compiled, saved, exported and trained as eager', () => {
    checkLayer('ConvTranspose2d', () => new Sequential([new nn.ConvTranspose2d(3, 4, 3, { stride: 2, padding: 1, outputPadding: 1 })], { inputShape: [3, 4, 5] }), { shape: [3, 4, 5] });
  });
  it('groups, dilation, no bias, asymmetric padding', () => {
    checkLayer('ConvTranspose2d groups', () => new Sequential([
      new nn.ConvTranspose2d(4, 6, [2, 3], { stride: [2, 1], padding: [0, 1, 1, 0], dilation: [1, 2], groups: 2, bias: false }),
    ], { inputShape: [4, 3, 4] }), { shape: [4, 3, 4] });
  });
  it('checks its arguments', () => {
    expect(() => new nn.ConvTranspose2d(3, 4, 3, { groups: 2 })).toThrow(/divisible by groups/);
    expect(() => new nn.ConvTranspose2d(2, 2, 3, { stride: 1, outputPadding: 1 })).toThrow(/outputPadding \[1, 1\] must be less than the stride/);
    expect(() => new Sequential([new nn.ConvTranspose2d(2, 2, 3)], { inputShape: [3, 4, 4] })).toThrow(/built for 2 input channels/);
  });
});
