// ShuffleNetV2 ×1.0 (Ma et al. 2018) as torchvision 0.14 builds it. A stride-2 unit runs two
// branches on the whole input (branch1: depthwise 3×3 + BN, 1×1 + BN + ReLU; branch2: 1×1 + BN +
// ReLU, depthwise 3×3 + BN, 1×1 + BN + ReLU); a stride-1 unit splits the channels in halves and
// runs branch2 on the second. Both concatenate and shuffle the channels in 2 groups. Node names
// are torchvision's module paths ('stage2.0.branch1.0'); the split, concat and shuffle are named
// '.split1', '.split2', '.cat', '.shuffle' beside them.
import { GraphBuilder } from '../graph/builder.js';
import { Conv2d } from '../nn/conv2d.js';
import { BatchNorm2d } from '../nn/batchnorm2d.js';
import { ReLU } from '../nn/relu.js';
import { MaxPool2d } from '../nn/maxpool2d.js';
import { Slice } from '../nn/slice.js';
import { Concat } from '../nn/concat.js';
import { ChannelShuffle } from '../nn/channelshuffle.js';
import { GlobalAvgPool2d } from '../nn/globalavgpool2d.js';
import { Flatten } from '../nn/flatten.js';
import { Linear } from '../nn/linear.js';
import type { Layer } from '../nn/layer.js';
import { inputSize, type ZooOptions } from './blocks.js';

/** ShuffleNetV2 ×1.0: 2,278,604 parameters at 1000 classes. */
export function shufflenetV2(options: Omit<ZooOptions, 'dropout'> = {}) {
  const size = inputSize('shufflenetV2', options);
  const b = new GraphBuilder({ input: [3, size, size] });
  const chain = (p: string, x: string, layers: Layer[]) => {
    layers.forEach((layer, j) => (x = b.add(`${p}.${j}`, layer, x)));
    return x;
  };
  const conv = (cin: number, cout: number, k: number, stride = 1) => new Conv2d(cin, cout, k, { stride, padding: (k - 1) >> 1, bias: false });
  const dw = (c: number, stride: number) => new Conv2d(c, c, 3, { stride, padding: 1, groups: c, bias: false });
  const bn = (c: number) => new BatchNorm2d(c);
  let x = chain('conv1', 'input', [conv(3, 24, 3, 2), bn(24), new ReLU()]);
  x = b.add('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }), x);
  let cin = 24;
  [[4, 116], [8, 232], [4, 464]].forEach(([repeats, out], s) => {
    const half = out >> 1;
    for (let r = 0; r < repeats; r++) {
      const p = `stage${s + 2}.${r}`;
      const branch2 = (from: string, c: number, stride: number) => chain(`${p}.branch2`, from, [
        conv(c, half, 1), bn(half), new ReLU(), dw(half, stride), bn(half), conv(half, half, 1), bn(half), new ReLU()]);
      let parts: string[];
      if (r === 0) {
        parts = [chain(`${p}.branch1`, x, [dw(cin, 2), bn(cin), conv(cin, half, 1), bn(half), new ReLU()]), branch2(x, cin, 2)];
      } else {
        const x1 = b.add(`${p}.split1`, new Slice([0], [half]), x);
        const x2 = b.add(`${p}.split2`, new Slice([half], [out]), x);
        parts = [x1, branch2(x2, half, 1)];
      }
      x = b.add(`${p}.cat`, new Concat(1), parts);
      x = b.add(`${p}.shuffle`, new ChannelShuffle(2), x);
      cin = out;
    }
  });
  x = chain('conv5', x, [conv(cin, 1024, 1), bn(1024), new ReLU()]);
  x = b.add('globalpool', new GlobalAvgPool2d(), x);
  x = b.add('flatten', new Flatten(), x);
  x = b.add('fc', new Linear(1024, options.numClasses ?? 1000), x);
  return b.build(x, options.seed);
}
