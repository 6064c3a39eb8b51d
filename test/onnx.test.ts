// ONNX import: every fixture made by PyTorch (scripts/make-onnx-fixtures.py) imports and
// reproduces PyTorch's output within 1e-4; the layers it becomes; imported models round-trip
// through the native format; refused operators and files name the operator, the node and the opset.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, models, nn, Tensor, Graph, memoryInfo } from '../src/index.js';
import { crc32 } from '../src/io/crc32.js';
import { ready, expectCanariesIntact, randArray } from './helpers.js';
import { DIR, fixtures, f32, relError, run, model, node, floats, report } from './onnx-fixtures.js';
import type { NodeOut } from '../src/io/onnx-write.js';

beforeAll(ready);

const measured: Record<string, number> = {};
afterAll(() => report(measured));

describe('io.fromONNX: fixtures exported by PyTorch 1.13', () => {
  for (const fx of fixtures) {
    for (const opset of fx.opsets) {
      const file = `${fx.model}.opset${opset}.onnx`;
      it(`${file} matches PyTorch within 1e-4`, () => {
        const base = memoryInfo().bytesInUse;
        const g = io.fromONNX(readFileSync(DIR + file));
        const err = relError(run(g, fx), f32(fx.output.data));
        measured[file] = err;
        expect(err).toBeLessThanOrEqual(1e-4);
        expectCanariesIntact(file);
        g.dispose();
        expect(memoryInfo().bytesInUse).toBe(base);
      });
    }
  }
});

