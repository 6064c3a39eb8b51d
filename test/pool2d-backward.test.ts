// Backward passes of max, average and global average pooling: against the reference, by central
// differences, and their argument checks.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, distinctArray, expectCanariesIntact, expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { refAvgPool2dBackward, refMaxPool2dBackward, refPoolOutSize, type RefPoolOptions } from './ref/pool2d.js';

beforeAll(ready);

let baseline = 0;
beforeEach(() => { baseline = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use back to baseline').toBe(baseline); });

const CHANNELS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17];

const CONFIGS: [string, RefPoolOptions][] = [
  ['2x2 s2', { kernelSize: 2 }],
  ['3x3 s2 (AlexNet, overlapping)', { kernelSize: 3, stride: 2 }],
  ['3x3 s1 p1', { kernelSize: 3, stride: 1, padding: 1 }],
  ['2x2 s1', { kernelSize: 2, stride: 1 }],
  ['3x3 s3 (lane by lane)', { kernelSize: 3, stride: 3 }],
  ['[2,3] s[1,2]', { kernelSize: [2, 3], stride: [1, 2] }],
  ['[3,2] s[2,1] p[1,0]', { kernelSize: [3, 2], stride: [2, 1], padding: [1, 0] }],
  ['[1,4] s[1,3] p[0,2]', { kernelSize: [1, 4], stride: [1, 3], padding: [0, 2] }],
  ['5x5 s2 p2', { kernelSize: 5, stride: 2, padding: 2 }],
  ['3x3 s1 d2', { kernelSize: 3, stride: 1, dilation: 2 }],
  ['3x3 s2 p1 d2', { kernelSize: 3, stride: 2, padding: 1, dilation: 2 }],
  ['3x3 s2 ceil', { kernelSize: 3, stride: 2, ceilMode: true }],
  ['2x2 s2 p1 ceil', { kernelSize: 2, stride: 2, padding: 1, ceilMode: true }],
  ['4x4 s3 p2 ceil', { kernelSize: 4, stride: 3, padding: 2, ceilMode: true }],
  ['1x1', { kernelSize: 1 }],
];
const AVG_CONFIGS: [string, RefPoolOptions][] = CONFIGS.filter(([, o]) => o.dilation === undefined).flatMap(([name, o]) => [
  [`${name} countIncludePad`, { ...o, countIncludePad: true }],
  [`${name} exclude pad`, { ...o, countIncludePad: false }],
] as [string, RefPoolOptions][]);

const pair = (v: number | readonly [number, number] | undefined, d: number) => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]]);

function outShape(shape: number[], o: RefPoolOptions): number[] {
  const k = pair(o.kernelSize, 1), s = pair(o.stride ?? o.kernelSize, 1), p = pair(o.padding, 0), d = pair(o.dilation, 1);
  const n = shape.length;
  return [...shape.slice(0, -2),
    refPoolOutSize(shape[n - 2], k[0], s[0], p[0], d[0], o.ceilMode ?? false),
    refPoolOutSize(shape[n - 1], k[1], s[1], p[1], d[1], o.ceilMode ?? false)];
}

/** Input sizes from the smallest that fits up, giving output sizes with every remainder mod 4. */
function sizesFor(k: number, d: number, p: number): number[] {
  const min = Math.max(1, d * (k - 1) + 1 - 2 * p);
  return [min, min + 1, min + 2, min + 3, min + 4, min + 5, min + 6, min + 7, min + 9, min + 13, min + 31, min + 34];
}

/** Shapes for one config: every width with two channel counts, every channel count with a few widths. */
function shapesFor(o: RefPoolOptions): number[][] {
  const k = pair(o.kernelSize, 1), p = pair(o.padding, 0), d = pair(o.dilation, 1);
  const hs = sizesFor(k[0], d[0], p[0]), ws = sizesFor(k[1], d[1], p[1]);
  const out: number[][] = [];
  ws.forEach((w, i) => { for (const c of [1, 3]) out.push([2, c, hs[(i + c) % 7], w]); });
  for (const c of CHANNELS) for (const w of [ws[1], ws[6], ws[10]]) out.push([2, c, hs[c % 5], w]);
  return out;
}

type Kind = 'max-indices' | 'max-recompute' | 'avg';

