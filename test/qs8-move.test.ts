// int8 tensors through the data-movement ops and layers: slice, transpose (any permutation) and
// the channel shuffle move bytes unchanged (copy_i8_strided_simd), eagerly and in compiled plans.
// Against plain references on bytes (test/ref's index lists for slice and coordinates for
// permutations, a loop for the shuffle) over shape sweeps (odd sizes, planes 1..49 off multiples
// of 4 and 16, batch 1 and 3, negative steps and steps > 1, every permutation of ranks 2..5),
// bytes −128 and 127 included; then QuantizeLinear → layer → DequantizeLinear graphs: compiled =
// eager = the float32 layer on the dequantized input, exactly; then io.toONNX → io.fromONNX (the
// int8 Slice stays int8) and onnxruntime-web give the same values.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Graph, Tensor, compile, io, nn, ops } from '../src/index.js';
import { prepareSlice } from '../src/ops/slice.js';
import { prepareTranspose } from '../src/ops/transpose.js';
import { runOnce } from '../src/ops/prepared.js';
import { bytesInUse, expectCanariesIntact, ready, rng } from './helpers.js';
import { sliceRef as sliceRefF, transposeRef } from './ref/transpose.js';

beforeAll(ready);
let inUse = 0;
beforeEach(() => { inUse = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(inUse); });

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** n random bytes of [−128, 127], the first −128 and the last 127. */
function bytes(n: number, seed: number): Int8Array {
  const r = rng(seed);
  const b = Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128);
  if (n > 0) b[0] = -128;
  if (n > 1) b[n - 1] = 127;
  return b;
}

/** test/ref's slice (per-axis index lists) on bytes. */
function sliceRef(x: Int8Array, shape: number[], starts: number[], ends: number[], axes: number[], steps: number[]): { y: Int8Array; shape: number[] } {
  const r = sliceRefF(x, shape, starts, ends, axes, steps);
  return { y: Int8Array.from(r.y), shape: r.shape };
}

/** test/ref's transpose (coordinates) on bytes: y's dim i is x's dim perm[i]. */
function permuteRef(x: Int8Array, shape: number[], perm: number[]): { y: Int8Array; shape: number[] } {
  const r = transposeRef(x, shape, perm);
  return { y: Int8Array.from(r.y), shape: r.shape };
}

/** ChannelShuffle(g) on [N, C, …]: channel k·(C/g) + j moves to j·g + k. */
function shuffleRef(x: Int8Array, shape: number[], g: number): Int8Array {
  const [n, c] = shape, plane = prod(shape.slice(2)), cg = c / g, y = new Int8Array(x.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < g; k++) for (let j = 0; j < cg; j++) {
    for (let p = 0; p < plane; p++) y[(b * c + j * g + k) * plane + p] = x[(b * c + k * cg + j) * plane + p];
  }
  return y;
}

function permutations(r: number): number[][] {
  if (r === 1) return [[0]];
  return permutations(r - 1).flatMap((p) => Array.from({ length: r }, (_, i) => [...p.slice(0, i), r - 1, ...p.slice(i)]));
}

/** Throws at the first differing byte, with its index. */
function sameBytes(got: Int8Array, want: Int8Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) throw new Error(`${what}: byte ${i} got ${got[i]}, want ${want[i]}`);
}

/** An int8 op on x (eager), checked against want (and the canaries), everything freed. */
function eager(x: Int8Array, shape: number[], f: (t: Tensor) => Tensor, want: { y: Int8Array; shape: number[] }, what: string): void {
  const t = Tensor.from(x, shape);
  try {
    const y = f(t);
    try {
      expect(y.dtype, what).toBe('int8');
      expect(y.shape, what).toEqual(want.shape);
      expectCanariesIntact(what);
      sameBytes(y.toInt8Array(), want.y, what);
    } finally {
      y.dispose();
    }
  } finally {
    t.dispose();
  }
}