describe('io.fromONNX: what the fixtures become', () => {
  const load = (f: string) => io.fromONNX(readFileSync(DIR + f));
  const types = (g: Graph) => g.nodes.map((n) => n.layer.type);

  it('folds conv + batch norm, keeps batch norm that follows no conv, and uses ONNX LRN windows', () => {
    const r = load('residual_bn.opset13.onnx');
    expect(types(r).filter((t) => t === 'BatchNorm2d')).toHaveLength(1); // bn3 follows a ReLU
    expect(types(r).filter((t) => t === 'Conv2d')).toHaveLength(3);
    r.dispose();
    const n = load('normpool.opset7.onnx');
    expect(types(n)).toEqual([
      'Conv2d', 'ReLU', 'BatchNorm2d', 'LocalResponseNorm', 'LocalResponseNorm', 'AvgPool2d', 'MaxPool2d', 'AvgPool2d',
      'Flatten', 'Dropout', 'Linear', 'LogSoftmax',
    ]);
    const lrn = n.layers.filter((l) => l instanceof nn.LocalResponseNorm) as nn.LocalResponseNorm[];
    expect(lrn.map((l) => [l.size, ...l.lrnWindow])).toEqual([[5, 2, 2], [4, 1, 2]]);
    n.dispose();
  });

  it('the LRN fixture tells the windows apart: PyTorch\'s window for size 4 is far off', () => {
    const fx = fixtures.find((f) => f.model === 'lrn')!;
    const n = load('lrn.opset13.onnx');
    const bytes = io.save(n);
    const len = new DataView(bytes.buffer).getUint32(12, true);
    const text = new TextDecoder().decode(bytes.subarray(32, 32 + len));
    expect(text).toContain('"lrnWindow":[1,2]');
    bytes.set(new TextEncoder().encode(text.replace('"lrnWindow":[1,2]', '"lrnWindow":[2,1]')), 32);
    new DataView(bytes.buffer).setUint32(24, crc32(bytes.subarray(32)), true);
    const torchWindow = io.load(bytes);
    expect(relError(run(torchWindow, fx), f32(fx.output.data))).toBeGreaterThan(1e-2);
    expect(relError(run(n, fx), f32(fx.output.data))).toBeLessThan(1e-4);
    torchWindow.dispose();
    n.dispose();
  });

  it('folds zero Pad into convolutions, MatMul + Add into one Linear, and shape arithmetic into a Reshape', () => {
    const c = load('convmix.opset11.onnx');
    const convs = c.layers.filter((l) => l instanceof nn.Conv2d) as nn.Conv2d[];
    expect(convs.map((l) => l.padding)).toEqual([[0, 1, 1, 2], [2, 2], [1, 0, 0, 1]]);
    expect(convs.map((l) => [l.groups, ...l.dilation])).toEqual([[1, 1, 1], [2, 2, 2], [3, 1, 1]]);
    c.dispose();
    const d = load('dense.opset11.onnx');
    expect(types(d)).toEqual(['Linear', 'ReLU', 'Linear', 'ReLU', 'Linear']);
    d.dispose();
    for (const k of [7, 11, 13]) {
      const l = load(`lenet5.opset${k}.onnx`);
      expect(types(l)).toEqual(['Conv2d', 'ReLU', 'MaxPool2d', 'Conv2d', 'ReLU', 'MaxPool2d', 'Flatten', 'Linear', 'ReLU', 'Linear']);
      expect(l.metadata.onnx).toMatchObject({ opset: k, producer: 'pytorch' });
      l.dispose();
    }
    const h = load('handmade.opset11.onnx');
    expect((h.layers[0] as nn.Conv2d).padding).toEqual([1, 1, 0, 0]); // SAME_LOWER: the odd padding goes first
    expect(h.outputNames).toEqual(['output']);
    h.dispose();
  });

  it('takes any batch size, also from a file exported with a static batch of 1', () => {
    const g = load('inception.opset13.onnx');
    const x = Tensor.from(randArray(3 * 8 * 10 * 10, 5), [3, 8, 10, 10]);
    const y = g.predict(x);
    expect(y.shape).toEqual([3, 4]);
    const one = g.predict(Tensor.from(x.toFloat32Array().subarray(800, 1600), [1, 8, 10, 10]));
    expect(relError(one.toFloat32Array(), y.toFloat32Array().subarray(4, 8))).toBeLessThan(1e-6);
    [x, y, one].forEach((t) => t.dispose());
    g.dispose();
  });

  it('imported models round-trip through io.save / io.load with identical outputs', () => {
    for (const fx of fixtures) {
      const file = `${fx.model}.opset${fx.opsets[fx.opsets.length - 1]}.onnx`;
      const g = load(file);
      const back = io.load(io.save(g));
      expect(back.nodes.map((n) => [n.name, n.layer.type, n.layer.config()])).toEqual(g.nodes.map((n) => [n.name, n.layer.type, n.layer.config()]));
      expect(run(back, fx)).toEqual(run(g, fx));
      g.dispose();
      back.dispose();
    }
  });
});

// ---- refusals ---------------------------------------------------------------------------------

