// Valid example calls of the ops whose arguments must fit together (a weight matching the input,
// a required kernelSize, dy of the forward output's shape): the fuzz's starting corpus, which it
// mutates one place at a time. An op without an entry here is still fuzzed (random arguments,
// and its own successful calls as they turn up).
import { Case, int, pick } from './fuzz-gen.js';

type Seed = (c: Case) => unknown[];

const pool = (c: Case) => {
  const k = int(c.r, 1, 3);
  return { kernelSize: k, stride: pick(c.r, [undefined, 1, 2, [1, 2]]), padding: pick(c.r, [0, k >> 1]) };
};
const clean = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function geom(c: Case) {
  const n = int(c.r, 1, 2), ch = int(c.r, 1, 4), h = int(c.r, 3, 7), w = int(c.r, 3, 7), o = int(c.r, 1, 4), k = int(c.r, 1, 3);
  return { n, ch, h, w, o, k, x: () => c.tensor([n, ch, h, w]) };
}

/** int8 weights { data, shape, scales, bias } for [o, …rest]. */
function qweights(c: Case, shape: number[]) {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = Int8Array.from({ length: size }, () => int(c.r, -127, 127));
  const scales = Float32Array.from({ length: shape[0] }, () => 0.001 + c.r() * 0.02);
  const bias = c.r() < 0.5 ? Float32Array.from({ length: shape[0] }, () => c.r() * 2 - 1) : null;
  return { data, shape, scales, bias };
}
const q8 = (c: Case) => ({ scale: pick(c.r, [0.01, 0.05, 0.2]), zeroPoint: int(c.r, -128, 127) });

