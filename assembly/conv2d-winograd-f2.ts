// F(2×2, 3×3) input and output transforms in registers, for assembly/conv2d-winograd.ts (which
// keeps the general, in-memory path of every tile size as their fallback). Four tiles a group, one
// per lane, as there. NOT part of the ABI: `@inline export` helpers inlined into those kernels.
import { WinoBlock, bt4, origin, gather, clampV, winX, winY, colMask, readable } from "./conv2d-winograd-common";

/**
 * F(2×2) input transform of tiles t0 … t0 + 3 in registers (rows first, then columns: the same
 * operations in the same order as the general path, so the same bits). Four tiles side by side in
 * one tile row overlap: a window row of the four is 10 consecutive floats, read by four loads and
 * split into its four columns (lanes = tiles) by shuffles; other groups (across two tile rows)
 * gather each lane. Windows reaching into the padding read through masks (outside the input, and
 * lanes past tEnd, read 0; the masked reads stay within memory, else this returns false and writes
 * nothing, and the caller takes the general path).
 */
@inline export function group2All(g: WinoBlock, xPtr: usize, t0: i32, tEnd: i32, dst: usize, vs4: usize): bool {
  const tpi = g.tx * g.ty, r = t0 % tpi, tx = r % g.tx;
  const H = g.H, W = g.W, C = g.C;
  const plane4 = <usize>(H * W) << 2, W4 = <usize>W << 2;
  const iy = (r / g.tx) * 2 - g.pt, ix = tx * 2 - g.pl;
  const row = t0 + 4 <= tEnd && tx + 4 <= g.tx;
  if (row && iy >= 0 && iy + 4 <= H && ix >= 0 && ix + 10 <= W) {
    const p = xPtr + (<usize>origin(2, g, t0) << 2), z = i32x4.splat(0);
    for (let c = 0; c < C; c++) {
      const q = p + <usize>c * plane4;
      group2(0, q, q, q, q, W4, dst + (<usize>c << 5), vs4, z, z, z, z, z, z, z, z);
    }
    return true;
  }
  // per lane: the window's origin and its masks; lanes past tEnd repeat lane 0's origin, all masked
  const o0 = origin(2, g, t0);
  const o1 = t0 + 1 < tEnd ? origin(2, g, t0 + 1) : o0, o2 = t0 + 2 < tEnd ? origin(2, g, t0 + 2) : o0;
  const o3 = t0 + 3 < tEnd ? origin(2, g, t0 + 3) : o0;
  const lo = min(min(o0, o1), min(o2, o3)), hi = max(max(o0, o1), max(o2, o3));
  const ixv = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(ix), 1, winX(2, g, t0 + 1)), 2, winX(2, g, t0 + 2)), 3, winX(2, g, t0 + 3));
  const iyv = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(iy), 1, winY(2, g, t0 + 1)), 2, winY(2, g, t0 + 2)), 3, winY(2, g, t0 + 3));
  const live = i32x4.lt_s(i32x4.add(i32x4.splat(t0), v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0)), i32x4.splat(tEnd));
  // reads span elements lo … hi + 3W + 3 (+ 6 for a row group's shuffled loads) of planes 0 … C − 1
  const top = <usize>(C - 1) * plane4 + <usize>(hi + 3 * W + 10) * 4;
  if (!readable(xPtr, lo, top)) return false;
  const m0 = colMask(ixv, 0, W, live), m1 = colMask(ixv, 1, W, live), m2 = colMask(ixv, 2, W, live), m3 = colMask(ixv, 3, W, live);
  const r0 = colMask(iyv, 0, H, live), r1 = colMask(iyv, 1, H, live), r2 = colMask(iyv, 2, H, live), r3 = colMask(iyv, 3, H, live);
  const b0 = xPtr + (<usize><isize>o0 << 2), b1 = xPtr + (<usize><isize>o1 << 2), b2 = xPtr + (<usize><isize>o2 << 2), b3 = xPtr + (<usize><isize>o3 << 2);
  if (row) {
    for (let c = 0; c < C; c++) {
      const q = b0 + <usize>c * plane4;
      group2(1, q, q, q, q, W4, dst + (<usize>c << 5), vs4, m0, m1, m2, m3, r0, r1, r2, r3);
    }
  } else {
    for (let c = 0; c < C; c++) {
      const cp = <usize>c * plane4;
      group2(2, b0 + cp, b1 + cp, b2 + cp, b3 + cp, W4, dst + (<usize>c << 5), vs4, m0, m1, m2, m3, r0, r1, r2, r3);
    }
  }
  return true;
}

