// The public `ops` namespace (src/index.ts re-exports this file as `ops`).
//
// RULE: list here only CHECKED functions — ones that validate every argument (tensors, shapes,
// options, numbers) before they allocate or call a kernel, with messages that name the op. Never
// `export *` from a file that also exports internals; never list prepare* functions (their
// Prepared.run takes raw addresses), raw-address helpers (denseRun, denseBackwardData,
// denseBackwardWeight), parameter-block or scratch helpers, or window2d. Internal callers import
// those from their files directly. Types may be listed freely. test/fuzz.test.ts calls every
// function listed here with hostile arguments, so a new op is fuzzed as soon as it is added.
export { outputSize } from './shape.js';
export type { OutputSizeOptions, Rounding, Padding2d } from './shape.js';

export { conv2d, conv2dClamped, conv2dBackwardData, conv2dBackwardFilter, conv2dBackwardBias } from './conv2d.js';
export type { Conv2dOptions, Conv2dBackwardFilterOptions, Conv2dBackwardBiasOptions, ClampBounds } from './conv2d.js';

export { linear, linearClamped, linearBackward } from './linear.js';
export type { LinearBackwardOptions, LinearGrads } from './linear.js';

export {
  maxPool2d, maxPool2dWithIndices, avgPool2d, globalAvgPool2d, adaptiveAvgPool2d,
  maxPool2dBackward, avgPool2dBackward, globalAvgPool2dBackward, adaptiveAvgPool2dBackward,
} from './pool2d.js';
export type { MaxPool2dOptions, AvgPool2dOptions, AdaptiveOutputSize, MaxPool2dBackwardOptions } from './pool2d.js';

export { relu, leakyRelu, sigmoid, tanh, reluBackward, leakyReluBackward, sigmoidBackward, tanhBackward } from './activation.js';
export { softmax, logSoftmax, softmaxBackward, logSoftmaxBackward } from './softmax.js';
export { add, mul, scale, accumulate, addBackward } from './add.js';
export { concat, flatten, concatBackward, flattenBackward } from './concat.js';

export { localResponseNorm, localResponseNormBackward } from './lrn.js';
export type { LocalResponseNormOptions } from './lrn.js';

export { batchNorm, batchNormTrain, batchNormBackward } from './batchnorm.js';
export type {
  BatchNormOptions, BatchNormTrainOptions, BatchNormTrainResult, BatchNormBackwardOptions, BatchNormBackwardResult,
} from './batchnorm.js';

export { dropout, dropoutWithMask, dropoutBackward, dropoutSeed } from './dropout.js';
export type { DropoutOptions, DropoutWithMaskOptions, DropoutWithMask, DropoutBackwardOptions } from './dropout.js';

export { softmaxCrossEntropy, mseLoss } from './loss.js';
export type { LossReduction, SoftmaxCrossEntropyOptions, MseLossOptions, LossResult, SoftmaxCrossEntropyResult } from './loss.js';

export { sgdUpdate, adamUpdate } from './optim.js';
export type { SgdUpdateOptions, AdamUpdateOptions } from './optim.js';

export { indexSelect } from './gather.js';
export { sub, div, pow, binaryBackward, subBackward, mulBackward, divBackward, powBackward } from './binary.js';
export { sqrt, exp, neg, reciprocal, abs, erf, sqrtBackward, expBackward, reciprocalBackward, absBackward, erfBackward, negBackward } from './unary.js';
export { clip, relu6, hardSigmoid, hardSwish, clipBackward, relu6Backward, hardSigmoidBackward, hardSwishBackward, hardtanhBackward } from './clip.js';
export { silu, gelu, mish, siluBackward, geluBackward, mishBackward } from './gated.js';
export type { GeluOptions } from './gated.js';
export { reduceSum, reduceMean, reduceMax, globalMaxPool2d, reduceSumBackward, reduceMeanBackward, reduceMaxBackward, globalMaxPool2dBackward } from './reduce.js';
export type { ReduceKind, Axes } from './reduce.js';
export { layerNorm, layerNorm2d, layerNormTrain, layerNorm2dTrain, layerNormBackward, layerNorm2dBackward } from './layernorm.js';
export type { LayerNormTrainResult, LayerNormBackwardOptions, LayerNormBackwardResult } from './layernorm.js';
export { transpose, transposeBackward } from './transpose.js';
export { slice, sliceBackward, split, splitBackward } from './slice.js';
export { matmul, matmulBackward } from './matmul.js';
export type { MatmulGrads } from './matmul.js';
export { interpolate, interpolateBackward } from './resize.js';
export type { InterpolateOptions, CoordinateMode, InterpolateMode, NearestMode } from './resize.js';
export { pad, padBackward } from './pad.js';
export type { PadMode, PadOptions } from './pad.js';
export { convTranspose2d, convTranspose2dBackwardData, convTranspose2dBackwardFilter } from './conv-transpose2d.js'; // the bias gradient is conv2dBackwardBias
export type { ConvTranspose2dOptions } from './conv-transpose2d.js';
export { argmax, argmin } from './argmax.js'; // no backward: not differentiable
export type { ArgMaxOptions } from './argmax.js';
export { pixelShuffle, pixelUnshuffle, pixelShuffleBackward, pixelUnshuffleBackward } from './pixelshuffle.js';
export type { PixelShuffleOptions } from './pixelshuffle.js';
export { quantizeLinear, dequantizeLinear, addQs8, maxPool2dQs8, globalAvgPool2dQs8, lutQs8, activationTable } from './qs8.js';
export type { QParams, QClamp, MaxPoolQs8Options } from './qs8.js';
export { concatQs8 } from './qs8-concat.js';
export { conv2dQs8, linearQs8 } from './gemm-qs8.js';
export type { QWeights, QLayerParams } from './gemm-qs8.js';
