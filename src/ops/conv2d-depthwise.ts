// The depthwise 3×3 / 5×5 schedule of conv2d (assembly/dwconv2d.ts: clamp and activation in the
// store) and the activation epilogue of compiled convolutions (ConvActivation: a Hardswish or SiLU
// that compile() fuses into the convolution before it). Called by conv2d.ts's prepareConv2d.
import { kernels } from '../wasm/engine.js';
import { paramBlock, prepared, type Prepared } from './prepared.js';
import { evenRange, gemmNs, runTasks, taskCount, threadCount } from '../threads/parallel.js';
import { depthwiseBlock, isDepthwise, type ConvGeom } from './conv2d-common.js';

/**
 * An activation applied after the clamp in a compiled plan's convolution (compile's fusion of a
 * following Hardswish or SiLU): in the store of the specialised depthwise kernels, else in place
 * over the output right after the convolution, in the same step (the same bits as unfused).
 */
export type ConvActivation = 'none' | 'hardswish' | 'silu';

const ACTIVATIONS: readonly ConvActivation[] = ['none', 'hardswish', 'silu'];

export function activationArg(op: string, a: unknown): number {
  const i = ACTIVATIONS.indexOf((a ?? 'none') as ConvActivation);
  if (i < 0) throw new TypeError(`${op}: activation must be one of ${ACTIVATIONS.map((x) => `'${x}'`).join(', ')}, got ${String(a)}`);
  return i;
}

/** plan, then act (1 hardswish, 2 SiLU) in place over its `count` output elements. */
export function withActivation(plan: Prepared, act: number, count: number): Prepared {
  const k = kernels();
  const f = act === 1 ? k.hardswish_f32_simd : k.silu_f32_simd;
  return {
    outShape: plan.outShape,
    scratchBytes: plan.scratchBytes,
    run(inputs, out, scratch) {
      plan.run(inputs, out, scratch);
      f(out, out, count);
    },
    dispose: () => plan.dispose(),
  };
}

/**
 * The window (3 or 5) of the specialised depthwise kernels (assembly/dwconv2d.ts) when they apply:
 * one input channel per group, a square 3×3 or 5×5 window, the same stride 1 or 2 both ways, no
 * dilation, left padding (k − 1)/2; else 0.
 */
export function depthwiseWindow(p: ConvGeom): number {
  const { g } = p;
  if (!isDepthwise(p) || g.kh !== g.kw || (g.kh !== 3 && g.kh !== 5)) return 0;
  if (g.sh !== g.sw || g.sh > 2 || g.dh !== 1 || g.dw !== 1 || g.padLeft !== (g.kw - 1) / 2) return 0;
  return g.kh;
}

/**
 * The specialised depthwise kernels with the clamp and activation in their store: tasks of
 * channel ranges of each image (the same code computes each output channel on any thread).
 */
export function depthwisePlan(p: ConvGeom, wp: number, bp: number, min: number, max: number, act: number, win: 3 | 5 | number): Prepared {
  const { g } = p;
  const P = g.oh * g.ow, hw = p.h * p.wd;
  const params = paramBlock(depthwiseBlock(p));
  const kernel = win === 3 ? 'dwconv2d_f32_3x3_act_simd' : 'dwconv2d_f32_5x5_act_simd';
  const workNs = gemmNs(2 * p.n * p.o * P * g.kh * g.kw);
  const threads = threadCount();
  const perImage = threads < 2 ? 1 : Math.min(p.o, 8 * threads);
  const count = taskCount(workNs, p.n * perImage);
  const at = evenRange(p.n * perImage, count);
  const chan = evenRange(p.o, perImage);
  return prepared([p.n, p.o, g.oh, g.ow], 0, [params], (inputs, yp) => {
    const xp = inputs[0];
    runTasks('conv2d (depthwise 3×3/5×5)', count, workNs, threads, 0, 0, (t) => {
      for (let i = 0; i < count; i++) {
        t.task();
        for (let u = at(i); u < at(i + 1); u++) {
          const n = Math.floor(u / perImage), c = u % perImage;
          t.call(kernel, xp + n * p.c * hw * 4, wp, bp, yp + n * p.o * P * 4, params, min, max, act, chan(c), chan(c + 1));
        }
      }
    });
  });
}

