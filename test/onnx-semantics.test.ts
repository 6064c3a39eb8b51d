// ONNX import semantics on hand-written graphs (our encoder plus raw protobuf for encodings it
// never writes), and the protobuf reader and writer themselves.
import { beforeAll, describe, expect, it } from 'vitest';
import { io, nn, Graph, Tensor } from '../src/index.js';
import { Reader, Writer, ProtobufError } from '../src/io/protobuf.js';
import type { NodeOut, TensorOut } from '../src/io/onnx-write.js';
import { ready, randArray } from './helpers.js';
import { model, node } from './onnx-fixtures.js';

beforeAll(ready);

describe('io.fromONNX operator semantics', () => {
  /** Runs a one-input model on x (batch first) and returns the output. */
  const exec = (bytes: Uint8Array, x: Float32Array, shape: number[]) => {
    const g = io.fromONNX(bytes);
    const t = Tensor.from(x, shape);
    const y = g.predict(t);
    const out = { data: y.toFloat32Array(), shape: y.shape.slice(), layers: g.nodes.map((n) => n.layer.type) };
    [t, y].forEach((v) => v.dispose());
    g.dispose();
    return out;
  };
  const x24 = randArray(2 * 3 * 4 * 4, 9);

  it('pure reshapes move no values: Flatten (negative axis), Reshape with 0 and −1, Squeeze, Unsqueeze, Identity', () => {
    const cases: [NodeOut[], TensorOut[], number[], number][] = [
      [[node('Flatten', ['x'], [{ name: 'axis', i: -3 }])], [], [2, 48], 13],
      [[node('Reshape', ['x', 's'])], [{ name: 's', dims: [3], int64s: [0, 0, -1] }], [2, 3, 16], 13],
      [[node('Reshape', ['x', 's'])], [{ name: 's', dims: [3], int64s: [-1, 12, 4] }], [2, 12, 4], 13],
      [[node('Unsqueeze', ['x', 'a'], [], 'u'), node('Squeeze', ['u', 'a'], [], 'y', 'n2')], [{ name: 'a', dims: [1], int64s: [2] }], [2, 3, 4, 4], 13],
      [[node('Unsqueeze', ['x'], [{ name: 'axes', ints: [-1] }], 'u'), node('Identity', ['u'], [], 'y', 'n2')], [], [2, 3, 4, 4, 1], 11],
    ];
    for (const [nodes, inits, want, opset] of cases) {
      const r = exec(model([3, 4, 4], nodes, inits, { opset }), x24, [2, 3, 4, 4]);
      expect(r.shape).toEqual(want);
      expect(Array.from(r.data)).toEqual(Array.from(x24));
    }
  });

  it('Gemm: alpha, beta, B not transposed, C as [1, N]; Sum of activations; weights from a Constant node', () => {
    const a = randArray(4 * 3, 1), b = randArray(3 * 2, 2), cc = randArray(2, 3);
    const bytes = model([3], [
      { opType: 'Constant', name: 'k', inputs: [], outputs: ['B'], attrs: [] },
      node('Gemm', ['x', 'B', 'C'], [{ name: 'alpha', f: 2 }, { name: 'beta', f: 0.5 }], 'g'),
      node('Sum', ['g', 'g', 'g'], [], 'y', 'sum'),
    ], [{ name: 'C', dims: [1, 2], floats: cc }]);
    // a Constant's tensor attribute is not in our encoder's vocabulary: patch it in with the writer
    const patched = withConstant(bytes, 'B', [3, 2], b);
    const r = exec(patched, a, [4, 3]);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 2; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += a[i * 3 + k] * b[k * 2 + j];
        expect(r.data[i * 2 + j]).toBeCloseTo(3 * (2 * s + 0.5 * cc[j]), 5);
      }
    }
    expect(r.layers).toEqual(['Linear', 'Add']);
  });

  it('Conv with auto_pad SAME_UPPER equals explicit padding [0, 0, 1, 1]; a bias Add folds into it', () => {
    const w = randArray(2 * 3 * 2 * 2, 4), bias = randArray(2, 5);
    const auto = model([3, 4, 4], [
      node('Conv', ['x', 'w'], [{ name: 'auto_pad', s: 'SAME_UPPER' }], 'c'), node('Add', ['c', 'b']),
    ], [{ name: 'w', dims: [2, 3, 2, 2], floats: w }, { name: 'b', dims: [1, 2, 1, 1], floats: bias }]);
    const expl = model([3, 4, 4], [node('Conv', ['x', 'w', 'b'], [{ name: 'pads', ints: [0, 0, 1, 1] }])], [
      { name: 'w', dims: [2, 3, 2, 2], floats: w }, { name: 'b', dims: [2], floats: bias },
    ]);
    const r1 = exec(auto, x24, [2, 3, 4, 4]), r2 = exec(expl, x24, [2, 3, 4, 4]);
    expect(r1.layers).toEqual(['Conv2d']);
    expect(r1.shape).toEqual([2, 2, 4, 4]);
    expect(Array.from(r1.data)).toEqual(Array.from(r2.data));
  });

  it('reads every encoding of tensor data: raw, packed and unpacked float_data, double_data, int32 and int64 shapes', () => {
    const w = [0.5, -1.5, 2, 0.25, 1, -1];
    const variants = [
      tensorMsg('w', [2, 3], (t) => t.bytes(9, f32bytes(w))),
      tensorMsg('w', [2, 3], (t) => t.bytes(4, f32bytes(w))),
      tensorMsg('w', [2, 3], (t) => t.floats(4, w)),
      tensorMsg('w', [2, 3], (t) => t.bytes(10, f64bytes(w)), 11),
    ];
    for (const v of variants) {
      const bytes = modelWithInit(model([3], [node('Gemm', ['x', 'w'], [{ name: 'transB', i: 1 }])]), v);
      const r = exec(bytes, Float32Array.of(1, 2, 3), [1, 3]);
      expect(Array.from(r.data)).toEqual([0.5 - 3 + 6, 0.25 + 2 - 3]);
    }
    // shapes as INT32 and as packed INT64
    for (const v of [tensorMsg('s', [2], (t) => t.int(5, 0).int(5, -1), 6), tensorMsg('s', [2], (t) => t.bytes(7, Uint8Array.of(0, 0x30)), 7)]) {
      const bytes = modelWithInit(model([3, 4, 4], [node('Reshape', ['x', 's'])]), v);
      expect(exec(bytes, x24, [2, 3, 4, 4]).shape).toEqual([2, 48]);
    }
  });

  it('initializers that are also listed as graph inputs (IR < 4) are weights, not inputs', () => {
    const w = randArray(4 * 3, 6);
    const bytes = model([3], [node('Gemm', ['x', 'w'], [{ name: 'transB', i: 1 }])], [{ name: 'w', dims: [4, 3], floats: w }], {
      inputs: [{ name: 'x', dims: ['N', 3] }, { name: 'w', dims: [4, 3] }],
    });
    const g = io.fromONNX(bytes);
    expect(g.inputNames).toEqual(['x']);
    g.dispose();
  });
});

