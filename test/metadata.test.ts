// Preprocessing and class names travel with the model (native file and ONNX metadata_props), and
// predictTopK names the classes.
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, Tensor, io, nn, predictTopK } from '../src/index.js';
import { randArray, ready } from './helpers.js';

beforeAll(ready);

const NAMES = ['cat', 'dog', 'bird', 'fish'];
const PRE = { size: [6, 6] as [number, number], channels: 1 as const, mean: 0.1307, std: 0.3081, resize: 'bilinear' as const, crop: 'center' as const };

function net(last?: nn.Layer) {
  const layers: nn.Layer[] = [new nn.Flatten(), new nn.Linear(36, 4, { name: 'fc' })];
  if (last) layers.push(last);
  const m = new Sequential(layers, { inputShape: [1, 6, 6], seed: 4 });
  m.metadata = { preprocess: PRE, classNames: NAMES, note: 'mine' };
  return m;
}

describe('metadata that travels with the model', () => {
  it('round-trips through the native file and through ONNX metadata_props', () => {
    const m = net();
    const back = io.load(io.save(m));
    expect(back.metadata).toEqual({ preprocess: PRE, classNames: NAMES, note: 'mine' });
    const onnx = io.fromONNX(io.toONNX(m));
    expect(onnx.metadata.preprocess).toEqual(PRE);
    expect(onnx.metadata.classNames).toEqual(NAMES);
    expect(onnx.metadata.note).toBe('mine');
    expect(onnx.metadata.onnx).toBeDefined(); // the import's own record stays
    // and on again: the import record is not written into the next file
    const again = io.fromONNX(io.toONNX(onnx));
    expect(again.metadata.classNames).toEqual(NAMES);
    for (const g of [m, back, onnx, again]) g.dispose();
  });

  it('is checked before it is written and when it is read', () => {
    const m = net();
    m.metadata.classNames = ['a', 'b'];
    expect(() => io.save(m)).toThrow(/io.save: classNames has 2 names but the model has 4 outputs/);
    expect(() => io.toONNX(m)).toThrow(/io.toONNX: classNames has 2 names/);
    m.metadata.classNames = NAMES;
    m.metadata.preprocess = { ...PRE, std: 0 };
    expect(() => io.save(m)).toThrow(/preprocess.std must not be 0/);
    m.metadata.preprocess = { size: [6] };
    expect(() => io.save(m)).toThrow(/preprocess.size must be \[height, width\]/);
    m.metadata.preprocess = { sizes: [6, 6] };
    expect(() => io.save(m)).toThrow(/preprocess has an unknown key 'sizes'/);
    m.dispose();
  });
});

describe('predictTopK', () => {
  it('gives the k most probable classes per image with their names, summing with the rest to 1', () => {
    const m = net();
    const x = Tensor.from(randArray(3 * 36, 2), [3, 1, 6, 6]);
    const top = predictTopK(m, x, 3);
    expect(top).toHaveLength(3);
    const logits = m.predict(x).toFloat32Array();
    for (let i = 0; i < 3; i++) {
      const row = Array.from(logits.subarray(i * 4, i * 4 + 4));
      const e = row.map((v) => Math.exp(v - Math.max(...row)));
      const z = e.reduce((a, b) => a + b, 0);
      const order = [0, 1, 2, 3].sort((a, b) => row[b] - row[a]);
      expect(top[i].map((t) => t.index)).toEqual(order.slice(0, 3));
      expect(top[i].map((t) => t.label)).toEqual(order.slice(0, 3).map((c) => NAMES[c]));
      top[i].forEach((t) => expect(t.probability).toBeCloseTo(e[t.index] / z, 6));
    }
    // k larger than the classes: every class
    expect(predictTopK(m, x, 10)[0]).toHaveLength(4);
    // a model that ends in LogSoftmax: its own probabilities
    const ls = net(new nn.LogSoftmax(1));
    const t2 = predictTopK(ls, x, 1, { classNames: ['w', 'x', 'y', 'z'] });
    expect(t2[0][0].label).toMatch(/^[wxyz]$/);
    expect(t2[0][0].probability).toBeGreaterThan(0.25);
    expect(() => predictTopK(m, x, 0)).toThrow(/predictTopK: k must be ≥ 1/);
    x.dispose(); m.dispose(); ls.dispose();
  });

  it('takes images and prepares them with the model\'s metadata.preprocess', () => {
    const m = net();
    const img = { width: 9, height: 7, data: Uint8Array.from({ length: 9 * 7 * 4 }, (_, i) => (i * 37) % 256) };
    const viaPixels = predictTopK(m, img, 2);
    const t = Tensor.fromPixels(img, PRE);
    expect(viaPixels).toEqual(predictTopK(m, t, 2));
    t.dispose();
    m.metadata = {};
    expect(() => predictTopK(m, img, 2)).toThrow(/x must be a Tensor, or images when the model has metadata.preprocess/);
    m.dispose();
  });
});
