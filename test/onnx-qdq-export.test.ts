// io.toONNX of quantized models (quantize()): the QDQ file runs in onnxruntime-web (wasm, one
// thread) and gives simdnet's int8 results to within one step of the quantization — the model's
// dequantized output and, through models cut at every int8 layer (Graph.truncate), each int8
// tensor itself — and imports back onto the same int8 layers with the same bits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, models, nn, quantize, compile, Tensor, GraphBuilder, type Graph } from '../src/index.js';
import { ready, randArray } from './helpers.js';
import { excite, report, randomizeBatchNorms, shuffleUnits } from './onnx-fixtures.js';

beforeAll(ready);

const measured: Record<string, number> = {};
afterAll(() => report(measured));

/** A residual network: stem, an identity block and a strided block with a 1×1 shortcut, pooling, a classifier. */
function residual(): Graph {
  const b = new GraphBuilder({ image: [3, 12, 12] });
  const stem = b.chain('image', [['stem', new nn.Conv2d(3, 8, 3, { padding: 1, bias: false })], ['stem_bn', new nn.BatchNorm2d(8)], ['stem_relu', new nn.ReLU()]]);
  const a = b.chain(stem, [
    ['a1', new nn.Conv2d(8, 8, 3, { padding: 1, bias: false })], ['a1_bn', new nn.BatchNorm2d(8)], ['a1_relu', new nn.ReLU()],
    ['a2', new nn.Conv2d(8, 8, 3, { padding: 1, bias: false })], ['a2_bn', new nn.BatchNorm2d(8)],
  ]);
  const sum1 = b.chain(b.add('add1', new nn.Add(), [a, stem]), [['relu1', new nn.ReLU()]]);
  const m = b.chain(sum1, [['b1', new nn.Conv2d(8, 12, 3, { stride: 2, padding: 1 })], ['b1_relu', new nn.ReLU()], ['b2', new nn.Conv2d(12, 12, 3, { padding: 1 })]]);
  const s = b.chain(sum1, [['short', new nn.Conv2d(8, 12, 1, { stride: 2 })], ['short_bn', new nn.BatchNorm2d(12)]]);
  const y = b.chain(b.add('add2', new nn.Add(), [m, s]), [
    ['relu2', new nn.ReLU()], ['pool', new nn.MaxPool2d(2)], ['gap', new nn.GlobalAvgPool2d()], ['flat', new nn.Flatten()],
    ['drop', new nn.Dropout(0.2)], ['fc', new nn.Linear(12, 7)],
  ]);
  const g = b.build(y, 21);
  randomizeBatchNorms(g, 300);
  return g;
}

/** MobileNetV2's inverted residual: expand (ReLU6), depthwise (ReLU6), project, add; a classifier. */
function mobile(): Graph {
  const b = new GraphBuilder({ image: [3, 16, 16] });
  const x = b.chain('image', [['stem', new nn.Conv2d(3, 8, 3, { stride: 2, padding: 1, bias: false })], ['stem_bn', new nn.BatchNorm2d(8)], ['stem_act', new nn.ReLU6()]]);
  const r = b.chain(x, [
    ['expand', new nn.Conv2d(8, 24, 1, { bias: false })], ['expand_bn', new nn.BatchNorm2d(24)], ['expand_act', new nn.ReLU6()],
    ['dw', new nn.Conv2d(24, 24, 3, { padding: 1, groups: 24, bias: false })], ['dw_bn', new nn.BatchNorm2d(24)], ['dw_act', new nn.ReLU6()],
    ['project', new nn.Conv2d(24, 8, 1, { bias: false })], ['project_bn', new nn.BatchNorm2d(8)],
  ]);
  // the head's clamp (ReLU6) stays on the dense layer's float32 output: exported as Clip, imported back as the clamp
  const y = b.chain(b.add('add', new nn.Add(), [r, x]), [['gap', new nn.GlobalAvgPool2d()], ['flat', new nn.Flatten()], ['fc', new nn.Linear(8, 5)], ['head', new nn.ReLU6()]]);
  const g = b.build(y, 22);
  randomizeBatchNorms(g, 400);
  return g;
}

