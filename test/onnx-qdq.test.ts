// Quantized ONNX import: the fixtures of test/fixtures/onnx-qdq/ (scripts/make-qdq-fixtures.py:
// quantize_static-form QDQ graphs of small PyTorch models, and one-operator QLinearConv,
// QLinearMatMul, QLinearAdd, ConvInteger, MatMulInteger models) import onto the int8 layers and
// give onnxruntime-web's outputs (scripts/make-qdq-references.mjs; its int8 kernels) to within one
// step of the output quantization, eager and compiled. Hand-written models check the refusals and
// the dequantize → f32 → quantize fallbacks.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, compile, Tensor, memoryInfo, type Graph } from '../src/index.js';
import { ready } from './helpers.js';
import { f32, report } from './onnx-fixtures.js';
import { encodeModel, type NodeOut, type TensorOut } from '../src/io/onnx-write.js';

beforeAll(ready);

const DIR = fileURLToPath(new URL('./fixtures/onnx-qdq/', import.meta.url));

interface QOut {
  name: string;
  shape: number[];
  python: string;
  ort?: string;
  quantization: { scale: number; zeroPoint: number; type: string } | null;
}
interface QFixture {
  model: string;
  kind: 'qdq' | 'operator';
  note: string;
  ops: string[];
  inputs: { name: string; shape: number[]; data: string }[];
  outputs: QOut[];
  ort: { accepted: boolean; error?: string; kernels?: string };
}

const fixtures: QFixture[] = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(DIR + f, 'utf8')));

/** Layer types each fixture must (and must not) import to: the int8 layers where the integers fit. */
const LAYERS: Record<string, { has: string[]; not: string[] }> = {
  qdq: { has: ['QConv2d', 'QLinear', 'QuantizeLinear', 'DequantizeLinear'], not: ['Conv2d', 'Linear'] },
  mlp: { has: ['QLinear'], not: ['Linear'] },
  residual: { has: ['QAdd', 'QGlobalAvgPool2d'], not: ['Add'] },
  mobile: { has: ['QAdd'], not: ['Add'] },
  cnn: { has: ['QMaxPool2d', 'QGlobalAvgPool2d'], not: ['MaxPool2d', 'ReLU'] },
  cnn_s8_sym: { has: ['QConv2d'], not: ['Conv2d'] },
  branches: { has: ['QMaxPool2d', 'QConcat'], not: ['MaxPool2d', 'Concat'] },
  qlinearconv: { has: ['QConv2d'], not: ['Conv2d'] },
  qlinearmatmul: { has: ['QLinear'], not: ['Linear'] },
  qlinearadd_u8: { has: ['QAdd'], not: ['Add'] },
  qlinearadd_s8_bcast: { has: ['Add', 'QuantizeLinear'], not: ['QAdd'] },
  qop_chain: { has: ['QConv2d', 'QMaxPool2d', 'Flatten', 'QLinear'], not: ['Conv2d', 'MaxPool2d', 'Linear'] },
  convinteger: { has: ['Conv2d'], not: ['QConv2d'] },
  matmulinteger: { has: ['Linear'], not: ['QLinear'] },
};

function expectLayers(g: Graph, fx: QFixture): void {
  const types = new Set(g.layers.map((l) => l.type));
  const name = fx.model.replace('.onnx', '');
  const rules = Object.entries(LAYERS).filter(([k]) => (k === 'qdq' ? fx.kind === 'qdq' && !name.startsWith('mlp') : name.startsWith(k)));
  expect(rules.length, `${name}: no layer rules`).toBeGreaterThan(0);
  for (const [, r] of rules) {
    for (const t of r.has) expect(types.has(t), `${name} has a ${t} layer (${[...types].join(', ')})`).toBe(true);
    for (const t of r.not) expect(types.has(t), `${name} has no ${t} layer (${[...types].join(', ')})`).toBe(false);
  }
}

/**
 * The largest difference between two outputs: in steps of the output's quantization (the integers
 * behind the dequantized values), or relative to max(1, |b|) for an output with none.
 */
function steps(a: Float32Array, b: Float32Array, q: QOut['quantization']): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = q ? Math.abs(Math.round(a[i] / q.scale) - Math.round(b[i] / q.scale)) : Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

const inputsOf = (fx: QFixture) => fx.inputs.map((i) => [i.name, Tensor.from(f32(i.data), i.shape)] as const);

