// AlexNet (Krizhevsky et al. 2012) as on the lecture's slides, torchvision's variant, and ZFNet.
import { Sequential } from '../graph/sequential.js';
import { Conv2d } from '../nn/conv2d.js';
import { MaxPool2d } from '../nn/maxpool2d.js';
import { ReLU } from '../nn/relu.js';
import { Flatten } from '../nn/flatten.js';
import { Linear } from '../nn/linear.js';
import { Dropout } from '../nn/dropout.js';
import { LocalResponseNorm } from '../nn/localresponsenorm.js';
import type { Layer } from '../nn/layer.js';

export interface AlexNetOptions {
  numClasses?: number;
  /**
   * 'lecture' (default): the slides' 227×227×3 → 55×55×96 → … → 1000 with LRN after pools 1 and 2.
   * 'torchvision': torchvision's single-GPU variant (224 input, 64-192-384-256-256 channels, no LRN).
   */
  variant?: 'lecture' | 'torchvision';
  /** The original two-GPU split: CONV2, CONV4 and CONV5 as two-group convolutions (lecture variant). */
  groups?: 1 | 2;
  dropout?: number;
  seed?: number;
}

const lrn = (name: string) => new LocalResponseNorm(5, { alpha: 1e-4, beta: 0.75, k: 2, name });

function classifier(inFeatures: number, classes: number, p: number): Layer[] {
  return [
    new Flatten(1, -1, { name: 'flatten' }),
    new Dropout(p, { name: 'drop6' }), new Linear(inFeatures, 4096, { name: 'fc6' }), new ReLU({ name: 'relu6' }),
    new Dropout(p, { name: 'drop7' }), new Linear(4096, 4096, { name: 'fc7' }), new ReLU({ name: 'relu7' }),
    new Linear(4096, classes, { name: 'fc8' }),
  ];
}

export function alexnet(options: AlexNetOptions = {}) {
  const classes = options.numClasses ?? 1000;
  const p = options.dropout ?? 0.5;
  if (options.variant === 'torchvision') {
    return new Sequential(
      [
        new Conv2d(3, 64, 11, { stride: 4, padding: 2, name: 'conv1' }), new ReLU({ name: 'relu1' }), new MaxPool2d(3, { stride: 2, name: 'pool1' }),
        new Conv2d(64, 192, 5, { padding: 2, name: 'conv2' }), new ReLU({ name: 'relu2' }), new MaxPool2d(3, { stride: 2, name: 'pool2' }),
        new Conv2d(192, 384, 3, { padding: 1, name: 'conv3' }), new ReLU({ name: 'relu3' }),
        new Conv2d(384, 256, 3, { padding: 1, name: 'conv4' }), new ReLU({ name: 'relu4' }),
        new Conv2d(256, 256, 3, { padding: 1, name: 'conv5' }), new ReLU({ name: 'relu5' }), new MaxPool2d(3, { stride: 2, name: 'pool5' }),
        ...classifier(256 * 6 * 6, classes, p),
      ],
      { inputShape: [3, 224, 224], seed: options.seed },
    );
  }
  const g = options.groups ?? 1;
  return new Sequential(
    [
      new Conv2d(3, 96, 11, { stride: 4, name: 'conv1' }), new ReLU({ name: 'relu1' }),
      new MaxPool2d(3, { stride: 2, name: 'pool1' }), lrn('norm1'),
      new Conv2d(96, 256, 5, { padding: 2, groups: g, name: 'conv2' }), new ReLU({ name: 'relu2' }),
      new MaxPool2d(3, { stride: 2, name: 'pool2' }), lrn('norm2'),
      new Conv2d(256, 384, 3, { padding: 1, name: 'conv3' }), new ReLU({ name: 'relu3' }),
      new Conv2d(384, 384, 3, { padding: 1, groups: g, name: 'conv4' }), new ReLU({ name: 'relu4' }),
      new Conv2d(384, 256, 3, { padding: 1, groups: g, name: 'conv5' }), new ReLU({ name: 'relu5' }),
      new MaxPool2d(3, { stride: 2, name: 'pool3' }),
      ...classifier(256 * 6 * 6, classes, p),
    ],
    { inputShape: [3, 227, 227], seed: options.seed },
  );
}

/**
 * ZFNet (Zeiler & Fergus 2013): AlexNet with CONV1 7×7 stride 2 (instead of 11×11 stride 4) and
 * CONV3–5 with 512, 1024, 512 filters; 224×224×3 → 110×110×96 → 55 → 26 → 13 → 6×6×512.
 */
export function zfnet(options: { numClasses?: number; dropout?: number; seed?: number } = {}) {
  const classes = options.numClasses ?? 1000;
  const p = options.dropout ?? 0.5;
  return new Sequential(
    [
      new Conv2d(3, 96, 7, { stride: 2, padding: 1, name: 'conv1' }), new ReLU({ name: 'relu1' }),
      new MaxPool2d(3, { stride: 2, padding: 1, name: 'pool1' }), lrn('norm1'),
      new Conv2d(96, 256, 5, { stride: 2, name: 'conv2' }), new ReLU({ name: 'relu2' }),
      new MaxPool2d(3, { stride: 2, padding: 1, name: 'pool2' }), lrn('norm2'),
      new Conv2d(256, 512, 3, { padding: 1, name: 'conv3' }), new ReLU({ name: 'relu3' }),
      new Conv2d(512, 1024, 3, { padding: 1, name: 'conv4' }), new ReLU({ name: 'relu4' }),
      new Conv2d(1024, 512, 3, { padding: 1, name: 'conv5' }), new ReLU({ name: 'relu5' }),
      new MaxPool2d(3, { stride: 2, name: 'pool3' }),
      ...classifier(512 * 6 * 6, classes, p),
    ],
    { inputShape: [3, 224, 224], seed: options.seed },
  );
}
