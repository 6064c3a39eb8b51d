import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { models, nn, Sequential } from '../src/index.js';

const vectors = JSON.parse(readFileSync(new URL('./fixtures/lecture-vectors.json', import.meta.url), 'utf8'));

describe('parameter counts equal the published ones', () => {
  const cases: [string, () => { paramCount: number }, number][] = [
    ['VGG16', () => models.vgg16(), 138_357_544],
    ['VGG19', () => models.vgg19(), 143_667_240],
    ['ResNet-18', () => models.resnet18(), 11_689_512],
    ['ResNet-34', () => models.resnet34(), 21_797_672],
    ['ResNet-50', () => models.resnet50(), 25_557_032],
    ['ResNet-101', () => models.resnet101(), 44_549_160],
    ['ResNet-152', () => models.resnet152(), 60_192_808],
    ['GoogLeNet (no aux heads)', () => models.googlenet(), 6_624_904],
    ["torchvision's AlexNet", () => models.alexnet({ variant: 'torchvision' }), 61_100_840],
    ['LeNet-5', () => models.lenet5(), 61_706],
  ];
  for (const [name, build, count] of cases) it(name, () => expect(build().paramCount).toBe(count));

  it("the lecture's 760-parameter layer (10 filters 5×5 over 32×32×3, stride 1, pad 2)", () => {
    const v = vectors.paramCount[0];
    const m = new Sequential([new nn.Conv2d(v.inChannels, v.outChannels, v.kernel, { padding: 2 })], { inputShape: [3, 32, 32] });
    expect(m.paramCount).toBe(v.params);
    expect(m.paramCount / v.outChannels).toBe(v.perFilter);
    expect(m.outputShape).toEqual([10, 32, 32]);
  });
});

describe("AlexNet reproduces the lecture's shapes", () => {
  it('every layer on the slide', () => {
    const m = models.alexnet();
    for (const [name, , hwc] of vectors.alexnet.layers as [string, string, number[]][]) {
      const node = name.replace('MAX POOL', 'pool').replace('NORM', 'norm').replace('CONV', 'conv').replace('FC', 'fc');
      const shape = m.node(node).outputShape;
      const asHwc = shape.length === 3 ? [shape[1], shape[2], shape[0]] : shape;
      expect(asHwc, name).toEqual(hwc);
    }
    expect(m.paramCount).toBe(62_378_344);
    expect(Math.abs(m.paramCount - 60e6)).toBeLessThan(2.5e6);
  });
  it('the two-group original: [55×55×96] → 2 × [55×55×48] groups and about 60 million parameters', () => {
    const m = models.alexnet({ groups: 2 });
    expect(m.paramCount).toBe(60_965_224);
    expect((m.node('conv2').layer as nn.Conv2d).groups).toBe(2);
  });
  it("ZFNet changes CONV1 to 7×7 stride 2 and CONV3–5 to 512, 1024, 512", () => {
    const m = models.zfnet();
    const c1 = m.node('conv1').layer as nn.Conv2d;
    expect(c1.kernelSize).toEqual([7, 7]);
    expect(c1.stride).toEqual([2, 2]);
    expect(m.node('conv1').outputShape).toEqual([96, 110, 110]);
    expect(['conv3', 'conv4', 'conv5'].map((n) => m.node(n).outputShape[0])).toEqual([512, 1024, 512]);
    expect(m.node('pool3').outputShape).toEqual([512, 6, 6]);
  });
});

describe('summary', () => {
  it('lists shapes, parameters, multiply-adds and memory, and marks windows that do not fit', () => {
    const m = models.alexnet({ variant: 'torchvision' });
    const s = m.summaryData({ batchSize: 2 });
    expect(s.trainableParams).toBe(61_100_840);
    expect(s.rows.find((r) => r.name === 'conv1')!.macs).toBe(64 * 55 * 55 * 3 * 11 * 11);
    expect(s.peakActivationBytes).toBeLessThan(s.activationBytes);
    expect(m.summary()).toMatch(/Total params: 61,100,840/);
    // torchvision's conv1 on 224: (224 + 4 − 11)/4 + 1 = 55.25 → floor drops rows
    expect(s.rows.find((r) => r.name === 'conv1')!.notes[0]).toMatch(/drops the last 1 row and 1 column/);
    const lecture = models.alexnet().summaryData();
    expect(lecture.rows.find((r) => r.name === 'conv1')!.notes).toEqual([]);
  });
  it('counts batch norm running statistics as non-trainable', () => {
    const s = models.resnet18().summaryData();
    expect(s.trainableParams).toBe(11_689_512);
    expect(s.nonTrainable).toBe(2 * 4800);
  });
});
