// The B operand of an int8 convolution's GEMM packed straight from the padded input, with no im2col
// matrix in between (the GEMM and the panel layout: assembly/gemm-qs8.ts). The input is padded
// once (pad_qs8_simd: zx around the image), so every tap of every pixel is a plain load: the byte of
// tap k for pixel p lies at the pixel's window origin plus the tap's offset, both in the padded
// planes. Eight pixels of one output row are one 8-byte load per tap (stride 1) or the even bytes
// of one 16-byte load (stride 2); a panel that runs into the next output row blends two such loads.
import { QS8_BGROUP, QS8_KG, storeGroupI16 } from "./qs8-common";

/**
 * Bytes of tap offset `off` for the panel's 8 pixels: from b1 (lanes set in mask) and b2 (the
 * others) when the panel runs into the next output row (split), else from b1 alone.
 */
@inline function taps8(b1: usize, b2: usize, off: usize, two: bool, split: bool, mask: v128): v128 {
  if (two) {
    const x = v128.load(b1 + off);
    const ex = i8x16.shuffle(x, x, 0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0);
    if (!split) return ex;
    const y = v128.load(b2 + off);
    return v128.bitselect(ex, i8x16.shuffle(y, y, 0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0), mask);
  }
  if (!split) return v128.load64_zero(b1 + off);
  return v128.bitselect(v128.load64_zero(b1 + off), v128.load64_zero(b2 + off), mask);
}

