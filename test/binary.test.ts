import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Tensor, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, expectClose, fdCheck, randArray, ready, sizeOf } from './helpers.js';
import { broadcastRef, broadcastShapeRef, reduceGradRef } from './ref/add.js';
import { binaryGradRef, divRef, powRef, subRef } from './ref/binary.js';
import { prepareBinary } from '../src/ops/binary.js';

beforeAll(ready);

let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

/** Shape pairs covering every layout: same, per-channel, row, scalar, general strided, empty. */
const PAIRS: [number[], number[]][] = [
  [[5], [5]], [[17], [17]], [[2, 3, 4, 5], [2, 3, 4, 5]], [[0, 3], [0, 3]],
  [[2, 3, 4, 5], [1, 3, 1, 1]], [[2, 16, 3, 7], [16, 1, 1]], [[3, 17, 2, 2], [1, 17, 1, 1]], [[4, 9, 5], [9, 1]],
  [[3, 5], [5]], [[5, 17], [17]], [[2, 3, 4, 5], [5]], [[2, 3, 4, 5], [3, 4, 5]], [[6, 1], [6, 1]],
  [[2, 3, 4, 5], [1]], [[2, 3, 4, 5], []], [[7], []], [[], []], [[1, 1], [1]], [[1], [5, 1, 1]],
  [[3, 1], [1, 4]], [[2, 1, 4], [3, 1]], [[2, 3, 4, 5], [2, 3, 1, 1]], [[2, 3, 4, 5], [2, 1, 4, 1]],
  [[2, 1, 4, 1], [1, 3, 1, 5]], [[5, 1, 3], [1, 6, 1]], [[2, 3, 1, 5], [3, 4, 1]], [[3, 1, 17], [1, 9, 1]],
  [[1, 7, 1, 9], [6, 1, 5, 1]], [[0, 3], [3]], [[2, 0], [1]], [[2, 1], [2, 0]],
];
for (let n = 0; n <= 9; n++) PAIRS.push([[n], [n]], [[2, n], [n]], [[2, 3, n], [1, 3, 1]]);

type Op = 'sub' | 'div' | 'pow';
const REF: Record<Op, (a: number, b: number) => number> = { sub: subRef, div: divRef, pow: powRef };
/** Operand ranges: pow's base positive (negative bases are tested with integer exponents below). */
const RANGE: Record<Op, [[number, number], [number, number]]> = { sub: [[-4, 4], [-4, 4]], div: [[-4, 4], [0.5, 4]], pow: [[0.1, 4], [-3, 3]] };

/** Asserts f32 results within `ulp` units in the last place of the float64 reference. */
function expectUlp(got: Float32Array, want: ArrayLike<number>, ulp: number, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const w = want[i], g = got[i];
    if (Number.isNaN(w) ? Number.isNaN(g) : g === Math.fround(w)) continue;
    const tol = ulp * Math.max(Math.abs(Math.fround(w)) * 2 ** -23, 1.4e-45);
    if (!(Math.abs(g - w) <= tol)) throw new Error(`${what}: at flat ${i} got ${g}, expected ${w}`);
  }
}

function run(op: Op, a: Float32Array, as: number[], b: Float32Array, bs: number[]): Float32Array {
  const ta = Tensor.from(a, as), tb = Tensor.from(b, bs);
  const y = ops[op](ta, tb);
  try {
    expectCanariesIntact(`${op} [${as}] [${bs}]`);
    return y.toFloat32Array();
  } finally {
    for (const t of [ta, tb, y]) t.dispose();
  }
}

