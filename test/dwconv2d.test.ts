// The specialised depthwise kernels (assembly/dwconv2d.ts: 3×3 and 5×5, stride 1 and 2, left
// padding (k − 1)/2) and the activation epilogue of prepareConv2d (clamp, hardswish, SiLU; in the
// depthwise store, else in place after the convolution) against the float64 reference; and the
// 1×1 path that packs few pixels into GEMM panels. Sweeps: channels 1…17, widths with every
// remainder mod 4 (and mod 8 at stride 2), heights, top/bottom/right padding, batch > 1.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor } from '../src/index.js';
import { prepareConv2d, type ConvActivation } from '../src/ops/conv2d.js';
import { runOnce } from '../src/ops/prepared.js';
import { bytesInUse, expectCanariesIntact, expectClose, randArray, ready } from './helpers.js';
import { refClamp, refConv2d } from './ref/conv2d.js';

beforeAll(ready);

interface Case {
  n?: number; c: number; o?: number; h: number; w: number; k: number; s: number; groups?: number;
  pad?: [number, number, number, number]; clamp?: [number, number]; act?: ConvActivation; bias?: boolean;
}

const hardswish = (v: number) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6;
const silu = (v: number) => v / (1 + Math.exp(-v));

let seed = 7;
function check(c: Case): void {
  const what = JSON.stringify(c);
  const n = c.n ?? 1, o = c.o ?? c.c, g = c.groups ?? c.c;
  const p = c.pad ?? [c.k >> 1, c.k >> 1, c.k >> 1, c.k >> 1];
  const xs = [n, c.c, c.h, c.w], ws = [o, c.c / g, c.k, c.k];
  const xd = randArray(xs.reduce((a, b) => a * b, 1), seed++, -4, 4);
  const wd = randArray(ws.reduce((a, b) => a * b, 1), seed++);
  const bd = c.bias === false ? null : randArray(o, seed++);
  const base = bytesInUse();
  const x = Tensor.from(xd, xs), w = Tensor.from(wd, ws), b = bd ? Tensor.from(bd, [o]) : null;
  const clamp = c.clamp ? { min: c.clamp[0], max: c.clamp[1] } : undefined;
  const prep = prepareConv2d(xs, w, b, { stride: c.s, padding: p, groups: g }, clamp, c.act);
  const y = runOnce(prep, [x.ptr], (s) => Tensor.empty(s));
  expectCanariesIntact(what);
  const r = refConv2d(xd, xs, wd, ws, bd, { stride: [c.s, c.s], dilation: [1, 1], padding: p, groups: g });
  let want = c.clamp ? refClamp(r.data, c.clamp[0], c.clamp[1]) : r.data;
  if (c.act === 'hardswish') want = want.map(hardswish);
  if (c.act === 'silu') want = want.map(silu);
  expect(y.shape, what).toEqual(r.shape);
  expectClose(y.toFloat32Array(), want, r.shape, what);
  for (const t of [x, w, b, y]) t?.dispose();
  expect(bytesInUse(), `${what}: bytes in use`).toBe(base);
}

const CH = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17];
const ACTS: (ConvActivation | undefined)[] = [undefined, 'hardswish', 'silu'];

describe('depthwise 3×3 / 5×5 kernels', () => {
  it('every channel count, 3×3 and 5×5, stride 1 and 2', () => {
    for (const c of CH) for (const k of [3, 5]) for (const s of [1, 2]) check({ c, h: 6, w: 9, k, s, bias: c % 2 === 0 });
  });

  it('widths 1…20 (every remainder mod 4 and mod 8) and heights 1…9', () => {
    for (const k of [3, 5]) for (const s of [1, 2]) {
      for (let w = 1; w <= 20; w++) check({ c: 2, h: 5, w, k, s });
      for (let h = 1; h <= 9; h++) check({ c: 3, h, w: 13, k, s });
    }
    check({ c: 4, h: 56, w: 56, k: 3, s: 2 });
    check({ c: 3, h: 40, w: 37, k: 5, s: 1 });
  });

  it('asymmetric top / bottom / right padding, channel multiplier, batch', () => {
    for (const k of [3, 5]) for (const s of [1, 2]) {
      const l = k >> 1;
      check({ c: 3, h: 7, w: 11, k, s, pad: [0, l, 0, 0] });
      check({ c: 3, h: 8, w: 12, k, s, pad: [l + 1, l, 0, l + 1] });
      check({ c: 2, o: 4, h: 9, w: 10, k, s }); // multiplier 2
      check({ n: 3, c: 5, h: 7, w: 7, k, s });
    }
  });

  it('clamp and each activation in the store', () => {
    for (const act of ACTS) for (const k of [3, 5]) for (const s of [1, 2]) {
      check({ c: 5, h: 9, w: 15, k, s, act });
      check({ n: 2, c: 3, h: 6, w: 6, k, s, act, clamp: [0, 6] });
    }
  });
});

describe('the activation epilogue and the packed 1×1 path', () => {
  it('1×1 over few pixels (packed), every channel count and pixel count', () => {
    for (const ci of CH) check({ c: ci, o: 11, groups: 1, h: 7, w: 7, k: 1, s: 1, pad: [0, 0, 0, 0] });
    for (let hw = 1; hw <= 17; hw++) check({ c: 9, o: 6, groups: 1, h: 1, w: hw, k: 1, s: 1, pad: [0, 0, 0, 0], act: 'silu' });
    check({ n: 2, c: 300, o: 20, groups: 1, h: 14, w: 14, k: 1, s: 1, pad: [0, 0, 0, 0], clamp: [0, 6] });
    check({ n: 2, c: 8, o: 6, groups: 2, h: 7, w: 7, k: 1, s: 1, pad: [0, 0, 0, 0] });
  });

  it('hardswish and SiLU after the other convolution schedules (im2col, direct, general depthwise)', () => {
    for (const act of ACTS) {
      check({ c: 3, o: 16, groups: 1, h: 12, w: 12, k: 3, s: 2, act }); // im2col + GEMM
      check({ c: 4, o: 8, groups: 1, h: 9, w: 10, k: 3, s: 1, pad: [0, 0, 0, 0], act }); // direct
      check({ c: 4, h: 9, w: 10, k: 3, s: 1, pad: [0, 0, 0, 0], act }); // general depthwise (no left padding)
      check({ c: 4, o: 5, groups: 1, h: 30, w: 30, k: 1, s: 1, pad: [0, 0, 0, 0], act }); // 1×1 in place
    }
  });
});
