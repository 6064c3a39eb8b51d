// 1×1 stride-1 unpadded convolutions (ResNet's bottleneck layers, MobileNet's pointwise layers):
// the input [C, H·W] is already the GEMM's B matrix, out[o, p] = Σ_c W[o, c]·x[c, p], but it is
// packed into 8-column panels a block of columns at a time rather than read in place (see
// MIN_PACK_COLS). Called by conv2d.ts's forwardPlan.
import { prepared, type Prepared } from './prepared.js';
import { evenRange, gemmNs, runTasks, taskCount, threadCount } from '../threads/parallel.js';
import type { ConvGeom } from './conv2d-common.js';

/** Packed columns per block: about this many bytes of panels (L2-sized, as im2col's blocks). */
const COL_BYTES = 256 * 1024;
/**
 * A 1×1 convolution packs its input [C, H·W] into 8-column GEMM panels, a block of columns at a
 * time (about COL_BYTES, at least MIN_PACK_COLS; all of them up to ONE_BLOCK_PIXELS, since each
 * block reads the weights again), rather than reading it in place: a row stride of H·W floats
 * maps the rows of one panel onto a few cache sets (56×56: 16 of an L1's 64, so 256 channels no
 * longer fit in its 12 ways and every k step misses), and packed panels are read with one
 * pointer. The copy is one load and store per input float, which the GEMM then uses once per
 * output channel.
 */
const MIN_PACK_COLS = 64;
const ONE_BLOCK_PIXELS = 512;

/**
 * The 1×1 stride-1 unpadded plan: per image and group, blocks of `cols` columns of the [C, H·W]
 * input packed into 8-column panels (gemm_pack_f32_p8_simd), then the GEMM over the packed block.
 * Tasks of consecutive blocks over the batch, each thread with its own panel buffer; the blocks
 * depend on the shapes only, and the GEMM's sums do not depend on the block width, so the bits
 * are the same on any thread count.
 */
export function pointwisePlan(p: ConvGeom, wp: number, bp: number, min: number, max: number): Prepared {
  const { g } = p;
  const P = g.oh * g.ow, K = p.cg, hw = p.h * p.wd;
  const threads = threadCount();
  // few pixels (late stages, long K) are one block however large; more, blocks of about
  // COL_BYTES of equal widths in whole panels (no thin last block reading all of W for 4 columns)
  const most = Math.max(MIN_PACK_COLS, Math.floor(COL_BYTES / (K * 4) / 8) * 8);
  let cols = P <= ONE_BLOCK_PIXELS ? Math.ceil(P / 8) * 8 : Math.ceil(P / Math.ceil(P / most) / 8) * 8;
  if (threads > 1) {
    // on threads, about a dozen blocks per thread (whole panels), as the im2col path does
    const c = Math.ceil((p.n * p.groups * P) / (12 * threads) / 8) * 8;
    cols = Math.max(8, Math.min(cols, c));
  }
  const panelBytes = Math.ceil((cols * K * 4 + 32) / 64) * 64;
  const perImage = Math.ceil(P / cols);
  const blocks = p.n * p.groups * perImage;
  const workNs = gemmNs(2 * p.n * p.o * P * K);
  const count = taskCount(workNs, blocks, threads);
  const at = evenRange(blocks, count);
  const outShape = [p.n, p.o, g.oh, g.ow];
  return prepared(outShape, panelBytes * threads, [], (inputs, yp, panels) => {
    const xp = inputs[0];
    runTasks('conv2d (1×1 GEMM)', count, workNs, threads, panels, panelBytes, (t) => {
      for (let i = 0; i < count; i++) {
        t.task();
        for (let b = at(i); b < at(i + 1); b++) {
          const img = Math.floor(b / perImage), p0 = (b % perImage) * cols;
          const n = Math.floor(img / p.groups), gi = img % p.groups;
          const cnt = Math.min(cols, P - p0);
          // the panel buffer (argument 2 of the packing, 2 of the GEMM) is the running thread's
          t.scratchCall('gemm_pack_f32_p8_simd', 0b100, xp + ((n * p.c + gi * p.cg) * hw + p0) * 4, hw, 0, K, cnt);
          t.scratchCall('gemm_f32_4x8_minmax_simd', 0b100, wp + gi * p.og * K * 4, K, 0, 8, 8 * K, yp + ((n * p.o + gi * p.og) * P + p0) * 4, P,
            bp === 0 ? 0 : bp + gi * p.og * 4, p.og, cnt, K, min, max);
        }
      }
    });
  });
}
