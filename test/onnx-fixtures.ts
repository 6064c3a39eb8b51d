// Shared by the ONNX tests: the PyTorch fixtures (scripts/make-onnx-fixtures.py) with their stored
// inputs and outputs, the error measure, and small hand-written models encoded with our writer.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { GraphBuilder, Tensor, nn, type Graph } from '../src/index.js';
import type { Layer } from '../src/nn/layer.js';
import { randArray } from './helpers.js';
import { encodeModel, type NodeOut, type TensorOut, type ModelOut } from '../src/io/onnx-write.js';

export const DIR = fileURLToPath(new URL('./fixtures/onnx/', import.meta.url));

export interface Fixture {
  model: string;
  opsets: number[];
  input: { name: string; shape: number[]; data: string };
  output: { name: string; shape: number[]; data: string };
  /** PyTorch's output of the model in float64 (base64 little-endian float64), where computed. */
  output64?: { name: string; shape: number[]; dtype: 'float64'; data: string };
  /** The ONNX operator types of each opset's file (scripts/make-op-fixtures.py). */
  ops?: Record<string, string[]>;
}

/** Little-endian float32 values from base64. */
export function f32(b64: string): Float32Array {
  const b = Buffer.from(b64, 'base64');
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(4 * i);
  return out;
}

/** Little-endian float64 values from base64 (the fixtures' output64). */
export function f64(b64: string): Float64Array {
  const b = Buffer.from(b64, 'base64');
  const out = new Float64Array(b.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = b.readDoubleLE(8 * i);
  return out;
}

/** The fixtures (<name>.json) of a folder, sorted by file name; `dir` ends with a slash. */
export function readFixtures(dir: string): Fixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(dir + f, 'utf8')));
}

/** The fixtures of test/fixtures/onnx/ (scripts/make-onnx-fixtures.py). */
export const fixtures: Fixture[] = readFixtures(DIR);

/** max |a − b| / max(1, |b|) (NaN counts as infinite). */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(e <= m)) m = Number.isNaN(e) ? Infinity : e;
  }
  return m;
}

/** The model's output for the fixture's input. */
export function run(g: Graph, fx: Fixture): Float32Array {
  const x = Tensor.from(f32(fx.input.data), fx.input.shape);
  const y = g.predict(x);
  expect(y.shape).toEqual(fx.output.shape);
  const out = y.toFloat32Array();
  x.dispose();
  y.dispose();
  return out;
}

/** A one-input model [N, ...shape] → nodes → 'y', written with our encoder (opset 13 unless said). */
export function model(shape: number[], nodes: NodeOut[], inits: TensorOut[] = [], extra: Partial<ModelOut> = {}): Uint8Array {
  return encodeModel({
    opset: 13, irVersion: 7, producer: 'test', producerVersion: '0', graphName: 'g', nodes, initializers: inits,
    inputs: [{ name: 'x', dims: ['N', ...shape] }], outputs: [{ name: 'y', dims: [] }], ...extra,
  });
}
export const node = (opType: string, inputs: string[], attrs: NodeOut['attrs'] = [], out = 'y', name = 'n1'): NodeOut => ({ opType, name, inputs, outputs: [out], attrs });
export const floats = (name: string, dims: number[], fill = 0.5): TensorOut => ({ name, dims, floats: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(fill) });

/** Prints measured errors after a file's tests (for the record). */
export function report(measured: Record<string, number>): void {
  console.log(Object.entries(measured).map(([k, v]) => `${k}: ${v.toExponential(2)}`).join('\n'));
}

/** Non-trivial batch norm statistics and affine parameters (the defaults would hide mistakes). */
export function randomizeBatchNorms(g: Graph, seed: number): void {
  let k = seed;
  for (const l of g.layers) {
    if (!(l instanceof nn.BatchNorm2d)) continue;
    const c = l.numFeatures;
    l.runningMean.assign(randArray(c, k++, -0.5, 0.5));
    l.runningVar.assign(randArray(c, k++, 0.5, 2));
    l.weight?.assign(randArray(c, k++, 0.5, 1.5));
    l.bias?.assign(randArray(c, k++, -0.3, 0.3));
  }
}