function f32bytes(v: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(v).buffer);
}
function f64bytes(v: number[]): Uint8Array {
  return new Uint8Array(Float64Array.from(v).buffer);
}
/** A TensorProto written field by field (data type FLOAT unless given). */
function tensorMsg(name: string, dims: number[], data: (w: Writer) => void, type = 1): Uint8Array {
  const w = new Writer();
  w.ints(1, dims).int(2, type).string(8, name);
  data(w);
  return w.finish();
}
/** Appends an initializer to the graph of an encoded model (fields may come in any order). */
function modelWithInit(bytes: Uint8Array, tensor: Uint8Array): Uint8Array {
  return rewriteGraph(bytes, (g) => g.bytes(5, tensor));
}
/** Gives the Constant node that outputs `out` a tensor attribute 'value'. */
function withConstant(bytes: Uint8Array, out: string, dims: number[], data: Float32Array): Uint8Array {
  return rewriteGraph(bytes, () => {}, (node, w) => {
    if (!node.includes(out)) return;
    w.message(5, (a) => a.string(1, 'value').int(20, 4).message(5, (t) => t.ints(1, dims).int(2, 1).bytes(9, new Uint8Array(data.buffer.slice(0)))));
  });
}
/** Re-emits a model, letting the caller add graph fields and node fields. */
function rewriteGraph(bytes: Uint8Array, extra: (g: Writer) => void, nodeExtra?: (outputs: string[], w: Writer) => void): Uint8Array {
  const m = new Reader(bytes), out = new Writer();
  while (!m.done) {
    const f = m.key();
    if (f !== 7) {
      if (m.wire === 0) out.int(f, m.int64());
      else out.bytes(f, m.bytes());
      continue;
    }
    const g = m.message();
    out.message(7, (gw) => {
      while (!g.done) {
        const gf = g.key();
        const b = g.bytes();
        if (gf === 1 && nodeExtra) {
          const r = new Reader(b), outs: string[] = [];
          while (!r.done) if (r.key() === 2) outs.push(r.string()); else r.skip();
          gw.message(1, (nw) => {
            const r2 = new Reader(b);
            while (!r2.done) {
              const k = r2.key();
              nw.bytes(k, r2.bytes());
            }
            nodeExtra(outs, nw);
          });
        } else gw.bytes(gf, b);
      }
      extra(gw);
    });
  }
  return out.finish();
}

