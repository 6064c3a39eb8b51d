import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { outputSize } from '../src/index.js';
import { window2d } from '../src/ops/shape.js';

const vectors = JSON.parse(readFileSync(new URL('./fixtures/lecture-vectors.json', import.meta.url), 'utf8'));

describe('outputSize: the lecture\'s (N - F + 2P)/S + 1', () => {
  for (const v of vectors.outputSize as { N: number; F: number; stride: number; pad: number; out: number | null; floor?: number }[]) {
    it(`N=${v.N} F=${v.F} S=${v.stride} P=${v.pad}`, () => {
      const o = { stride: v.stride, padding: v.pad };
      if (v.out === null) {
        expect(() => outputSize(v.N, v.F, { ...o, rounding: 'exact' })).toThrow(/\(7 - 3\)\/3 \+ 1 = 2\.33/);
        expect(outputSize(v.N, v.F, o)).toBe(v.floor);
        expect(outputSize(v.N, v.F, { ...o, rounding: 'floor' })).toBe(v.floor);
      } else {
        expect(outputSize(v.N, v.F, o)).toBe(v.out);
        expect(outputSize(v.N, v.F, { ...o, rounding: 'exact' })).toBe(v.out);
        expect(outputSize(v.N, v.F, { ...o, rounding: 'ceil' })).toBe(v.out);
      }
    });
  }

  it('the exact-rounding error names every number', () => {
    let msg = '';
    try { outputSize(7, 3, { stride: 3, rounding: 'exact' }); } catch (e) { msg = (e as Error).message; }
    expect(msg).toMatch(/N = 7, F = 3, P = 0, S = 3/);
    expect(msg).toMatch(/Floor rounding would give 2/);
    expect(() => outputSize(8, 3, { stride: 2, padding: 1, rounding: 'exact' })).toThrow(/\(8 - 3 \+ 2·1\)\/2 \+ 1 = 4\.50/);
  });

  it('dilation widens the filter to D·(F − 1) + 1', () => {
    expect(outputSize(7, 3, { dilation: 2 })).toBe(3);
    expect(outputSize(10, 3, { dilation: 3, padding: 3 })).toBe(10);
  });

  it('ceil rounding follows PyTorch (last window starts inside the input or left padding)', () => {
    expect(outputSize(112, 3, { stride: 2, rounding: 'ceil' })).toBe(56); // GoogLeNet pool
    expect(outputSize(112, 3, { stride: 2 })).toBe(55);
    expect(outputSize(5, 2, { stride: 2, rounding: 'ceil' })).toBe(3);
    expect(outputSize(4, 2, { stride: 2, padding: 1, rounding: 'ceil' })).toBe(3);
    expect(outputSize(6, 3, { stride: 3, padding: 1, rounding: 'ceil' })).toBe(3);
    // here ceil would start a window in the right padding only: PyTorch drops it
    expect(outputSize(5, 2, { stride: 2, padding: 1, rounding: 'ceil' })).toBe(3);
  });

  it('rejects bad arguments with specific messages', () => {
    expect(() => outputSize(3, 5)).toThrow(/F = 5 is larger than the padded input N \+ P = 3 \+ 0 = 3/);
    expect(() => outputSize(0, 1)).toThrow(/N \(input size\) must be ≥ 1, got 0/);
    expect(() => outputSize(NaN, 1)).toThrow(/must be an integer, got NaN/);
    expect(() => outputSize(7, 3, { stride: 0 })).toThrow(/stride must be ≥ 1, got 0/);
    expect(() => outputSize(7, 3, { stride: 1.5 })).toThrow(/stride must be an integer, got 1.5/);
    expect(() => outputSize(7, 3, { padding: -1 })).toThrow(/padding must be ≥ 0, got -1/);
    expect(() => outputSize(7, 3, { rounding: 'round' as never })).toThrow(/rounding must be/);
    expect(() => outputSize('7' as never, 3)).toThrow(/must be an integer, got "7"/);
  });
});

describe('window2d', () => {
  it("resolves 'same' like TensorFlow/ONNX SAME_UPPER (extra padding after)", () => {
    const w = window2d('t', 7, 8, { kernelSize: [4, 3], padding: 'same' });
    expect([w.oh, w.ow]).toEqual([7, 8]);
    expect([w.padTop, w.padBottom, w.padLeft, w.padRight]).toEqual([1, 2, 1, 1]);
    const s = window2d('t', 7, 7, { kernelSize: [3, 3], stride: 2, padding: 'same' });
    expect([s.oh, s.ow]).toEqual([4, 4]);
  });
  it('takes [top, left, bottom, right] padding and names the axis in errors', () => {
    const w = window2d('conv2d', 5, 6, { kernelSize: [3, 3], padding: [0, 1, 2, 3] });
    expect([w.oh, w.ow]).toEqual([5, 8]);
    expect(() => window2d('conv2d', 5, 2, { kernelSize: [3, 3] })).toThrow(/conv2d: along the width the filter does not fit/);
    expect(() => window2d('conv2d', 5, 5, { kernelSize: [3, 3], padding: [1, 2, 3] as never })).toThrow(/padding must be a number or \[h, w\]/);
  });
});
