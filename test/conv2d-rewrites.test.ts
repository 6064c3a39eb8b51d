// conv2d's rewrites of a geometry before its kernels, each against the plain reference:
// - taps that only ever read the padding are dropped (src/ops/conv2d-taps.ts): which taps are
//   live, and the convolution with them alone: DeepLabV3's ASPP shapes (3×3 at dilation 12, 24, 36
//   on 14×14), partial cuts along one axis, strides, groups and depthwise, clamps and activations,
//   eager and prepared (weights gathered at each run, so an update between runs is seen; gathered
//   once where they are constant, as in compiled plans), and the cases left to the full window;
// - a padded convolution that a direct kernel takes unpadded runs on a zero-padded copy
//   (src/ops/conv2d-padded.ts): U-Net and pixel-shuffle shapes, asymmetric padding, strides along
//   the height, dilation, groups, batch, clamp and activation, prepared.
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, Tensor, compile, nn, ops } from '../src/index.js';
import { conv2dClamped, prepareConv2d } from '../src/ops/conv2d.js';
import { geometry } from '../src/ops/conv2d-common.js';
import { liveRange, liveWindow } from '../src/ops/conv2d-taps.js';
import { paddedDirect } from '../src/ops/conv2d-padded.js';
import { bytesInUse, expectCanariesIntact, expectClose, randArray, ready } from './helpers.js';
import { refClamp, refConv2d } from './ref/conv2d.js';

beforeAll(ready);

type Pads = [number, number, number, number];
interface Case { n?: number; c: number; o: number; h: number; w: number; kh: number; kw?: number; d: [number, number]; s?: [number, number]; pad: Pads; groups?: number; clamp?: [number, number] }

let seed = 7;
function check(c: Case, what = JSON.stringify(c)): void {
  const n = c.n ?? 1, g = c.groups ?? 1, kw = c.kw ?? c.kh;
  const xs = [n, c.c, c.h, c.w], ws = [c.o, c.c / g, c.kh, kw];
  const xd = randArray(xs.reduce((a, b) => a * b, 1), seed++), wd = randArray(ws.reduce((a, b) => a * b, 1), seed++), bd = randArray(c.o, seed++);
  const base = bytesInUse();
  const x = Tensor.from(xd, xs), w = Tensor.from(wd, ws), b = Tensor.from(bd, [c.o]);
  const opts = { stride: c.s, dilation: c.d, padding: c.pad, groups: g };
  const y = c.clamp ? conv2dClamped(x, w, b, opts, c.clamp[0], c.clamp[1]) : ops.conv2d(x, w, b, opts);
  expectCanariesIntact(what);
  const r = refConv2d(xd, xs, wd, ws, bd, { stride: c.s ?? [1, 1], dilation: c.d, padding: c.pad, groups: g });
  expect(y.shape, what).toEqual(r.shape);
  expectClose(y.toFloat32Array(), c.clamp ? refClamp(r.data, c.clamp[0], c.clamp[1]) : r.data, r.shape, what);
  for (const t of [x, w, b, y]) t.dispose();
  expect(bytesInUse(), `${what}: bytes in use`).toBe(base);
}

const geom = (c: Case) => geometry('t', [c.n ?? 1, c.c, c.h, c.w], 'x', [c.o, c.c / (c.groups ?? 1), c.kh, c.kw ?? c.kh], 'w', { stride: c.s, dilation: c.d, padding: c.pad, groups: c.groups });

/** The live rows and columns liveWindow finds (null: the full window runs). */
function cut(c: Case): [number, number, number, number] | null {
  const l = liveWindow(geom(c));
  return l && [l.r0, l.r1, l.c0, l.c1];
}

const aspp = (d: number): Case => ({ c: 12, o: 9, h: 14, w: 14, kh: 3, d: [d, d], pad: [d, d, d, d] });