describe('protobuf reader and writer', () => {
  it('round-trips varints, negative int64 as ten bytes, floats and strings', () => {
    const w = new Writer();
    const nums = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1, -1, -2, -(2 ** 31), -(2 ** 53 - 1)];
    for (const v of nums) w.int(1, v);
    w.float(2, 1.5).string(3, 'héllo');
    const b = w.finish();
    const r = new Reader(b);
    for (const v of nums) {
      expect(r.key()).toBe(1);
      expect(r.int64()).toBe(v);
    }
    expect([r.key(), r.float(), r.key(), r.string()]).toEqual([2, 1.5, 3, 'héllo']);
    expect(r.done).toBe(true);
    const neg = new Writer().int(1, -1).finish();
    expect(neg.length).toBe(11); // key + 10 bytes
  });

  it('refuses truncated varints, oversized lengths and obsolete wire types', () => {
    const r = new Reader(Uint8Array.of(0x08, 0x80));
    r.key();
    expect(() => r.varint()).toThrow(/truncated varint/);
    const l = new Reader(Uint8Array.of(0x0a, 0x05, 1, 2));
    l.key();
    expect(() => l.bytes()).toThrow(/declares 5 bytes but only 2 remain/);
    expect(() => new Reader(Uint8Array.of(0x0b)).key()).toThrow(/wire type 3/);
    expect(() => new Reader(Uint8Array.of(0x00)).key()).toThrow(/field number 0/);
    const long = new Reader(new Uint8Array(12).fill(0xff));
    expect(() => long.varint()).toThrow(ProtobufError);
  });
});

describe('layers added for ONNX: Reshape, Identity, LocalResponseNorm windows', () => {
  it('Reshape infers −1, checks sizes, copies forward and backward; Identity passes through', () => {
    const r = new nn.Reshape([-1, 4], { name: 'r' });
    expect(r.outputShape([[2, 3, 4]])).toEqual([6, 4]);
    expect(() => r.outputShape([[5]])).toThrow(/5 values cannot be reshaped to \[-1, 4\]/);
    expect(() => new nn.Reshape([2, -1, -1])).toThrow(/at most one size may be −1/);
    expect(() => new nn.Reshape([0, 3])).toThrow(/positive integer or −1/);
    const g = new Graph({
      inputs: { x: [2, 3] },
      nodes: [{ name: 'r', layer: new nn.Reshape([3, -1]), inputs: 'x' }, { name: 'id', layer: new nn.Identity(), inputs: 'r' }, { name: 'f', layer: new nn.Flatten(), inputs: 'id' }],
      outputs: 'f',
    });
    const x = Tensor.from(randArray(12, 1), [2, 2, 3]);
    const { output } = g.forward(x, { training: true });
    expect(Array.from(output.toFloat32Array())).toEqual(Array.from(x.toFloat32Array()));
    const dy = Tensor.from(randArray(12, 2), [2, 6]);
    const { x: dx } = g.backward(dy, { inputGrads: true });
    expect(dx.shape).toEqual([2, 2, 3]);
    expect(Array.from(dx.toFloat32Array())).toEqual(Array.from(dy.toFloat32Array()));
    [x, dy, dx].forEach((t) => t.dispose());
    const back = io.load(io.save(g));
    expect(back.nodes.map((n) => n.layer.config())).toEqual(g.nodes.map((n) => n.layer.config()));
    back.dispose();
    g.dispose();
  });

  it('LocalResponseNorm uses its lrnWindow forward and backward (finite differences)', () => {
    const c = 6, hw = 2;
    const xs = randArray(c * hw, 3, -2, 2);
    const ref = (x: Float32Array, before: number, after: number) => Float64Array.from(x, (v, i) => {
      const ch = Math.floor(i / hw), p = i % hw;
      let s = 0;
      for (let j = Math.max(0, ch - before); j <= Math.min(c - 1, ch + after); j++) s += x[j * hw + p] ** 2;
      return v / (1.5 + (2e-3 / 4) * s) ** 0.6;
    });
    const layer = new nn.LocalResponseNorm(4, { alpha: 2e-3, beta: 0.6, k: 1.5, lrnWindow: [1, 2] });
    expect(() => new nn.LocalResponseNorm(4, { lrnWindow: [2, 2] })).toThrow(/spans 5 channels but size is 4/);
    expect(new nn.LocalResponseNorm(4).lrnWindow).toEqual([2, 1]); // PyTorch's
    const x = Tensor.from(xs, [1, c, 1, hw]);
    const y = layer.forward([x], true);
    const want = ref(xs, 1, 2), pytorch = ref(xs, 2, 1);
    const got = y.toFloat32Array();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    expect(Math.max(...Array.from(want, (v, i) => Math.abs(v - pytorch[i])))).toBeGreaterThan(1e-4); // the windows differ
    const rr = randArray(c * hw, 4);
    const dy = Tensor.from(rr, [1, c, 1, hw]);
    const [dx] = layer.backward(dy);
    const g = dx.toFloat32Array();
    const loss = (v: Float32Array) => ref(v, 1, 2).reduce((a, b, i) => a + b * rr[i], 0);
    for (let i = 0; i < xs.length; i++) {
      const h = 1e-3, p = xs.slice(), m = xs.slice();
      p[i] += h;
      m[i] -= h;
      expect(g[i]).toBeCloseTo((loss(p) - loss(m)) / (2 * h), 3);
    }
    [x, y, dy, dx].forEach((t) => t.dispose());
  });
});