/** Every output of the model, eager. */
function runEager(g: Graph, fx: QFixture): Record<string, Float32Array> {
  const ins = inputsOf(fx);
  const r = g.forward(ins.length === 1 ? ins[0][1] : Object.fromEntries(ins));
  const out: Record<string, Float32Array> = {};
  for (const o of fx.outputs) {
    expect(r.outputs[o.name].shape).toEqual(o.shape);
    out[o.name] = r.outputs[o.name].toFloat32Array();
  }
  for (const t of Object.values(r.outputs)) if (!t.disposed) t.dispose();
  for (const [, t] of ins) t.dispose();
  return out;
}

const measured: Record<string, number> = {};
afterAll(() => report(measured));

describe('quantized ONNX fixtures vs onnxruntime-web', () => {
  it('every fixture was run by onnxruntime-web', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(23);
    for (const fx of fixtures) expect(fx.ort.accepted, `${fx.model}: ${fx.ort.error}`).toBe(true);
  });

  for (const fx of fixtures) {
    it(`${fx.model} (${fx.note})`, () => {
      const base = memoryInfo().bytesInUse;
      const g = io.fromONNX(new Uint8Array(readFileSync(DIR + fx.model)));
      expectLayers(g, fx);
      const eager = runEager(g, fx);
      for (const o of fx.outputs) {
        const ref = f32(o.ort ?? o.python);
        const d = steps(eager[o.name], ref, o.quantization);
        measured[`${fx.model} ${o.name === 'output' ? '' : `${o.name} `}eager vs onnxruntime-web (${o.quantization ? 'steps' : 'relative'})`] = d;
        expect(d, `${fx.model} ${o.name}`).toBeLessThanOrEqual(o.quantization ? 1 : 1e-5);
      }
      // compiled: one plan per output (a plan has one input and one output), the same bits as eager
      if (fx.inputs.length === 1) {
        for (const o of fx.outputs) {
          const sub = g.outputNames.length === 1 ? g : g.truncate(o.name);
          const plan = compile(sub, { batchSize: fx.inputs[0].shape[0] });
          const x = Tensor.from(f32(fx.inputs[0].data), fx.inputs[0].shape);
          const y = plan.run(x).toFloat32Array();
          x.dispose();
          plan.dispose();
          expect(steps(y, eager[o.name], o.quantization), `${fx.model} ${o.name} compiled vs eager`).toBe(0);
        }
      }
      g.dispose();
      expect(memoryInfo().bytesInUse).toBe(base);
    });
  }
});

// ---- hand-written models: refusals and fallbacks ----------------------------------------------

const f = (name: string, dims: number[], values: number[]): TensorOut => ({ name, dims, floats: Float32Array.from(values) });
const i8 = (name: string, dims: number[], values: number[]): TensorOut => ({ name, dims, int8s: Int8Array.from(values) });
const u8 = (name: string, dims: number[], values: number[]): TensorOut => ({ name, dims, uint8s: Uint8Array.from(values) });
const i32 = (name: string, dims: number[], values: number[]): TensorOut => ({ name, dims, int32s: Int32Array.from(values) });
const n = (opType: string, inputs: string[], outputs: string[], attrs: NodeOut['attrs'] = [], domain?: string): NodeOut =>
  ({ opType, name: outputs[0], inputs, outputs, attrs, ...(domain ? { domain } : {}) });

function qmodel(shape: number[], nodes: NodeOut[], inits: TensorOut[], opset = 13, outputs = ['y']): Uint8Array {
  return encodeModel({
    opset, irVersion: 7, producer: 'test', producerVersion: '0', graphName: 'g', nodes, initializers: inits,
    inputs: [{ name: 'x', dims: ['N', ...shape] }], outputs: outputs.map((o) => ({ name: o, dims: [] })),
  });
}

/** x → QuantizeLinear (scale 0.05, zero point 128 uint8) → … */
const Q_IN = [n('QuantizeLinear', ['x', 'sx', 'zx'], ['xq'])];
const Q_INITS = [f('sx', [], [0.05]), u8('zx', [], [128])];

function predict(bytes: Uint8Array, shape: number[], values: number[]): Float32Array {
  const g = io.fromONNX(bytes);
  const x = Tensor.from(Float32Array.from(values), shape);
  const y = g.predict(x);
  const out = y.toFloat32Array();
  [x, y].forEach((t) => t.dispose());
  g.dispose();
  return out;
}

