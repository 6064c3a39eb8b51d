// Helpers shared by im2col (assembly/conv2d.ts) and its adjoint col2im (assembly/conv2d-backward.ts):
// the im2col parameter block and where each kernel tap (ki, kj) reads inside the input; and the
// masked row load of the depthwise kernels (assembly/conv2d.ts, assembly/dwconv2d.ts).
//
// NOT part of the ABI: assembly/index.ts never names this file, and `export *` from a kernel file
// does not re-export what that file imports, so these `@inline export` helpers are inlined into
// the kernels that import them and never become exports of simdnet.wasm.
import { oxFirst, oxEnd } from "./gemm-common";

/**
 * The im2col / col2im parameter block, i32[12] written by src/ops/conv2d*.ts: input channels,
 * height and width, kernel size, stride, dilation, padding top/left, output width. Read in place:
 * `changetype<Im2colBlock>(paramPtr)` (no copy; each field access is one i32 load).
 */
@unmanaged export class Im2colBlock {
  C: i32; H: i32; W: i32;
  kh: i32; kw: i32;
  sh: i32; sw: i32;
  dh: i32; dw: i32;
  pt: i32; pl: i32;
  ow: i32;
}

// Tap (ki, kj) reads input column ox·sw − pl + kj·dw and row oy·sh − pt + ki·dh. For one tap, the
// output columns [tapColLo, tapColHi) and the rows [tapRowLo, tapRowHi) of the block's [oyStart,
// oyEnd) read inside the input; the other columns and rows read padding.

/** First output column whose tap column kj lies inside the input (at most ow). */
@inline export function tapColLo(g: Im2colBlock, kj: i32): i32 {
  return oxFirst(kj * g.dw - g.pl, g.sw, g.ow);
}

/** One past the last output column (≥ lo) whose tap column kj lies inside the input. */
@inline export function tapColHi(g: Im2colBlock, kj: i32, lo: i32): i32 {
  return oxEnd(kj * g.dw - g.pl, g.sw, g.W, g.ow, lo);
}

/** First output row in [oyStart, oyEnd) whose tap row ki lies inside the input (at most oyEnd). */
@inline export function tapRowLo(g: Im2colBlock, ki: i32, oyStart: i32, oyEnd: i32): i32 {
  return max(oyStart, oxFirst(ki * g.dh - g.pt, g.sh, oyEnd));
}

/** One past the last output row (≥ lo, ≤ oyEnd) whose tap row ki lies inside the input. */
@inline export function tapRowHi(g: Im2colBlock, ki: i32, oyEnd: i32, lo: i32): i32 {
  return oxEnd(ki * g.dh - g.pt, g.sh, g.H, oyEnd, lo);
}

/** Byte offset within a channel plane of what tap (ki, kj) reads for output (oy, ox). */
@inline export function tapOffset(g: Im2colBlock, ki: i32, kj: i32, oy: i32, ox: i32): usize {
  return <usize>((oy * g.sh + ki * g.dh - g.pt) * g.W + kj * g.dw - g.pl + ox * g.sw) << 2;
}

/**
 * Four floats from column c of a row of W, zero lanes for columns outside [0, W). A vector that
 * straddles a border is loaded whole and masked: it reads at most 12 bytes before the row (memory
 * of the same instance, above the heap base) or 12 bytes past it (the allocation's padding).
 */
@inline export function loadMasked(row: usize, c: i32, W: i32): v128 {
  if (c >= 0 && c + 4 <= W) return v128.load(row + (<isize>c << 2));
  if (c + 4 <= 0 || c >= W) return f32x4.splat(0);
  const lanes = i32x4.add(i32x4.splat(c), i32x4(0, 1, 2, 3));
  return v128.and(v128.load(row + (<isize>c << 2)), i32x4.lt_u(lanes, i32x4.splat(W)));
}
