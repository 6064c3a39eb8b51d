// The layers, constructed as in PyTorch, and what a user needs to define layers of their own.
export { Layer, ShapeError, type LayerConfig } from './layer.js';
export { Param } from './param.js';
export * from './layers.js';
export { registerLayer, layerTypes, type LayerFactory } from './registry.js';
export type { Clamp, ChannelAffine, Folded, LowerOptions, OnnxEmitter, OnnxAttr } from './lowering.js';
export { Rng, initArray, type WeightInit } from './init.js';
