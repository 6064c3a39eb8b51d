// Datasets: readers (IDX, CIFAR binary, the mnist package), splitting, batching, augmentation.
export { type Dataset, checkDataset, slice, gather, permutation, split, batchTensor, datasetSize } from './dataset.js';
export { readIdx, parseIdx, gunzip, IdxError, type IdxArray } from './idx.js';
export { fromIdx, fromCifar, fromMnistDigits, loadMnistPackage, type ImageOptions } from './readers.js';
export { augment, augmentBatch, type AugmentOptions } from './augment.js';
