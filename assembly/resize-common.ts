// Helpers shared by the resize kernels (assembly/resize.ts, assembly/resize-backward.ts): the
// coordinate-table block that src/ops/resize.ts writes once per shape, and small row operations.
// Never listed in assembly/index.ts: these are inlined into the kernels.
//
// The table block at tabPtr (i32 slots; weights are f32 bits):
//   [0] H, [1] W, [2] OH, [3] OW, [4] pairCols, [5] groups, [6..7] 0, then
//   iy0[OH], iy1[OH], wy[OH], ix0[OW], ix1[OW], wx[OW], base[groups], mask[groups][16 bytes]
// Row oy reads input rows iy0[oy] and iy1[oy] blended by wy[oy] (nearest: iy0 only); column ox
// likewise through ix0, ix1, wx. Indices are inside the plane, iy1 ∈ {iy0, iy0 + 1} (ix1 alike),
// and the tables never decrease. pairCols: the output columns [0, pairCols) all have
// ix0 ≤ W − 2, so x[ix0] and x[ix0 + 1] = x[ix1] are one 8-byte load inside the row. groups: the
// output columns [0, 4·groups) (all < pairCols) come in groups of 4 whose ix0 lie in
// [base, base + 3]: a of the group is the byte shuffle `mask` of x[base .. base + 3] and b the same
// shuffle of x[base + 1 .. base + 4] (bilinear upsampling; 0 for nearest tables).

export const TABLE_HEADER: usize = 32;

@inline export function slot(tab: usize, i: i32): i32 {
  return load<i32>(tab + (<usize>i << 2));
}

/** The bytes of v at the byte indices m (all in [0, 16)): the relaxed shuffle where the build has it. */
@inline export function swizzle(v: v128, m: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i8x16.relaxed_swizzle(v, m);
  return i8x16.swizzle(v, m);
}

/** The 4 floats row[idx[0..3]] in the lanes of one vector. */
@inline export function gather4(row: usize, idx: usize): v128 {
  let v = f32x4.splat(load<f32>(row + (<usize>load<i32>(idx) << 2)));
  v = f32x4.replace_lane(v, 1, load<f32>(row + (<usize>load<i32>(idx, 4) << 2)));
  v = f32x4.replace_lane(v, 2, load<f32>(row + (<usize>load<i32>(idx, 8) << 2)));
  return f32x4.replace_lane(v, 3, load<f32>(row + (<usize>load<i32>(idx, 12) << 2)));
}

/** y[i] = a[i] + b[i] for i in [0, n) (y may be a or b). */
@inline export function addRows(a: usize, b: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(a + o) + load<f32>(b + o));
  }
}