describe('conv2d: taps that only read the padding', () => {
  it('liveRange: the taps that reach the input at some output position', () => {
    expect(liveRange(14, 3, 1, 24, 24, 14)).toEqual([1, 2]); // ASPP d24 on 14: the centre only
    expect(liveRange(14, 3, 1, 12, 12, 14)).toEqual([0, 3]); // d12: every tap somewhere
    expect(liveRange(5, 3, 1, 6, 6, 5)).toEqual([1, 2]);
    expect(liveRange(10, 3, 1, 8, 0, 2)).toEqual([0, 2]); // bottom padding only: the last tap never
    expect(liveRange(4, 3, 1, 8, 7, 2)).toEqual([1, 2]);
    expect(liveRange(9, 3, 2, 1, 1, 5)).toEqual([0, 3]);
  });

  it('liveWindow: the cut window, or null where the full window must run', () => {
    expect(cut(aspp(24))).toEqual([1, 2, 1, 2]);
    expect(cut(aspp(36))).toEqual([1, 2, 1, 2]);
    expect(cut(aspp(12))).toBeNull();
    expect(cut({ c: 2, o: 3, h: 5, w: 9, kh: 3, d: [6, 6], pad: [6, 6, 6, 6] })).toEqual([1, 2, 0, 3]);
    expect(cut({ c: 2, o: 3, h: 10, w: 10, kh: 3, d: [8, 1], pad: [0, 1, 8, 1] })).toEqual([0, 2, 0, 3]);
    // cutting the first tap would need padding top −1 (a crop): the full window
    expect(cut({ c: 2, o: 3, h: 4, w: 6, kh: 3, d: [8, 1], pad: [7, 1, 7, 1] })).toBeNull();
  });

  it('ASPP shapes (3×3 at dilation 12, 24, 36 on 14×14, one cut to a 1×1) match the full-window reference', () => {
    for (const d of [12, 24, 36]) check(aspp(d));
    check({ ...aspp(24), n: 2, clamp: [0, Infinity] });
  });

  it('cuts along one axis, strides, groups, depthwise, clamps', () => {
    check({ c: 2, o: 3, h: 5, w: 9, kh: 3, d: [6, 6], pad: [6, 6, 6, 6] });
    check({ c: 3, o: 4, h: 10, w: 10, kh: 3, d: [8, 1], pad: [0, 1, 8, 1] });
    check({ c: 3, o: 5, h: 9, w: 6, kh: 5, kw: 3, d: [5, 7], s: [2, 1], pad: [10, 7, 10, 7] });
    check({ c: 4, o: 6, h: 7, w: 7, kh: 3, d: [9, 9], pad: [9, 9, 9, 9], groups: 2 });
    check({ c: 8, o: 8, h: 6, w: 6, kh: 5, d: [4, 4], pad: [8, 8, 8, 8], groups: 8, clamp: [-0.5, 0.5] });
    check({ c: 2, o: 3, h: 4, w: 6, kh: 3, d: [8, 1], pad: [7, 1, 7, 1] }); // left to the full window
  });

  it('prepared: the live taps are gathered at each run (a weight update is seen), activations fused, memory returns', () => {
    const c = aspp(24), xs = [1, c.c, c.h, c.w], ws = [c.o, c.c, 3, 3];
    const xd = randArray(xs.reduce((a, b) => a * b, 1), 90), wd = randArray(ws.reduce((a, b) => a * b, 1), 91);
    const base = bytesInUse();
    const x = Tensor.from(xd, xs), w = Tensor.from(wd, ws), y = Tensor.zeros([1, c.o, 14, 14]);
    const p = prepareConv2d(xs, w, null, { dilation: c.d, padding: c.pad }, undefined, 'hardswish');
    const scratch = p.scratchBytes;
    expect(p.outShape).toEqual([1, c.o, 14, 14]);
    const hswish = (v: number) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6;
    for (const scale of [1, -2]) {
      const wNow = wd.map((v) => v * scale);
      w.writeWith((v) => v.set(wNow));
      const s = scratch > 0 ? Tensor.zeros([Math.ceil(scratch / 4)]) : null;
      p.run([x.ptr], y.ptr, s ? s.ptr : 0);
      s?.dispose();
      const r = refConv2d(xd, xs, wNow, ws, null, { dilation: c.d, padding: c.pad });
      expectClose(y.toFloat32Array(), r.data.map(hswish), r.shape, `weights × ${scale}`);
    }
    p.dispose();
    p.dispose(); // twice is harmless
    for (const t of [x, w, y]) t.dispose();
    expect(bytesInUse()).toBe(base);
  });
});

describe('conv2d: live taps gathered once where the weights are constant (compile)', () => {
  const c = aspp(24), xs = [2, c.c, c.h, c.w], ws = [c.o, c.c, 3, 3];
  const opts = { dilation: c.d, padding: c.pad };
  const relu = (v: number) => Math.max(v, 0);

  it("prepared with weights 'constant': gathered at preparation, a later update is not read, memory returns", () => {
    const xd = randArray(xs.reduce((a, b) => a * b, 1), 92), wd = randArray(ws.reduce((a, b) => a * b, 1), 93), bd = randArray(c.o, 94);
    const base = bytesInUse();
    const x = Tensor.from(xd, xs), w = Tensor.from(wd, ws), b = Tensor.from(bd, [c.o]), y = Tensor.zeros([2, c.o, 14, 14]);
    const p = prepareConv2d(xs, w, b, opts, { min: 0, max: Infinity }, undefined, 'constant');
    const s = Tensor.zeros([Math.max(1, Math.ceil(p.scratchBytes / 4))]);
    const r = refConv2d(xd, xs, wd, ws, bd, opts);
    p.run([x.ptr], y.ptr, s.ptr);
    expectClose(y.toFloat32Array(), r.data.map(relu), r.shape, 'constant: first run');
    w.writeWith((v) => v.set(wd.map((t) => -2 * t)));
    y.writeWith((v) => v.fill(0));
    p.run([x.ptr], y.ptr, s.ptr);
    expectClose(y.toFloat32Array(), r.data.map(relu), r.shape, 'constant: after an update of the weight tensor');
    p.dispose();
    for (const t of [x, w, b, y, s]) t.dispose();
    expect(bytesInUse()).toBe(base);
  });

  it('a compiled ASPP branch gives the eager output; eager after a weight update reads the new weights', () => {
    const conv = new nn.Conv2d(c.c, c.o, 3, opts);
    const m = new Sequential([conv, new nn.ReLU()], { inputShape: xs.slice(1), seed: 4 });
    const xd = randArray(xs.reduce((a, b) => a * b, 1), 95);
    const x = Tensor.from(xd, xs);
    const expectRef = (y: Tensor, what: string) => {
      const r = refConv2d(xd, xs, conv.weight.value.toFloat32Array(), ws, conv.bias!.value.toFloat32Array(), opts);
      expectClose(y.toFloat32Array(), r.data.map(relu), r.shape, what);
    };
    const eager = m.predict(x);
    expectRef(eager, 'eager');
    const plan = compile(m, { batchSize: 2 });
    const y = plan.run(x);
    expect(y.toFloat32Array(), 'compiled = eager').toEqual(eager.toFloat32Array());
    expect(plan.run(x).toFloat32Array(), 'a second run').toEqual(eager.toFloat32Array());
    // a training-style update of the live weights (as an optimizer writes them)
    conv.weight.value.writeWith((v) => v.set(randArray(v.length, 96)));
    conv.bias!.value.writeWith((v) => v.set(randArray(v.length, 97)));
    const eager2 = m.predict(x);
    expectRef(eager2, 'eager after the update');
    expect(eager2.toFloat32Array()).not.toEqual(eager.toFloat32Array());
    const plan2 = compile(m, { batchSize: 2 });
    expect(plan2.run(x).toFloat32Array(), 'recompiled = eager after the update').toEqual(eager2.toFloat32Array());
    for (const t of [plan, plan2, eager, eager2, x, m]) t.dispose();
  });
});

