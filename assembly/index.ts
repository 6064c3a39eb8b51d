// THE ABI of simdnet.wasm: only `export … from` lines. Every exported name is a kernel
// (plus heap_base, which tells the TypeScript allocator where static data ends). Helpers that
// are not kernels stay unexported in their files. Names follow
// <op>[_<pass>]_<dtype>[_<layout>][_<tile>][_<fusion>]_<isa>; every token is in the glossary of
// docs/kernels.md, with the grammar of the `@split` tags that tell the threads how to cut a kernel.
export * from "./memory";
export * from "./conv2d";
export * from "./dwconv2d";
export * from "./conv2d-direct";
export * from "./conv2d-winograd";
export * from "./gemm";
export * from "./gemm-pack";
export * from "./pool2d";
export * from "./activation";
export * from "./softmax";
export * from "./add";
export * from "./concat";
export * from "./lrn";
export * from "./batchnorm";
export * from "./dropout";
export * from "./loss";
export * from "./optim";
export * from "./pool2d-backward";
export * from "./batchnorm-train";
export * from "./gemv";
export * from "./conv2d-backward";
export * from "./conv2d-direct-backward";
export * from "./binary";
export * from "./unary";
export * from "./clip";
export * from "./gated";
export * from "./reduce";
export * from "./layernorm";
export * from "./transpose";
export * from "./augment";
export * from "./gemm-qs8";
export * from "./qs8";
export * from "./qs8-concat";
export * from "./dwconv2d-qs8";
export * from "./conv2d-winograd-qs8";
export * from "./conv2d-pack-qs8";
export * from "./gemv-qs8";
export * from "./conv2d-direct-qs8";
export * from "./pixels";
export * from "./resize";
export * from "./resize-backward";
export * from "./pad";
export * from "./argmax";
export * from "./pixelshuffle";
export * from "./conv2d-lanes-qs8";