/** One k-group (KG taps from offsets at o) of a panel into d (see panel). */
@inline function group(d: usize, o: usize, b1: usize, b2: usize, two: bool, split: bool, mask: v128, fv: v128): void {
  const r0 = taps8(b1, b2, <usize>load<i32>(o), two, split, mask);
  const r1 = taps8(b1, b2, <usize>load<i32>(o, 4), two, split, mask);
  const t01 = i8x16.shuffle(r0, r1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  if (!ASC_FEATURE_RELAXED_SIMD) {
    storeGroupI16(d, v128.xor(t01, fv));
  } else {
    const r2 = taps8(b1, b2, <usize>load<i32>(o, 8), two, split, mask);
    const r3 = taps8(b1, b2, <usize>load<i32>(o, 12), two, split, mask);
    const t23 = i8x16.shuffle(r2, r3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    v128.store(d, v128.xor(i16x8.shuffle(t01, t23, 0, 8, 1, 9, 2, 10, 3, 11), fv));
    v128.store(d, v128.xor(i16x8.shuffle(t01, t23, 4, 12, 5, 13, 6, 14, 7, 15), fv), 16);
  }
}

/**
 * All k-groups of one panel (8 pixels at b1 / b2, see taps8) into d. Not inlined (two callers): its
 * arguments are values V8 cannot move into the loop (it recomputes such vectors per iteration). A
 * panel inside one output row (most of them) loads each tap once, without the blend.
 */
function panel(d: usize, offPtr: usize, groups: i32, b1: usize, b2: usize, two: bool, split: bool, mask: v128, fv: v128): void {
  let o = offPtr;
  const step = <usize>(QS8_KG << 2);
  if (split) {
    for (let g = 0; g < groups; g++, o += step, d += QS8_BGROUP) group(d, o, b1, b2, two, true, mask, fv);
  } else {
    for (let g = 0; g < groups; g++, o += step, d += QS8_BGROUP) group(d, o, b1, b1, two, false, mask, fv);
  }
}

/**
 * Packs the im2col matrix of a convolution, B [K, P] (k = (c·kh + ki)·kw + kj, p = oy·ow + ox), into
 * gemm_pack_qs8_p8_simd's 8-column panels (each byte XORed with flip), reading the padded input
 * xPad [C][Hp][Wp] (pad_qs8_simd) directly: the byte (k, p) is at xPad + oy·rowStep + ox·sw +
 * off[k], rowStep = sh·Wp, off[k] = c·Hp·Wp + ki·dh·Wp + kj·dw (i32 [Kp], Kp = K rounded up to 4,
 * 0 past K: the A operand is zero there). Columns past P repeat in-bounds bytes (the GEMM never
 * stores them). Needs Wp ≥ (ow − 1)·sw + (kw − 1)·dw + 17 and 32 bytes readable past xPad's planes.
 * sw is 1 or 2 (other strides: the caller packs an im2col matrix with gemm_pack_qs8_p8_simd).
 */
export function conv2d_pack_qs8_p8_simd(xPad: usize, offPtr: usize, K: i32, P: i32, ow: i32, rowStep: i32, sw: i32, dstPtr: usize, flip: i32): void {
  const groups = (K + QS8_KG - 1) / QS8_KG;
  const fv = i8x16.splat(<i8>flip);
  const iota = i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const two = sw == 2;
  let d = dstPtr;
  for (let j0 = 0; j0 < P; j0 += 8) {
    const oy = j0 / ow, ox = j0 - oy * ow;
    // pixels [j0, j0 + a) in row oy; the rest (when inside P) continue from the start of row oy + 1
    const a = min(8, ow - ox);
    const b1 = xPad + <usize>(oy * rowStep + ox * sw);
    const mask = i8x16.lt_s(iota, i8x16.splat(<i8>a));
    if (a < 8 && j0 + a < P) panel(d, offPtr, groups, b1, xPad + <usize>((oy + 1) * rowStep - a * sw), two, true, mask, fv);
    else panel(d, offPtr, groups, b1, b1, two, false, mask, fv);
    d += <usize>(groups * QS8_BGROUP);
  }
}

/**
 * Channel quads (relaxed builds, whose k-group is 4 bytes): `quads` groups of 4 padded planes
 * (pad_qs8_simd's [C][Hp][Wp], C = 4·quads, plane = Hp·Wp bytes, a multiple of 16) interleaved into
 * [quads][plane][4], each byte XORed with flip: the 4 bytes of one padded pixel of one quad lie
 * together, which is one k-group of gemm_pack_qs8_p8_simd's panels when the taps are ordered
 * k = ((c / 4·kh + ki)·kw + kj)·4 + c mod 4. Empty in the plain build.
 */
export function interleave_qs8_c4_simd(src: usize, plane: i32, quads: i32, dst: usize, flip: i32): void {
  if (!ASC_FEATURE_RELAXED_SIMD) return;
  const fv = i8x16.splat(<i8>flip);
  const s = <usize>plane;
  let d = dst;
  for (let q = 0; q < quads; q++) {
    const s0 = src + <usize>q * 4 * s;
    for (let i = 0; i < plane; i += 16) {
      const p = s0 + <usize>i;
      const r0 = v128.load(p), r1 = v128.load(p + s), r2 = v128.load(p + 2 * s), r3 = v128.load(p + 3 * s);
      const a = i8x16.shuffle(r0, r1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const b = i8x16.shuffle(r2, r3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const c = i8x16.shuffle(r0, r1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const e = i8x16.shuffle(r2, r3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      v128.store(d, v128.xor(i16x8.shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11), fv));
      v128.store(d, v128.xor(i16x8.shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15), fv), 16);
      v128.store(d, v128.xor(i16x8.shuffle(c, e, 0, 8, 1, 9, 2, 10, 3, 11), fv), 32);
      v128.store(d, v128.xor(i16x8.shuffle(c, e, 4, 12, 5, 13, 6, 14, 7, 15), fv), 48);
      d += 64;
    }
  }
}

/** 4 pixels (16 bytes) at b + off, pixels 4·sw bytes apart (sw 1 or 2). */
@inline function quad4(b: usize, off: usize, two: bool): v128 {
  if (!two) return v128.load(b + off);
  return i32x4.shuffle(v128.load(b + off), v128.load(b + off, 16), 0, 2, 4, 6);
}

/** One panel's k-groups from channel quads (see conv2d_pack_qs8_c4_p8_simd); not inlined, as panel. */
function panelC4(d: usize, offPtr: usize, groups: i32, b1: usize, b2: usize, two: bool, split: bool, m0: v128, m1: v128): void {
  const h = <usize>(two ? 32 : 16);
  let o = offPtr;
  if (split) {
    for (let g = 0; g < groups; g++, o += 4, d += 32) {
      const off = <usize>load<i32>(o);
      v128.store(d, v128.bitselect(quad4(b1, off, two), quad4(b2, off, two), m0));
      v128.store(d, v128.bitselect(quad4(b1 + h, off, two), quad4(b2 + h, off, two), m1), 16);
    }
  } else {
    for (let g = 0; g < groups; g++, o += 4, d += 32) {
      const off = <usize>load<i32>(o);
      v128.store(d, quad4(b1, off, two));
      v128.store(d, quad4(b1 + h, off, two), 16);
    }
  }
}

/**
 * conv2d_pack_qs8_p8_simd on channel quads (relaxed builds): B [K, P] in 8-column panels from x4,
 * the padded input interleaved by interleave_qs8_c4_simd (the XOR already applied), with the taps in
 * quad order (k-group g = (c / 4·kh + ki)·kw + kj): group g of pixel (oy, ox) is the 4 bytes at x4 +
 * oy·rowStep + ox·4·sw + off[g], off[g] = 4·(c/4·plane + ki·dh·Wp + kj·dw) (i32 [groups]).
 * rowStep = 4·sh·Wp. Columns past P repeat in-bounds bytes. Needs Wp ≥ (ow − 1)·sw + (kw − 1)·dw + 17
 * and 128 bytes readable past x4's planes. sw is 1 or 2. Empty in the plain build.
 */
export function conv2d_pack_qs8_c4_p8_simd(x4: usize, offPtr: usize, groups: i32, P: i32, ow: i32, rowStep: i32, sw: i32, dstPtr: usize): void {
  if (!ASC_FEATURE_RELAXED_SIMD) return;
  const iota = i32x4(0, 1, 2, 3), iota4 = i32x4(4, 5, 6, 7);
  const two = sw == 2;
  let d = dstPtr;
  for (let j0 = 0; j0 < P; j0 += 8) {
    const oy = j0 / ow, ox = j0 - oy * ow;
    const a = min(8, ow - ox);
    const b1 = x4 + <usize>(oy * rowStep + ox * 4 * sw);
    if (a < 8 && j0 + a < P) {
      const av = i32x4.splat(a);
      panelC4(d, offPtr, groups, b1, x4 + <usize>((oy + 1) * rowStep - a * 4 * sw), two, true, i32x4.lt_s(iota, av), i32x4.lt_s(iota4, av));
    } else {
      panelC4(d, offPtr, groups, b1, b1, two, false, iota, iota);
    }
    d += <usize>(groups * 32);
  }
}
