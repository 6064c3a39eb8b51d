// EfficientNet-B0 (Tan & Le 2019) as torchvision 0.14 builds it: MBConv blocks (1×1 expand with
// SiLU, depthwise k×k with SiLU, squeeze-and-excitation with squeeze max(1, input channels / 4),
// SiLU and a sigmoid gate, 1×1 linear projection), a residual add when stride 1 and widths match.
// Stochastic depth only acts in training and is left out. Node names are torchvision's module
// paths ('features.2.0.block.1.0', 'features.2.0.block.2.fc1').
import { GraphBuilder } from '../graph/builder.js';
import { SiLU } from '../nn/silu.js';
import { Sigmoid } from '../nn/sigmoid.js';
import { Add } from '../nn/add.js';
import { AdaptiveAvgPool2d } from '../nn/adaptiveavgpool2d.js';
import { Flatten } from '../nn/flatten.js';
import { Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import { convNormAct, inputSize, makeDivisible, squeezeExcitation, type ZooOptions } from './blocks.js';

// [expand ratio, kernel, first stride, in, out, repeats] (width and depth multipliers 1.0)
const B0 = [[1, 3, 1, 32, 16, 1], [6, 3, 2, 16, 24, 2], [6, 5, 2, 24, 40, 2], [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3], [6, 5, 2, 112, 192, 4], [6, 3, 1, 192, 320, 1]];

/** EfficientNet-B0: 5,288,548 parameters at 1000 classes. */
export function efficientnetB0(options: ZooOptions = {}) {
  const size = inputSize('efficientnetB0', options);
  const b = new GraphBuilder({ input: [3, size, size] });
  const silu = () => new SiLU();
  let x = convNormAct(b, 'features.0', 'input', 3, 32, 3, { stride: 2, act: silu });
  B0.forEach(([ratio, k, s, first, out, repeats], stage) => {
    for (let r = 0; r < repeats; r++) {
      const cin = r === 0 ? first : out, stride = r === 0 ? s : 1;
      const p = `features.${stage + 1}.${r}`, exp = makeDivisible(cin * ratio);
      let y = x, j = 0;
      if (exp !== cin) y = convNormAct(b, `${p}.block.${j++}`, y, cin, exp, 1, { act: silu });
      y = convNormAct(b, `${p}.block.${j++}`, y, exp, exp, k, { stride, groups: exp, act: silu });
      y = squeezeExcitation(b, `${p}.block.${j++}`, y, exp, Math.max(1, cin >> 2), silu, () => new Sigmoid());
      y = convNormAct(b, `${p}.block.${j++}`, y, exp, out, 1);
      x = stride === 1 && cin === out ? b.add(`${p}.add`, new Add(), [x, y]) : y;
    }
  });
  x = convNormAct(b, 'features.8', x, 320, 1280, 1, { act: silu });
  x = b.add('avgpool', new AdaptiveAvgPool2d(1), x);
  x = b.add('flatten', new Flatten(), x);
  x = b.add('classifier.0', new Dropout(options.dropout ?? 0.2), x);
  x = b.add('classifier.1', new Linear(1280, options.numClasses ?? 1000), x);
  return b.build(x, options.seed);
}