function backward(kind: Kind, shape: number[], o: RefPoolOptions, data: Float32Array, dyData: Float32Array): Float32Array {
  const x = Tensor.from(data, shape);
  const dy = Tensor.from(dyData, outShape(shape, o));
  let dx: Tensor;
  if (kind === 'avg') {
    dx = ops.avgPool2dBackward(dy, shape, o);
  } else if (kind === 'max-recompute') {
    dx = ops.maxPool2dBackward(dy, x, o);
  } else {
    const { output, indices } = ops.maxPool2dWithIndices(x, o);
    dx = ops.maxPool2dBackward(dy, x, { ...o, indices });
    output.dispose();
    indices.dispose();
  }
  expectCanariesIntact(`${kind} ${JSON.stringify(o)} ${shape.join('x')}`);
  expect(dx.shape).toEqual(shape);
  const out = dx.toFloat32Array();
  for (const t of [x, dy, dx]) t.dispose();
  return out;
}

function forward(kind: Kind, shape: number[], o: RefPoolOptions) {
  return (xp: Float32Array): Float32Array => {
    const x = Tensor.from(xp, shape);
    const y = kind === 'avg' ? ops.avgPool2d(x, o) : ops.maxPool2d(x, o);
    const out = y.toFloat32Array();
    x.dispose();
    y.dispose();
    return out;
  };
}

function gradCheck(kind: Kind, shape: number[], o: RefPoolOptions, seed: number, samples = 48): void {
  const data = kind === 'avg' ? randArray(sizeOf(shape), seed) : distinctArray(sizeOf(shape), seed);
  const r = randArray(sizeOf(outShape(shape, o)), seed + 1);
  const analytic = backward(kind, shape, o, data, r);
  fdCheck({ x: data, shape, r, forward: forward(kind, shape, o), analytic, samples, what: `${kind} ${JSON.stringify(o)} ${shape.join('x')}` });
}