/** A one-input model [N, ...shape] → nodes → 'y', written with our encoder. */describe('io.fromONNX refuses what it cannot express, naming the operator, node and opset', () => {
  const refuse = (bytes: Uint8Array, re: RegExp) => {
    let err: unknown;
    try {
      io.fromONNX(bytes).dispose();
    } catch (e) {
      err = e;
    }
    if (process.env.SHOW_ONNX_ERRORS) console.log((err as Error)?.message);
    expect(err).toBeInstanceOf(io.OnnxError);
    expect((err as Error).message).toMatch(re);
  };

  it('files PyTorch exports with operators or semantics we do not have', () => {
    const file = (f: string) => readFileSync(`${DIR}refused/${f}`);
    refuse(file('lrn_traced.opset13.onnx'), /\(AveragePool, opset 13\): the input must be an image \[N, C, H, W\] \(2-D operator\); it is \[N, 1, 6, 3, 3\]/); // its x² (Mul) imports since the elementwise layers, its channel Pad since nn.Pad pads any axis; AveragePool over 3 dims does not
    const up = io.fromONNX(file('upsample.opset13.onnx')); // Resize imports since nn.Upsample (test/onnx-dense.test.ts)
    expect(up.layers.map((l) => l.type)).toEqual(['Upsample']);
    up.dispose();
    refuse(file('avgpool_ceil_counted.opset13.onnx'), /\(AveragePool, opset 13\): pads \[0, 0, 0, 0\] after a zero Pad \[1, 1, 1, 1\] with ceil_mode 1 cannot be expressed: our ceil rounding gives 3×3 windows, ONNX 4×4 \(its last window starts in the zero padding/);
  });

  it('unsupported operators and domains', () => {
    refuse(model([4], [node('Log', ['x'])]), /^ONNX: node 'n1' \(Log, opset 13\): operator 'Log' is not supported/);
    refuse(model([3, 4, 4], [node('Resize', ['x'], [], 'y', 'up')]), /node 'up' \(Resize, opset 13\): neither scales nor sizes is given/);
    refuse(model([3, 4, 4], [node('Transpose', ['x'], [{ name: 'perm', ints: [1, 0, 2, 3] }])]), /Transpose, opset 13\): perm \[1, 0, 2, 3\] moves the batch axis/);
    refuse(model([4], [node('Mul', ['x', 'k'])], [floats('k', [3, 1, 4])]), /Mul, opset 13\): the constant \[3, 1, 4\] has more dims than the activation \[N, 4\]/);
    refuse(model([4], [{ ...node('Relu', ['x']), domain: 'com.microsoft' }]), /\(Relu, opset 13\): operator domain 'com.microsoft' is not supported/);
  });

  it('opsets outside 7–21 and foreign files', () => {
    refuse(model([4], [node('Relu', ['x'])], [], { opset: 6 }), /opset 6 is not supported \(this importer reads opsets 7 to 21\)/);
    refuse(model([4], [node('Relu', ['x'])], [], { opset: 22 }), /opset 22 is not supported/);
    const m = models.lenet5();
    refuse(io.save(m), /simdnet model file, not ONNX: use io.load/);
    m.dispose();
    refuse(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]), /malformed file: .*declares/);
    refuse(new Uint8Array([]), /empty/);
    refuse(new Uint8Array([0x08, 0x07]), /no graph/);
    expect(() => io.fromONNX('x' as never)).toThrow(TypeError);
  });

  it('pooling pads, broadcasting adds, softmax over the batch, reshapes that move the batch', () => {
    const pool = (op: string, attrs: NodeOut['attrs']) => model([2, 4, 4], [node(op, ['x'], [{ name: 'kernel_shape', ints: [2, 2] }, { name: 'strides', ints: [2, 2] }, ...(attrs ?? [])])]);
    refuse(pool('AveragePool', [{ name: 'pads', ints: [0, 0, 1, 1] }, { name: 'count_include_pad', i: 1 }]), /AveragePool, opset 13\): asymmetric pads \[0, 0, 1, 1\] with count_include_pad/);
    refuse(pool('MaxPool', [{ name: 'pads', ints: [0, 0, 2, 2] }]), /MaxPool, opset 13\): pads \[0, 0, 2, 2\] with ceil_mode 0 cannot be expressed/);
    refuse(pool('MaxPool', [{ name: 'storage_order', i: 1 }]), /storage_order/);
    refuse(model([2, 3], [node('Add', ['x', 'z'])], [], { inputs: [{ name: 'x', dims: ['N', 2, 3] }, { name: 'z', dims: ['N', 3] }] }), /differ in rank: ONNX would broadcast the batch/);
    refuse(model([4], [node('Add', ['x', 'k'])], [floats('k', [2, 4])]), /the constant \[2, 4\] would broadcast against the batch dimension/);
    refuse(model([4], [node('Softmax', ['x'], [{ name: 'axis', i: 0 }])]), /softmax over the batch axis/);
    refuse(model([2, 3], [node('Reshape', ['x', 's'])], [{ name: 's', dims: [2], int64s: [3, 2] }]), /does not keep the batch dimension first/);
    refuse(model([2, 3], [node('Flatten', ['x'], [{ name: 'axis', i: 0 }])]), /axis 0 merges the batch/);
    refuse(model([3, 4, 4], [node('Pad', ['x', 'p'], [{ name: 'mode', s: 'reflect' }])], [{ name: 'p', dims: [8], int64s: [1, 1, 1, 1, 0, 0, 1, 1] }]), /pads \[1, 1, 1, 1, 0, 0, 1, 1\] pad the batch axis, which is not supported/);
    refuse(model([3, 4, 4], [node('Pad', ['x', 'p'], [], 'y')], [{ name: 'p', dims: [8], int64s: [0, 0, -1, 1, 0, 0, 1, 1] }]), /negative pads \[0, 0, -1, 1, 0, 0, 1, 1\] \(cropping\) are not supported/);
  });

  it('dense and normalisation corner cases', () => {
    refuse(model([4], [node('Gemm', ['x', 'w'], [{ name: 'transA', i: 1 }])], [floats('w', [4, 3])]), /Gemm, opset 13\): transA = 1/);
    refuse(model([4], [node('Gemm', ['x', 'w'])], [floats('w', [5, 3])]), /A has 4 features, B \[5, 3\] expects 5/);
    refuse(model([4], [node('MatMul', ['x', 'x'])]), /MatMul, opset 13\).*both inputs need the same rank, at least 2 per sample/);
    refuse(model([2, 3], [node('BatchNormalization', ['x', 's', 's', 's', 's'], [{ name: 'training_mode', i: 1 }])], [floats('s', [2])]), /training_mode = 1/);
    refuse(model([4], [{ opType: 'Dropout', name: 'd', inputs: ['x'], outputs: ['y', 'mask'] }], [], { outputs: [{ name: 'y', dims: [] }, { name: 'mask', dims: [] }] }), /mask output 'mask' is used/);
    refuse(model([3, 4, 4], [node('Conv', ['x', 'w'])], [floats('w', [2, 2, 3, 3])]), /W has 2 input channels per group × group 1, the input has 3 channels/);
    refuse(model([3, 4, 4], [node('Conv', ['x', 'w'], [{ name: 'pads', ints: [-1, 0, 0, 0] }])], [floats('w', [2, 3, 3, 3])]), /negative pads/);
  });

  it('inputs, initializers and tensors', () => {
    const bytes = model([3, 4], [node('Relu', ['x'])], [], { inputs: [{ name: 'x', dims: ['N', 'C', 4] }] });
    refuse(bytes, /graph input 'x' has shape \[N, C, 4\]; only the batch \(first\) dimension may be symbolic/);
    expect(() => io.fromONNX(model([4], [node('Relu', ['x'])]), { inputShapes: { z: [3, 4] } })).toThrow(/options.inputShapes names 'z', which is not an input of this model \(x\)/);
    expect(() => io.fromONNX(bytes, { shapes: {} } as never)).toThrow(/unknown option 'shapes'/);
    const g = io.fromONNX(bytes, { inputShapes: { x: [3, 4] } });
    expect(g.inputShapes.x).toEqual([3, 4]);
    g.dispose();
    refuse(model([4], [node('Gemm', ['x', 'w'])], [{ name: 'w', dims: [4, 3], floats: new Float32Array(11) }]), /tensor 'w' has dims \[4, 3\] \(12 floats\) but 44 bytes of raw data/);
    refuse(model([4], [node('Gemm', ['x', 'w'])], [{ name: 'w', dims: [1e6, 1e6], floats: new Float32Array(4) }]), /more elements than the file could hold/);
    refuse(model([4], [node('Relu', ['q'])]), /input 'q' is not a graph input, an initializer or the output of an earlier node/);
    refuse(model([4], [node('Relu', ['x'], [], 'z')]), /graph output 'y' is not produced by any node/);
    refuse(model([4], [node('Relu', ['x']), node('Relu', ['x'], [], 'y', 'n2')]), /node 'n2' \(Relu, opset 13\): output 'y' is produced twice/);
  });
});
