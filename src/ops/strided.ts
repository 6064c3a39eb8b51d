// The strided walker's box (copy_f32_strided_simd, and copy_i8_strided_simd on bytes): shared by
// transpose and slice. Not part of the public ops (src/ops/index.ts does not list this file).
import { heap, kernels } from '../wasm/engine.js';
import { paramBlock } from './prepared.js';
import { describe } from './validate.js';

/** The walker's box: up to 6 dims with source and destination element strides. */
export interface StridedBox { dims: number[]; src: number[]; dst: number[] }

/** The walker's 18-value parameter block for a box of rank ≤ 6 (leading dims padded with 1). */
export function stridedParams(b: StridedBox): number[] {
  const pad = 6 - b.dims.length;
  if (pad < 0) throw new RangeError(`strided copy: rank ${b.dims.length} is more than 6`);
  const z = new Array<number>(pad).fill(0);
  return [...new Array<number>(pad).fill(1), ...b.dims, ...z, ...b.src, ...z, ...b.dst];
}

/**
 * The same box with dims of size 1 dropped and neighbours merged where both sides step through
 * them as through one dim (so a slice of whole rows becomes one block copy per row run).
 */
export function mergeBox(b: StridedBox): StridedBox {
  const out: StridedBox = { dims: [], src: [], dst: [] };
  b.dims.forEach((n, d) => {
    if (n === 1) return;
    const k = out.dims.length - 1;
    if (k >= 0 && out.src[k] === b.src[d] * n && out.dst[k] === b.dst[d] * n) {
      out.dims[k] *= n;
      out.src[k] = b.src[d];
      out.dst[k] = b.dst[d];
    } else {
      out.dims.push(n);
      out.src.push(b.src[d]);
      out.dst.push(b.dst[d]);
    }
  });
  return out;
}

/** The element types the walker moves: float32, and int8 (quantized activations, moved as bytes). */
export type MoveDType = 'float32' | 'int8';
export const MOVE_DTYPES: readonly MoveDType[] = ['float32', 'int8'];

/** A prepare function's dtype option checked (undefined: float32). */
export function moveDtype(op: string, v: unknown): MoveDType {
  if (v === undefined) return 'float32';
  if (v !== 'float32' && v !== 'int8') throw new TypeError(`${op}: dtype must be 'float32' or 'int8', got ${describe(v)}`);
  return v;
}

/** Bytes an element of dtype. */
export const elemBytes = (dtype: MoveDType): number => (dtype === 'int8' ? 1 : 4);

/** The walker for dtype: (src, dst, params) with byte addresses and the 18-value block. */
export function stridedKernel(dtype: MoveDType): (src: number, dst: number, params: number) => void {
  const k = kernels();
  return dtype === 'int8' ? (s, d, p) => k.copy_i8_strided_simd(s, d, p) : (s, d, p) => k.copy_f32_strided_simd(s, d, p);
}

/** Runs the strided walker once from src to dst over box (a temporary parameter block). */
export function copyStrided(src: number, dst: number, box: StridedBox, dtype: MoveDType = 'float32'): void {
  const p = paramBlock(stridedParams(box));
  try {
    stridedKernel(dtype)(src, dst, p);
  } finally {
    heap().release(p);
  }
}
