// LeNet-5 (LeCun et al. 1998) and the lecture's "draw your digit" network.
import { Sequential } from '../graph/sequential.js';
import { Conv2d } from '../nn/conv2d.js';
import { MaxPool2d } from '../nn/maxpool2d.js';
import { AvgPool2d } from '../nn/avgpool2d.js';
import { ReLU } from '../nn/relu.js';
import { Tanh } from '../nn/tanh.js';
import { Flatten } from '../nn/flatten.js';
import { Linear } from '../nn/linear.js';
import type { Layer } from '../nn/layer.js';

export interface LeNetOptions {
  numClasses?: number;
  /** 'relu' + max pooling (default, trains fastest) or the 1998 paper's 'tanh' + average pooling. */
  style?: 'modern' | 'classic';
  seed?: number;
}

/**
 * LeNet-5 on 32×32×1: C1 6@5×5 → S2 2×2 → C3 16@5×5 → S4 2×2 → C5 120@5×5 → F6 84 → numClasses.
 * 61,706 parameters for 10 classes.
 */
export function lenet5(options: LeNetOptions = {}) {
  const classes = options.numClasses ?? 10;
  const classic = options.style === 'classic';
  const act = (name: string): Layer => (classic ? new Tanh({ name }) : new ReLU({ name }));
  const pool = (name: string): Layer => (classic ? new AvgPool2d(2, { name }) : new MaxPool2d(2, { name }));
  return new Sequential(
    [
      new Conv2d(1, 6, 5, { name: 'c1' }), act('c1_act'), pool('s2'),
      new Conv2d(6, 16, 5, { name: 'c3' }), act('c3_act'), pool('s4'),
      new Conv2d(16, 120, 5, { name: 'c5' }), act('c5_act'),
      new Flatten(1, -1, { name: 'flatten' }),
      new Linear(120, 84, { name: 'f6' }), act('f6_act'),
      new Linear(84, classes, { name: 'output' }),
    ],
    { inputShape: [1, 32, 32], seed: options.seed },
  );
}

/**
 * The lecture's digit visualiser: CONV1 6@5×5 + ReLU, POOL1 2×2, CONV2 16@5×5 + ReLU, POOL2 2×2,
 * FC 120, FC 100, FC 10 on a 32×32×1 drawing.
 */
export function digitNet(options: { numClasses?: number; seed?: number } = {}) {
  return new Sequential(
    [
      new Conv2d(1, 6, 5, { name: 'conv1' }), new ReLU({ name: 'relu1' }), new MaxPool2d(2, { name: 'pool1' }),
      new Conv2d(6, 16, 5, { name: 'conv2' }), new ReLU({ name: 'relu2' }), new MaxPool2d(2, { name: 'pool2' }),
      new Flatten(1, -1, { name: 'flatten' }),
      new Linear(400, 120, { name: 'fc1' }), new ReLU({ name: 'relu3' }),
      new Linear(120, 100, { name: 'fc2' }), new ReLU({ name: 'relu4' }),
      new Linear(100, options.numClasses ?? 10, { name: 'fc3' }),
    ],
    { inputShape: [1, 32, 32], seed: options.seed },
  );
}
