// A YOLO-style detector exported by PyTorch 1.13 (scripts/make-yolo-fixture.py: Conv+BN+SiLU, C2f
// channel-split blocks, SPPF, a nearest-2x FPN/PAN neck, a decoupled head with a distribution
// softmax over 16 box bins reduced by a 1x1 conv or a MatMul, box decoding against constant anchor
// points and strides, sigmoid class scores) at 160x160 and 128x192 and at opsets 11, 13 and 17:
// every file imports and reproduces PyTorch eagerly and through a compiled plan, the box
// coordinates and the class scores each within max |Δ| ≤ 1e-4 × max |y| of PyTorch's float32 and
// float64 outputs; memory returns to its baseline.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tensor, compile, io, memoryInfo } from '../src/index.js';
import { expectCanariesIntact, ready } from './helpers.js';
import { f32, f64, readFixtures } from './onnx-fixtures.js';

const DIR = fileURLToPath(new URL('./fixtures/detector/', import.meta.url));
const fixtures = readFixtures(DIR);
const BOUND = 1e-4;
const BOXES = 4; // rows 0–3 of [N, 4 + classes, anchors]: cx, cy, w, h; the rest are class scores

beforeAll(ready);

/** The fixture's input, which every language computes exactly (the generator's input.lcg). */
function lcgImage(shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => ((i * 1103515245 + 12345) % 2147483648 % 256) / 255);
}

/** The box rows and the class-score rows of [N, R, A], each flattened. */
function parts(y: ArrayLike<number>, [n, r, a]: number[]): { boxes: number[]; scores: number[] } {
  const boxes: number[] = [], scores: number[] = [];
  for (let b = 0; b < n; b++)
    for (let k = 0; k < r; k++) for (let j = 0; j < a; j++) (k < BOXES ? boxes : scores).push(y[(b * r + k) * a + j]);
  return { boxes, scores };
}

/** max |a − b| ÷ max |b|. */
function scaled(a: readonly number[], b: readonly number[]): number {
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return Number.isNaN(d) ? Infinity : d / m;
}

describe('a YOLO-style detector exported by PyTorch 1.13', () => {
  const rows: string[] = [];
  afterAll(() => {
    if (rows.length) console.log(`max |Δ| ÷ max |y| (boxes | class scores):\n${rows.join('\n')}`);
  });

  it('the fixtures: two input sizes, three opsets each, < 2 MB of ONNX in all', () => {
    expect(fixtures.map((f) => f.model)).toEqual(['yolo_128x192', 'yolo_160x160']);
    let total = 0;
    for (const fx of fixtures) {
      expect(fx.opsets).toEqual([11, 13, 17]);
      for (const k of fx.opsets) total += statSync(`${DIR}${fx.model}.opset${k}.onnx`).size;
      // PyTorch's float32 and float64 agree far inside the bound
      const shape = fx.output.shape;
      const a = parts(f32(fx.output.data), shape), b = parts(f64(fx.output64!.data), shape);
      expect(scaled(a.boxes, b.boxes)).toBeLessThan(BOUND / 10);
      expect(scaled(a.scores, b.scores)).toBeLessThan(BOUND / 10);
    }
    expect(total).toBeLessThan(2_000_000);
  });

  for (const fx of fixtures) {
    for (const opset of fx.opsets) {
      const file = `${fx.model}.opset${opset}.onnx`;
      it(`${file}: imports and matches PyTorch's float32 and float64, boxes and scores apart, eager and compiled`, () => {
        const base = memoryInfo().bytesInUse;
        const g = io.fromONNX(readFileSync(DIR + file));
        const types = g.nodes.map((n) => n.layer.type);
        for (const t of ['SiLU', 'MaxPool2d', 'Upsample', 'Concat', 'Slice', 'Softmax', 'Permute', 'Sub', 'Div', 'Mul', 'Sigmoid']) expect(types, t).toContain(t);
        expect(types.filter((t) => t === 'MaxPool2d')).toHaveLength(3);
        const shape = fx.input.shape;
        const x = Tensor.from(lcgImage(shape), shape);
        const eager = g.predict(x);
        expect(eager.shape).toEqual(fx.output.shape);
        const plan = compile(g, { batchSize: shape[0] });
        const compiled = plan.run(x).toFloat32Array();
        const want32 = parts(f32(fx.output.data), fx.output.shape), want64 = parts(f64(fx.output64!.data), fx.output.shape);
        for (const [how, y] of [['eager', eager.toFloat32Array()], ['compiled', compiled]] as const) {
          const got = parts(y, fx.output.shape);
          const e = [scaled(got.boxes, want32.boxes), scaled(got.scores, want32.scores), scaled(got.boxes, want64.boxes), scaled(got.scores, want64.scores)];
          rows.push(`${file} ${how}: vs float32 ${e[0].toExponential(2)} | ${e[1].toExponential(2)}; vs float64 ${e[2].toExponential(2)} | ${e[3].toExponential(2)}`);
          for (const v of e) expect(v, `${file} ${how}`).toBeLessThanOrEqual(BOUND);
        }
        plan.dispose();
        eager.dispose();
        x.dispose();
        g.dispose();
        expectCanariesIntact(file);
        expect(memoryInfo().bytesInUse).toBe(base);
      });
    }
  }
});
