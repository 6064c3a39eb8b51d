// Convolution taps that never read the input. A dilated window on a small input (DeepLabV3's ASPP:
// 3×3 at dilation 24 and 36 on a 14×14 map, padded by the dilation) reaches the input with its
// centre row and column only: every other tap multiplies the zero padding at every output
// position. conv2d then runs the window of the live taps alone — the same output, the same sums in
// the same order less terms that were exactly w·0 — on weights gathered from the full window at
// each run (so a Prepared still sees weight updates), or once when the caller holds the weights
// constant (compile's plans: DeepLabV3's ASPP re-gathered ~1 MB per run). Called by conv2d.ts's
// checkedConv2d.
import { kernels, heap } from '../wasm/engine.js';
import { paramBlock, type Prepared } from './prepared.js';
import { mergeBox, stridedParams } from './strided.js';
import type { ConvGeom } from './conv2d-common.js';

/**
 * The taps [lo, hi) along one axis (input n, window k, stride s, dilation d, begin padding pad,
 * out positions) that read inside [0, n) at some output position: tap t reads t·d − pad …
 * (out − 1)·s + t·d − pad, so the live taps are one run.
 */
export function liveRange(n: number, k: number, s: number, d: number, pad: number, out: number): [number, number] {
  let lo = 0;
  while (lo < k && (out - 1) * s + lo * d - pad < 0) lo++;
  let hi = k;
  while (hi > lo && (hi - 1) * d - pad > n - 1) hi--;
  return [lo, hi];
}

/** A geometry cut to its live taps: rows [r0, r1) and columns [c0, c1) of the full window. */
export interface LiveWindow { q: ConvGeom; r0: number; r1: number; c0: number; c1: number }

/**
 * The geometry with only the live taps (the padding shrunk by the dropped taps' reach, so the
 * output size is unchanged), or null when every tap is live, when none is (the output is the bias:
 * left to the full window), or when dropping taps would need a negative padding (a crop).
 */
export function liveWindow(p: ConvGeom): LiveWindow | null {
  const { g } = p;
  const [r0, r1] = liveRange(p.h, g.kh, g.sh, g.dh, g.padTop, g.oh);
  const [c0, c1] = liveRange(p.wd, g.kw, g.sw, g.dw, g.padLeft, g.ow);
  if ((r1 - r0 === g.kh && c1 - c0 === g.kw) || r0 >= r1 || c0 >= c1) return null;
  const padTop = g.padTop - r0 * g.dh, padBottom = g.padBottom - (g.kh - r1) * g.dh;
  const padLeft = g.padLeft - c0 * g.dw, padRight = g.padRight - (g.kw - c1) * g.dw;
  if (padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0) return null;
  const kh = r1 - r0, kw = c1 - c0;
  // a single tap along an axis has no spacing: dilation 1 there lets the 1×1 and direct paths take it
  const q: ConvGeom = { ...p, g: { ...g, kh, kw, dh: kh === 1 ? 1 : g.dh, dw: kw === 1 ? 1 : g.dw, padTop, padLeft, padBottom, padRight } };
  return { q, r0, r1, c0, c1 };
}

/**
 * Whether a Prepared reads its weights at each run ('live': an eager op, a user's Prepared, which
 * see weight updates) or may read them once when prepared ('constant': compile's plans).
 */
export type WeightBinding = 'live' | 'constant';

/**
 * The Prepared of a cut window: `inner(q, wp)` plans the convolution of geometry q over weights at
 * wp; the live taps of the full weights at w are gathered into that buffer at each run, or once
 * here when `weights` is 'constant'.
 */
export function liveWindowPlan(p: ConvGeom, live: LiveWindow, w: number, inner: (q: ConvGeom, wp: number) => Prepared, weights: WeightBinding = 'live'): Prepared {
  const { g } = p, { q } = live;
  const kh = q.g.kh, kw = q.g.kw;
  const h = heap();
  const buf = h.alloc(p.o * p.cg * kh * kw * 4);
  let params = 0, plan: Prepared | null = null;
  try {
    const box = mergeBox({ dims: [p.o * p.cg, kh, kw], src: [g.kh * g.kw, g.kw, 1], dst: [kh * kw, kw, 1] });
    params = paramBlock(stridedParams(box));
    plan = inner(q, buf);
  } catch (e) {
    h.release(buf);
    if (params > 0) h.release(params);
    throw e;
  }
  const src = w + (live.r0 * g.kw + live.c0) * 4;
  const gather = (): void => kernels().copy_f32_strided_simd(src, buf, params);
  if (weights === 'constant') {
    gather();
    h.release(params);
    params = 0;
  }
  const body = plan;
  let alive = true;
  return {
    outShape: body.outShape,
    scratchBytes: body.scratchBytes,
    algorithm: body.algorithm,
    run: params === 0 ? (inputs, out, scratch) => body.run(inputs, out, scratch) : (inputs, out, scratch) => {
      gather();
      body.run(inputs, out, scratch);
    },
    dispose() {
      if (!alive) return;
      alive = false;
      body.dispose();
      h.release(buf);
      if (params !== 0) h.release(params);
    },
  };
}