describe('maxPool2dBackward', () => {
  it('hand-computed: AlexNet 3×3 stride 2 windows sharing one maximum add up, other elements get 0', () => {
    // 5×5, the centre is the largest: it is the argmax of all four overlapping windows
    const data = Float32Array.from({ length: 25 }, (_, i) => (i === 12 ? 100 : i));
    const dyData = new Float32Array([1, 2, 3, 4]);
    for (const kind of ['max-indices', 'max-recompute'] as const) {
      const dx = backward(kind, [1, 1, 5, 5], { kernelSize: 3, stride: 2 }, data, dyData);
      expect(Array.from(dx), kind).toEqual(Array.from({ length: 25 }, (_, i) => (i === 12 ? 10 : 0)));
    }
    // 2×2 stride 2 on 1..16: each window's last element is its maximum
    const ramp = Float32Array.from({ length: 16 }, (_, i) => i + 1);
    const dx = backward('max-recompute', [1, 1, 4, 4], { kernelSize: 2 }, ramp, new Float32Array([5, 6, 7, 8]));
    expect(Array.from(dx)).toEqual([0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 7, 0, 8]);
  });

  for (const [name, o] of CONFIGS) {
    it(`matches the reference, with stored and with recomputed indices: ${name}`, () => {
      shapesFor(o).forEach((shape, i) => {
        const what = `${name} ${shape.join('x')}`;
        const seed = 2 * i + 1;
        // every other shape rounded values: many ties, so the first-maximum rule must agree too
        const data = i % 2 ? randArray(sizeOf(shape), seed) : randArray(sizeOf(shape), seed).map((v) => Math.round(v * 3));
        const dyData = randArray(sizeOf(outShape(shape, o)), seed + 1);
        const ref = refMaxPool2dBackward(data, shape, o, dyData);
        const a = backward('max-indices', shape, o, data, dyData);
        const b = backward('max-recompute', shape, o, data, dyData);
        expectClose(a, ref, shape, `indices ${what}`);
        // same argmax, same scatter order: bit-identical
        expect(Array.from(b), `recompute ${what}`).toEqual(Array.from(a));
      });
    });
  }

  it('central differences: overlapping, padded, dilated, ceil-mode windows, channels and batch > 1', () => {
    const cases: [number[], RefPoolOptions][] = [
      [[2, 3, 9, 11], { kernelSize: 3, stride: 2 }],
      [[2, 2, 13, 13], { kernelSize: 3, stride: 2, ceilMode: true }],
      [[1, 5, 7, 9], { kernelSize: 3, stride: 1, padding: 1 }],
      [[2, 2, 6, 21], { kernelSize: 2, stride: 1 }],
      [[1, 3, 10, 13], { kernelSize: [3, 2], stride: [2, 1], padding: [1, 0] }],
      [[2, 2, 11, 10], { kernelSize: 3, stride: 2, padding: 1, dilation: 2 }],
      [[1, 17, 5, 6], { kernelSize: 2 }],
      [[1, 2, 9, 14], { kernelSize: 3, stride: 3 }],
      [[3, 4, 7], { kernelSize: [1, 3], stride: [1, 2], padding: [0, 1] }],
    ];
    let seed = 500;
    for (const [shape, o] of cases) {
      gradCheck('max-indices', shape, o, seed++);
      gradCheck('max-recompute', shape, o, seed++);
    }
  });

  it('NaN wins the window and takes the gradient; windows without real elements give none', () => {
    const data = Float32Array.from({ length: 16 }, (_, i) => i);
    data[0] = NaN; // window 0's argmax despite being first and smallest
    data[6] = NaN; // window 1's NaN
    const dyData = new Float32Array([1, 2, 3, 4]);
    for (const kind of ['max-indices', 'max-recompute'] as const) {
      const dx = backward(kind, [1, 1, 4, 4], { kernelSize: 2 }, data, dyData);
      expect(dx[0], kind).toBe(1);
      expect(dx[6], kind).toBe(2);
      expect(dx[13] + dx[15], kind).toBe(7);
    }
    // dilation 5 with padding 1 on a 4-high input: the taps −1 and 4 miss every row (index −1)
    const shape = [3, 1, 4, 6];
    const o = { kernelSize: 2, dilation: 5, stride: 1, padding: 1 };
    const x = randArray(sizeOf(shape), 3);
    for (const kind of ['max-indices', 'max-recompute'] as const) {
      const dx = backward(kind, shape, o, x, randArray(sizeOf(outShape(shape, o)), 4));
      expect(dx.every((v) => v === 0), kind).toBe(true);
    }
  });

  it('indices outside the plane (corrupt) are refused; −1 (a window without real elements) is skipped', () => {
    const x = Tensor.from(randArray(16, 1), [1, 1, 4, 4]);
    const dy = Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]);
    const idx = Tensor.from(new Int32Array([5, -1, 1, 0]), [1, 1, 2, 2]);
    const dx = ops.maxPool2dBackward(dy, x, { kernelSize: 2, indices: idx });
    expectCanariesIntact('indices with −1');
    expect(Array.from(dx.toFloat32Array())).toEqual(Array.from({ length: 16 }, (_, i) => (i === 5 ? 1 : i === 1 ? 3 : i === 0 ? 4 : 0)));
    for (const bad of [[5, -1, 16, 0], [5, 1 << 30, 0, 0], [-2, 0, 0, 0]]) {
      const corrupt = Tensor.from(new Int32Array(bad), [1, 1, 2, 2]);
      expect(() => ops.maxPool2dBackward(dy, x, { kernelSize: 2, indices: corrupt })).toThrow(/maxPool2dBackward: indices\[\d\] = -?\d+ is outside the 4×4 input plane/);
      corrupt.dispose();
    }
    for (const t of [x, dy, idx, dx]) t.dispose();
  });

  it('the MaxPool2d layer path: rank 3 input, stride defaulting to the kernel', () => {
    const shape = [2, 5, 7];
    const data = distinctArray(70, 8);
    const dyData = randArray(sizeOf(outShape(shape, { kernelSize: 2 })), 9);
    const ref = refMaxPool2dBackward(data, shape, { kernelSize: 2 }, dyData);
    expectClose(backward('max-indices', shape, { kernelSize: 2 }, data, dyData), ref, shape, 'rank 3');
  });

  it('rejects bad arguments with specific messages, before running anything', () => {
    const x = Tensor.zeros([1, 2, 5, 5]);
    const dy = Tensor.zeros([1, 2, 2, 2]);
    const wrong = Tensor.zeros([1, 2, 3, 3]);
    const { output, indices } = ops.maxPool2dWithIndices(x, { kernelSize: 2 });
    const fIdx = Tensor.zeros([1, 2, 2, 2]);
    const before = bytesInUse();
    const op = 'maxPool2dBackward';
    expect(() => ops.maxPool2dBackward(wrong, x, { kernelSize: 2 })).toThrow(
      new RegExp(`${op}: dy has shape \\[1, 2, 3, 3\\] but the forward output for x \\[1, 2, 5, 5\\] with these options is \\[1, 2, 2, 2\\]`),
    );
    expect(() => ops.maxPool2dBackward(dy, x, { kernelSize: 2, indices: wrong as never })).toThrow(/maxPool2dBackward: indices must be an int32 tensor, got float32/);
    expect(() => ops.maxPool2dBackward(dy, x, { kernelSize: 2, indices: fIdx })).toThrow(/indices must be an int32 tensor/);
    const idx3 = Tensor.zeros([1, 2, 3, 3], 'int32');
    expect(() => ops.maxPool2dBackward(dy, x, { kernelSize: 2, indices: idx3 })).toThrow(
      /maxPool2dBackward: indices has shape \[1, 2, 3, 3\] but dy has shape \[1, 2, 2, 2\]/,
    );
    idx3.dispose();
    expect(() => ops.maxPool2dBackward(dy, x, { kernelSize: 2, strides: 2 } as never)).toThrow(/maxPool2dBackward: unknown option 'strides'/);
    expect(() => ops.maxPool2dBackward(dy, x, {} as never)).toThrow(/maxPool2dBackward: options.kernelSize is required/);
    expect(() => ops.maxPool2dBackward(dy, x, { kernelSize: 3, padding: 2 })).toThrow(/maxPool2dBackward: padding \[2, 2\] must be at most half/);
    expect(() => ops.maxPool2dBackward(dy, [1] as never, { kernelSize: 2 })).toThrow(/maxPool2dBackward: x must be a Tensor, got an array/);
    expect(() => ops.maxPool2dBackward(null as never, x, { kernelSize: 2 })).toThrow(/maxPool2dBackward: dy must be a Tensor, got null/);
    const gone = Tensor.zeros([1, 2, 2, 2]);
    gone.dispose();
    expect(() => ops.maxPool2dBackward(gone, x, { kernelSize: 2 })).toThrow(/maxPool2dBackward: dy was disposed/);
    expect(bytesInUse()).toBe(before);
    for (const t of [x, dy, wrong, output, indices, fIdx]) t.dispose();
  });
});