/**
 * Column j of window row `row` (bytes) of the four windows (lanes). mode 0: side by side (q0 the
 * first window; a row is 10 consecutive floats); 1: the same, masked by m (column) and rm (row);
 * 2: each lane gathered from its own window q0 … q3, masked.
 */
@inline function col2(mode: i32, q0: usize, q1: usize, q2: usize, q3: usize, row: usize, j: i32, m: v128, rm: v128): v128 {
  let v: v128;
  const p = q0 + row;
  if (mode == 2) v = gather(p, q1 + row, q2 + row, q3 + row, <usize>j << 2);
  else if (j == 0) v = v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
  else if (j == 1) v = v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 1, 3, 5, 7);
  else if (j == 2) v = v128.shuffle<f32>(v128.load(p, 8), v128.load(p, 24), 0, 2, 4, 6);
  else v = v128.shuffle<f32>(v128.load(p, 8), v128.load(p, 24), 1, 3, 5, 7);
  return mode != 0 ? v128.and(v128.and(v, m), rm) : v;
}

/** The F(2×2) input transform of one channel of four windows (col2's modes), V[4k + l] at dst + (4k + l)·vs4. */
@inline function group2(
  mode: i32, q0: usize, q1: usize, q2: usize, q3: usize, W4: usize, dst: usize, vs4: usize,
  m0: v128, m1: v128, m2: v128, m3: v128, r0: v128, r1: v128, r2: v128, r3: v128,
): void {
  const k4 = vs4 << 2, w1 = W4, w2 = W4 + W4, w3 = w2 + W4;
  // Bᵀ rows: k = 1 (d1 + d2), k = 2 (d2 − d1), then k = 0 (d0 − d2) and k = 3 (d1 − d3)
  const a0 = col2(mode, q0, q1, q2, q3, w1, 0, m0, r1), a1 = col2(mode, q0, q1, q2, q3, w1, 1, m1, r1);
  const a2 = col2(mode, q0, q1, q2, q3, w1, 2, m2, r1), a3 = col2(mode, q0, q1, q2, q3, w1, 3, m3, r1);
  const b0 = col2(mode, q0, q1, q2, q3, w2, 0, m0, r2), b1 = col2(mode, q0, q1, q2, q3, w2, 1, m1, r2);
  const b2 = col2(mode, q0, q1, q2, q3, w2, 2, m2, r2), b3 = col2(mode, q0, q1, q2, q3, w2, 3, m3, r2);
  bt4(f32x4.add(a0, b0), f32x4.add(a1, b1), f32x4.add(a2, b2), f32x4.add(a3, b3), dst + k4, vs4);
  bt4(f32x4.sub(b0, a0), f32x4.sub(b1, a1), f32x4.sub(b2, a2), f32x4.sub(b3, a3), dst + 2 * k4, vs4);
  bt4(f32x4.sub(col2(mode, q0, q1, q2, q3, 0, 0, m0, r0), b0), f32x4.sub(col2(mode, q0, q1, q2, q3, 0, 1, m1, r0), b1),
    f32x4.sub(col2(mode, q0, q1, q2, q3, 0, 2, m2, r0), b2), f32x4.sub(col2(mode, q0, q1, q2, q3, 0, 3, m3, r0), b3), dst, vs4);
  bt4(f32x4.sub(a0, col2(mode, q0, q1, q2, q3, w3, 0, m0, r3)), f32x4.sub(a1, col2(mode, q0, q1, q2, q3, w3, 1, m1, r3)),
    f32x4.sub(a2, col2(mode, q0, q1, q2, q3, w3, 2, m2, r3)), f32x4.sub(a3, col2(mode, q0, q1, q2, q3, w3, 3, m3, r3)), dst + 3 * k4, vs4);
}

