// VGG16 / VGG19 (Simonyan & Zisserman 2014): only 3×3 convolutions at stride 1, pad 1, and 2×2
// max pooling at stride 2. Configurations D and E; torchvision's classifier.
import { Sequential } from '../graph/sequential.js';
import { Conv2d } from '../nn/conv2d.js';
import { MaxPool2d } from '../nn/maxpool2d.js';
import { ReLU } from '../nn/relu.js';
import { Flatten } from '../nn/flatten.js';
import { Linear } from '../nn/linear.js';
import { Dropout } from '../nn/dropout.js';
import { BatchNorm2d } from '../nn/batchnorm2d.js';
import { AdaptiveAvgPool2d } from '../nn/adaptiveavgpool2d.js';
import type { Layer } from '../nn/layer.js';

export interface VggOptions {
  numClasses?: number;
  /** Square input size ≥ 32 (default 224); torchvision's adaptive pooling makes the classifier see 7×7. */
  inputSize?: number;
  /** Batch norm after every convolution (torchvision's vgg16_bn). */
  batchNorm?: boolean;
  dropout?: number;
  seed?: number;
}

const CONFIGS = {
  16: [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
  19: [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]],
} as const;

function vgg(depth: 16 | 19, options: VggOptions) {
  const size = options.inputSize ?? 224;
  if (!Number.isInteger(size) || size < 32) throw new RangeError(`vgg${depth}: inputSize must be an integer ≥ 32 (five 2×2 poolings), got ${size}`);
  const layers: Layer[] = [];
  let c = 3;
  CONFIGS[depth].forEach((block, b) => {
    block.forEach((out, i) => {
      const id = `${b + 1}_${i + 1}`;
      layers.push(new Conv2d(c, out, 3, { padding: 1, name: `conv${id}` }));
      if (options.batchNorm) layers.push(new BatchNorm2d(out, { name: `bn${id}` }));
      layers.push(new ReLU({ name: `relu${id}` }));
      c = out;
    });
    layers.push(new MaxPool2d(2, { stride: 2, name: `pool${b + 1}` }));
  });
  const p = options.dropout ?? 0.5;
  layers.push(
    new AdaptiveAvgPool2d(7, { name: 'avgpool' }),
    new Flatten(1, -1, { name: 'flatten' }),
    new Linear(512 * 7 * 7, 4096, { name: 'fc6' }), new ReLU({ name: 'relu6' }), new Dropout(p, { name: 'drop6' }),
    new Linear(4096, 4096, { name: 'fc7' }), new ReLU({ name: 'relu7' }), new Dropout(p, { name: 'drop7' }),
    new Linear(4096, options.numClasses ?? 1000, { name: 'fc8' }),
  );
  return new Sequential(layers, { inputShape: [3, size, size], seed: options.seed });
}

/** VGG16 (configuration D): 138,357,544 parameters at 224×224 and 1000 classes. */
export const vgg16 = (options: VggOptions = {}) => vgg(16, options);
/** VGG19 (configuration E): 143,667,240 parameters at 224×224 and 1000 classes. */
export const vgg19 = (options: VggOptions = {}) => vgg(19, options);