export const SEEDS: Record<string, Seed> = {
  conv2d: (c) => { const g = geom(c); return [g.x(), c.tensor([g.o, g.ch, g.k, g.k]), c.tensor([g.o]), { stride: int(c.r, 1, 2), padding: int(c.r, 0, 1) }]; },
  conv2dClamped: (c) => { const g = geom(c); return [g.x(), c.tensor([g.o, g.ch, g.k, g.k]), null, { dilation: 1 }, 0, 6]; },
  conv2dBackwardData: (c) => { const g = geom(c); return [c.tensor([g.n, g.o, g.h - g.k + 1, g.w - g.k + 1]), c.tensor([g.o, g.ch, g.k, g.k]), [g.n, g.ch, g.h, g.w], { stride: 1 }]; },
  conv2dBackwardFilter: (c) => { const g = geom(c); return [g.x(), c.tensor([g.n, g.o, g.h - g.k + 1, g.w - g.k + 1]), [g.o, g.ch, g.k, g.k], { padding: 0 }]; },
  conv2dBackwardBias: (c) => { const g = geom(c); return [c.tensor([g.n, g.o, g.h, g.w]), {}]; },
  linear: (c) => { const g = geom(c); return [c.tensor([g.n, g.ch]), c.tensor([g.o, g.ch]), c.tensor([g.o])]; },
  linearClamped: (c) => { const g = geom(c); return [c.tensor([g.n, g.ch]), c.tensor([g.o, g.ch]), null, 0, Infinity]; },
  linearBackward: (c) => { const g = geom(c); return [c.tensor([g.n, g.o]), c.tensor([g.n, g.ch]), c.tensor([g.o, g.ch]), { biasGrad: true }]; },
  maxPool2d: (c) => [geom(c).x(), clean({ ...pool(c), dilation: pick(c.r, [undefined, 1, 2]), ceilMode: pick(c.r, [undefined, true]) })],
  maxPool2dWithIndices: (c) => [geom(c).x(), clean(pool(c))],
  avgPool2d: (c) => [geom(c).x(), clean({ ...pool(c), countIncludePad: pick(c.r, [undefined, false]) })],
  maxPool2dBackward: (c) => {
    const g = geom(c);
    const indices = c.tensor([g.n, g.ch, g.h - 1, g.w - 1], 'int32');
    return [c.tensor([g.n, g.ch, g.h - 1, g.w - 1]), g.x(), { kernelSize: 2, stride: 1, ...(c.r() < 0.5 ? { indices } : {}) }];
  },
  avgPool2dBackward: (c) => { const g = geom(c); return [c.tensor([g.n, g.ch, g.h - 1, g.w - 1]), [g.n, g.ch, g.h, g.w], { kernelSize: 2, stride: 1 }]; },
  adaptiveAvgPool2d: (c) => [geom(c).x(), pick(c.r, [1, 2, [2, 3]])],
  adaptiveAvgPool2dBackward: (c) => { const g = geom(c); return [c.tensor([g.n, g.ch, 2, 2]), [g.n, g.ch, g.h, g.w]]; },
  globalAvgPool2dBackward: (c) => { const g = geom(c); return [c.tensor([g.n, g.ch, 1, 1]), [g.n, g.ch, g.h, g.w]]; },
  batchNorm: (c) => { const g = geom(c); return [g.x(), c.tensor([g.ch]), c.tensor([g.ch]), c.tensor([g.ch]), null, { eps: 1e-5 }]; },
  batchNormTrain: (c) => { const g = geom(c); return [g.x(), c.tensor([g.ch]), c.tensor([g.ch]), c.tensor([g.ch]), c.tensor([g.ch]), { momentum: 0.1 }]; },
  batchNormBackward: (c) => { const g = geom(c); return [g.x(), g.x(), c.tensor([g.ch]), c.tensor([g.ch]), c.tensor([g.ch]), {}]; },
  localResponseNorm: (c) => [geom(c).x(), { size: int(c.r, 1, 5) }],
  localResponseNormBackward: (c) => { const g = geom(c); return [c.tensor([g.n, g.ch, g.h, g.w]), g.x(), { size: 3, alpha: 1e-4 }]; },
  softmaxCrossEntropy: (c) => {
    const g = geom(c), dense = c.r() < 0.5; // [N, C] rows, or [N, C, H, W] with a label per pixel
    return [c.tensor(dense ? [g.n, g.o, g.h, g.w] : [g.n, g.o]), Array.from({ length: dense ? g.n * g.h * g.w : g.n }, () => int(c.r, 0, g.o - 1)), { reduction: 'mean' }];
  },
  mseLoss: (c) => { const g = geom(c); return [c.tensor([g.n, g.o]), c.tensor([g.n, g.o]), { reduction: 'sum' }]; },
  sgdUpdate: (c) => { const g = geom(c); return [c.tensor([g.o, g.ch]), c.tensor([g.o, g.ch]), c.tensor([g.o, g.ch]), { lr: 0.1, momentum: 0.9 }]; },
  adamUpdate: (c) => { const g = geom(c); return [c.tensor([g.o]), c.tensor([g.o]), c.tensor([g.o]), c.tensor([g.o]), { lr: 0.01, step: 1 }]; },
  softmaxBackward: (c) => { const g = geom(c); return [c.tensor([g.n, g.o]), c.tensor([g.n, g.o]), -1]; },
  logSoftmaxBackward: (c) => { const g = geom(c); return [g.x(), g.x(), 1]; },
  dropoutBackward: (c) => [geom(c).x(), 0.5, { seed: 7 }],
  concat: (c) => { const g = geom(c); return [[g.x(), g.x()], 1]; },
  concatBackward: (c) => { const g = geom(c); return [c.tensor([g.n, 2 * g.ch, g.h, g.w]), [[g.n, g.ch, g.h, g.w], [g.n, g.ch, g.h, g.w]], 1]; },
  flattenBackward: (c) => { const g = geom(c); return [c.tensor([g.n, g.ch * g.h * g.w]), [g.n, g.ch, g.h, g.w]]; },
  addBackward: (c) => { const g = geom(c); return [g.x(), [g.n, g.ch, g.h, g.w], [g.n, g.ch, g.h, g.w]]; },
  indexSelect: (c) => { const g = geom(c); return [g.x(), [0, g.n - 1]]; },
  quantizeLinear: (c) => [geom(c).x(), q8(c)],
  dequantizeLinear: (c) => { const g = geom(c); return [c.tensor([g.n, g.ch, g.h, g.w], 'int8'), q8(c)]; },
  addQs8: (c) => { const g = geom(c), s = [g.n, g.ch, g.h, g.w]; return [c.tensor(s, 'int8'), c.tensor(s, 'int8'), q8(c), q8(c), q8(c), pick(c.r, [undefined, { min: 0 }])]; },
  concatQs8: (c) => { const g = geom(c), s = [g.n, g.ch, g.h, g.w]; return [[c.tensor(s, 'int8'), c.tensor(s, 'int8')], 1, [q8(c), q8(c)], q8(c)]; },
  maxPool2dQs8: (c) => { const g = geom(c); return [c.tensor([g.n, g.ch, g.h, g.w], 'int8'), clean({ ...pool(c), dilation: pick(c.r, [undefined, 1, 2]) })]; },
  globalAvgPool2dQs8: (c) => { const g = geom(c); return [c.tensor([g.n, g.ch, g.h, g.w], 'int8'), q8(c), q8(c)]; },
  conv2dQs8: (c) => {
    const g = geom(c), dw = c.r() < 0.3;
    const w = qweights(c, dw ? [g.ch, 1, g.k, g.k] : [g.o, g.ch, g.k, g.k]);
    return [c.tensor([g.n, g.ch, g.h, g.w], 'int8'), w, { stride: int(c.r, 1, 2), padding: int(c.r, 0, 1), groups: dw ? g.ch : 1 }, { x: q8(c), y: q8(c), clamp: pick(c.r, [undefined, { min: 0, max: 6 }]) }];
  },
  linearQs8: (c) => { const g = geom(c); return [c.tensor([g.n, g.ch], 'int8'), qweights(c, [g.o, g.ch]), { x: q8(c), y: q8(c) }]; },
  outputSize: (c) => [int(c.r, 1, 9), int(c.r, 1, 3), { stride: 2, padding: 1, dilation: 1, rounding: 'ceil' }],
};

/**
 * Valid constructor arguments of the layers whose options are required (the fuzz of the layers
 * starts from these half the time), sized by the case's dims so that forward's inputs fit.
 */
export const LAYER_SEEDS: Record<string, Seed> = {
  QuantizeLinear: (c) => [q8(c)],
  DequantizeLinear: (c) => [q8(c), { name: 'dq' }],
  QAdd: (c) => [{ a: q8(c), b: q8(c), y: q8(c), ...(c.r() < 0.5 ? { clamp: { min: 0 } } : {}) }],
  QConcat: (c) => [{ inputs: [q8(c), q8(c)], y: q8(c) }],
  QGlobalAvgPool2d: (c) => [{ x: q8(c), y: q8(c) }],
  QLinear: (c) => [c.dims[1], c.dims[4], c.r() < 0.3 ? { x: q8(c), output: 'float32', bias: c.r() < 0.5 } : { x: q8(c), y: q8(c), bias: c.r() < 0.5 }],
  QConv2d: (c) => {
    const [, ch, , , o, k] = c.dims;
    const dw = c.r() < 0.3;
    return [ch, dw ? ch : o, k, { x: q8(c), y: q8(c), padding: int(c.r, 0, 1), stride: int(c.r, 1, 2), groups: dw ? ch : 1, clamp: { min: 0 } }];
  },
  QMaxPool2d: (c) => [c.dims[5], { stride: pick(c.r, [1, 2]), padding: 0 }],
};
