// int8 activations through a 256-byte table (ops.lutQs8, assembly/qs8.ts lut_qs8_simd) and the
// tables themselves (ops.activationTable: DequantizeLinear → f → QuantizeLinear in float32).
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, ready } from './helpers.js';
import { ints, roundEven } from './ref/qs8.js';

beforeAll(ready);
let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

describe('lutQs8', () => {
  it('y[i] = table[x[i] + 128] for every byte value, sizes 0…40 and 16-byte edges, shapes kept', () => {
    let s = 9100;
    for (const n of [0, 1, 15, 16, 17, 31, 32, 33, 40, 256, 300]) {
      const table = ints(256, s++);
      const x = n === 256 ? Int8Array.from({ length: 256 }, (_, i) => i - 128) : ints(n, s++);
      const xt = Tensor.from(x, n === 300 ? [3, 10, 10] : [n]);
      const y = ops.lutQs8(xt, table);
      expect(y.dtype).toBe('int8');
      expect(y.shape).toEqual(xt.shape);
      const got = y.toInt8Array();
      xt.dispose(); y.dispose();
      for (let i = 0; i < n; i++) if (got[i] !== table[x[i] + 128]) throw new Error(`n ${n} at ${i}: x ${x[i]} → ${got[i]}, want ${table[x[i] + 128]}`);
    }
  });

  it('checks its arguments before any kernel runs', () => {
    const x = Tensor.from(new Int8Array(4), [4]), f = Tensor.from(new Float32Array(4), [4]);
    expect(() => ops.lutQs8(x, new Int8Array(255))).toThrow(/lutQs8: table must be an Int8Array of 256 values/);
    expect(() => ops.lutQs8(x, new Uint8Array(256) as never)).toThrow(/lutQs8: table must be an Int8Array of 256 values/);
    expect(() => ops.lutQs8(f, new Int8Array(256))).toThrow(/lutQs8: x must be an int8 tensor, got float32/);
    x.dispose(); f.dispose();
  });
});

describe('activationTable', () => {
  it('is QuantizeLinear(f(DequantizeLinear(q))) in float32 for every q, zero points at both ends, saturating', () => {
    for (const [qx, qy] of [
      [{ scale: 0.05, zeroPoint: 0 }, { scale: 1 / 255, zeroPoint: -128 }],
      [{ scale: 0.1, zeroPoint: -128 }, { scale: 0.002, zeroPoint: 127 }],
      [{ scale: 0.3, zeroPoint: 127 }, { scale: 0.004, zeroPoint: 5 }],
    ]) {
      for (const [name, f] of [['sigmoid', sigmoid], ['silu', (v: number) => v * sigmoid(v)], ['tanh', Math.tanh], ['nan above 1', (v: number) => (v > 1 ? NaN : v)]] as const) {
        const t = ops.activationTable(f, qx, qy);
        for (let q = -128; q < 128; q++) {
          const v = Math.fround(f(Math.fround((q - qx.zeroPoint) * qx.scale)));
          const want = Number.isNaN(v) ? qy.zeroPoint : Math.max(-128, Math.min(127, roundEven(Math.fround(v / qy.scale)) + qy.zeroPoint));
          if (t[q + 128] !== want) throw new Error(`${name} ${JSON.stringify([qx, qy])} q ${q}: ${t[q + 128]}, want ${want}`);
        }
      }
    }
    expect(() => ops.activationTable(sigmoid, { scale: 0, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 })).toThrow(/activationTable/);
    expect(() => ops.activationTable('sigmoid' as never, { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 })).toThrow(/activationTable: f must be a function/);
  });
});
