#!/usr/bin/env node
// npm run segment:train: trains the small U-Net of unet.js to segment generated shapes (circles,
// rectangles, triangles, rings on textured, noisy backgrounds: shapes.js), one class per pixel,
// with fit() and softmax cross-entropy per pixel; reports pixel accuracy and mean IoU on held-out
// scenes, and saves the model with its class names and preprocessing for the page (index.html).
//
//   node examples/segment-shapes/train.mjs [--train 8000] [--test 300] [--epochs 6] [--batch-size 4]
//        [--lr 0.005] [--width 8] [--seed 1] [--out examples/segment-shapes/unet-shapes.simdnet]
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSimdnet, options } from '../cli.mjs';
import { CLASS_COLOURS, CLASS_NAMES, NORMALIZE, SIZE, argmaxChannels, makeDataset, segmentationScores } from './shapes.js';
import { unet } from './unet.js';

const here = dirname(fileURLToPath(import.meta.url));
const sd = await loadSimdnet();
const opt = options(import.meta.url, 7);
const nTrain = Number(opt('train', '8000'));
const nTest = Number(opt('test', '300'));
const epochs = Number(opt('epochs', '6'));
const batchSize = Number(opt('batch-size', '4'));
const lr = Number(opt('lr', '0.005'));
const width = Number(opt('width', '8'));
const seed = Number(opt('seed', '1'));
const out = resolve(opt('out', join(here, 'unet-shapes.simdnet')));
// scene seeds: training from `seed`, validation and test from ranges far from it
const VAL_SEED = 1_000_000, TEST_SEED = 2_000_000;

const info = await sd.init();
console.log(`simdnet ${info.build} build · Node ${process.versions.node} · U-Net on ${SIZE}×${SIZE} generated shapes`);

let t0 = performance.now();
const make = (n, s) => {
  const d = makeDataset(n, s);
  return { x: sd.Tensor.from(d.x, [n, 3, SIZE, SIZE]), y: d.y };
};
const train = make(nTrain, seed * 100_000);
const val = make(Math.max(1, Math.round(nTest / 3)), VAL_SEED);
const test = make(nTest, TEST_SEED);
console.log(`${nTrain} training, ${val.x.shape[0]} validation and ${nTest} test scenes generated in ${((performance.now() - t0) / 1000).toFixed(1)} s; classes: ${CLASS_NAMES.join(', ')}`);

const model = unet(sd, { classes: CLASS_NAMES.length, size: SIZE, width, seed });
console.log(`U-Net: ${model.paramCount.toLocaleString('en')} parameters`);
t0 = performance.now();
const history = await model.fit(train, {
  epochs, batchSize, optimizer: 'adam', learningRate: lr, seed, verbose: true,
  schedule: new sd.optim.CosineAnnealingLR(epochs, lr / 20),
  validationData: val,
});
const seconds = (performance.now() - t0) / 1000;

// held-out scenes: pixel accuracy, per-class IoU and their mean
const logits = sd.predict(model, test.x, { batchSize: 32 });
const all = logits.toFloat32Array();
logits.dispose();
const plane = SIZE * SIZE, classes = CLASS_NAMES.length;
const pred = new Uint8Array(nTest * plane);
for (let i = 0; i < nTest; i++) pred.set(argmaxChannels(all.subarray(i * classes * plane, (i + 1) * classes * plane), classes, plane), i * plane);
const scores = segmentationScores(pred, test.y, classes);
const pct = (v) => `${(100 * v).toFixed(2)}%`;
console.log(`test: pixel accuracy ${pct(scores.pixelAccuracy)}, mean IoU ${pct(scores.meanIoU)} on ${nTest} held-out scenes`);
console.log(`IoU per class: ${CLASS_NAMES.map((n, c) => `${n} ${pct(scores.iou[c])}`).join(', ')}`);
console.log(`training: ${history.epochs.length} epochs in ${seconds.toFixed(1)} s, ${history.imagesPerSecond.toFixed(0)} images/s (forward + backward + update, batch ${batchSize})`);

mkdirSync(dirname(out), { recursive: true });
const bytes = await sd.io.saveFile(model, out, {
  metadata: {
    task: 'segmentation', dataset: 'generated shapes (examples/segment-shapes/shapes.js)',
    classNames: CLASS_NAMES, classColours: CLASS_COLOURS,
    preprocess: { size: [SIZE, SIZE], channels: 3, mean: NORMALIZE.mean, std: NORMALIZE.std, resize: 'bilinear', crop: 'none' },
    testPixelAccuracy: scores.pixelAccuracy, testMeanIoU: scores.meanIoU, testIoU: scores.iou, testScenes: nTest,
    trainScenes: nTrain, epochs: history.epochs.length, trainSeconds: seconds, trainedAt: new Date().toISOString(),
  },
});
console.log(`saved ${out} (${bytes} bytes)`);
for (const d of [train, val, test]) d.x.dispose();
model.dispose();
