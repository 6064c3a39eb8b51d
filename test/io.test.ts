import { beforeAll, describe, expect, it } from 'vitest';
import { io, models, nn, Sequential, Graph, Tensor, memoryInfo } from '../src/index.js';
import { crc32 } from '../src/io/crc32.js';
import { ready, rng, expectCanariesIntact } from './helpers.js';

beforeAll(ready);

function smallNet(seed = 1) {
  return new Sequential(
    [
      new nn.Conv2d(1, 3, 3, { padding: 'same', name: 'c1' }), new nn.BatchNorm2d(3, { name: 'bn' }), new nn.ReLU(),
      new nn.MaxPool2d(2, { ceilMode: true }), new nn.LocalResponseNorm(3, { k: 2 }), new nn.Flatten(),
      new nn.Dropout(0.25), new nn.Linear(3 * 4 * 4, 5, { name: 'fc' }),
    ],
    { inputShape: [1, 7, 7], seed },
  );
}

function paramsOf(m: Graph): Map<string, Float32Array> {
  return new Map(m.namedParams().map((p) => [p.name, p.param.value.toFloat32Array()]));
}

describe('native model files', () => {
  it('round-trips topology and every parameter bit-exactly', () => {
    const m = smallNet(7);
    const bytes = io.save(m, { metadata: { accuracy: 0.5 } });
    expect(bytes.length % 16).toBe(0);
    const back = io.load(bytes);
    expect(back.nodes.map((n) => [n.name, n.layer.type, n.outputShape])).toEqual(m.nodes.map((n) => [n.name, n.layer.type, n.outputShape]));
    const a = paramsOf(m), b = paramsOf(back);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [k, v] of a) expect(new Uint32Array(b.get(k)!.buffer)).toEqual(new Uint32Array(v.buffer));
    expect(back.metadata).toEqual({ accuracy: 0.5 });
    expect(io.save(back)).toEqual(bytes);
    m.dispose();
    back.dispose();
  });

  it('round-trips DAG models (a ResNet-18 topology with 10 classes at 32×32)', () => {
    const m = models.resnet18({ numClasses: 10, inputSize: 32 });
    const back = io.load(io.save(m));
    expect(back.paramCount).toBe(m.paramCount);
    expect(back.nodes.map((n) => n.inputs)).toEqual(m.nodes.map((n) => n.inputs));
    m.dispose();
    back.dispose();
  });

  it('refuses truncated, corrupt and foreign files with specific errors', () => {
    const m = smallNet();
    const bytes = io.save(m);
    expect(() => io.load(bytes.subarray(0, 10))).toThrow(/truncated: 10 bytes, shorter than the 32-byte header/);
    expect(() => io.load(bytes.subarray(0, bytes.length - 16))).toThrow(/truncated: the header declares/);
    const flipped = bytes.slice();
    flipped[bytes.length - 3] ^= 0x40;
    expect(() => io.load(flipped)).toThrow(/corrupt: checksum mismatch/);
    expect(() => io.load(new Uint8Array([0x08, 0x07, 0x12, 0x04, ...new Array(40).fill(0)]))).toThrow(/not a simdnet model.*io.fromONNX/);
    const v2 = bytes.slice();
    new DataView(v2.buffer).setUint32(8, 2, true);
    expect(() => io.load(v2)).toThrow(/format version 2 is not supported/);
    expect(() => io.load('x' as never)).toThrow(/must be a Uint8Array/);
    m.dispose();
  });

  it('checks the JSON against the layers even when the checksum is valid', () => {
    const m = smallNet();
    const bytes = io.save(m);
    const forge = (edit: (s: string) => string) => {
      const len = new DataView(bytes.buffer).getUint32(12, true);
      const text = new TextDecoder().decode(bytes.subarray(32, 32 + len));
      const t2 = new TextEncoder().encode(edit(text));
      if (t2.length !== len) throw new Error('forge must keep the length');
      const out = bytes.slice();
      out.set(t2, 32);
      new DataView(out.buffer).setUint32(24, crc32(out.subarray(32)), true);
      return out;
    };
    expect(() => io.load(forge((s) => s.replace('"outFeatures":5', '"outFeatures":9')))).toThrow(/tensor 'fc.weight' has shape \[5,48\], the layer needs \[9, 48\]/);
    expect(() => io.load(forge((s) => s.replace('"type":"ReLU"', '"type":"ReLX"')))).toThrow(/unknown layer type 'ReLX'/);
    expect(() => io.load(forge((s) => s.replace('"inChannels":1', '"inChannels":9')))).toThrow(/the graph is invalid: .*built for 9 input channels/);
    m.dispose();
  });

  it('survives a seeded fuzz of mutations and truncations: a model or a clear error, never a trap or a leak', () => {
    const m = smallNet(3);
    const bytes = io.save(m);
    m.dispose();
    const r = rng(12345);
    const base = memoryInfo().bytesInUse;
    let loaded = 0, refused = 0;
    for (let i = 0; i < 3000; i++) {
      let f: Uint8Array;
      const kind = i % 4;
      if (kind === 0) f = bytes.subarray(0, Math.floor(r() * bytes.length));
      else {
        f = bytes.slice();
        const flips = 1 + Math.floor(r() * 4);
        for (let k = 0; k < flips; k++) {
          // mostly the header and JSON, where lengths and shapes live
          const at = kind === 3 ? Math.floor(r() * f.length) : Math.floor(r() * Math.min(f.length, 600));
          f[at] = Math.floor(r() * 256);
        }
        // half of the mutations get a valid checksum, so the structural checks are exercised
        if (kind === 2 && f.length >= 32) new DataView(f.buffer).setUint32(24, crc32(f.subarray(32)), true);
      }
      try {
        const g = io.load(f);
        loaded++;
        g.dispose();
      } catch (e) {
        refused++;
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message.length).toBeGreaterThan(10);
        expect(String((e as Error).message)).not.toMatch(/unreachable|RuntimeError|memory access out of bounds/);
      }
    }
    expect(loaded + refused).toBe(3000);
    expect(refused).toBeGreaterThan(2000);
    expect(memoryInfo().bytesInUse).toBe(base);
    expectCanariesIntact('after fuzz');
    const t = Tensor.from([1, 2, 3], [3]);
    expect(Array.from(t.toFloat32Array())).toEqual([1, 2, 3]);
    t.dispose();
  });
});