describe('quantized ONNX: refusals', () => {
  const refuse = (bytes: Uint8Array, msg: RegExp) => expect(() => io.fromONNX(bytes)).toThrow(msg);

  it('16-bit and 4-bit zero points name their type', () => {
    const bytes = qmodel([4], [n('QuantizeLinear', ['x', 'sx', 'zx'], ['y'])], [f('sx', [], [0.1]), i8('zx', [], [0])]);
    // flip the zero point's data type INT8 (3) → INT16 (5): the raw data has one byte, so the type is caught first
    const at = findTensorType(bytes, 'zx');
    bytes[at] = 5;
    refuse(bytes, /INT16; quantized tensors are supported in UINT8 and INT8/);
    bytes[at] = 22;
    refuse(bytes, /INT4; quantized tensors/);
  });

  it('blocked quantization, per-axis activations, integer graph outputs, integers into float operators', () => {
    refuse(qmodel([4], [n('QuantizeLinear', ['x', 'sx', 'zx'], ['q'], [{ name: 'block_size', i: 2 }]), n('DequantizeLinear', ['q', 'sx', 'zx'], ['y'])], Q_INITS), /blocked quantization/);
    refuse(qmodel([2], [n('QuantizeLinear', ['x', 's2', 'z2'], ['q']), n('DequantizeLinear', ['q', 's2', 'z2'], ['y'])], [f('s2', [2], [0.1, 0.2]), u8('z2', [2], [1, 2])]),
      /quantized per axis .*activations must be quantized per tensor/);
    refuse(qmodel([4], [...Q_IN, n('Identity', ['xq'], ['y'])], Q_INITS), /graph output 'y' is a UINT8 tensor.*DequantizeLinear/);
    refuse(qmodel([4], [...Q_IN, n('Relu', ['xq'], ['y'])], Q_INITS), /'xq' is a UINT8 tensor, which Relu cannot read here/);
    refuse(qmodel([4], [...Q_IN, n('DequantizeLinear', ['xq', 'sx', 'zs'], ['y'])], [...Q_INITS, i8('zs', [], [0])]), /x_zero_point is INT8 but x is UINT8/);
    refuse(qmodel([4], [n('QuantizeLinear', ['x', 'sz', 'zx'], ['q']), n('DequantizeLinear', ['q', 'sz', 'zx'], ['y'])], [f('sz', [], [0]), u8('zx', [], [128])]),
      /y_scale holds 0; scales must be finite and > 0/);
    refuse(qmodel([3], [...Q_IN, n('MatMulInteger', ['xq', 'b', 'zx'], ['y'])], [...Q_INITS, i8('b', [3, 2], [1, 2, 3, 4, 5, 6])]), /graph output 'y' is a INT32 tensor.*Cast to FLOAT/);
    refuse(qmodel([3], [...Q_IN, n('MatMulInteger', ['xq', 'b', 'zx'], ['m']), n('Relu', ['m'], ['y'])], [...Q_INITS, i8('b', [3, 2], [1, 2, 3, 4, 5, 6])]),
      /only a Cast to FLOAT reads ConvInteger/);
    refuse(qmodel([4], [n('QLinearMul', ['x'], ['y'], [], 'com.microsoft')], []), /operator domain 'com.microsoft' is not supported for 'QLinearMul' \(of its operators only QLinearAdd and QLinearConcat are read\)/);
  });
});

/** Offset of the data_type byte of initializer `name` in an encoded model (its tensor: dims, then data_type). */
function findTensorType(bytes: Uint8Array, name: string): number {
  const key = new TextEncoder().encode(name);
  for (let i = 0; i < bytes.length - key.length; i++) {
    if (bytes[i - 1] === key.length && bytes[i - 2] === 0x42 && key.every((b, k) => bytes[i + k] === b)) {
      // writeTensor: dims (field 1), data_type (field 2: 0x10, value), name (field 8: 0x42, len, bytes)
      for (let j = i - 3; j > 0; j--) if (bytes[j - 1] === 0x10) return j;
    }
  }
  throw new Error(`no tensor '${name}'`);
}

