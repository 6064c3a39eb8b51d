// ConvNeXt-Tiny (Liu et al. 2022) as torchvision 0.14 builds it: a 4×4 stride-4 stem with
// LayerNorm2d, four stages of CNBlocks (depthwise 7×7, channels-last LayerNorm, Linear 4×, GELU,
// Linear back, then the layer scale: a per-channel [C, 1, 1] factor, and the residual add),
// LayerNorm2d + 2×2 stride-2 convolutions between stages. Stochastic depth only acts in training
// and is left out. Node names are torchvision's module paths ('features.1.0.block.3'); the layer
// scale is a Mul node named 'features.1.0.layer_scale' whose constant is torchvision's parameter
// (qualified 'features.1.0.layer_scale.constant': models.torchvisionName drops the '.constant').
import { GraphBuilder } from '../graph/builder.js';
import { Conv2d } from '../nn/conv2d.js';
import { LayerNorm } from '../nn/layernorm.js';
import { LayerNorm2d } from '../nn/layernorm2d.js';
import { Linear } from '../nn/linear.js';
import { GELU } from '../nn/gelu.js';
import { Permute } from '../nn/permute.js';
import { Mul } from '../nn/mul.js';
import { Add } from '../nn/add.js';
import { AdaptiveAvgPool2d } from '../nn/adaptiveavgpool2d.js';
import { Flatten } from '../nn/flatten.js';
import { inputSize, type ZooOptions } from './blocks.js';

export interface ConvNeXtOptions extends Omit<ZooOptions, 'dropout'> {
  /** The layer scales' initial value (torchvision's 1e-6). */
  layerScale?: number;
}

/** ConvNeXt-Tiny: 28,589,128 parameters at 1000 classes. */
export function convnextTiny(options: ConvNeXtOptions = {}) {
  const size = inputSize('convnextTiny', options);
  const b = new GraphBuilder({ input: [3, size, size] });
  const eps = 1e-6;
  let x = b.add('features.0.0', new Conv2d(3, 96, 4, { stride: 4 }), 'input');
  x = b.add('features.0.1', new LayerNorm2d(96, { eps }), x);
  const stages: [number, number][] = [[96, 3], [192, 3], [384, 9], [768, 3]];
  stages.forEach(([dim, depth], s) => {
    for (let i = 0; i < depth; i++) {
      const p = `features.${2 * s + 1}.${i}`;
      const y = b.chain(x, [
        [`${p}.block.0`, new Conv2d(dim, dim, 7, { padding: 3, groups: dim })],
        [`${p}.block.1`, new Permute([0, 2, 3, 1])],
        [`${p}.block.2`, new LayerNorm(dim, { eps })],
        [`${p}.block.3`, new Linear(dim, 4 * dim)],
        [`${p}.block.4`, new GELU()],
        [`${p}.block.5`, new Linear(4 * dim, dim)],
        [`${p}.block.6`, new Permute([0, 3, 1, 2])],
        [`${p}.layer_scale`, new Mul({ constantShape: [dim, 1, 1], constant: options.layerScale ?? 1e-6 })],
      ]);
      x = b.add(`${p}.add`, new Add(), [y, x]);
    }
    if (s < stages.length - 1) {
      const p = `features.${2 * s + 2}`;
      x = b.add(`${p}.0`, new LayerNorm2d(dim, { eps }), x);
      x = b.add(`${p}.1`, new Conv2d(dim, stages[s + 1][0], 2, { stride: 2 }), x);
    }
  });
  x = b.add('avgpool', new AdaptiveAvgPool2d(1), x);
  x = b.add('classifier.0', new LayerNorm2d(768, { eps }), x);
  x = b.add('classifier.1', new Flatten(), x);
  x = b.add('classifier.2', new Linear(768, options.numClasses ?? 1000), x);
  return b.build(x, options.seed);
}