describe('avgPool2dBackward', () => {
  it('hand-computed: 3×3 s1 p1 on a 3×3 input, with and without the padding in the divisor', () => {
    const ones = new Float32Array(9).fill(1);
    // countIncludePad: every window divides by 9 and each element sits in (rows)·(cols) windows
    const inc = backward('avg', [1, 1, 3, 3], { kernelSize: 3, stride: 1, padding: 1 }, ones, ones);
    expectClose(inc, [4, 6, 4, 6, 9, 6, 4, 6, 4].map((v) => v / 9), [1, 1, 3, 3], 'include');
    // exclude: corner windows divide by 4, edge windows by 6, the centre by 9
    const exc = backward('avg', [1, 1, 3, 3], { kernelSize: 3, stride: 1, padding: 1, countIncludePad: false }, ones, ones);
    const share = [4, 6, 4, 6, 9, 6, 4, 6, 4];
    const want = new Float64Array(9);
    for (let q = 0; q < 9; q++) {
      const [oh, ow] = [Math.floor(q / 3), q % 3];
      for (let i = Math.max(0, oh - 1); i <= Math.min(2, oh + 1); i++) for (let j = Math.max(0, ow - 1); j <= Math.min(2, ow + 1); j++) want[i * 3 + j] += 1 / share[q];
    }
    expectClose(exc, want, [1, 1, 3, 3], 'exclude');
  });

  for (const [name, o] of AVG_CONFIGS) {
    it(`matches the reference: ${name}`, () => {
      let seed = 1;
      for (const shape of shapesFor(o)) {
        const dyData = randArray(sizeOf(outShape(shape, o)), seed++);
        const dx = backward('avg', shape, o, new Float32Array(sizeOf(shape)), dyData);
        expectClose(dx, refAvgPool2dBackward(dyData, shape, o), shape, `${name} ${shape.join('x')}`);
      }
    });
  }

  it('central differences: strides 1–3, padding, ceil mode, both divisor rules, batch > 1', () => {
    const cases: [number[], RefPoolOptions][] = [
      [[2, 3, 9, 11], { kernelSize: 3, stride: 2 }],
      [[2, 2, 7, 13], { kernelSize: 3, stride: 1, padding: 1, countIncludePad: false }],
      [[1, 4, 10, 10], { kernelSize: 2, stride: 2, padding: 1, ceilMode: true }],
      [[1, 4, 10, 10], { kernelSize: 2, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }],
      [[2, 2, 8, 17], { kernelSize: [3, 4], stride: [1, 3], padding: [1, 2] }],
      [[1, 17, 5, 6], { kernelSize: 2 }],
      [[3, 5, 9], { kernelSize: 3, stride: 2, ceilMode: true }],
    ];
    let seed = 800;
    for (const [shape, o] of cases) gradCheck('avg', shape, o, seed++);
  });

  it('rejects bad arguments with specific messages, before running anything', () => {
    const dy = Tensor.zeros([1, 2, 2, 2]);
    const before = bytesInUse();
    const op = 'avgPool2dBackward';
    expect(() => ops.avgPool2dBackward(dy, [1, 2, 6, 6], { kernelSize: 2 })).toThrow(
      new RegExp(`${op}: dy has shape \\[1, 2, 2, 2\\] but the forward output for x \\[1, 2, 6, 6\\] with these options is \\[1, 2, 3, 3\\]`),
    );
    expect(() => ops.avgPool2dBackward(dy, [2, 6, 6] as never, { kernelSize: 2 })).toThrow(/dy has shape \[1, 2, 2, 2\] .* is \[2, 3, 3\]/);
    expect(() => ops.avgPool2dBackward(dy, [2, 6] as never, { kernelSize: 2 })).toThrow(/avgPool2dBackward: xShape must have 3 or 4 dims .*got an array \[2, 6\]/);
    expect(() => ops.avgPool2dBackward(dy, [1, 2, 4.5, 4] as never, { kernelSize: 2 })).toThrow(/avgPool2dBackward: xShape\[2\] must be an integer, got 4.5/);
    expect(() => ops.avgPool2dBackward(dy, [1, 2, -4, 4] as never, { kernelSize: 2 })).toThrow(/xShape\[2\] must be ≥ 0, got -4/);
    expect(() => ops.avgPool2dBackward(dy, dy as never, { kernelSize: 2 })).toThrow(/avgPool2dBackward: xShape must be an array of dims .*got a Tensor/);
    expect(() => ops.avgPool2dBackward(dy, [1, 2, 4, 4], { kernelSize: 2, dilation: 2 } as never)).toThrow(/avgPool2dBackward: unknown option 'dilation'/);
    expect(() => ops.avgPool2dBackward(dy, [1, 2, 4, 4], { kernelSize: 2, countIncludePad: 0 } as never)).toThrow(/countIncludePad must be a boolean, got 0/);
    expect(() => ops.avgPool2dBackward(dy, [1, 2, 1, 4], { kernelSize: 2 })).toThrow(/avgPool2dBackward: along the height the filter does not fit/);
    expect(bytesInUse()).toBe(before);
    dy.dispose();
  });
});

