// The benchmark workloads: real layer shapes from the lecture's architectures.
// FLOPs = 2 × multiply-adds. Shared by every runtime's bench entry.

const convFlops = (n, c, o, oh, ow, kh, kw, groups = 1) => 2 * n * o * oh * ow * (c / groups) * kh * kw;

/** conv2d workloads: x [N, C, H, W], w [O, C/g, kh, kw]. */
export const conv2d = [
  { name: 'LeNet-5 conv1', x: [64, 1, 32, 32], w: [6, 1, 5, 5], opts: {}, out: [28, 28] },
  { name: 'LeNet-5 conv2', x: [64, 6, 14, 14], w: [16, 6, 5, 5], opts: {}, out: [10, 10] },
  { name: 'AlexNet conv1', x: [1, 3, 227, 227], w: [96, 3, 11, 11], opts: { stride: 4 }, out: [55, 55] },
  { name: 'VGG 3x3 64→64 @56', x: [1, 64, 56, 56], w: [64, 64, 3, 3], opts: { padding: 1 }, out: [56, 56] },
  { name: 'ResNet 1x1 256→64 @56', x: [1, 256, 56, 56], w: [64, 256, 1, 1], opts: {}, out: [56, 56] },
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
