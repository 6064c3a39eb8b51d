// Broadcasting binary arithmetic by op code: y = a ∘ b for ∘ one of add, mul, sub, div, pow (and
// sub, div, pow reversed, y = b ∘ a, for when the planner swapped the operands), in the four
// layouts of add.ts (same shape, row, channel, strided), plus the backward of mul, div and pow
// as full-size per-element gradients that the TypeScript op then reduces to each operand's
// shape. Op codes (binary-common.ts): 0 add, 1 mul, 2 sub, 3 div, 4 pow, 5 b − a, 6 b / a,
// 7 b^a; backward 16 mul, 17 div, 18 pow. Pointers are byte addresses of f32 arrays, counts in
// elements; y never overlaps a or b unless it equals one of them exactly. pow follows C's pow
// (PyTorch's) in its special cases and is accurate to the f32 rounding (computed in f64).

import {
  ADD, DIV, DIV_BWD, MUL, MUL_BWD, POW, POW_BWD, RDIV, RPOW, RSUB, SUB, channel, row, same, walk,
} from "./binary-common";

/**
 * y[i] = a[i] ∘ b[i] for i in [0, n). Tail (n mod 4): scalar.
 * @split rows count=n move=aPtr,bPtr,yPtr align=16 grain=64 cost=0.15
 */
export function binary_f32_simd(aPtr: usize, bPtr: usize, yPtr: usize, n: i32, op: i32): void {
  if (op == ADD) same(aPtr, bPtr, yPtr, n, ADD);
  else if (op == MUL) same(aPtr, bPtr, yPtr, n, MUL);
  else if (op == SUB) same(aPtr, bPtr, yPtr, n, SUB);
  else if (op == DIV) same(aPtr, bPtr, yPtr, n, DIV);
  else if (op == POW) same(aPtr, bPtr, yPtr, n, POW);
  else if (op == RSUB) same(aPtr, bPtr, yPtr, n, RSUB);
  else if (op == RDIV) same(aPtr, bPtr, yPtr, n, RDIV);
  else if (op == RPOW) same(aPtr, bPtr, yPtr, n, RPOW);
}

/**
 * y[o, i] = a[o, i] ∘ b[i] for a, y of [outer, inner] and b of [inner]. Tail (inner mod 4): scalar.
 * @split rows count=outer move=aPtr*inner,yPtr*inner cost=inner*0.15
 */
export function binary_f32_row_simd(aPtr: usize, bPtr: usize, yPtr: usize, outer: i32, inner: i32, op: i32): void {
  if (op == ADD) row(aPtr, bPtr, yPtr, outer, inner, ADD);
  else if (op == MUL) row(aPtr, bPtr, yPtr, outer, inner, MUL);
  else if (op == SUB) row(aPtr, bPtr, yPtr, outer, inner, SUB);
  else if (op == DIV) row(aPtr, bPtr, yPtr, outer, inner, DIV);
  else if (op == POW) row(aPtr, bPtr, yPtr, outer, inner, POW);
  else if (op == RSUB) row(aPtr, bPtr, yPtr, outer, inner, RSUB);
  else if (op == RDIV) row(aPtr, bPtr, yPtr, outer, inner, RDIV);
  else if (op == RPOW) row(aPtr, bPtr, yPtr, outer, inner, RPOW);
}

/**
 * y[o, k, i] = a[o, k, i] ∘ b[k] for a, y of [outer, c, inner] and b of [c] (a scalar b is
 * outer = c = 1). pow by exactly 2 or 0.5 runs a·a or √a loops. Tail (inner mod 4): scalar.
 * @split rows count=outer move=aPtr*c*inner,yPtr*c*inner cost=c*inner*0.15
 */
export function binary_f32_channel_simd(aPtr: usize, bPtr: usize, yPtr: usize, outer: i32, c: i32, inner: i32, op: i32): void {
  if (op == ADD) channel(aPtr, bPtr, yPtr, outer, c, inner, ADD);
  else if (op == MUL) channel(aPtr, bPtr, yPtr, outer, c, inner, MUL);
  else if (op == SUB) channel(aPtr, bPtr, yPtr, outer, c, inner, SUB);
  else if (op == DIV) channel(aPtr, bPtr, yPtr, outer, c, inner, DIV);
  else if (op == POW) channel(aPtr, bPtr, yPtr, outer, c, inner, POW);
  else if (op == RSUB) channel(aPtr, bPtr, yPtr, outer, c, inner, RSUB);
  else if (op == RDIV) channel(aPtr, bPtr, yPtr, outer, c, inner, RDIV);
  else if (op == RPOW) channel(aPtr, bPtr, yPtr, outer, c, inner, RPOW);
}

/** y = a ∘ b through element strides; parameter block and tail as add_f32_strided_simd. */
export function binary_f32_strided_simd(aPtr: usize, bPtr: usize, yPtr: usize, paramsPtr: usize, op: i32): void {
  if (op == ADD) walk(aPtr, bPtr, yPtr, paramsPtr, ADD, 0, 0);
  else if (op == MUL) walk(aPtr, bPtr, yPtr, paramsPtr, MUL, 0, 0);
  else if (op == SUB) walk(aPtr, bPtr, yPtr, paramsPtr, SUB, 0, 0);
  else if (op == DIV) walk(aPtr, bPtr, yPtr, paramsPtr, DIV, 0, 0);
  else if (op == POW) walk(aPtr, bPtr, yPtr, paramsPtr, POW, 0, 0);
  else if (op == RSUB) walk(aPtr, bPtr, yPtr, paramsPtr, RSUB, 0, 0);
  else if (op == RDIV) walk(aPtr, bPtr, yPtr, paramsPtr, RDIV, 0, 0);
  else if (op == RPOW) walk(aPtr, bPtr, yPtr, paramsPtr, RPOW, 0, 0);
}

/**
 * The per-element gradients of y = a ∘ b (op 16 mul, 17 div, 18 pow) over the output (contiguous,
 * dims d[0..r)): ga[i] = dy[i]·∂y/∂a and gb[i] = dy[i]·∂y/∂b, both full output size (the op sums
 * them over broadcast dims afterwards). paramsPtr: i32 block [r, d[0..r), aStride[0..r),
 * bStride[0..r), counter[0..r)] with aStride[r−1], bStride[r−1] ∈ {0, 1}, not both 0; counter is
 * scratch. Formulas as PyTorch's autograd: mul (dy·b, dy·a); div (dy/b, −dy·a/(b·b)); pow
 * (dy·b·a^(b−1), 0 where b = 0; dy·a^b·ln a, 0 where a = 0 and b ≥ 0). Tail (d[r−1] mod 4): one
 * partial vector (reads into the padding, stores only live lanes).
 */
export function binary_bwd_f32_strided_simd(dyPtr: usize, aPtr: usize, bPtr: usize, gaPtr: usize, gbPtr: usize, paramsPtr: usize, op: i32): void {
  if (op == MUL_BWD) walk(aPtr, bPtr, gaPtr, paramsPtr, MUL_BWD, dyPtr, gbPtr);
  else if (op == DIV_BWD) walk(aPtr, bPtr, gaPtr, paramsPtr, DIV_BWD, dyPtr, gbPtr);
  else if (op == POW_BWD) walk(aPtr, bPtr, gaPtr, paramsPtr, POW_BWD, dyPtr, gbPtr);
}
