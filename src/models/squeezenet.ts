// SqueezeNet 1.1 (Iandola et al. 2016; the 1.1 revision from the authors' repository) as
// torchvision 0.14 builds it: a 3×3 stride-2 stem, max pooling with ceil rounding, and Fire
// modules (1×1 squeeze, then 1×1 and 3×3 expands concatenated); the classifier is a 1×1
// convolution to the classes, ReLU and global average pooling. Node names are torchvision's
// module paths ('features.3.squeeze', 'features.3.expand3x3_activation', 'classifier.1').
import { GraphBuilder } from '../graph/builder.js';
import { Conv2d } from '../nn/conv2d.js';
import { ReLU } from '../nn/relu.js';
import { MaxPool2d } from '../nn/maxpool2d.js';
import { Concat } from '../nn/concat.js';
import { Dropout } from '../nn/dropout.js';
import { AdaptiveAvgPool2d } from '../nn/adaptiveavgpool2d.js';
import { Flatten } from '../nn/flatten.js';
import { inputSize, type ZooOptions } from './blocks.js';

/** SqueezeNet 1.1: 1,235,496 parameters at 1000 classes. */
export function squeezenet1_1(options: ZooOptions = {}) {
  const size = inputSize('squeezenet1_1', options);
  const b = new GraphBuilder({ input: [3, size, size] });
  let x = b.add('features.0', new Conv2d(3, 64, 3, { stride: 2 }), 'input');
  x = b.add('features.1', new ReLU(), x);
  let cin = 64;
  // [squeeze, expand] per Fire module; 'pool' a max pooling 3×3 / 2 with ceil rounding
  const plan: ([number, number] | 'pool')[] = ['pool', [16, 64], [16, 64], 'pool', [32, 128], [32, 128], 'pool', [48, 192], [48, 192], [64, 256], [64, 256]];
  plan.forEach((step, i) => {
    const p = `features.${i + 2}`;
    if (step === 'pool') {
      x = b.add(p, new MaxPool2d(3, { stride: 2, ceilMode: true }), x);
      return;
    }
    const [sq, ex] = step;
    const s = b.add(`${p}.squeeze_activation`, new ReLU(), b.add(`${p}.squeeze`, new Conv2d(cin, sq, 1), x));
    const e1 = b.add(`${p}.expand1x1_activation`, new ReLU(), b.add(`${p}.expand1x1`, new Conv2d(sq, ex, 1), s));
    const e3 = b.add(`${p}.expand3x3_activation`, new ReLU(), b.add(`${p}.expand3x3`, new Conv2d(sq, ex, 3, { padding: 1 }), s));
    x = b.add(`${p}.cat`, new Concat(1), [e1, e3]);
    cin = 2 * ex;
  });
  x = b.add('classifier.0', new Dropout(options.dropout ?? 0.5), x);
  x = b.add('classifier.1', new Conv2d(cin, options.numClasses ?? 1000, 1), x);
  x = b.add('classifier.2', new ReLU(), x);
  x = b.add('classifier.3', new AdaptiveAvgPool2d(1), x);
  x = b.add('flatten', new Flatten(), x);
  return b.build(x, options.seed);
}
