// transpose: any permutation of the dims of a rank ≤ 6 tensor (ONNX Transpose, PyTorch permute
// made contiguous). Dims that stay adjacent and in order are merged first, then:
//   [B, R, C] → [B, C, R] (the last two swapped, e.g. NCHW → NHWC as [N, C, H·W]): 4×4 register
//     tiles transposed with shuffles;
//   otherwise a strided walk whose innermost run is a block copy when it stays contiguous (the
//     channel shuffle [N, g, C/g, H·W] → [N, C/g, g, H·W] copies whole H·W planes).
// int8 tensors (quantized activations, moved as bytes) take the byte walker (copy_i8_strided_simd)
// on every path. The strided walker also serves slice and its backward (ops/slice.ts).
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { type Prepared, paramBlock, releaseAll, runOnce } from './prepared.js';
import { type MoveDType, MOVE_DTYPES, moveDtype, stridedKernel, stridedParams } from './strided.js';
import { sizeOf, stridesOf } from './axes.js';
import { describe, fmtShape, shapeArg, tensorArg } from './validate.js';

function permArg(op: string, perm: unknown, r: number): number[] {
  if (perm === undefined || perm === null) return Array.from({ length: r }, (_, i) => r - 1 - i);
  if (!Array.isArray(perm) || perm.length !== r || perm.some((p) => typeof p !== 'number' || !Number.isInteger(p))) {
    throw new TypeError(`${op}: perm must be an array of ${r} integers (one per dim of x), got ${describe(perm)}`);
  }
  const seen = new Array<boolean>(r).fill(false);
  return perm.map((p: number, i) => {
    const a = p < 0 ? p + r : p;
    if (a < 0 || a >= r || seen[a]) {
      throw new RangeError(`${op}: perm [${perm.join(', ')}] is not a permutation of 0..${r - 1} (perm[${i}] = ${p})`);
    }
    seen[a] = true;
    return a;
  });
}

/** Output shape, plus the dims and permutation after dropping 1s and merging adjacent runs. */
function collapse(xs: number[], perm: number[]): { outShape: number[]; dims: number[]; perm: number[] } {
  const outShape = perm.map((p) => xs[p]);
  // input dims of size 1 carry nothing
  const keep = xs.map((n) => n !== 1);
  let p = perm.filter((a) => keep[a]);
  // renumber the kept input dims 0..k−1
  const kept = xs.map((_, i) => i).filter((i) => keep[i]);
  p = p.map((a) => kept.indexOf(a));
  let dims = kept.map((i) => xs[i]);
  // merge p[i], p[i + 1] when p[i + 1] = p[i] + 1 (adjacent in x and in y)
  for (let i = 0; i + 1 < p.length;) {
    if (p[i + 1] === p[i] + 1) {
      const a = p[i];
      dims = [...dims.slice(0, a), dims[a] * dims[a + 1], ...dims.slice(a + 2)];
      p = p.filter((_, j) => j !== i + 1).map((v) => (v > a ? v - 1 : v));
    } else {
      i++;
    }
  }
  return { outShape, dims, perm: p };
}

/**
 * transpose prepared for x of xShape: y = x permuted so that y's dim i is x's dim perm[i]
 * (default: reversed, as ONNX). inputs [x]; output of the permuted shape, of x's dtype ('float32',
 * or 'int8': bytes moved as they are, always by the strided walker). Not in place.
 */
export function prepareTranspose(xShape: Shape, perm?: readonly number[] | null, dtype?: MoveDType): Prepared {
  const op = 'transpose';
  const xs = shapeArg(op, 'xShape', xShape);
  const dt = moveDtype(op, dtype);
  if (xs.length > 6) throw new RangeError(`${op}: x must have rank ≤ 6, got shape ${fmtShape(xs)}`);
  const pm = permArg(op, perm, xs.length);
  const c = collapse(xs, pm);
  const n = sizeOf(xs);
  const k = kernels();
  const none = { outShape: c.outShape, scratchBytes: 0, dispose() {} };
  if (n === 0) return { ...none, run() {} };
  const r = c.perm.length;
  // bytes: every shape through the walker (the 4×4 tiles and copy_f32_simd move whole floats)
  if (dt === 'float32' && r <= 1) return { ...none, run: (inputs, out) => k.copy_f32_simd(inputs[0], out, n) };
  if (dt === 'float32' && (r === 2 || (r === 3 && c.perm[0] === 0 && c.perm[1] === 2))) {
    const [b, rows, cols] = r === 2 ? [1, c.dims[0], c.dims[1]] : c.dims;
    return { ...none, run: (inputs, out) => k.transpose_f32_4x4_simd(inputs[0], out, b, rows, cols) };
  }
  const xst = stridesOf(c.dims);
  const dims = c.perm.map((a) => c.dims[a]);
  let params = paramBlock(stridedParams({ dims, src: c.perm.map((a) => xst[a]), dst: stridesOf(dims) }));
  const walk = stridedKernel(dt);
  return {
    ...none,
    run: (inputs, out) => walk(inputs[0], out, params),
    dispose() {
      releaseAll([params]);
      params = 0;
    },
  };
}

/** Permutes x's dims: y's dim i is x's dim perm[i] (default: all reversed). Rank ≤ 6; a copy of x's dtype (float32 or int8). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const t = tensorArg('transpose', 'x', x, MOVE_DTYPES);
  const dt = t.dtype as MoveDType;
  return runOnce(prepareTranspose(t.shape, perm, dt), [t.ptr], (s) => Tensor.empty(s, dt));
}

/** transpose's gradient: dy transposed by the inverse permutation (back to x's layout). */
export function transposeBackward(dy: Tensor, perm?: readonly number[]): Tensor {
  const op = 'transposeBackward';
  const d = tensorArg(op, 'dy', dy);
  if (d.rank > 6) throw new RangeError(`${op}: dy must have rank ≤ 6, got shape ${fmtShape(d.shape)}`);
  const pm = permArg(op, perm, d.rank);
  const inv = new Array<number>(pm.length);
  pm.forEach((a, i) => { inv[a] = i; });
  return runOnce(prepareTranspose(d.shape, inv), [d.ptr], (s) => Tensor.empty(s));
}