/** Byte offset in y of F(2×2) tile t's first output pixel (channel 0), or −1 when the tile is cut at the output's edge. */
@inline export function tileOut2(g: WinoBlock, t: i32, P4: usize): isize {
  const tpi = g.tx * g.ty, r = t % tpi;
  const oy = (r / g.tx) * 2, ox = (r % g.tx) * 2;
  if (oy + 2 > g.oh || ox + 2 > g.ow) return -1;
  return <isize>(<usize>(t / tpi) * <usize>g.O * P4) + (<isize>(oy * g.ow + ox) << 2);
}

/**
 * The F(2×2) output transform of one channel of four tiles in registers (columns first over the
 * rows, then over the columns, as atAt does in memory), with bias and clamp. mode 0: the four
 * tiles side by side and whole, row i of all four one vector pair at d + i·ow4; 1: four whole
 * tiles anywhere, tile l's at d + e_l (e0 = 0); 2: the 2×2 results go back to M at ξ = 4i + j for
 * the caller's scalar path (returns false; else true).
 */
@inline export function out2(
  src: usize, ms4: usize, mode: i32, d: usize, ow4: usize, bv: v128, lo: v128, hi: v128, e1: usize, e2: usize, e3: usize,
): bool {
  const r4 = ms4 << 2;
  const a0 = v128.load(src), a1 = v128.load(src + ms4), a2 = v128.load(src + 2 * ms4), a3 = v128.load(src + 3 * ms4);
  const b0 = v128.load(src + r4), b1 = v128.load(src + r4 + ms4), b2 = v128.load(src + r4 + 2 * ms4), b3 = v128.load(src + r4 + 3 * ms4);
  const c0 = v128.load(src + 2 * r4), c1 = v128.load(src + 2 * r4 + ms4), c2 = v128.load(src + 2 * r4 + 2 * ms4), c3 = v128.load(src + 2 * r4 + 3 * ms4);
  const u0 = f32x4.add(f32x4.add(a0, b0), c0), u1 = f32x4.add(f32x4.add(a1, b1), c1);
  const u2 = f32x4.add(f32x4.add(a2, b2), c2), u3 = f32x4.add(f32x4.add(a3, b3), c3);
  const e0 = v128.load(src + 3 * r4), f1 = v128.load(src + 3 * r4 + ms4), f2 = v128.load(src + 3 * r4 + 2 * ms4), f3 = v128.load(src + 3 * r4 + 3 * ms4);
  const w0 = f32x4.sub(f32x4.sub(b0, c0), e0), w1 = f32x4.sub(f32x4.sub(b1, c1), f1);
  const w2 = f32x4.sub(f32x4.sub(b2, c2), f2), w3 = f32x4.sub(f32x4.sub(b3, c3), f3);
  const y00 = f32x4.add(f32x4.add(u0, u1), u2), y01 = f32x4.sub(f32x4.sub(u1, u2), u3);
  const y10 = f32x4.add(f32x4.add(w0, w1), w2), y11 = f32x4.sub(f32x4.sub(w1, w2), w3);
  if (mode == 2) {
    v128.store(src, y00);
    v128.store(src + ms4, y01);
    v128.store(src + r4, y10);
    v128.store(src + r4 + ms4, y11);
    return false;
  }
  const v00 = clampV(y00, bv, lo, hi), v01 = clampV(y01, bv, lo, hi);
  const v10 = clampV(y10, bv, lo, hi), v11 = clampV(y11, bv, lo, hi);
  const p0 = f32x4.shuffle(v00, v01, 0, 4, 1, 5), p1 = f32x4.shuffle(v00, v01, 2, 6, 3, 7);
  const q0 = f32x4.shuffle(v10, v11, 0, 4, 1, 5), q1 = f32x4.shuffle(v10, v11, 2, 6, 3, 7);
  if (mode == 0) {
    v128.store(d, p0);
    v128.store(d, p1, 16);
    v128.store(d + ow4, q0);
    v128.store(d + ow4, q1, 16);
  } else {
    v128.store64_lane(d, p0, 0);
    v128.store64_lane(d + e1, p0, 1);
    v128.store64_lane(d + e2, p1, 0);
    v128.store64_lane(d + e3, p1, 1);
    v128.store64_lane(d + ow4, q0, 0);
    v128.store64_lane(d + ow4 + e1, q0, 1);
    v128.store64_lane(d + ow4 + e2, q1, 0);
    v128.store64_lane(d + ow4 + e3, q1, 1);
  }
  return true;
}