describe('conv2d: padded convolutions through the direct kernels on a zero-padded copy', () => {
  const cases: Case[] = [
    { c: 4, o: 4, h: 20, w: 32, kh: 3, d: [1, 1], pad: [1, 1, 1, 1] }, // a U-Net block at few channels
    { c: 8, o: 16, h: 11, w: 24, kh: 3, d: [1, 1], pad: [1, 1, 1, 1], n: 2 }, // the pixel-shuffle net's conv to C·r²
    { c: 4, o: 3, h: 9, w: 16, kh: 3, d: [1, 1], pad: [1, 1, 1, 1], clamp: [0, Infinity] },
    { c: 3, o: 8, h: 10, w: 17, kh: 5, kw: 3, d: [1, 1], pad: [2, 0, 1, 3] }, // asymmetric
    { c: 2, o: 8, h: 12, w: 16, kh: 3, d: [2, 2], s: [2, 1], pad: [2, 2, 2, 2] }, // dilated, stride along the height
    { c: 6, o: 16, h: 7, w: 24, kh: 3, d: [1, 1], pad: [1, 1, 1, 1], groups: 2 },
  ];

  it('takes the cases it should (and not stride 2 along the width, depthwise or long reductions)', () => {
    for (const c of cases) expect(paddedDirect(geom(c)), JSON.stringify(c)).not.toBeNull();
    expect(paddedDirect(geom({ c: 4, o: 8, h: 16, w: 16, kh: 3, d: [1, 1], s: [1, 2], pad: [1, 1, 1, 1] }))).toBeNull();
    expect(paddedDirect(geom({ c: 64, o: 64, h: 16, w: 16, kh: 3, d: [1, 1], pad: [1, 1, 1, 1] }))).toBeNull(); // K = 576: im2col + GEMM
    expect(paddedDirect(geom({ c: 4, o: 4, h: 16, w: 16, kh: 3, d: [1, 1], pad: [0, 0, 0, 0] }))).toBeNull(); // unpadded: direct already
  });

  it('matches the reference, eager', () => {
    for (const c of cases) check(c);
  });

  it('prepared with a fused activation, scratch for the padded copy, memory returns', () => {
    const c = cases[1], xs = [2, c.c, c.h, c.w], ws = [c.o, c.c, 3, 3];
    const xd = randArray(xs.reduce((a, b) => a * b, 1), 95), wd = randArray(ws.reduce((a, b) => a * b, 1), 96), bd = randArray(c.o, 97);
    const base = bytesInUse();
    const x = Tensor.from(xd, xs), w = Tensor.from(wd, ws), b = Tensor.from(bd, [c.o]);
    const p = prepareConv2d(xs, w, b, { padding: c.pad }, undefined, 'silu');
    expect(p.scratchBytes).toBeGreaterThanOrEqual(2 * c.c * (c.h + 2) * (c.w + 2) * 4);
    const y = Tensor.zeros(p.outShape), s = Tensor.zeros([Math.ceil(p.scratchBytes / 4)]);
    p.run([x.ptr], y.ptr, s.ptr);
    const r = refConv2d(xd, xs, wd, ws, bd, { padding: c.pad });
    expectClose(y.toFloat32Array(), r.data.map((v) => v / (1 + Math.exp(-v))), r.shape, 'silu');
    p.dispose();
    for (const t of [x, w, b, y, s]) t.dispose();
    expect(bytesInUse()).toBe(base);
  });
});