describe('sub, div, pow', () => {
  it('match the float64 reference for every layout, in both operand orders (the planner swaps them)', () => {
    for (const op of ['sub', 'div', 'pow'] as Op[]) {
      for (const [p, q] of PAIRS) {
        for (const [as, bs] of [[p, q], [q, p]]) {
          const a = randArray(sizeOf(as), as.length + 3, ...RANGE[op][0]), b = randArray(sizeOf(bs), bs.length + 9, ...RANGE[op][1]);
          const ref = broadcastRef(REF[op], a, as, b, bs);
          const got = run(op, a, as, b, bs);
          expectUlp(got, ref.y, op === 'pow' ? 1 : 0.5, `${op} [${as}] [${bs}]`);
        }
      }
    }
  });

  it('pow: C special cases, negative bases, exact exponents 2, 1, −1, 0.5 (per element and as a scalar)', () => {
    const cases: [number, number][] = [
      [2, 0], [NaN, 0], [1, NaN], [1, Infinity], [-1, Infinity], [-1, -Infinity], [NaN, 2], [2, NaN],
      [-2, 3], [-2, 2], [-2, -1], [-2, 0.5], [-8, 1 / 3], [0, -1], [-0, -1], [-0, -2], [0, 2], [-0, 3], [-0, 0.5],
      [Infinity, -2], [-Infinity, 3], [-Infinity, 2], [-Infinity, 0.5], [-Infinity, -1], [0.5, Infinity], [0.5, -Infinity],
      [2, Infinity], [2, -Infinity], [3, 2], [3, 0.5], [7, -1], [-5, 1], [1e-30, 2], [1e20, 2], [2, 127], [2, 128], [2, -149], [2, -150],
      [10, 38.5], [0.3, 7.25], [1.0000001, 1e7], [-3, 16777217],
    ];
    const a = Float32Array.from(cases, (c) => c[0]), b = Float32Array.from(cases, (c) => c[1]);
    const got = run('pow', a, [a.length], b, [b.length]);
    cases.forEach(([x, y], i) => {
      const w = Math.fround(powRef(Math.fround(x), Math.fround(y)));
      const ok = Number.isNaN(w) ? Number.isNaN(got[i]) : Object.is(got[i], w) || Math.abs(got[i] - w) <= Math.abs(w) * 2 ** -23;
      if (!ok) throw new Error(`pow(${x}, ${y}): got ${got[i]}, expected ${w}`);
    });
    // scalar exponents 2 and 0.5 take the a·a and √a loops: exactly those values
    const d = randArray(37, 5, -3, 3);
    expect(Array.from(run('pow', d, [37], Float32Array.of(2), []))).toEqual(Array.from(d, (v) => Math.fround(v * v)));
    expect(Array.from(run('pow', d, [37], Float32Array.of(0.5), [1]))).toEqual(Array.from(d, (v) => Math.fround(Math.sqrt(v)) + 0));
    // negative bases with integer exponents, broadcast
    const nb = randArray(24, 6, -3, -0.2), ex = Float32Array.of(-2, -1, 0, 1, 2, 3);
    expectUlp(run('pow', nb, [4, 6], ex, [6]), broadcastRef(powRef, nb, [4, 6], ex, [6]).y, 1, 'negative bases');
  });

  it('div and sub special values follow IEEE', () => {
    const a = Float32Array.of(1, -1, 0, -0, Infinity, NaN, 1), b = Float32Array.of(0, 0, 0, 1, Infinity, 1, -0);
    expect(Array.from(run('div', a, [7], b, [7]))).toEqual([Infinity, -Infinity, NaN, -0, NaN, NaN, -Infinity]);
    expect(Array.from(run('sub', a, [7], b, [7]))).toEqual([1, -1, 0, -1, NaN, NaN, 1]);
  });

  it('prepareBinary: shapes or constant tensors, run twice, bit-identical to the eager op; in place', () => {
    for (const op of ['add', 'mul', 'sub', 'div', 'pow'] as const) {
      for (const [as, bs] of [[[2, 3, 4], [3, 1]], [[3, 1], [2, 3, 4]], [[5, 7], []], [[], [5, 7]], [[6], [6]]] as [number[], number[]][]) {
        const a = randArray(sizeOf(as), 1, 0.5, 3), b = randArray(sizeOf(bs), 2, 0.5, 3);
        const ta = Tensor.from(a, as), tb = Tensor.from(b, bs);
        const e = ops[op](ta, tb);
        const want = Array.from(e!.toFloat32Array());
        for (const [pa, pb, ins] of [[as, bs, [ta, tb]], [as, tb, [ta]], [ta, bs, [tb]]] as [number[] | Tensor, number[] | Tensor, Tensor[]][]) {
          const p = prepareBinary(op, pa, pb);
          const out = Tensor.empty(p.outShape);
          for (let k = 0; k < 2; k++) {
            p.run(ins.map((t) => t.ptr), out.ptr, 0);
            expect(Array.from(out.toFloat32Array()), `${op} [${as}] [${bs}]`).toEqual(want);
          }
          p.dispose(); out.dispose();
        }
        // in place into the full operand
        if (sizeOf(as) === e!.size && as.length === e!.rank) {
          const t = Tensor.from(b, bs);
          const x = Tensor.from(a, as);
          const q = prepareBinary(op, as, t);
          q.run([x.ptr], x.ptr, 0);
          expect(Array.from(x.toFloat32Array()), `${op} in place`).toEqual(want);
          for (const z of [t, x]) z.dispose();
          q.dispose();
        }
        for (const z of [ta, tb, e!]) z.dispose();
      }
    }
  });

  it('rejects bad ops, shapes that do not broadcast, non-tensors', () => {
    const a = Tensor.zeros([2, 3]), b = Tensor.zeros([4]);
    expect(() => ops.sub(a, b)).toThrow(/sub: shapes \[2, 3\] and \[4\] do not broadcast: dimension 1 of a is 3 but dimension 0 of b is 4/);
    expect(() => ops.div(a, 2 as never)).toThrow(/div: b must be a Tensor, got 2/);
    expect(() => ops.pow(null as never, a)).toThrow(/pow: a must be a Tensor, got null/);
    expect(() => prepareBinary('max' as never, [2], [2])).toThrow(/prepareBinary: op must be one of 'add', 'mul', 'sub', 'div', 'pow', got 'max'|prepareBinary: op must be one of/);
    expect(() => prepareBinary('pow', [2, 3], b)).toThrow(/pow: shapes \[2, 3\] and \[4\] do not broadcast/);
    expect(() => prepareBinary('sub', [2, -1], [1])).toThrow(/sub: aShape: shape \[2, -1\]/);
    a.dispose(); b.dispose();
  });
});

