// GoogLeNet / Inception v1 (Szegedy et al. 2014) as torchvision builds it without the auxiliary
// heads: every convolution followed by batch norm (eps 0.001) and ReLU; 6,624,904 parameters.
import { GraphBuilder } from '../graph/builder.js';
import { Conv2d } from '../nn/conv2d.js';
import { MaxPool2d } from '../nn/maxpool2d.js';
import { ReLU } from '../nn/relu.js';
import { Flatten } from '../nn/flatten.js';
import { Linear } from '../nn/linear.js';
import { Dropout } from '../nn/dropout.js';
import { BatchNorm2d } from '../nn/batchnorm2d.js';
import { Concat } from '../nn/concat.js';
import { GlobalAvgPool2d } from '../nn/globalavgpool2d.js';

export interface GoogLeNetOptions {
  numClasses?: number;
  inputSize?: number;
  /**
   * The "5×5" branch's kernel: 3 as torchvision's weights (and its published parameter count),
   * or 5 as in the paper.
   */
  branchKernel?: 3 | 5;
  dropout?: number;
  seed?: number;
}

// in, 1×1, 3×3 reduce, 3×3, 5×5 reduce, 5×5, pool proj
const BLOCKS: [string, number, number, number, number, number, number, number][] = [
  ['3a', 192, 64, 96, 128, 16, 32, 32], ['3b', 256, 128, 128, 192, 32, 96, 64],
  ['4a', 480, 192, 96, 208, 16, 48, 64], ['4b', 512, 160, 112, 224, 24, 64, 64],
  ['4c', 512, 128, 128, 256, 24, 64, 64], ['4d', 512, 112, 144, 288, 32, 64, 64],
  ['4e', 528, 256, 160, 320, 32, 128, 128],
  ['5a', 832, 256, 160, 320, 32, 128, 128], ['5b', 832, 384, 192, 384, 48, 128, 128],
];

export function googlenet(options: GoogLeNetOptions = {}) {
  const size = options.inputSize ?? 224;
  const k5 = options.branchKernel ?? 3;
  const b = new GraphBuilder({ input: [3, size, size] });
  const conv = (name: string, x: string, cin: number, cout: number, k: number, stride = 1, padding = 0) => {
    x = b.add(name + '.conv', new Conv2d(cin, cout, k, { stride, padding, bias: false }), x);
    x = b.add(name + '.bn', new BatchNorm2d(cout, { eps: 0.001 }), x);
    return b.add(name + '.relu', new ReLU(), x);
  };
  let x = conv('conv1', 'input', 3, 64, 7, 2, 3);
  x = b.add('maxpool1', new MaxPool2d(3, { stride: 2, ceilMode: true }), x);
  x = conv('conv2', x, 64, 64, 1);
  x = conv('conv3', x, 64, 192, 3, 1, 1);
  x = b.add('maxpool2', new MaxPool2d(3, { stride: 2, ceilMode: true }), x);
  for (const [id, cin, c1, c3r, c3, c5r, c5, pp] of BLOCKS) {
    if (id === '4a') x = b.add('maxpool3', new MaxPool2d(3, { stride: 2, ceilMode: true }), x);
    if (id === '5a') x = b.add('maxpool4', new MaxPool2d(2, { stride: 2, ceilMode: true }), x);
    const n = `inception${id}`;
    const b1 = conv(`${n}.branch1`, x, cin, c1, 1);
    const b2 = conv(`${n}.branch2.1`, conv(`${n}.branch2.0`, x, cin, c3r, 1), c3r, c3, 3, 1, 1);
    const b3 = conv(`${n}.branch3.1`, conv(`${n}.branch3.0`, x, cin, c5r, 1), c5r, c5, k5, 1, (k5 - 1) / 2);
    const pool = b.add(`${n}.branch4.0`, new MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }), x);
    const b4 = conv(`${n}.branch4.1`, pool, cin, pp, 1);
    x = b.add(n, new Concat(1), [b1, b2, b3, b4]);
  }
  x = b.add('avgpool', new GlobalAvgPool2d(), x);
  x = b.add('flatten', new Flatten(), x);
  x = b.add('dropout', new Dropout(options.dropout ?? 0.2), x);
  x = b.add('fc', new Linear(1024, options.numClasses ?? 1000), x);
  return b.build(x, options.seed);
}