/** conv → BN → act → depthwise → BN → act → squeeze-excite (pool, conv, ReLU, conv, gate) × → project → + → head. */
export function excite(act: () => Layer, gate: () => Layer): Graph {
  const b = new GraphBuilder({ image: [3, 12, 12] });
  const x = b.chain('image', [['stem', new nn.Conv2d(3, 8, 3, { padding: 1 })], ['stem_act', act()]]);
  const d = b.chain(x, [
    ['expand', new nn.Conv2d(8, 16, 1)], ['expand_bn', new nn.BatchNorm2d(16)], ['expand_act', act()],
    ['dw', new nn.Conv2d(16, 16, 3, { padding: 1, groups: 16 })], ['dw_bn', new nn.BatchNorm2d(16)], ['dw_act', act()],
  ]);
  const s = b.chain(d, [['se_pool', new nn.GlobalAvgPool2d()], ['se_fc1', new nn.Conv2d(16, 4, 1)], ['se_relu', new nn.ReLU()], ['se_fc2', new nn.Conv2d(4, 16, 1)], ['se_gate', gate()]]);
  const m = b.chain(b.add('se_mul', new nn.Mul(), [d, s]), [['project', new nn.Conv2d(16, 8, 1)]]);
  const y = b.chain(b.add('add', new nn.Add(), [m, x]), [['head', new nn.Conv2d(8, 12, 1)], ['head_act', act()], ['pool', new nn.GlobalAvgPool2d()], ['flat', new nn.Flatten()], ['fc', new nn.Linear(12, 5)]]);
  return b.build(y, 31);
}

/** onnxruntime's first output for one float32 input (graph rewrites on: its int8 kernels), on one wasm thread. */
export async function ortFirstOutput(bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array | Int8Array | Uint8Array> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  try {
    const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, shape) });
    return r[s.outputNames[0]].data as Float32Array | Int8Array | Uint8Array;
  } finally {
    await s.release();
  }
}

/** ShuffleNetV2's units: a strided one (two branches joined), a basic one (split, one branch, join), the shuffles; SiLU and a ceil-mode max pool on the stem. */
export function shuffleUnits(): Graph {
  const b = new GraphBuilder({ image: [3, 16, 16] });
  const x = b.chain('image', [
    ['stem', new nn.Conv2d(3, 8, 3, { padding: 1, bias: false })], ['stem_bn', new nn.BatchNorm2d(8)], ['stem_act', new nn.SiLU()],
    ['stem_pool', new nn.MaxPool2d(3, { stride: 2, ceilMode: true })], // 16 → 8, not 7 (SqueezeNet's pools round up)
  ]);
  const left = b.chain(x, [['l_dw', new nn.Conv2d(8, 8, 3, { stride: 2, padding: 1, groups: 8, bias: false })], ['l_bn', new nn.BatchNorm2d(8)], ['l_pw', new nn.Conv2d(8, 8, 1)], ['l_relu', new nn.ReLU()]]);
  const right = b.chain(x, [
    ['r_pw1', new nn.Conv2d(8, 8, 1)], ['r_relu1', new nn.ReLU()], ['r_dw', new nn.Conv2d(8, 8, 3, { stride: 2, padding: 1, groups: 8, bias: false })],
    ['r_bn', new nn.BatchNorm2d(8)], ['r_pw2', new nn.Conv2d(8, 8, 1)], ['r_relu2', new nn.ReLU()],
  ]);
  const s1 = b.chain(b.add('cat1', new nn.Concat(1), [left, right]), [['shuffle1', new nn.ChannelShuffle(2)]]);
  const keep = b.add('split1', new nn.Slice([0], [8], { axes: [1] }), s1);
  const half = b.chain(b.add('split2', new nn.Slice([8], [16], { axes: [1] }), s1), [
    ['u_pw1', new nn.Conv2d(8, 8, 1)], ['u_relu1', new nn.ReLU()], ['u_dw', new nn.Conv2d(8, 8, 3, { padding: 1, groups: 8, bias: false })],
    ['u_bn', new nn.BatchNorm2d(8)], ['u_pw2', new nn.Conv2d(8, 8, 1)], ['u_relu2', new nn.ReLU()],
  ]);
  const y = b.chain(b.add('cat2', new nn.Concat(1), [keep, half]), [
    ['shuffle2', new nn.ChannelShuffle(2)], ['head', new nn.Conv2d(16, 24, 1)], ['head_relu', new nn.ReLU()],
    ['pool', new nn.GlobalAvgPool2d()], ['flat', new nn.Flatten()], ['fc', new nn.Linear(24, 6)],
  ]);
  return b.build(y, 41);
}