describe('quantized ONNX: fallbacks and folds', () => {
  it('QLinearConv with uint8 weights whose zero point leaves int8 runs dequantize → Conv → quantize, exactly as defined', () => {
    // weights 0 and 255 around zero point 10: w − zp in −10…245, outside int8
    const w = [0, 255, 10, 200, 3, 40, 90, 255], sw = 0.01, sy = 0.2, zy = 100;
    const x = [0.31, -1.23, 2.07, 0.44, -0.06, 0.93, 1.52, -2.48];
    const g = io.fromONNX(qmodel([2, 2, 2], [...Q_IN,
      n('QLinearConv', ['xq', 'sx', 'zx', 'w', 'sw', 'zw', 'sy', 'zy'], ['yq'], [{ name: 'kernel_shape', ints: [2, 2] }, { name: 'group', i: 2 }]),
      n('DequantizeLinear', ['yq', 'sy', 'zy'], ['y'])],
    [...Q_INITS, u8('w', [2, 1, 2, 2], w), f('sw', [], [sw]), u8('zw', [], [10]), f('sy', [], [sy]), u8('zy', [], [zy])]));
    expect(g.layers.map((l) => l.type)).toContain('Conv2d');
    const xt = Tensor.from(Float32Array.from(x), [1, 2, 2, 2]);
    const y = g.predict(xt).toFloat32Array();
    // the integer definition: acc = Σ (xq − zx)(w − zw); y = clamp(round(acc·sx·sw / sy) + zy, 0, 255); out = (y − zy)·sy
    const xq = x.map((v) => Math.max(0, Math.min(255, Math.round(v / 0.05) + 128)) - 128);
    for (let o = 0; o < 2; o++) {
      let acc = 0;
      for (let k = 0; k < 4; k++) acc += xq[o * 4 + k] * (w[o * 4 + k] - 10);
      const q = Math.max(0, Math.min(255, Math.round((acc * 0.05 * sw) / sy) + zy));
      expect(Math.abs(Math.round(y[o] / sy) - (q - zy)), `channel ${o}`).toBeLessThanOrEqual(0);
    }
    xt.dispose();
    g.dispose();
  });

  it('QuantizeLinear and DequantizeLinear of constants are evaluated (per axis too)', () => {
    // a float weight quantized and dequantized in the graph (per output channel), then a Conv
    const bytes = qmodel([1, 2, 2], [
      n('QuantizeLinear', ['wf', 'ws', 'wz'], ['wq'], [{ name: 'axis', i: 0 }]),
      n('DequantizeLinear', ['wq', 'ws', 'wz'], ['w'], [{ name: 'axis', i: 0 }]),
      n('Conv', ['x', 'w'], ['y'], [{ name: 'kernel_shape', ints: [1, 1] }])],
    [f('wf', [2, 1, 1, 1], [0.333, -0.77]), f('ws', [2], [0.01, 0.1]), i8('wz', [2], [0, 0])]);
    const y = predict(bytes, [1, 1, 2, 2], [1, 2, 3, 4]);
    const w0 = Math.fround(33 * Math.fround(0.01)), w1 = Math.fround(-8 * Math.fround(0.1));
    expect(Array.from(y)).toEqual([1, 2, 3, 4].map((v) => Math.fround(v * w0)).concat([1, 2, 3, 4].map((v) => Math.fround(v * w1))));
  });

  it('Cast of a UINT8 tensor to FLOAT gives the uint8 values; MaxPool and Flatten carry int8 tensors', () => {
    const bytes = qmodel([1, 2, 2], [...Q_IN,
      n('MaxPool', ['xq'], ['p'], [{ name: 'kernel_shape', ints: [2, 2] }]),
      n('Flatten', ['p'], ['fl']),
      n('Cast', ['fl'], ['y'], [{ name: 'to', i: 1 }])], Q_INITS);
    const g = io.fromONNX(bytes);
    expect(g.layers.map((l) => l.type)).toEqual(['QuantizeLinear', 'QMaxPool2d', 'Flatten', 'DequantizeLinear']);
    g.dispose();
    expect(Array.from(predict(bytes, [1, 1, 2, 2], [-1, 0.5, 2, -7]))).toEqual([Math.round(2 / 0.05) + 128]);
  });

  it('the exact integer path of data-movement operators without an int8 layer (Transpose through float with scale 1)', () => {
    const bytes = qmodel([2, 3], [...Q_IN, n('Transpose', ['xq'], ['t'], [{ name: 'perm', ints: [0, 2, 1] }]), n('DequantizeLinear', ['t', 'sx', 'zx'], ['y'])], Q_INITS);
    const x = [0.11, -0.22, 0.33, 1.41, -1.52, 2.63];
    const want = [0, 3, 1, 4, 2, 5].map((i) => Math.fround((Math.max(0, Math.min(255, Math.round(x[i] / 0.05) + 128)) - 128) * Math.fround(0.05)));
    expect(Array.from(predict(bytes, [1, 2, 3], x))).toEqual(want);
  });
});