describe('globalAvgPool2dBackward', () => {
  it('spreads dy/(H·W) over each plane, sizes with every remainder mod 4 and mod 16, rank 3', () => {
    let seed = 1;
    for (const c of CHANNELS) {
      for (const [h, w] of [[1, 1], [1, 2], [1, 3], [2, 2], [1, 5], [3, 3], [4, 4], [3, 7], [5, 7], [7, 7], [13, 13]]) {
        const shape = [2, c, h, w];
        const dyData = randArray(2 * c, seed++);
        const dy = Tensor.from(dyData, [2, c, 1, 1]);
        const dx = ops.globalAvgPool2dBackward(dy, shape);
        expectCanariesIntact('global backward');
        const want = Float64Array.from({ length: sizeOf(shape) }, (_, i) => dyData[Math.floor(i / (h * w))] / (h * w));
        expectClose(dx.toFloat32Array(), want, shape, `global ${shape.join('x')}`);
        dy.dispose();
        dx.dispose();
      }
    }
    const shape = [3, 4, 5];
    const data = randArray(60, 5), r = randArray(3, 6);
    const dy = Tensor.from(r, [3, 1, 1]);
    const dx = ops.globalAvgPool2dBackward(dy, shape);
    fdCheck({
      x: data, shape, r, analytic: dx.toFloat32Array(), what: 'global fd',
      forward: (xp) => {
        const t = Tensor.from(xp, shape);
        const y = ops.globalAvgPool2d(t);
        const out = y.toFloat32Array();
        t.dispose();
        y.dispose();
        return out;
      },
    });
    dy.dispose();
    dx.dispose();
  });

  it('rejects bad arguments', () => {
    const dy = Tensor.zeros([2, 3, 1, 1]);
    expect(() => ops.globalAvgPool2dBackward(dy, [2, 4, 5, 5])).toThrow(
      /globalAvgPool2dBackward: dy has shape \[2, 3, 1, 1\] but the forward output for x \[2, 4, 5, 5\] is \[2, 4, 1, 1\]/,
    );
    expect(() => ops.globalAvgPool2dBackward(dy, [2, 3, 0, 5])).toThrow(/globalAvgPool2dBackward: xShape \[2, 3, 0, 5\] has an empty 0×5 plane/);
    expect(() => ops.globalAvgPool2dBackward(dy, [6, 5] as never)).toThrow(/xShape must have 3 or 4 dims/);
    expect(() => ops.globalAvgPool2dBackward([1] as never, [2, 3, 5, 5])).toThrow(/globalAvgPool2dBackward: dy must be a Tensor/);
    dy.dispose();
  });
});