/** Random int8 weights, positive scales and a bias for a hand-built int8 layer. */
function fill(l: nn.QConv2d | nn.QLinear, seed: number): void {
  const n = l.weight.size, o = l.weightScale.size;
  l.weight.assign(Int8Array.from(randArray(n, seed, -127, 127), Math.round));
  l.weightScale.assign(randArray(o, seed + 1, 0.002, 0.01));
  l.bias?.assign(randArray(o, seed + 2, -0.3, 0.3));
}

/**
 * The int8 layers built by hand (already quantized: calibration only picks the input's scale),
 * with clamps that their output quantization does not imply, so the file carries Relu and Clip.
 */
function handBuilt(): Graph {
  const b = new GraphBuilder({ image: [3, 9, 9] });
  // float32 scales, as a file holds them (quantize() picks float32 scales too)
  const q = (scale: number, zeroPoint: number) => ({ scale: Math.fround(scale), zeroPoint });
  const q0 = q(0.02, 3), q1 = q(0.05, -10), q2 = q(0.04, 5), q3 = q(0.03, 0);
  const c1 = new nn.QConv2d(3, 6, 3, { padding: 1, x: q0, y: q1, clamp: { min: 0, max: 2 } });
  const c2 = new nn.QConv2d(6, 6, 3, { padding: 1, groups: 6, x: q1, y: q2, clamp: { min: -0.5 } });
  const fc = new nn.QLinear(6, 4, { x: q3, y: q0, clamp: { max: Math.fround(0.3) } });
  const p = b.chain('image', [['q', new nn.QuantizeLinear(q0)], ['c1', c1], ['pool', new nn.QMaxPool2d(2, { padding: 1 })]]);
  const d = b.add('c2', c2, p);
  const y = b.chain(b.add('add', new nn.QAdd({ a: q1, b: q2, y: q3, clamp: { min: 0 } }), [p, d]), [
    ['gap', new nn.QGlobalAvgPool2d({ x: q3, y: q3 })], ['flat', new nn.Flatten()], ['fc', fc], ['out', new nn.DequantizeLinear(q0)],
  ]);
  const g = b.build(y, 23);
  fill(c1, 1);
  fill(c2, 4);
  fill(fc, 7);
  return g;
}

const CASES: [string, () => Graph][] = [
  ['lenet5', () => models.lenet5({ seed: 5 })],
  ['residual', residual],
  ['mobile', mobile],
  ['hand-built int8 layers with clamps', handBuilt],
  // int8 activations (QActivation: DequantizeLinear → HardSwish / Sigmoid·x → QuantizeLinear) beside float32 ones
  ['squeeze-excite, Hardswish', () => { const g = excite(() => new nn.Hardswish(), () => new nn.Hardsigmoid()); randomizeBatchNorms(g, 500); return g; }],
  ['squeeze-excite, SiLU', () => { const g = excite(() => new nn.SiLU(), () => new nn.Sigmoid()); randomizeBatchNorms(g, 600); return g; }],
  // int8 Concat (QConcat), Slice and ChannelShuffle: ShuffleNetV2's units with no float32 layer between stem and logits
  ['shuffle units', () => { const g = shuffleUnits(); randomizeBatchNorms(g, 700); return g; }],
];

