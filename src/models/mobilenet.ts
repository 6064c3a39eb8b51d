// MobileNetV2 (Sandler et al. 2018) and MobileNetV3 Small/Large (Howard et al. 2019) as torchvision
// 0.14 builds them (width 1.0): inverted residuals (1×1 expand, depthwise k×k, 1×1 linear
// projection), a residual add when stride 1 and widths match; V3 adds squeeze-and-excitation
// (squeeze _make_divisible(expanded / 4, 8), hard-sigmoid gate) and hard-swish. Node names are
// torchvision's module paths ('features.3.conv.1.0', 'features.4.block.2.fc1'); stochastic depth
// and dropout only matter in training.
import { GraphBuilder } from '../graph/builder.js';
import { Conv2d } from '../nn/conv2d.js';
import { BatchNorm2d } from '../nn/batchnorm2d.js';
import { ReLU } from '../nn/relu.js';
import { ReLU6 } from '../nn/relu6.js';
import { Hardswish } from '../nn/hardswish.js';
import { Hardsigmoid } from '../nn/hardsigmoid.js';
import { Add } from '../nn/add.js';
import { AdaptiveAvgPool2d } from '../nn/adaptiveavgpool2d.js';
import { Flatten } from '../nn/flatten.js';
import { Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import { convNormAct, inputSize, makeDivisible, squeezeExcitation, type ZooOptions } from './blocks.js';

/** MobileNetV2: 3,504,872 parameters at 1000 classes. */
export function mobilenetV2(options: ZooOptions = {}) {
  const size = inputSize('mobilenetV2', options);
  const b = new GraphBuilder({ input: [3, size, size] });
  const relu6 = () => new ReLU6();
  let x = convNormAct(b, 'features.0', 'input', 3, 32, 3, { stride: 2, act: relu6 });
  let cin = 32, i = 1;
  // [expansion t, channels c, repeats n, first stride s]
  for (const [t, c, n, s] of [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]) {
    for (let r = 0; r < n; r++, i++) {
      const p = `features.${i}.conv`, stride = r === 0 ? s : 1, hidden = Math.round(cin * t);
      let y = x, j = 0;
      if (t !== 1) y = convNormAct(b, `${p}.${j++}`, y, cin, hidden, 1, { act: relu6 });
      y = convNormAct(b, `${p}.${j++}`, y, hidden, hidden, 3, { stride, groups: hidden, act: relu6 });
      y = b.add(`${p}.${j++}`, new Conv2d(hidden, c, 1, { bias: false }), y);
      y = b.add(`${p}.${j++}`, new BatchNorm2d(c), y);
      x = stride === 1 && cin === c ? b.add(`features.${i}.add`, new Add(), [x, y]) : y;
      cin = c;
    }
  }
  x = convNormAct(b, `features.${i}`, x, cin, 1280, 1, { act: relu6 });
  x = b.add('avgpool', new AdaptiveAvgPool2d(1), x);
  x = b.add('flatten', new Flatten(), x);
  x = b.add('classifier.0', new Dropout(options.dropout ?? 0.2), x);
  x = b.add('classifier.1', new Linear(1280, options.numClasses ?? 1000), x);
  return b.build(x, options.seed);
}

// [kernel, expanded, out, squeeze-and-excitation, hard-swish, stride], input channels chained from 16
type V3Row = [number, number, number, boolean, boolean, number];
const V3_LARGE: V3Row[] = [
  [3, 16, 16, false, false, 1], [3, 64, 24, false, false, 2], [3, 72, 24, false, false, 1],
  [5, 72, 40, true, false, 2], [5, 120, 40, true, false, 1], [5, 120, 40, true, false, 1],
  [3, 240, 80, false, true, 2], [3, 200, 80, false, true, 1], [3, 184, 80, false, true, 1], [3, 184, 80, false, true, 1],
  [3, 480, 112, true, true, 1], [3, 672, 112, true, true, 1],
  [5, 672, 160, true, true, 2], [5, 960, 160, true, true, 1], [5, 960, 160, true, true, 1],
];
const V3_SMALL: V3Row[] = [
  [3, 16, 16, true, false, 2], [3, 72, 24, false, false, 2], [3, 88, 24, false, false, 1],
  [5, 96, 40, true, true, 2], [5, 240, 40, true, true, 1], [5, 240, 40, true, true, 1],
  [5, 120, 48, true, true, 1], [5, 144, 48, true, true, 1],
  [5, 288, 96, true, true, 2], [5, 576, 96, true, true, 1], [5, 576, 96, true, true, 1],
];

function mobilenetV3(arch: string, rows: V3Row[], lastChannel: number, options: ZooOptions) {
  const size = inputSize(arch, options);
  const b = new GraphBuilder({ input: [3, size, size] });
  const eps = 1e-3;
  const hs = () => new Hardswish(), relu = () => new ReLU();
  let x = convNormAct(b, 'features.0', 'input', 3, 16, 3, { stride: 2, eps, act: hs });
  let cin = 16;
  rows.forEach(([k, exp, out, se, useHs, stride], r) => {
    const p = `features.${r + 1}.block`, act = useHs ? hs : relu;
    let y = x, j = 0;
    if (exp !== cin) y = convNormAct(b, `${p}.${j++}`, y, cin, exp, 1, { eps, act });
    y = convNormAct(b, `${p}.${j++}`, y, exp, exp, k, { stride, groups: exp, eps, act });
    if (se) y = squeezeExcitation(b, `${p}.${j++}`, y, exp, makeDivisible(exp / 4 | 0), relu, () => new Hardsigmoid());
    y = convNormAct(b, `${p}.${j++}`, y, exp, out, 1, { eps });
    x = stride === 1 && cin === out ? b.add(`features.${r + 1}.add`, new Add(), [x, y]) : y;
    cin = out;
  });
  x = convNormAct(b, `features.${rows.length + 1}`, x, cin, 6 * cin, 1, { eps, act: hs });
  x = b.add('avgpool', new AdaptiveAvgPool2d(1), x);
  x = b.add('flatten', new Flatten(), x);
  x = b.add('classifier.0', new Linear(6 * cin, lastChannel), x);
  x = b.add('classifier.1', new Hardswish(), x);
  x = b.add('classifier.2', new Dropout(options.dropout ?? 0.2), x);
  x = b.add('classifier.3', new Linear(lastChannel, options.numClasses ?? 1000), x);
  return b.build(x, options.seed);
}

/** MobileNetV3-Small: 2,542,856 parameters at 1000 classes. */
export const mobilenetV3Small = (options: ZooOptions = {}) => mobilenetV3('mobilenetV3Small', V3_SMALL, 1024, options);
/** MobileNetV3-Large: 5,483,032 parameters at 1000 classes. */
export const mobilenetV3Large = (options: ZooOptions = {}) => mobilenetV3('mobilenetV3Large', V3_LARGE, 1280, options);