describe('the int8 ops (copy_i8_strided_simd)', () => {
  it('slice: random starts / ends (negative, out of range), steps ±1..3 on every axis set of ranks 1–5, odd sizes 1..19', () => {
    const g = rng(31);
    const int = (lo: number, hi: number) => lo + Math.floor(g() * (hi - lo + 1));
    const shapes = [[19], [1, 17], [5, 7], [3, 1, 19], [2, 5, 3, 6], [3, 4, 7, 7], [2, 3, 1, 5, 9], [1, 16, 3, 2, 5]];
    let n = 0;
    for (const shape of shapes) {
      const x = bytes(prod(shape), prod(shape) + shape.length);
      const r = shape.length;
      for (let m = 1; m < 1 << r; m++) {
        for (let rep = 0; rep < 3; rep++) {
          const axes = Array.from({ length: r }, (_, i) => i).filter((i) => m & (1 << i)).map((a) => (g() < 0.3 ? a - r : a));
          const dims = axes.map((a) => shape[a < 0 ? a + r : a]);
          let starts: number[] = [], ends: number[] = [], steps: number[] = [];
          let want: { y: Int8Array; shape: number[] } = { y: new Int8Array(0), shape: [] };
          // drawn again until the slice keeps something (an empty one has no bytes to compare)
          for (let tries = 0; tries < 50 && want.y.length === 0; tries++) {
            starts = dims.map((d) => int(-d - 2, d + 2));
            ends = dims.map((d) => int(-d - 2, d + 2));
            steps = dims.map(() => (g() < 0.5 ? -1 : 1) * int(1, 3));
            want = sliceRef(x, shape, starts, ends, axes, steps);
          }
          const what = `slice [${shape}] starts ${starts} ends ${ends} axes ${axes} steps ${steps}`;
          if (want.y.length === 0) continue;
          eager(x, shape, (t) => ops.slice(t, starts, ends, axes, steps), want, what);
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(200);
  });

  it('transpose: every permutation of ranks 2..5 (sizes 1, odd, 4, 16, 17), and rank 6', () => {
    const shapes = [[1, 19], [7, 9], [16, 17], [3, 1, 5], [4, 7, 3], [2, 3, 5, 7], [1, 4, 17, 3], [2, 3, 1, 5, 3], [3, 2, 4, 1, 5]];
    for (const shape of shapes) {
      const x = bytes(prod(shape), 100 + prod(shape));
      for (const perm of permutations(shape.length)) {
        eager(x, shape, (t) => ops.transpose(t, perm), permuteRef(x, shape, perm), `transpose [${shape}] perm [${perm}]`);
      }
    }
    const s6 = [2, 3, 1, 2, 3, 2], x6 = bytes(prod(s6), 9), p6 = [5, 1, 3, 0, 4, 2];
    eager(x6, s6, (t) => ops.transpose(t, p6), permuteRef(x6, s6, p6), 'transpose rank 6');
    eager(x6, s6, (t) => ops.transpose(t), permuteRef(x6, s6, [5, 4, 3, 2, 1, 0]), 'transpose rank 6, default perm');
  });

  it('prepared with dtype int8 (the plans\' path) and the int8 channel shuffle transpose, planes 1..49, batch 1 and 3', () => {
    for (const n of [1, 3]) for (const [grp, cg] of [[2, 1], [2, 3], [3, 5], [4, 4], [2, 8]]) for (const plane of [1, 3, 4, 7, 15, 16, 17, 49]) {
      const shape = [n, grp * cg, plane], x = bytes(prod(shape), plane * 7 + grp);
      const p = prepareTranspose([n, grp, cg, plane], [0, 2, 1, 3], 'int8');
      const t = Tensor.from(x, shape);
      const y = runOnce(p, [t.ptr], (s) => Tensor.empty(s, 'int8'));
      sameBytes(y.toInt8Array(), shuffleRef(x, shape, grp), `shuffle n ${n} g ${grp} C/g ${cg} plane ${plane}`);
      expectCanariesIntact('shuffle');
      t.dispose(); y.dispose();
    }
    const shape = [3, 5, 7], x = bytes(prod(shape), 5);
    const p = prepareSlice(shape, [4, -1], [-100, 0], [1, 2], [-2, -3], 'int8');
    const t = Tensor.from(x, shape);
    const y = runOnce(p, [t.ptr], (s) => Tensor.empty(s, 'int8'));
    const want = sliceRef(x, shape, [4, -1], [-100, 0], [1, 2], [-2, -3]);
    expect(p.outShape).toEqual(want.shape);
    sameBytes(y.toInt8Array(), want.y, 'prepared slice');
    t.dispose(); y.dispose();
  });

  it('errors name the op and the dtype: int32 tensors, a bad dtype option, int8 gradients and int8 in training', () => {
    const i32 = Tensor.from(Int32Array.from([1, 2, 3, 4]), [2, 2]);
    const i8 = Tensor.from(Int8Array.from([1, 2, 3, 4]), [1, 4]);
    try {
      expect(() => ops.slice(i32, [0], [1])).toThrow('slice: x must be a float32 or int8 tensor, got int32');
      expect(() => ops.transpose(i32)).toThrow('transpose: x must be a float32 or int8 tensor, got int32');
      expect(() => prepareSlice([2, 2], [0], [1], null, null, 'int32' as 'int8')).toThrow("slice: dtype must be 'float32' or 'int8', got");
      expect(() => prepareTranspose([2, 2], null, 'uint8' as 'int8')).toThrow("transpose: dtype must be 'float32' or 'int8', got");
      expect(() => ops.sliceBackward(i8, [1, 4], [0], [4], [1])).toThrow('sliceBackward: dy must be a float32 tensor, got int8');
      expect(() => ops.transposeBackward(i8)).toThrow('transposeBackward: dy must be a float32 tensor, got int8');
      for (const l of [new nn.Slice([0], [2]), new nn.ChannelShuffle(1), new nn.Permute([0, 1])]) {
        expect(() => l.forward([i8], true), l.type).toThrow(/must be a float32 tensor, got int8/);
        expect(() => l.forward([i32], false), l.type).toThrow(/must be a float32 tensor, got int32/);
      }
    } finally {
      i32.dispose(); i8.dispose();
    }
  });
});

const Q = { scale: 0.25, zeroPoint: 3 };

/** Floats that quantize (Q) to the bytes of `b`, some past the range (they saturate to −128 / 127). */
function floatsFor(b: Int8Array): Float32Array {
  return Float32Array.from(b, (v, i) => (v === 127 && i % 2 ? 1e4 : v === -128 && i % 2 ? -1e4 : (v - Q.zeroPoint) * Q.scale));
}

/** x → QuantizeLinear(Q) → layers (a chain) → DequantizeLinear(Q). */
function qGraph(per: number[], layers: nn.Layer[]): Graph {
  const names = ['q', ...layers.map((_, i) => `m${i}`), 'dq'];
  const all = [new nn.QuantizeLinear(Q), ...layers, new nn.DequantizeLinear(Q)];
  return new Graph({ inputs: { x: per }, nodes: all.map((layer, i) => ({ name: names[i], layer, inputs: i === 0 ? 'x' : names[i - 1] })), outputs: 'dq' });
}

/**
 * The int8 graph over `layers` at batch n: the middle layers' rows say int8; eager = compiled (no
 * float step between) = the float32 layers on the dequantized input; the int8 bytes = want(x).
 */
function graphCase(per: number[], n: number, make: () => nn.Layer[], want: (x: Int8Array, shape: number[]) => Int8Array, what: string): void {
  const shape = [n, ...per], b = bytes(prod(shape), prod(shape) + n);
  const xf = Tensor.from(floatsFor(b), shape);
  const layers = make(), g = qGraph(per, layers);
  const f32 = make();
  try {
    const rows = g.summaryData().rows as { name: string; dtype: string }[];
    for (const r of rows.filter((r) => r.name.startsWith('m'))) expect(r.dtype, `${what}: ${r.name}`).toBe('int8');
    const eagerY = g.predict(xf);
    const plan = compile(g, { batchSize: n });
    try {
      const planY = plan.run(xf).toFloat32Array();
      expect(plan.info.steps.map((s) => s.name), what).toEqual(['q', ...layers.map((_, i) => `m${i}`), 'dq']);
      expect(Array.from(planY), `${what}: compiled vs eager`).toEqual(Array.from(eagerY.toFloat32Array()));
    } finally {
      plan.dispose();
    }
    // the float32 layers on the dequantized input
    const q8 = g.node('q').layer.forward([xf], false);
    sameBytes(q8.toInt8Array(), b, `${what}: the quantized input`);
    const xd = g.node('dq').layer.forward([q8], false);
    let y = xd;
    for (const l of f32) {
      const z = l.forward([y], false);
      y.dispose();
      y = z;
    }
    expect(Array.from(eagerY.toFloat32Array()), `${what}: int8 vs float32 layers`).toEqual(Array.from(y.toFloat32Array()));
    // the bytes: the int8 layers eagerly, against the reference
    let t = q8;
    for (const l of layers) {
      const z = l.forward([t], false);
      expect(z.dtype).toBe('int8');
      t.dispose();
      t = z;
    }
    sameBytes(t.toInt8Array(), want(b, shape), `${what}: bytes`);
    t.dispose(); y.dispose(); eagerY.dispose();
  } finally {
    xf.dispose(); g.dispose();
    for (const l of f32) l.dispose();
  }
}

describe('int8 through nn.Slice, nn.ChannelShuffle and nn.Permute: eager, compiled, and the float32 path', () => {
  it('Slice: channel halves (ShuffleNet\'s split), negative steps, steps > 1, planes 1..49, batch 1 and 3', () => {
    for (const n of [1, 3]) for (const [c, h, w] of [[1, 1, 1], [2, 1, 7], [5, 3, 5], [16, 4, 4], [17, 7, 7], [3, 1, 19]]) {
      const per = [c, h, w], half = Math.max(1, c >> 1);
      const cases: [number[], number[], number[], number[]][] = [
        [[0], [half], [1], [1]],
        [[c - half], [c], [1], [1]],
        [[-1, 0], [-1000, 1000], [3, 2], [-1, 2]],
        [[c - 1, h - 1], [-1000, -1000], [1, 2], [-2, -3]],
      ];
      for (const [s, e, a, st] of cases) {
        const what = `Slice [${per}] n ${n} starts ${s} ends ${e} axes ${a} steps ${st}`;
        graphCase(per, n, () => [new nn.Slice(s, e, { axes: a, steps: st })], (x, shape) => sliceRef(x, shape, s, e, a, st).y, what);
      }
    }
  });

  it('ChannelShuffle, after a Slice, and Permute: groups 2..4, planes 1..49, every batch-first permutation of ranks 2..5', () => {
    for (const n of [1, 3]) for (const [g, cg] of [[2, 1], [3, 5], [4, 4], [2, 9]]) for (const [h, w] of [[1, 1], [1, 3], [3, 5], [4, 4], [1, 17], [7, 7]]) {
      const per = [g * cg, h, w];
      graphCase(per, n, () => [new nn.ChannelShuffle(g)], (x, shape) => shuffleRef(x, shape, g), `ChannelShuffle(${g}) [${per}] n ${n}`);
    }
    graphCase([8, 3, 5], 3, () => [new nn.Slice([4], [8]), new nn.ChannelShuffle(2)], (x, shape) => {
      const s = sliceRef(x, shape, [4], [8], [1], [1]);
      return shuffleRef(s.y, s.shape, 2);
    }, 'Slice → ChannelShuffle');
    for (const per of [[19], [3, 7], [4, 1, 5], [2, 3, 5, 3]]) {
      for (const p of permutations(per.length)) {
        const dims = [0, ...p.map((a) => a + 1)];
        graphCase(per, 3, () => [new nn.Permute(dims)], (x, shape) => permuteRef(x, shape, dims).y, `Permute [${dims}] of [${per}]`);
      }
    }
  });
});

describe('an int8 Slice → ChannelShuffle in ONNX', () => {
  it('io.toONNX → io.fromONNX gives the same outputs (the moves stay int8), and onnxruntime-web the same values', async () => {
    const per = [8, 5, 3];
    const g = qGraph(per, [new nn.Slice([1, -1], [7, -1000], { axes: [1, 3], steps: [1, -2] }), new nn.ChannelShuffle(3)]);
    const xs = floatsFor(bytes(3 * prod(per), 77));
    const x = Tensor.from(xs, [3, ...per]);
    const bytesOnnx = io.toONNX(g);
    const back = io.fromONNX(bytesOnnx);
    let want: number[];
    try {
      // the Slice stays int8, and the shuffle's Reshape → Transpose → Reshape fuses back into one int8 ChannelShuffle
      const rows = back.summaryData().rows as { type: string; dtype: string }[];
      expect(rows.filter((r) => ['Slice', 'Permute', 'Flatten', 'Reshape', 'ChannelShuffle', 'QuantizeLinear'].includes(r.type)).map((r) => `${r.type} ${r.dtype}`))
        .toEqual(['QuantizeLinear int8', 'Slice int8', 'ChannelShuffle int8']);
      const ours = g.predict(x), got = back.predict(x);
      want = Array.from(ours.toFloat32Array());
      const again = Array.from(got.toFloat32Array());
      ours.dispose(); got.dispose();
      expect(again).toEqual(want);
    } finally {
      x.dispose(); g.dispose(); back.dispose();
    }
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    const s = await ort.InferenceSession.create(bytesOnnx, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    try {
      const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', xs, [3, ...per]) });
      expect(Array.from(r[s.outputNames[0]].data as Float32Array)).toEqual(want);
    } finally {
      await s.release();
    }
  });
});
