// Dilated 3×3 convolutions through Winograd. A stride-1 3×3 convolution with dilation (rh, rw)
// and padding equal to the dilation is rh·rw independent undilated 3×3 convolutions with padding
// 1, one per output phase (a, b) = (oy mod rh, ox mod rw), each over the input pixels of the same
// phase (TensorFlow's space-to-batch):
//   y[n, k, a + rh·s, b + rw·t] = Σ w[k, c, i, j] · x[n, c, a + rh·(s + i − 1), b + rw·(t + j − 1)].
// The phases are gathered into a batch of N·rh·rw images of ⌈H/rh⌉ × ⌈W/rw⌉ (zero where a phase
// has fewer rows or columns, which also stands for the padding), convolved by conv2d-winograd.ts
// with the bias and clamp fused, and scattered back (strided copies, assembly/transpose.ts).
import { kernels } from '../wasm/engine.js';
import type { ConvGeom } from './conv2d-common.js';
import { winogradForward, type WinoTile } from './conv2d-winograd.js';
import { paramBlock, releaseAll, type Prepared } from './prepared.js';
import { mergeBox, stridedParams, type StridedBox } from './strided.js';

/** The phases as one undilated convolution (batch N·rh·rw), or null when the split does not apply. */
export function phasedGeometry(p: ConvGeom): ConvGeom | null {
  const { g } = p;
  if (g.kh !== 3 || g.kw !== 3 || g.sh !== 1 || g.sw !== 1 || p.groups !== 1 || (g.dh === 1 && g.dw === 1)) return null;
  if (g.padTop !== g.dh || g.padBottom !== g.dh || g.padLeft !== g.dw || g.padRight !== g.dw) return null;
  const h = Math.ceil(p.h / g.dh), w = Math.ceil(p.wd / g.dw);
  return {
    ...p, n: p.n * g.dh * g.dw, h, wd: w,
    g: { ...g, dh: 1, dw: 1, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, oh: h, ow: w },
  };
}

/**
 * The forward pass of geometry p by Winograd F(m×m) over its phases q (phasedGeometry(p)): weights
 * at wp, bias at bp (or 0), the clamp fused. Scratch: the gathered input and output phases, then
 * the Winograd pass's own.
 */
export function dilatedWinograd(p: ConvGeom, q: ConvGeom, m: WinoTile, wp: number, bp: number, min: number, max: number): Prepared {
  const { dh: rh, dw: rw } = p.g;
  const plane = q.h * q.wd, phases = rh * rw;
  const align = (bytes: number) => Math.ceil((bytes + 16) / 64) * 64; // + the v128 a kernel may read past the end
  const xsFloats = q.n * p.c * plane;
  const xsBytes = align(xsFloats * 4), ysBytes = align(q.n * p.o * plane * 4);
  // per phase (a, b): a gather box (x → its images of xs) and a scatter box (ys → y); both start
  // at pixel (a, b) of x and y, and at image a·rw + b of xs and ys
  const moves: { gather: number; scatter: number; at: number; phase: number }[] = [];
  const owned: number[] = [];
  let inner: Prepared;
  try {
    for (let a = 0; a < rh; a++) {
      for (let b = 0; b < rw; b++) {
        const rows = Math.ceil((p.h - a) / rh), cols = Math.ceil((p.wd - b) / rw);
        if (rows <= 0 || cols <= 0) continue;
        const box = (ch: number, src: number[], dst: number[]) => {
          const ptr = paramBlock(stridedParams(mergeBox({ dims: [p.n, ch, rows, cols], src, dst } satisfies StridedBox)));
          owned.push(ptr);
          return ptr;
        };
        const image = [p.h * p.wd, rh * p.wd, rw];
        const gather = box(p.c, [p.c * image[0], ...image], [phases * p.c * plane, plane, q.wd, 1]);
        const scatter = box(p.o, [phases * p.o * plane, plane, q.wd, 1], [p.o * image[0], ...image]);
        moves.push({ gather, scatter, at: (a * p.wd + b) * 4, phase: a * rw + b });
      }
    }
    inner = winogradForward(q, m, wp, bp, min, max);
  } catch (e) {
    releaseAll(owned);
    throw e;
  }
  const k = kernels();
  let live = true;
  return {
    outShape: [p.n, p.o, p.g.oh, p.g.ow],
    scratchBytes: xsBytes + ysBytes + inner.scratchBytes,
    algorithm: `${inner.algorithm} over ${rh}×${rw} phases`,
    run(inputs, y, scratch) {
      const xs = scratch, ys = scratch + xsBytes;
      k.fill_f32_simd(xs, xsFloats, 0);
      for (const mv of moves) k.copy_f32_strided_simd(inputs[0] + mv.at, xs + mv.phase * p.c * plane * 4, mv.gather);
      inner.run([xs], ys, scratch + xsBytes + ysBytes);
      for (const mv of moves) k.copy_f32_strided_simd(ys + mv.phase * p.o * plane * 4, y + mv.at, mv.scatter);
    },
    dispose() {
      if (live) {
        inner.dispose();
        releaseAll(owned);
      }
      live = false;
    },
  };
}
