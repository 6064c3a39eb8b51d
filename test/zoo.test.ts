// Every architecture of the lecture runs a forward pass at batch 1 and its standard input size,
// giving finite outputs of the right shape, and frees everything it allocated.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, models, memoryInfo, type Graph } from '../src/index.js';
import { ready, randArray, expectCanariesIntact } from './helpers.js';

beforeAll(ready);

const zoo: [string, () => Graph, number[], number][] = [
  ['lenet5', () => models.lenet5(), [1, 32, 32], 10],
  ['digitNet', () => models.digitNet(), [1, 32, 32], 10],
  ['alexnet (lecture)', () => models.alexnet(), [3, 227, 227], 1000],
  ['alexnet (two groups)', () => models.alexnet({ groups: 2 }), [3, 227, 227], 1000],
  ['alexnet (torchvision)', () => models.alexnet({ variant: 'torchvision' }), [3, 224, 224], 1000],
  ['zfnet', () => models.zfnet(), [3, 224, 224], 1000],
  ['vgg16', () => models.vgg16(), [3, 224, 224], 1000],
  ['vgg19', () => models.vgg19(), [3, 224, 224], 1000],
  ['googlenet', () => models.googlenet(), [3, 224, 224], 1000],
  ['resnet18', () => models.resnet18(), [3, 224, 224], 1000],
  ['resnet34', () => models.resnet34(), [3, 224, 224], 1000],
  ['resnet50', () => models.resnet50(), [3, 224, 224], 1000],
  ['resnet101', () => models.resnet101(), [3, 224, 224], 1000],
  ['resnet152', () => models.resnet152(), [3, 224, 224], 1000],
  ['mobilenetV2', () => models.mobilenetV2(), [3, 224, 224], 1000],
  ['mobilenetV3Small', () => models.mobilenetV3Small(), [3, 224, 224], 1000],
  ['mobilenetV3Large', () => models.mobilenetV3Large(), [3, 224, 224], 1000],
  ['efficientnetB0', () => models.efficientnetB0(), [3, 224, 224], 1000],
  ['shufflenetV2', () => models.shufflenetV2(), [3, 224, 224], 1000],
  ['squeezenet1_1', () => models.squeezenet1_1(), [3, 224, 224], 1000],
  ['convnextTiny', () => models.convnextTiny(), [3, 224, 224], 1000],
];

describe('forward pass of every zoo model at batch 1', () => {
  for (const [name, build, shape, classes] of zoo) {
    it(name, () => {
      const base = memoryInfo().bytesInUse;
      const m = build();
      const x = Tensor.from(randArray(shape.reduce((a, b) => a * b, 1), 1, 0, 1), [1, ...shape]);
      const y = m.predict(x);
      expect(y.shape).toEqual([1, classes]);
      const d = y.toFloat32Array();
      expect(d.every(Number.isFinite)).toBe(true);
      expect(new Set(d).size).toBeGreaterThan(1);
      expectCanariesIntact(name);
      y.dispose();
      x.dispose();
      m.dispose();
      expect(memoryInfo().bytesInUse).toBe(base);
    }, 180_000);
  }
});