describe('binaryBackward', () => {
  function grads(op: Op | 'mul', dy: Float32Array, a: Float32Array, as: number[], b: Float32Array, bs: number[], needs: [boolean, boolean] = [true, true]) {
    const out = broadcastShapeRef(as, bs)!;
    const td = Tensor.from(dy, out), ta = Tensor.from(a, as), tb = Tensor.from(b, bs);
    const [da, db] = ops.binaryBackward(op, td, ta, tb, needs);
    try {
      expectCanariesIntact(`${op}Backward [${as}] [${bs}]`);
      if (da) expect(da.shape).toEqual(as);
      if (db) expect(db.shape).toEqual(bs);
      return [da?.toFloat32Array() ?? null, db?.toFloat32Array() ?? null];
    } finally {
      for (const t of [td, ta, tb, da, db]) t?.dispose();
    }
  }

  it('matches the reduced float64 gradients for every layout, both operand orders', () => {
    for (const op of ['sub', 'mul', 'div', 'pow'] as const) {
      const range = op === 'mul' ? RANGE.sub : RANGE[op];
      for (const [p, q] of PAIRS) {
        for (const [as, bs] of [[p, q], [q, p]]) {
          const out = broadcastShapeRef(as, bs)!;
          const a = randArray(sizeOf(as), 4, ...range[0]), b = randArray(sizeOf(bs), 5, ...range[1]), dy = randArray(sizeOf(out), 6, -2, 2);
          const ga = new Float64Array(sizeOf(out)), gb = new Float64Array(sizeOf(out));
          // per-element gradients at each output coordinate, then summed per operand
          const ea = broadcastRef((x, y) => binaryGradRef(op, 1, x, y)[0], a, as, b, bs).y;
          const eb = broadcastRef((x, y) => binaryGradRef(op, 1, x, y)[1], a, as, b, bs).y;
          for (let i = 0; i < ga.length; i++) { ga[i] = dy[i] * ea[i]; gb[i] = dy[i] * eb[i]; }
          const [da, db] = grads(op, dy, a, as, b, bs);
          expectClose(da!, reduceGradRef(ga, out, as), as, `d${op}/da [${as}] [${bs}]`, 1e-5, 1e-4);
          expectClose(db!, reduceGradRef(gb, out, bs), bs, `d${op}/db [${as}] [${bs}]`, 1e-5, 1e-4);
        }
      }
    }
  });

  it('matches central differences of L = Σ y⊙r for both operands', () => {
    for (const op of ['sub', 'mul', 'div', 'pow'] as const) {
      // pow away from tiny bases, where a^b bends too fast for a central difference
      const range: [[number, number], [number, number]] = op === 'mul' ? RANGE.sub : op === 'pow' ? [[0.6, 2], [-2, 2]] : RANGE[op];
      for (const [as, bs] of [[[2, 3, 4, 5], [1, 3, 1, 1]], [[3, 7], [7]], [[3, 1], [1, 4]], [[2, 1, 4, 1], [1, 3, 1, 5]], [[6], [6]], [[5], []]] as [number[], number[]][]) {
        const out = broadcastShapeRef(as, bs)!;
        const a = randArray(sizeOf(as), 1, ...range[0]), b = randArray(sizeOf(bs), 2, ...range[1]), r = randArray(sizeOf(out), 3);
        const [da, db] = grads(op, r, a, as, b, bs);
        const f = (x: Float32Array, y: Float32Array) => (op === 'mul' ? (() => {
          const tx = Tensor.from(x, as), ty = Tensor.from(y, bs), z = ops.mul(tx, ty), o = z.toFloat32Array();
          for (const t of [tx, ty, z]) t.dispose();
          return o;
        })() : run(op, x, as, y, bs));
        fdCheck({ x: a, shape: as, r, analytic: da!, what: `d${op}/da [${as}] [${bs}]`, forward: (ap) => f(ap, b), eps: 1e-2 });
        fdCheck({ x: b, shape: bs, r, analytic: db!, what: `d${op}/db [${as}] [${bs}]`, forward: (bp) => f(a, bp), eps: 1e-2 });
      }
    }
  });

  it('pow backward follows PyTorch at b = 0 and a = 0; needs skips a gradient; errors name the op', () => {
    const [da, db] = grads('pow', Float32Array.of(1, 1, 1, 1), Float32Array.of(0, 0, 2, -2), [4], Float32Array.of(0, 2, 0, -1), [4]);
    expect(Array.from(da!)).toEqual([0, 0, 0, -0.25]);
    expect(Array.from(db!.slice(0, 3))).toEqual([0, 0, Math.fround(Math.log(2))]);
    expect(db![3]).toBeNaN();
    const [na, nb] = grads('div', Float32Array.of(1, 2), Float32Array.of(1, 2), [2], Float32Array.of(4), [1], [false, true]);
    expect(na).toBeNull();
    expect(Array.from(nb!)).toEqual([Math.fround(-(1 + 4) / 16)]);
    const dy = Tensor.zeros([2, 3]), a = Tensor.zeros([2, 3]), b = Tensor.zeros([4]);
    expect(() => ops.divBackward(dy, a, b)).toThrow(/divBackward: shapes \[2, 3\] and \[4\] do not broadcast/);
    expect(() => ops.powBackward(b, a, a)).toThrow(/powBackward: dy has shape \[4\] but pow of a \[2, 3\] and b \[2, 3\] gives \[2, 3\]; they must match/);
    expect(() => ops.binaryBackward('mul', dy, a, a, [true] as never)).toThrow(/mulBackward: needs must be \[boolean, boolean\]/);
    expect(() => ops.subBackward(dy, a, 0 as never)).toThrow(/subBackward: b must be a Tensor, got 0/);
    for (const t of [dy, a, b]) t.dispose();
  });
});
