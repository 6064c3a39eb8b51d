// simdnet: the curated public API.
export { init, engineInfo, memoryInfo } from './wasm/engine.js';
export type { InitOptions, EngineInfo, WasmSource } from './wasm/engine.js';
export { Tensor, tidy, keep } from './tensor.js';
export type { Shape } from './tensor.js';
export { outputSize } from './ops/shape.js';
export type { OutputSizeOptions, Rounding, Padding2d } from './ops/shape.js';
import * as ops from './ops/index.js';
export { ops };
import * as nn from './nn/index.js';
export { nn };
export { Graph, type GraphSpec, type ForwardOptions, type ForwardResult } from './graph/graph.js';
export { Sequential, type SequentialOptions } from './graph/sequential.js';
export { GraphBuilder } from './graph/builder.js';
export { GraphError, type NodeSpec } from './graph/topology.js';
import * as models from './models/index.js';
export { models };
import * as io from './io/index.js';
export { io };