describe('io.toONNX of quantized models, run by onnxruntime-web', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let ort: any;
  beforeAll(async () => {
    ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
  });

  /** onnxruntime's first output (its graph rewrites on: the int8 kernels). */
  async function ortRun(bytes: Uint8Array, name: string, x: Float32Array, shape: number[]): Promise<Float32Array | Int8Array> {
    const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    try {
      const r = await s.run({ [name]: new ort.Tensor('float32', x, shape) });
      return r[s.outputNames[0]].data;
    } finally {
      await s.release();
    }
  }

  for (const [what, make] of CASES) {
    it(`${what}: quantize → toONNX → onnxruntime-web within one step, every int8 layer's output too; → fromONNX the same bits`, async () => {
      const f = make();
      const name = f.inputNames[0];
      const inShape = f.inputShapes[name];
      const size = inShape.reduce((a, b) => a * b, 1);
      const cal = Tensor.from(randArray(32 * size, 7, -1.5, 1.5), [32, ...inShape]);
      const q = what.startsWith('hand') ? f : quantize(f, cal);
      cal.dispose();
      const xs = randArray(3 * size, 8, -1.5, 1.5);
      const x = Tensor.from(xs, [3, ...inShape]);

      // the dequantized output, in steps of its quantization; or a dense layer's float32 output
      // (quantize() of a classifier: its logits), within float32 rounding of the same sums
      const out = q.node(q.outputNames[0]).layer;
      const f32Out = out instanceof nn.QLinear;
      if (f32Out) expect(out.output).toBe('float32');
      else expect(out).toBeInstanceOf(nn.DequantizeLinear);
      const yq = q.predict(x);
      const ours = yq.toFloat32Array();
      const bytes = io.toONNX(q);
      if (what.startsWith('hand')) {
        const text = new TextDecoder().decode(bytes);
        for (const op of ['Relu', 'Clip', 'MaxPool', 'GlobalAveragePool', 'Gemm']) expect(text.includes(op), op).toBe(true);
      }
      const theirs = (await ortRun(bytes, name, xs, [3, ...inShape])) as Float32Array;
      let worst = 0;
      if (out instanceof nn.DequantizeLinear) {
        for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(Math.round(ours[i] / out.q.scale) - Math.round(theirs[i] / out.q.scale)));
        measured[`${what} output vs onnxruntime-web (steps)`] = worst;
        expect(worst).toBeLessThanOrEqual(1);
      } else {
        let top = 0;
        for (let i = 0; i < ours.length; i++) { worst = Math.max(worst, Math.abs(ours[i] - theirs[i])); top = Math.max(top, Math.abs(theirs[i])); }
        measured[`${what} float32 output vs onnxruntime-web (max |Δ| ÷ max |y|)`] = worst / top;
        expect(top).toBeGreaterThan(0);
        expect(worst / top).toBeLessThanOrEqual(1e-5);
      }

      // every int8 layer's own output, as an INT8 graph output
      let layers = 0, inner = 0, values = 0;
      for (const node of q.nodes) {
        if (node.layer.outputDtype(node.inputs.map(() => 'int8')) !== 'int8' || node.layer.isAlias) continue;
        const cut = q.truncate(node.name);
        const mine = cut.predict(x);
        const a = mine.toInt8Array();
        const b = (await ortRun(io.toONNX(cut), name, xs, [3, ...inShape])) as Int8Array;
        expect(b).toBeInstanceOf(Int8Array);
        for (let i = 0; i < a.length; i++) inner = Math.max(inner, Math.abs(a[i] - b[i]));
        values += a.length;
        mine.dispose();
        layers++;
      }
      measured[`${what}: ${layers} int8 layer outputs (${values} integers) vs onnxruntime-web (steps)`] = inner;
      expect(layers).toBeGreaterThan(3);
      expect(inner).toBeLessThanOrEqual(1);

      // and back: the file imports onto the same int8 layers, with the same bits, eager and compiled
      const back = io.fromONNX(bytes);
      const types = (g: Graph) => g.layers.map((l) => l.type).filter((t) => t !== 'Dropout' && t !== 'Identity').sort();
      expect(types(back)).toEqual(types(q));
      const y2 = back.predict(x);
      expect(Array.from(y2.toFloat32Array())).toEqual(Array.from(ours));
      const plan = compile(back, { batchSize: 3 });
      expect(Array.from(plan.run(x).toFloat32Array())).toEqual(Array.from(ours));
      plan.dispose();
      [x, yq, y2].forEach((t) => t.dispose());
      new Set([back, q, f]).forEach((g) => g.dispose());
    });
  }
});
