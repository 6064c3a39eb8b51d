// Padded convolutions with few input channels on large maps (a U-Net's or a super-resolution net's
// 3×3 layers over 4–16 channels at 224×224): im2col writes nine floats per input float for a GEMM
// whose few output rows do little with each, while the direct stride-1 kernels (conv2d.ts) read
// the input in place — but only unpadded. So the input is first copied with its zero border into
// scratch (one read and write per input float), and the direct kernel runs on that copy: the same
// sums, tap for tap, as over the padded input. Called by conv2d.ts's planOf.
import { preparePad } from './pad.js';
import { directConv, unpadded, type ConvGeom } from './conv2d-common.js';
import type { Prepared } from './prepared.js';

/** The geometry of the same convolution over the zero-padded input, when a direct kernel then takes it; else null. */
export function paddedDirect(p: ConvGeom): ConvGeom | null {
  const { g } = p;
  if (unpadded(g) || g.sw !== 1) return null;
  const q: ConvGeom = {
    ...p, h: p.h + g.padTop + g.padBottom, wd: p.wd + g.padLeft + g.padRight,
    g: { ...g, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0 },
  };
  return directConv(q) === null ? null : q;
}

/** Pads the input into scratch, then runs `inner` (the direct plan of q) on it. */
export function paddedPlan(p: ConvGeom, q: ConvGeom, inner: Prepared): Prepared {
  const { g } = p;
  let pad: Prepared;
  try {
    pad = preparePad([p.n, p.c, p.h, p.wd], [g.padLeft, g.padRight, g.padTop, g.padBottom]);
  } catch (e) {
    inner.dispose();
    throw e;
  }
  // the padded copy, then the inner plan's scratch at the next 64-byte boundary (16 bytes of padding after the copy)
  const copyBytes = Math.ceil((q.n * q.c * q.h * q.wd * 4 + 16) / 64) * 64;
  return {
    outShape: inner.outShape,
    scratchBytes: copyBytes + inner.scratchBytes,
    algorithm: inner.algorithm,
    run(inputs, out, scratch) {
      pad.run(inputs, scratch, 0);
      inner.run([scratch], out, scratch + copyBytes);
    },
    dispose() {
      pad.dispose();
      inner.dispose();
    },
  };
}
