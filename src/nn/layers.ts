// The built-in layer types, one line each: nn/index.ts exports them and nn/registry.ts finds each
// class here by its static `type` (with its static fromConfig) to rebuild it from a model file.
export { Conv2d, type Conv2dOptions } from './conv2d.js';
export { Linear, type LinearOptions } from './linear.js';
export { MaxPool2d, type MaxPool2dOptions } from './maxpool2d.js';
export { AvgPool2d, type AvgPool2dOptions } from './avgpool2d.js';
export { GlobalAvgPool2d } from './globalavgpool2d.js';
export { AdaptiveAvgPool2d } from './adaptiveavgpool2d.js';
export { ReLU } from './relu.js';
export { LeakyReLU } from './leakyrelu.js';
export { Sigmoid } from './sigmoid.js';
export { Tanh } from './tanh.js';
export { Softmax, LogSoftmax } from './softmax.js';
export { Dropout } from './dropout.js';
export { LocalResponseNorm, type LocalResponseNormOptions } from './localresponsenorm.js';
export { BatchNorm2d, type BatchNorm2dOptions } from './batchnorm2d.js';
export { Flatten } from './flatten.js';
export { Add } from './add.js';
export { Concat } from './concat.js';
export { Reshape } from './reshape.js';
export { Identity } from './identity.js';
export { Reduce, type ReduceOp, type ReduceOptions } from './reduce.js';
export { GlobalMaxPool2d, AdaptiveMaxPool2d } from './globalmaxpool2d.js';
export { LayerNorm, type LayerNormOptions } from './layernorm.js';
export { LayerNorm2d } from './layernorm2d.js';
export { Permute } from './permute.js';
export { ChannelShuffle } from './channelshuffle.js';
export { Slice, type SliceOptions } from './slice.js';
export { MatMul } from './matmul.js';
