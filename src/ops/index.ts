// The ops: one file per kernel family (validation + shape inference + the kernel call).
export * from './shape.js';
export * from './conv2d.js';
export * from './linear.js';
export * from './pool2d.js';
export * from './activation.js';
export * from './softmax.js';
export * from './add.js';
export * from './concat.js';
export * from './lrn.js';
export * from './batchnorm.js';
export * from './dropout.js';
export * from './loss.js';
export * from './optim.js';
export * from './gather.js';
