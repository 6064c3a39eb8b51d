// ONNX import of the operators MobileNetV2/V3, EfficientNet, RegNetY, ShuffleNetV2, MNASNet and
// ConvNeXt need: every fixture of test/fixtures/onnx-ops/ (scripts/make-op-fixtures.py, PyTorch
// 1.13, opsets 11, 13 and 17) imports with io.fromONNX and reproduces PyTorch's float32 output
// within 1e-4 (max |Δ| / max(1, |PyTorch|)), eagerly (model.predict) and through a compiled plan,
// and memory returns to its baseline. The float64 outputs are reported beside.
//
import { readFileSync, statSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, compile, Tensor, memoryInfo } from '../src/index.js';
import { ready, expectCanariesIntact } from './helpers.js';
import { readFixtures, f32, f64, relError, run, report } from './onnx-fixtures.js';

const OPS_DIR = fileURLToPath(new URL('./fixtures/onnx-ops/', import.meta.url));
const opsFixtures = readFixtures(OPS_DIR);
const TOLERANCE = 1e-4;

describe('test/fixtures/onnx-ops: the files the operator tests read', () => {
  it('every fixture names its opsets, each file exists and is small', () => {
    expect(opsFixtures.length).toBeGreaterThanOrEqual(10);
    let total = 0;
    for (const fx of opsFixtures) {
      expect(fx.opsets.length, fx.model).toBeGreaterThan(0);
      const n = fx.input.shape.reduce((a, b) => a * b, 1);
      expect(f32(fx.input.data)).toHaveLength(n);
      expect(f64(fx.output64!.data)).toHaveLength(f32(fx.output.data).length);
      // float32 and float64 PyTorch agree far inside the tolerance the engine is held to
      expect(relError(f32(fx.output.data), f64(fx.output64!.data)), fx.model).toBeLessThan(TOLERANCE / 20);
      for (const k of fx.opsets) {
        const file = `${OPS_DIR}${fx.model}.opset${k}.onnx`;
        expect(existsSync(file), file).toBe(true);
        total += statSync(file).size;
        expect(statSync(file).size, file).toBeLessThan(50_000);
      }
    }
    expect(total).toBeLessThan(1_500_000);
  });
});

describe('io.fromONNX: operator fixtures exported by PyTorch 1.13 (eager and compiled)', () => {
  beforeAll(ready);
  const measured: Record<string, number> = {};
  afterAll(() => report(measured));

  for (const fx of opsFixtures) {
    for (const opset of fx.opsets) {
      const file = `${fx.model}.opset${opset}.onnx`;
      it(`${file} matches PyTorch within ${TOLERANCE}, eager and compiled`, () => {
        const base = memoryInfo().bytesInUse;
        const want = f32(fx.output.data);
        const g = io.fromONNX(readFileSync(OPS_DIR + file));
        const eager = run(g, fx);
        const x = Tensor.from(f32(fx.input.data), fx.input.shape);
        const plan = compile(g, { batchSize: fx.input.shape[0] });
        const y = plan.run(x);
        expect(y.shape).toEqual(fx.output.shape);
        const compiled = y.toFloat32Array();
        plan.dispose();
        x.dispose();
        g.dispose();
        measured[`${file} eager`] = relError(eager, want);
        measured[`${file} compiled`] = relError(compiled, want);
        if (fx.output64) measured[`${file} eager vs float64`] = relError(eager, f64(fx.output64.data));
        expect(measured[`${file} eager`], 'eager').toBeLessThanOrEqual(TOLERANCE);
        expect(measured[`${file} compiled`], 'compiled').toBeLessThanOrEqual(TOLERANCE);
        expectCanariesIntact(file);
        expect(memoryInfo().bytesInUse).toBe(base);
      });
    }
  }
});
