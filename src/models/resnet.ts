// ResNet-18/34/50/101/152 (He et al. 2015) as torchvision builds them (v1.5: the stride of a
// bottleneck sits on its 3×3 convolution). Node names follow torchvision's state_dict keys.
import { GraphBuilder } from '../graph/builder.js';
import { Conv2d } from '../nn/conv2d.js';
import { MaxPool2d } from '../nn/maxpool2d.js';
import { ReLU } from '../nn/relu.js';
import { Flatten } from '../nn/flatten.js';
import { Linear } from '../nn/linear.js';
import { BatchNorm2d } from '../nn/batchnorm2d.js';
import { Add } from '../nn/add.js';
import { GlobalAvgPool2d } from '../nn/globalavgpool2d.js';

export interface ResNetOptions {
  numClasses?: number;
  inputSize?: number;
  seed?: number;
}

type Kind = 'basic' | 'bottleneck';

function resnet(kind: Kind, blocks: readonly number[], options: ResNetOptions) {
  const size = options.inputSize ?? 224;
  const expansion = kind === 'basic' ? 1 : 4;
  const b = new GraphBuilder({ input: [3, size, size] });
  const convBn = (name: string, bn: string, x: string, cin: number, cout: number, k: number, stride: number) => {
    x = b.add(name, new Conv2d(cin, cout, k, { stride, padding: (k - 1) / 2, bias: false }), x);
    return b.add(bn, new BatchNorm2d(cout), x);
  };
  let x = convBn('conv1', 'bn1', 'input', 3, 64, 7, 2);
  x = b.add('relu', new ReLU(), x);
  x = b.add('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }), x);
  let cin = 64;
  blocks.forEach((count, stage) => {
    const planes = 64 << stage;
    for (let i = 0; i < count; i++) {
      const p = `layer${stage + 1}.${i}`;
      const stride = i === 0 && stage > 0 ? 2 : 1;
      const cout = planes * expansion;
      let y: string;
      if (kind === 'basic') {
        y = convBn(`${p}.conv1`, `${p}.bn1`, x, cin, planes, 3, stride);
        y = b.add(`${p}.relu1`, new ReLU(), y);
        y = convBn(`${p}.conv2`, `${p}.bn2`, y, planes, planes, 3, 1);
      } else {
        y = convBn(`${p}.conv1`, `${p}.bn1`, x, cin, planes, 1, 1);
        y = b.add(`${p}.relu1`, new ReLU(), y);
        y = convBn(`${p}.conv2`, `${p}.bn2`, y, planes, planes, 3, stride);
        y = b.add(`${p}.relu2`, new ReLU(), y);
        y = convBn(`${p}.conv3`, `${p}.bn3`, y, planes, cout, 1, 1);
      }
      const shortcut = stride !== 1 || cin !== cout ? convBn(`${p}.downsample.0`, `${p}.downsample.1`, x, cin, cout, 1, stride) : x;
      x = b.add(`${p}.add`, new Add(), [y, shortcut]);
      x = b.add(`${p}.relu`, new ReLU(), x);
      cin = cout;
    }
  });
  x = b.add('avgpool', new GlobalAvgPool2d(), x);
  x = b.add('flatten', new Flatten(), x);
  x = b.add('fc', new Linear(cin, options.numClasses ?? 1000), x);
  return b.build(x, options.seed);
}

export const resnet18 = (o: ResNetOptions = {}) => resnet('basic', [2, 2, 2, 2], o);
export const resnet34 = (o: ResNetOptions = {}) => resnet('basic', [3, 4, 6, 3], o);
export const resnet50 = (o: ResNetOptions = {}) => resnet('bottleneck', [3, 4, 6, 3], o);
export const resnet101 = (o: ResNetOptions = {}) => resnet('bottleneck', [3, 4, 23, 3], o);
export const resnet152 = (o: ResNetOptions = {}) => resnet('bottleneck', [3, 8, 36, 3], o);
