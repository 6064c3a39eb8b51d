// int8 matrix–vector products with the requantization fused (qs8-common.ts): dense layers at batch
// 1 and convolutions whose window covers the whole input (one output pixel), where the GEMM's
// 8-column panels would multiply 7 columns of nothing. Weights stay row-major; four rows at a time
// run along k in vectors of 16 bytes against the same 16 bytes of x, and each row's four lanes
// are summed once at the end.
import { requantF, store8, rdotMode } from "./qs8-common";

@inline function rdot(w: v128, x: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, acc);
  return acc; // never reached: the plain build takes the 16-bit dot
}

/** acc + Σ over 16 weights of w·x, 16-bit lanes (x already sign-extended: xl, xh; WIDE: w too, as i16). */
@inline function dot16(WIDE: bool, w: usize, xl: v128, xh: v128, acc: v128): v128 {
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(WIDE ? v128.load(w) : v128.load8x8_s(w), xl));
  return i32x4.add(acc, i32x4.dot_i16x8_s(WIDE ? v128.load(w, 16) : v128.load8x8_s(w, 8), xh));
}

/** [Σ a0, Σ a1, Σ a2, Σ a3]: the four lanes of each accumulator summed. */
@inline function hsum4x4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const s01 = i32x4.add(i32x4.shuffle(a0, a1, 0, 4, 2, 6), i32x4.shuffle(a0, a1, 1, 5, 3, 7));
  const s23 = i32x4.add(i32x4.shuffle(a2, a3, 0, 4, 2, 6), i32x4.shuffle(a2, a3, 1, 5, 3, 7));
  return i32x4.add(i32x4.shuffle(s01, s23, 0, 1, 4, 5), i32x4.shuffle(s01, s23, 2, 3, 6, 7));
}

/**
 * The four rows i…i+3 of W against x, each row's lanes summed, plus bias[i…i+3] (i32x4): the
 * shared loop of the two stores below (layout as gemv_qs8_minmax_simd says).
 */
@inline function rows4(wPtr: usize, ld: usize, xPtr: usize, biasPtr: usize, i: i32, mode: i32, flip: v128, wide: bool): v128 {
  let s: v128;
  if (ASC_FEATURE_RELAXED_SIMD && mode >= 1) {
    const w0 = wPtr + <usize>i * ld, w1 = w0 + ld, w2 = w1 + ld, w3 = w2 + ld;
    const z = i32x4.splat(0);
    let a0 = z, a1 = z, a2 = z, a3 = z;
    for (let k: usize = 0; k < ld; k += 16) {
      const x = v128.xor(v128.load(xPtr + k), flip);
      a0 = rdot(v128.load(w0 + k), x, a0);
      a1 = rdot(v128.load(w1 + k), x, a1);
      a2 = rdot(v128.load(w2 + k), x, a2);
      a3 = rdot(v128.load(w3 + k), x, a3);
    }
    s = hsum4x4(a0, a1, a2, a3);
  } else s = wide ? rows4Dot16(true, wPtr, ld, xPtr, i) : rows4Dot16(false, wPtr, ld, xPtr, i);
  return i32x4.add(s, v128.load(biasPtr + (<usize>i << 2)));
}

/** The four rows' sums on the 16-bit dot: W int8 (ld bytes a row) or, WIDE, i16 (2·ld bytes a row: no sign extension in the loop). */
@inline function rows4Dot16(WIDE: bool, wPtr: usize, ld: usize, xPtr: usize, i: i32): v128 {
  const row = WIDE ? ld << 1 : ld;
  const w0 = wPtr + <usize>i * row, w1 = w0 + row, w2 = w1 + row, w3 = w2 + row;
  const z = i32x4.splat(0);
  let a0 = z, a1 = z, a2 = z, a3 = z;
  for (let k: usize = 0; k < ld; k += 16) {
    const xl = v128.load8x8_s(xPtr + k), xh = v128.load8x8_s(xPtr + k, 8), kw = WIDE ? k << 1 : k;
    a0 = dot16(WIDE, w0 + kw, xl, xh, a0);
    a1 = dot16(WIDE, w1 + kw, xl, xh, a1);
    a2 = dot16(WIDE, w2 + kw, xl, xh, a2);
    a3 = dot16(WIDE, w3 + kw, xl, xh, a3);
  }
  return hsum4x4(a0, a1, a2, a3);
}

/**
 * y[i] = requant(Σ_k W[i, k]·x[k] + bias[i], i) for i < M. W: int8 row-major, ldw bytes a row (a
 * multiple of 16), zero from K up to ldw and in the rows from M up to a multiple of 4 (wide ≠ 0,
 * plain dot only: the same as i16, 2·ldw bytes a row, for weights that stay in cache); x: int8 [K],
 * read up to ldw bytes (what lies past K multiplies zeros); bias i32 [M] (the zero point folded in
 * as for the GEMM), scale f32 [M], both read up to a multiple of 4; rqPtr: the requantization
 * block (qs8-common.ts; relaxed builds in mode 1 or 2: one relaxed dot per 16 bytes, x ^ 0x80 in mode 2).
 */
export function gemv_qs8_minmax_simd(wPtr: usize, ldw: i32, wide: i32, xPtr: usize, biasPtr: usize, scalePtr: usize, yPtr: usize, M: i32, rqPtr: usize): void {
  const mode = ASC_FEATURE_RELAXED_SIMD ? rdotMode(rqPtr) : -1;
  const flip = i8x16.splat(mode == 2 ? -128 : 0);
  for (let i = 0; i < M; i += 4) {
    const acc = rows4(wPtr, <usize>ldw, xPtr, biasPtr, i, mode, flip, wide != 0);
    store8(yPtr + <usize>i, 1, requantF(acc, acc, v128.load(scalePtr + (<usize>i << 2)), rqPtr), min(4, M - i));
  }
}

/**
 * The same product with a float32 output: y[i] = clamp(f32(Σ_k W[i, k]·x[k] + bias[i]) · scale[i],
 * lo, hi) (scale = x_scale · w_scale[i]: real units, no output rounding); y f32 [M]. An int8
 * layer whose output is read in float32 (the logits, a gate before its sigmoid) skips the int8
 * rounding and the dequantize pass. rqPtr: the requantization block (its relaxed-dot mode); W and
 * wide as gemv_qs8_minmax_simd's.
 */
export function gemv_qs8_f32_simd(wPtr: usize, ldw: i32, wide: i32, xPtr: usize, biasPtr: usize, scalePtr: usize, yPtr: usize, M: i32, rqPtr: usize, lo: f32, hi: f32): void {
  const mode = ASC_FEATURE_RELAXED_SIMD ? rdotMode(rqPtr) : -1;
  const flip = i8x16.splat(mode == 2 ? -128 : 0);
  const vlo = f32x4.splat(lo), vhi = f32x4.splat(hi);
  for (let i = 0; i < M; i += 4) {
    const acc = rows4(wPtr, <usize>ldw, xPtr, biasPtr, i, mode, flip, wide != 0);
    const y = f32x4.min(f32x4.max(f32x4.mul(f32x4.convert_i32x4_s(acc), v128.load(scalePtr + (<usize>i << 2))), vlo), vhi);
    const p = yPtr + (<usize>i << 2);
    if (M - i >= 4) v128.store(p, y);
    else {
      store<f32>(p, f32x4.extract_lane(y, 0));
      if (M - i > 1) store<f32>(p, f32x4.extract_lane(y, 1), 4);
      if (M - i > 2) store<f32>(p, f32x4.extract_lane(y, 2), 8);
    }
  }
}
