// The benchmark workloads: real layer shapes from the lecture's architectures.
// FLOPs = 2 × multiply-adds. Shared by every runtime's bench entry.

const convFlops = (n, c, o, oh, ow, kh, kw, groups = 1) => 2 * n * o * oh * ow * (c / groups) * kh * kw;

/** conv2d workloads: x [N, C, H, W], w [O, C/g, kh, kw]. */
export const conv2d = [
  { name: 'LeNet-5 conv1', x: [64, 1, 32, 32], w: [6, 1, 5, 5], opts: {}, out: [28, 28] },
  { name: 'LeNet-5 conv2', x: [64, 6, 14, 14], w: [16, 6, 5, 5], opts: {}, out: [10, 10] },
  { name: 'AlexNet conv1', x: [1, 3, 227, 227], w: [96, 3, 11, 11], opts: { stride: 4 }, out: [55, 55] },
  { name: 'VGG 3x3 64→64 @56', x: [1, 64, 56, 56], w: [64, 64, 3, 3], opts: { padding: 1 }, out: [56, 56] },
  { name: 'VGG 3x3 64→64 @56 (gemm)', x: [1, 64, 56, 56], w: [64, 64, 3, 3], opts: { padding: 1, algorithm: 'gemm' }, out: [56, 56] },
  { name: 'ResNet 1x1 256→64 @56', x: [1, 256, 56, 56], w: [64, 256, 1, 1], opts: {}, out: [56, 56] },
  { name: 'ResNet 1x1 64→256 @56', x: [1, 64, 56, 56], w: [256, 64, 1, 1], opts: {}, out: [56, 56] },
  { name: 'ResNet 1x1 512→128 @28', x: [1, 512, 28, 28], w: [128, 512, 1, 1], opts: {}, out: [28, 28] },
  { name: 'ResNet 1x1 1024→256 @14', x: [1, 1024, 14, 14], w: [256, 1024, 1, 1], opts: {}, out: [14, 14] },
  { name: 'ResNet 3x3 s2 64→128', x: [1, 64, 56, 56], w: [128, 64, 3, 3], opts: { stride: 2, padding: 1 }, out: [28, 28] },
].map((c) => ({ ...c, flops: convFlops(c.x[0], c.x[1], c.w[0], c.out[0], c.out[1], c.w[2], c.w[3]) }));

/** linear workloads: x [N, in], w [out, in]. */
export const linear = [
  { name: 'Dense 64×4096 · 4096×4096', x: [64, 4096], w: [4096, 4096] },
  { name: 'Dense 1×9216 · 9216×4096', x: [1, 9216], w: [4096, 9216] },
].map((c) => ({ ...c, flops: 2 * c.x[0] * c.x[1] * c.w[0] }));

/** memory-bound workloads: bytes moved (read + write). */
export const pool = [
  { name: 'MaxPool 2x2 s2 64×112×112', x: [1, 64, 112, 112], opts: { kernelSize: 2, stride: 2 } },
].map((c) => ({ ...c, bytes: 4 * (c.x.reduce((a, b) => a * b, 1) * 1.25) }));

export const elementwise = [
  { name: 'ReLU 64×112×112', op: 'relu', x: [1, 64, 112, 112] },
].map((c) => ({ ...c, bytes: 8 * c.x.reduce((a, b) => a * b, 1) }));

/**
 * Whole-model workloads (bench/compare.mjs): LeNet-5 on [N, 1, 32, 32]. `infer` rows time one
 * forward pass of `batch` images; `train` rows time `steps` optimizer steps of `batch` images.
 */
export const models = [
  { name: 'LeNet-5 inference, batch 1 (latency)', kind: 'lenetInfer', batch: 1, latency: true },
  { name: 'LeNet-5 inference, batch 256', kind: 'lenetInfer', batch: 256 },
  { name: 'LeNet-5 training, batch 64 (Adam)', kind: 'lenetTrain', batch: 64, steps: 1 },
];

/**
 * Whole models built by simdnet (sd.models[model]() with its seeded initial weights) and run as
 * bench/models.mjs runs them (peers/models.mjs: a compiled plan, the same model through
 * io.toONNX for onnxruntime-web, a tfjs interpreter of its graph). bench/threads.mjs times these
 * beside the kernels; bench/models.mjs has its own, larger list.
 */
export const wholeModels = [
  { name: 'ResNet-18, batch 1 (latency)', model: 'resnet18', input: [3, 224, 224], batch: 1, latency: true },
];

/**
 * 3×3 stride-1 padding-1 layers of real networks (bench/winograd.mjs runs them at batch 1 and 8,
 * Winograd against the GEMM path and tfjs-wasm): ResNet-18's four stages, VGG-16's first and
 * third blocks, U-Net's first level on a 128×128 input.
 */
export const conv3x3 = [
  { name: 'ResNet-18 64→64 @56', c: 64, o: 64, hw: 56 },
  { name: 'ResNet-18 128→128 @28', c: 128, o: 128, hw: 28 },
  { name: 'ResNet-18 256→256 @14', c: 256, o: 256, hw: 14 },
  { name: 'ResNet-18 512→512 @7', c: 512, o: 512, hw: 7 },
  { name: 'VGG-16 64→64 @224', c: 64, o: 64, hw: 224 },
  { name: 'VGG-16 256→256 @56', c: 256, o: 256, hw: 56 },
  { name: 'U-Net 64→64 @128', c: 64, o: 64, hw: 128 },
];
