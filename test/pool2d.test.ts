import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, randArray, ready, sizeOf } from './helpers.js';
import { refAvgPool2d, refGlobalAvgPool2d, refMaxPool2d, refPoolOutSize, type RefPoolOptions } from './ref/pool2d.js';

beforeAll(ready);

let baseline = 0;
beforeEach(() => { baseline = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use back to baseline').toBe(baseline); });

const CHANNELS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17];

type Kind = 'max' | 'avg';

function run(kind: Kind, shape: number[], o: RefPoolOptions, data: Float32Array, what: string): Float32Array {
  const x = Tensor.from(data, shape);
  const y = kind === 'max' ? ops.maxPool2d(x, o) : ops.avgPool2d(x, o);
  expectCanariesIntact(what);
  const ref = kind === 'max' ? refMaxPool2d(data, shape, o) : refAvgPool2d(data, shape, o);
  expect(y.shape, `${what}: shape`).toEqual(ref.shape);
  const out = y.toFloat32Array();
  expectClose(out, ref.y, ref.shape, what);
  x.dispose();
  y.dispose();
  return out;
}

/** Input widths (and heights) that give every output size from 1 up, so interior runs hit every remainder mod 4. */
function sizesFor(k: number, d: number, p: number): number[] {
  const min = Math.max(1, d * (k - 1) + 1 - 2 * p);
  const out: number[] = [];
  for (let w = min; w < min + 10; w++) out.push(w);
  out.push(min + 31, min + 32, min + 33, min + 34);
  return out;
}

const MAX_CONFIGS: [string, RefPoolOptions][] = [
  ['2x2 s2', { kernelSize: 2 }],
  ['3x3 s2 (AlexNet)', { kernelSize: 3, stride: 2 }],
  ['3x3 s1 p1', { kernelSize: 3, stride: 1, padding: 1 }],
  ['2x2 s1', { kernelSize: 2, stride: 1 }],
  ['3x3 s3 (gathered lanes)', { kernelSize: 3, stride: 3 }],
  ['[2,3] s[1,2]', { kernelSize: [2, 3], stride: [1, 2] }],
  ['[3,2] s[2,1] p[1,0]', { kernelSize: [3, 2], stride: [2, 1], padding: [1, 0] }],
  ['[1,4] s[1,3] p[0,2]', { kernelSize: [1, 4], stride: [1, 3], padding: [0, 2] }],
  ['3x3 s1 d2', { kernelSize: 3, stride: 1, dilation: 2 }],
  ['3x3 s2 p1 d2', { kernelSize: 3, stride: 2, padding: 1, dilation: 2 }],
  ['[2,3] s1 d[3,2] p1', { kernelSize: [2, 3], stride: 1, dilation: [3, 2], padding: 1 }],
  ['3x3 s2 ceil', { kernelSize: 3, stride: 2, ceilMode: true }],
  ['3x3 s2 p1 ceil', { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
  ['2x2 s2 p1 ceil', { kernelSize: 2, stride: 2, padding: 1, ceilMode: true }],
  ['4x4 s3 p2 ceil', { kernelSize: 4, stride: 3, padding: 2, ceilMode: true }],
  ['1x1', { kernelSize: 1 }],
];

const AVG_CONFIGS: [string, RefPoolOptions][] = MAX_CONFIGS.filter(([, o]) => o.dilation === undefined).flatMap(
  ([name, o]) => [
    [`${name} countIncludePad`, { ...o, countIncludePad: true }],
    [`${name} exclude pad`, { ...o, countIncludePad: false }],
  ] as [string, RefPoolOptions][],
);

function sweep(kind: Kind, name: string, o: RefPoolOptions): void {
  const k = typeof o.kernelSize === 'number' ? [o.kernelSize, o.kernelSize] : o.kernelSize;
  const p = o.padding === undefined ? [0, 0] : typeof o.padding === 'number' ? [o.padding, o.padding] : o.padding;
  const d = o.dilation === undefined ? [1, 1] : typeof o.dilation === 'number' ? [o.dilation, o.dilation] : o.dilation;
  const hs = sizesFor(k[0], d[0], p[0]);
  const ws = sizesFor(k[1], d[1], p[1]);
  let seed = 1;
  // every width with a few channel counts, every channel count with a few widths
  for (const w of ws) {
    for (const c of [1, 3]) {
      const h = hs[(w + c) % 6];
      const shape = [3, c, h, w];
      run(kind, shape, o, randArray(sizeOf(shape), seed++), `${kind} ${name} ${shape.join('x')}`);
    }
  }
  for (const c of CHANNELS) {
    for (const w of [ws[0], ws[3], ws[9], ws[12]]) {
      const h = hs[c % 5];
      const shape = [3, c, h, w];
      run(kind, shape, o, randArray(sizeOf(shape), seed++), `${kind} ${name} ${shape.join('x')}`);
    }
  }
}

describe('maxPool2d', () => {
  it('hand-computed 4×4, 2×2 stride 2', () => {
    const x = Tensor.from(Array.from({ length: 16 }, (_, i) => i + 1), [1, 1, 4, 4]);
    const y = ops.maxPool2d(x, { kernelSize: 2 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(Array.from(y.toFloat32Array())).toEqual([6, 8, 14, 16]);
    expect(Array.from(refMaxPool2d(x.toFloat32Array(), [1, 1, 4, 4], { kernelSize: 2 }).y)).toEqual([6, 8, 14, 16]);
    x.dispose();
    y.dispose();
  });

  it('hand-computed dilation, padding and ceil mode', () => {
    const x = Tensor.from([1, 5, 2, 4, 3], [1, 1, 1, 5]);
    const d = ops.maxPool2d(x, { kernelSize: [1, 2], stride: 1, dilation: [1, 2] });
    expect(Array.from(d.toFloat32Array())).toEqual([2, 5, 3]);
    // windows [-1, 1), [1, 3), [3, 5): the padding is −∞, never the maximum
    const neg = Tensor.from([-1, -5, -2, -4, -3], [1, 1, 1, 5]);
    const p = ops.maxPool2d(neg, { kernelSize: [1, 2], stride: [1, 2], padding: [0, 1] });
    expect(Array.from(p.toFloat32Array())).toEqual([-1, -2, -3]);
    // 5 wide, 2 wide windows at stride 2: floor gives 2, ceil gives 3 (the last window [4, 6) is clipped)
    const c = ops.maxPool2d(x, { kernelSize: [1, 2], ceilMode: true });
    expect(Array.from(c.toFloat32Array())).toEqual([5, 4, 3]);
    for (const t of [x, d, neg, p, c]) t.dispose();
  });

  it('NaN wins, −∞ inputs stay −∞', () => {
    const data = new Float32Array([1, NaN, 3, 4, -Infinity, -Infinity, 2, 7, -Infinity, -Infinity, 5, 6, -Infinity, -Infinity, 9, 8]);
    const x = Tensor.from(data, [1, 1, 4, 4]);
    const y = ops.maxPool2d(x, { kernelSize: 2 });
    const out = Array.from(y.toFloat32Array());
    expect(out[0]).toBeNaN();
    expect(out.slice(1)).toEqual([7, -Infinity, 9]);
    const z = ops.maxPool2d(x, { kernelSize: [1, 2], stride: 1 });
    expectClose(z.toFloat32Array(), refMaxPool2d(data, [1, 1, 4, 4], { kernelSize: [1, 2], stride: 1 }).y, [1, 1, 4, 3], 'nan');
    for (const t of [x, y, z]) t.dispose();
    // wide rows: the SIMD columns must propagate NaN too
    const shape = [2, 3, 7, 29];
    const wide = randArray(sizeOf(shape), 77);
    for (let i = 5; i < wide.length; i += 37) wide[i] = NaN;
    for (let i = 11; i < wide.length; i += 23) wide[i] = -Infinity;
    for (const o of [{ kernelSize: 2 }, { kernelSize: 3, stride: 1, padding: 1 }, { kernelSize: 3, stride: 3 }, { kernelSize: 2, stride: 1, dilation: 2 }]) {
      const out = run('max', shape, o, wide, `nan wide ${JSON.stringify(o)}`);
      expect(out.some((v) => Number.isNaN(v))).toBe(true);
    }
  });

  for (const [name, o] of MAX_CONFIGS) it(`sweeps shapes: ${name}`, () => sweep('max', name, o));

  it('lecture shapes: AlexNet 55 → 27 → 13 → 6, GoogLeNet 3×3 s2 ceil 112 → 56, 7 → 3', () => {
    const cases: [number, RefPoolOptions, number][] = [
      [55, { kernelSize: 3, stride: 2 }, 27],
      [27, { kernelSize: 3, stride: 2 }, 13],
      [13, { kernelSize: 3, stride: 2 }, 6],
      [112, { kernelSize: 3, stride: 2, ceilMode: true }, 56],
      [56, { kernelSize: 3, stride: 2, ceilMode: true }, 28],
      [7, { kernelSize: 3, stride: 2, ceilMode: true }, 3],
      [14, { kernelSize: 3, stride: 2, ceilMode: true }, 7],
      [224, { kernelSize: 2 }, 112],
    ];
    for (const [n, o, want] of cases) {
      const shape = [2, 3, n, n];
      const out = run('max', shape, o, randArray(sizeOf(shape), n), `max ${n}`);
      expect(out.length).toBe(2 * 3 * want * want);
    }
  });

  it('kernel equal to the input, and 1×1 inputs', () => {
    for (const [h, w] of [[1, 1], [3, 5], [7, 7], [4, 9]]) {
      const shape = [3, 5, h, w];
      run('max', shape, { kernelSize: [h, w] }, randArray(sizeOf(shape), h * w), `max k=input ${h}x${w}`);
    }
    run('max', [3, 4, 1, 1], { kernelSize: 1 }, randArray(12, 5), 'max 1x1 k1');
    run('max', [3, 4, 1, 1], { kernelSize: 2, padding: 1 }, randArray(12, 6), 'max 1x1 k2 p1');
    run('max', [2, 1, 1], { kernelSize: 1, stride: 2 }, randArray(2, 7), 'max rank 3');
  });

  it('maxPool2dWithIndices: argmax as ih·W + iw in the plane, first maximum in window order, NaN wins', () => {
    const cases: [number[], RefPoolOptions][] = [
      [[2, 3, 9, 11], { kernelSize: 3, stride: 2 }],
      [[2, 3, 9, 11], { kernelSize: 3, stride: 1, padding: 1 }],
      [[1, 2, 10, 13], { kernelSize: 2, stride: 2, padding: 1, ceilMode: true }],
      [[1, 2, 10, 13], { kernelSize: [2, 3], stride: [3, 3], dilation: [2, 2], padding: 1 }],
      [[2, 2, 6, 21], { kernelSize: 2, stride: 1 }],
      [[3, 1, 4, 6], { kernelSize: 2, dilation: 5, stride: 1, padding: 1 }], // taps −1 and 4 on the height: no real element → −1
      [[2, 5, 7], { kernelSize: 3, stride: 2, ceilMode: true }],
    ];
    for (const [shape, o] of cases) {
      // few distinct values: many ties, so the first-maximum rule is exercised
      const data = randArray(sizeOf(shape), 9).map((v) => Math.round(v * 3));
      data[7] = NaN; // NaN wins and keeps winning: a later NaN takes the index
      data[19] = NaN;
      const ref = refMaxPool2d(data, shape, o);
      const x = Tensor.from(data, shape);
      const { output, indices } = ops.maxPool2dWithIndices(x, o);
      expectCanariesIntact('argmax');
      expect(output.shape).toEqual(ref.shape);
      expect(indices.shape).toEqual(ref.shape);
      expect(indices.dtype).toBe('int32');
      expectClose(output.toFloat32Array(), ref.y, ref.shape, `argmax values ${JSON.stringify(o)}`);
      expect(Array.from(indices.toInt32Array()), `indices ${JSON.stringify(o)}`).toEqual(Array.from(ref.idx));
      if (o.dilation === 5) expect(ref.idx.every((i) => i === -1) && ref.y.every((v) => v === -Infinity)).toBe(true);
      for (const t of [x, output, indices]) t.dispose();
    }
    const hand = Tensor.from(Array.from({ length: 16 }, (_, i) => i + 1), [1, 1, 4, 4]);
    const r = ops.maxPool2dWithIndices(hand, { kernelSize: 2 });
    expect(Array.from(r.indices.toInt32Array())).toEqual([5, 7, 13, 15]);
    expect(() => ops.maxPool2dWithIndices(hand, { kernelSize: 3, padding: 2 })).toThrow(/maxPool2dWithIndices: padding \[2, 2\] must be at most half/);
    for (const t of [hand, r.output, r.indices]) t.dispose();
  });

  it('2×2 and 3×3 stride-2 rows (the specialised paths), with and without indices: widths mod 8, ties, NaN and ±∞ rows', () => {
    const configs: RefPoolOptions[] = [
      { kernelSize: 2 }, { kernelSize: 2, stride: 2, padding: 1 }, { kernelSize: 2, stride: 2, padding: 1, ceilMode: true },
      { kernelSize: 3, stride: 2 }, { kernelSize: 3, stride: 2, padding: 1 }, { kernelSize: 3, stride: 2, ceilMode: true },
      { kernelSize: 3, stride: 2, padding: 1, ceilMode: true },
    ];
    let seed = 500;
    for (const o of configs) {
      const k = o.kernelSize as number;
      for (let w = k; w < k + 2 * 12; w++) {
        for (const special of ['ties', 'nan', 'inf'] as const) {
          const shape = [2, (w % 3) + 1, k + 1 + (w % 4), w];
          const data = randArray(sizeOf(shape), seed++);
          // few distinct values: ties everywhere, so the first-maximum rule decides most indices
          if (special === 'ties') for (let i = 0; i < data.length; i++) data[i] = Math.round(data[i] * 2);
          // a NaN in some rows at every column parity (propagated or sent to the exact loop)
          if (special === 'nan') for (let i = (w * 7) % 13; i < data.length; i += 3 * w + 5) data[i] = NaN;
          // +∞ and −∞ in one row: their sum is NaN, which also sends the row to the exact loop
          if (special === 'inf') for (let i = w % 5; i < data.length; i += 2 * w + 3) data[i] = i % 2 ? Infinity : -Infinity;
          const what = `${JSON.stringify(o)} ${shape.join('x')} ${special}`;
          const ref = refMaxPool2d(data, shape, o);
          run('max', shape, o, data, `max ${what}`);
          const x = Tensor.from(data, shape);
          const { output, indices } = ops.maxPool2dWithIndices(x, o);
          expectCanariesIntact(`argmax ${what}`);
          expectClose(output.toFloat32Array(), ref.y, ref.shape, `argmax values ${what}`);
          const got = indices.toInt32Array();
          for (let i = 0; i < got.length; i++) if (got[i] !== ref.idx[i]) expect(got[i], `argmax ${what} at flat ${i}`).toBe(ref.idx[i]);
          for (const t of [x, output, indices]) t.dispose();
        }
      }
    }
  });

  it('rejects bad arguments with specific messages, before running anything', () => {
    const x = Tensor.zeros([1, 2, 3, 3]);
    const before = bytesInUse();
    const bad = (o: unknown) => () => ops.maxPool2d(x, o as never);
    const r2 = Tensor.zeros([3, 3]);
    expect(() => ops.maxPool2d(r2, { kernelSize: 2 })).toThrow(/maxPool2d: x must have rank 3 or 4 .*got shape \[3, 3\]/);
    r2.dispose();
    expect(bad({ kernelSize: 3, padding: 2 })).toThrow(/maxPool2d: padding \[2, 2\] must be at most half of kernelSize \[3, 3\].*height padding 2 > ⌊3\/2⌋ = 1/);
    expect(bad({ kernelSize: [2, 3], padding: [1, 2] })).toThrow(/width padding 2 > ⌊3\/2⌋ = 1/);
    expect(bad({ kernelSize: 6, padding: 1 })).toThrow(/maxPool2d: along the height the filter does not fit: F = 6 is larger than the padded input N \+ P = 3 \+ 2 = 5/);
    expect(bad({ kernelSize: 2, dilation: 3 })).toThrow(/maxPool2d: along the height the filter does not fit: F = 2 \(dilated to 4\)/);
    expect(bad({ kernelSize: 2.5 })).toThrow(/maxPool2d: kernelSize must be an integer, got 2.5/);
    expect(bad({ kernelSize: 0 })).toThrow(/maxPool2d: kernelSize must be ≥ 1, got 0/);
    expect(bad({ kernelSize: [2, 0] })).toThrow(/maxPool2d: kernelSize\[1\] must be ≥ 1, got 0/);
    expect(bad({ kernelSize: NaN })).toThrow(/maxPool2d: kernelSize must be an integer, got NaN/);
    expect(bad({ kernelSize: 2, stride: 0 })).toThrow(/maxPool2d: stride must be ≥ 1, got 0/);
    expect(bad({ kernelSize: 2, stride: 1.5 })).toThrow(/maxPool2d: stride must be an integer, got 1.5/);
    expect(bad({ kernelSize: 2, padding: -1 })).toThrow(/maxPool2d: padding must be ≥ 0, got -1/);
    expect(bad({ kernelSize: 2, ceilMode: 1 })).toThrow(/maxPool2d: ceilMode must be a boolean, got 1/);
    expect(bad({ kernelSize: 2, strides: 2 })).toThrow(/maxPool2d: unknown option 'strides'/);
    expect(bad({})).toThrow(/maxPool2d: options.kernelSize is required/);
    expect(bad(undefined)).toThrow(/maxPool2d: options.kernelSize is required/);
    expect(() => ops.maxPool2d([1, 2] as never, { kernelSize: 2 })).toThrow(/maxPool2d: x must be a Tensor, got an array/);
    const ints = Tensor.zeros([1, 1, 2, 2], 'int32');
    expect(() => ops.maxPool2d(ints, { kernelSize: 2 })).toThrow(/maxPool2d: x must be a float32 tensor, got int32/);
    expect(() => ops.avgPool2d(ints, { kernelSize: 2 })).toThrow(/avgPool2d: x must be a float32 tensor, got int32/);
    expect(() => ops.globalAvgPool2d(ints)).toThrow(/globalAvgPool2d: x must be a float32 tensor, got int32/);
    ints.dispose();
    const gone = Tensor.zeros([1, 1, 2, 2]);
    gone.dispose();
    expect(() => ops.maxPool2d(gone, { kernelSize: 2 })).toThrow(/maxPool2d: x was disposed/);
    expect(bytesInUse()).toBe(before);
    x.dispose();
  });
});

describe('avgPool2d', () => {
  it('hand-computed cases', () => {
    const x = Tensor.from(Array.from({ length: 16 }, (_, i) => i + 1), [1, 1, 4, 4]);
    const a = ops.avgPool2d(x, { kernelSize: 2 });
    expect(Array.from(a.toFloat32Array())).toEqual([3.5, 5.5, 11.5, 13.5]);
    // 3×3 ones, 3×3 s1 p1: corners see 4 real of 9, edges 6 of 9
    const ones = Tensor.full([1, 1, 3, 3], 1);
    const inc = ops.avgPool2d(ones, { kernelSize: 3, stride: 1, padding: 1 });
    expectClose(inc.toFloat32Array(), [4, 6, 4, 6, 9, 6, 4, 6, 4].map((v) => v / 9), [1, 1, 3, 3], 'include');
    const exc = ops.avgPool2d(ones, { kernelSize: 3, stride: 1, padding: 1, countIncludePad: false });
    expect(Array.from(exc.toFloat32Array())).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    // 1..9 in 3×3, 2×2 s2 p1 ceil: 2×2 windows starting at -1 and 1 (a third would start in the padding)
    const n9 = Tensor.from([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const c1 = ops.avgPool2d(n9, { kernelSize: 2, padding: 1, ceilMode: true });
    expect(Array.from(c1.toFloat32Array())).toEqual([0.25, 1.25, 2.75, 7]);
    const c2 = ops.avgPool2d(n9, { kernelSize: 2, padding: 1, ceilMode: true, countIncludePad: false });
    expect(Array.from(c2.toFloat32Array())).toEqual([1, 2.5, 5.5, 7]);
    // width 4, kernel 3 s2 p1 ceil: windows [-1, 2), [1, 4), [3, 6) clipped to H + pad = 5,
    // so the last divides by 2 with countIncludePad (4/2) and by 1 without (4/1)
    const row = Tensor.from([1, 2, 3, 4], [1, 1, 1, 4]);
    const o = { kernelSize: [1, 3], stride: [1, 2], padding: [0, 1], ceilMode: true } as const;
    const r1 = ops.avgPool2d(row, o);
    expect(Array.from(r1.toFloat32Array())).toEqual([1, 3, 2]);
    const r2 = ops.avgPool2d(row, { ...o, countIncludePad: false });
    expect(Array.from(r2.toFloat32Array())).toEqual([1.5, 3, 4]);
    expect(Array.from(refAvgPool2d([1, 2, 3, 4], [1, 1, 1, 4], o).y)).toEqual([1, 3, 2]);
    expect(Array.from(refAvgPool2d([1, 2, 3, 4], [1, 1, 1, 4], { ...o, countIncludePad: false }).y)).toEqual([1.5, 3, 4]);
    for (const t of [x, a, ones, inc, exc, n9, c1, c2, row, r1, r2]) t.dispose();
  });

  for (const [name, o] of AVG_CONFIGS) it(`sweeps shapes: ${name}`, () => sweep('avg', name, o));

  it('ceil mode with padding: windows clipped at the padded edge (k4 s3 p2 on 8, k3 s2 p1 on odd sizes)', () => {
    for (const include of [true, false]) {
      for (const n of [5, 6, 7, 8, 9, 10, 11]) {
        run('avg', [2, 3, n, n + 3], { kernelSize: 4, stride: 3, padding: 2, ceilMode: true, countIncludePad: include }, randArray(6 * n * (n + 3), n), `avg k4s3p2 ceil ${n} ${include}`);
        run('avg', [2, 3, n, n + 1], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: include }, randArray(6 * n * (n + 1), n), `avg k3s2p1 ceil ${n} ${include}`);
      }
    }
    expect(refPoolOutSize(8, 4, 3, 2, 1, true)).toBe(4);
    expect(refPoolOutSize(7, 4, 3, 2, 1, true)).toBe(3);
  });

  it('kernel equal to the input (GoogLeNet 7×7 average), and 1×1 inputs', () => {
    run('avg', [2, 9, 7, 7], { kernelSize: 7, stride: 1 }, randArray(2 * 9 * 49, 3), 'avg 7x7');
    run('avg', [3, 4, 1, 1], { kernelSize: 1 }, randArray(12, 4), 'avg 1x1');
    run('avg', [3, 4, 1, 1], { kernelSize: 2, padding: 1, countIncludePad: false }, randArray(12, 5), 'avg 1x1 p1');
    run('avg', [3, 4, 1, 1], { kernelSize: 2, padding: 1 }, randArray(12, 5), 'avg 1x1 p1 include');
  });

  it('rejects bad arguments with specific messages', () => {
    const x = Tensor.zeros([1, 2, 3, 3]);
    const before = bytesInUse();
    const bad = (o: unknown) => () => ops.avgPool2d(x, o as never);
    const r5 = Tensor.zeros([1, 1, 1, 3, 3]);
    expect(() => ops.avgPool2d(r5, { kernelSize: 2 })).toThrow(/avgPool2d: x must have rank 3 or 4 .*got shape \[1, 1, 1, 3, 3\]/);
    r5.dispose();
    expect(bad({ kernelSize: 2, dilation: 2 })).toThrow(/avgPool2d: unknown option 'dilation'/);
    expect(bad({ kernelSize: 2, countIncludePad: 'yes' })).toThrow(/avgPool2d: countIncludePad must be a boolean, got "yes"/);
    expect(bad({ kernelSize: 1, padding: 1 })).toThrow(/avgPool2d: padding \[1, 1\] must be at most half of kernelSize \[1, 1\]/);
    expect(bad({ kernelSize: 4 })).toThrow(/avgPool2d: along the height the filter does not fit: F = 4 is larger than the padded input N \+ P = 3 \+ 0 = 3/);
    expect(bad({ kernelSize: [2, 2.5] })).toThrow(/avgPool2d: kernelSize\[1\] must be an integer, got 2.5/);
    expect(() => ops.avgPool2d(null as never, { kernelSize: 2 })).toThrow(/avgPool2d: x must be a Tensor, got null/);
    expect(bytesInUse()).toBe(before);
    x.dispose();
  });
});

describe('globalAvgPool2d', () => {
  it('hand-computed and swept', () => {
    const x = Tensor.from([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]);
    const y = ops.globalAvgPool2d(x);
    expect(y.shape).toEqual([1, 2, 1, 1]);
    expect(Array.from(y.toFloat32Array())).toEqual([2.5, 25]);
    x.dispose();
    y.dispose();
    let seed = 1;
    for (const c of CHANNELS) {
      for (const [h, w] of [[1, 1], [1, 2], [1, 3], [2, 2], [1, 5], [3, 5], [4, 4], [3, 6], [7, 7], [5, 11], [13, 13]]) {
        const shape = [3, c, h, w];
        const data = randArray(sizeOf(shape), seed++);
        const t = Tensor.from(data, shape);
        const out = ops.globalAvgPool2d(t);
        expectCanariesIntact('global');
        const ref = refGlobalAvgPool2d(data, shape);
        expect(out.shape).toEqual(ref.shape);
        expectClose(out.toFloat32Array(), ref.y, ref.shape, `global ${shape.join('x')}`);
        t.dispose();
        out.dispose();
      }
    }
    const r3 = Tensor.from(randArray(2 * 9, 3), [2, 3, 3]);
    const y3 = ops.globalAvgPool2d(r3);
    expect(y3.shape).toEqual([2, 1, 1]);
    r3.dispose();
    y3.dispose();
  });

  it('rejects bad arguments', () => {
    const r1 = Tensor.zeros([4]), empty = Tensor.zeros([1, 2, 0, 3]);
    expect(() => ops.globalAvgPool2d(r1)).toThrow(/globalAvgPool2d: x must have rank 3 or 4 .*got shape \[4\]/);
    expect(() => ops.globalAvgPool2d(empty)).toThrow(/globalAvgPool2d: x has shape \[1, 2, 0, 3\]: an empty 0×3 plane has no mean/);
    r1.dispose();
    empty.dispose();
    expect(() => ops.globalAvgPool2d({} as never)).toThrow(/globalAvgPool2d: x must be a Tensor, got an object/);
    const gone = Tensor.zeros([1, 1, 2, 2]);
    gone.dispose();
    expect(() => ops.globalAvgPool2d(gone)).toThrow(/globalAvgPool2d: x was disposed/);
  });
});
