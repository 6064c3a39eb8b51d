// An int8 convolution through ops.conv2dQs8 against the plain integer reference (test/ref/qs8.ts),
// shared by the int8 test files.
import { expect } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { qclamp } from '../src/ops/qs8.js';
import { rng } from './helpers.js';
import { convQs8Ref, ints, type ConvQs8Case } from './ref/qs8.js';

/** Where got first differs from want, as an index into dims, or null. */
export function firstDiff(got: Int8Array, want: Int8Array, dims: number[]): string | null {
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      const at: number[] = [];
      let r = i;
      for (let d = dims.length - 1; d >= 0; d--) { at.unshift(r % dims[d]); r = Math.floor(r / dims[d]); }
      return `at [${at.join(', ')}]: got ${got[i]}, want ${want[i]}`;
    }
  }
  return null;
}

/** The case p on random x (−128…127) and weights (wlo…127) from seed, zero points zx / zy, an optional clamp. */
export function convCase(p: ConvQs8Case, seed: number, zx: number, zy: number, clamp?: { min?: number; max?: number }, wlo = -127): void {
  const cg = p.c / p.groups;
  const x = ints(p.n * p.c * p.h * p.w, seed), wt = ints(p.o * cg * p.kh * p.kw, seed + 1, wlo, 127);
  const r = rng(seed + 2);
  const scales = Float32Array.from({ length: p.o }, () => 0.01 + r() * 0.02);
  const bias = Float32Array.from({ length: p.o }, () => (r() - 0.5) * 4);
  const qx = { scale: 0.05, zeroPoint: zx }, qy = { scale: 0.02 * Math.sqrt(cg * p.kh * p.kw), zeroPoint: zy };
  const bq = Int32Array.from(bias, (b, o) => Math.round(b / (qx.scale * scales[o])));
  const sc = Float32Array.from(scales, (s) => (qx.scale * s) / qy.scale);
  const [lo, hi] = qclamp(qy, clamp);
  const ref = convQs8Ref(p, x, wt, bq, sc, zx, zy, lo, hi);
  const xt = Tensor.from(x, [p.n, p.c, p.h, p.w]);
  try {
    const y = ops.conv2dQs8(xt, { data: wt, shape: [p.o, cg, p.kh, p.kw], scales, bias }, {
      stride: [p.sh, p.sw], dilation: [p.dh, p.dw], padding: [p.pt, p.pl, p.pb, p.pr], groups: p.groups,
    }, { x: qx, y: qy, clamp });
    const got = y.toInt8Array();
    expect(y.shape).toEqual([p.n, p.o, ref.oh, ref.ow]);
    y.dispose();
    const d = firstDiff(got, ref.y, [p.n, p.o, ref.oh, ref.ow]);
    if (d) throw new Error(`${JSON.stringify(p)} zx ${zx} zy ${zy}: ${d}`);
  } finally {
    xt.dispose();
  }
}

/** A one-image, one-group 1×1-stride case without padding or dilation, to spread other fields over. */
export const base4 = { n: 1, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pl: 0, pb: 0, pr: 0, groups: 1 };
