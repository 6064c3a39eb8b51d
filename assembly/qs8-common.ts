// Helpers shared by the QS8 family (assembly/gemm-qs8.ts, assembly/qs8.ts): the k-group of the
// build and the requantization of int32 sums to int8. NOT part of the ABI (never named in
// assembly/index.ts; `@inline export` helpers are inlined into the kernels).
//
// Requantization ("fp32", as XNNPACK's fp32 variant and onnxruntime's QLinear ops):
//   y = clamp(nearest_even(f32(acc + bias) · scale) + zy, qmin, qmax)
// acc + bias wraps in int32; the conversion to f32 rounds to nearest (exact below 2^24); the
// product is one f32 rounding; nearest_even ties to even (as ONNX's QuantizeLinear; the vector
// path rounds with the magic-number add of roundZy); values past the int8 range saturate.
// qmin/qmax (within −128…127) carry a fused ReLU / ReLU6 / clamp. The scalar and vector paths
// give the same bits.
//
// The requantization block (rqPtr, 112 bytes, written by src/wasm/qs8-layout.ts's requantBlock):
// i32 [zx, zy, qmin, qmax, mode] at 0…19, mode the relaxed-dot mode chosen at start-up
// (src/wasm/probe-qs8.ts: 2 one dot on unsigned activations, 1 one signed dot, 0 split each
// activation into 7-bit halves, −1 dot_i16x8_s; ignored by the plain builds), then the vector
// constants of the requantization at the RQ_* offsets below, so no kernel builds them in a loop.
export const RQ_BITS = 32; // i32x4: the bits of 1.5·2^23, less zy
export const RQ_FLOOR = 48; // f32x4: −2^22
export const RQ_MAGIC = 64; // f32x4: 1.5·2^23
export const RQ_QMIN = 80; // i8x16: qmin
export const RQ_QMAX = 96; // i8x16: qmax

/** Bytes of k packed together per lane pair / quad: 2 (dot_i16x8_s) or 4 (relaxed dot). */
export const QS8_KG: i32 = ASC_FEATURE_RELAXED_SIMD ? 4 : 2;

/** Bytes of one packed B group of the GEMM (8 columns × KG values): 2 i16 or 4 bytes a column, 32 either way. */
export const QS8_BGROUP: i32 = 32;

/** 16 bytes of B (8 columns × 2 k) stored as the plain build's i16: 32 bytes at d. */
@inline export function storeGroupI16(d: usize, t: v128): void {
  v128.store(d, i16x8.extend_low_i8x16_s(t));
  v128.store(d, i16x8.extend_high_i8x16_s(t), 16);
}

/**
 * The window block of the int8 im2col and depthwise kernels, i32[13] written by
 * src/ops/gemm-qs8.ts: channels, height, width, kernel, stride, dilation, padding top/left, output
 * height/width. Read in place: `changetype<Qs8Window>(paramsPtr)`.
 */
@unmanaged export class Qs8Window {
  C: i32; H: i32; W: i32;
  kh: i32; kw: i32;
  sh: i32; sw: i32;
  dh: i32; dw: i32;
  pt: i32; pl: i32;
  oh: i32; ow: i32;
}

/**
 * y[i] = table[x[i] + 128] for i < n (int8 x and y, a 256-byte table): 16 values a step, the
 * table's 16 rows of 16 bytes each swizzled by the index less 16·row (lanes outside the row wrap
 * past 15 and read 0), the rows ORed; then a scalar tail. The body of lut_qs8_simd and of
 * concat_qs8_simd's remapped inputs.
 */
@inline export function lutMap(xPtr: usize, tablePtr: usize, yPtr: usize, n: i32): void {
  const flip = i8x16.splat(-128), sixteen = i8x16.splat(16);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    let idx = v128.xor(v128.load(xPtr + <usize>i), flip), r = i8x16.splat(0);
    for (let row: usize = 0; row < 256; row += 16) {
      r = v128.or(r, i8x16.swizzle(v128.load(tablePtr + row), idx));
      idx = i8x16.sub(idx, sixteen);
    }
    v128.store(yPtr + <usize>i, r);
  }
  for (; i < n; i++) store<i8>(yPtr + <usize>i, load<i8>(tablePtr + <usize>(<i32>load<i8>(xPtr + <usize>i) + 128)));
}

/** The relaxed-dot mode of a requantization block (relaxed builds): 2 unsigned, 1 signed, 0 split, −1 dot_i16x8_s. */
@inline export function rdotMode(rqPtr: usize): i32 {
  return load<i32>(rqPtr, 16);
}

/**
 * nearest_even(f) + zy as i32 lanes, reading the block's constants (RQ_* below): f + 1.5·2^23
 * rounds to an integer n in the f32 add itself (ties to even), and its bits are those of 1.5·2^23
 * plus n, so subtracting (those bits − zy) leaves n + zy. f is first raised to −2^22 (a sum that low
 * saturates to −128 anyway, and the bits stay those of a positive float); past +2^22 the bits still
 * grow with f, so large sums saturate to 127 in the narrows. Three operations (their constants
 * loaded from the block, where x86 takes them as memory operands) where f32x4.nearest and
 * i32x4.trunc_sat_f32x4_s take about nine. f is never NaN (a finite sum times a finite scale).
 */
@inline export function roundZy(f: v128, rqPtr: usize): v128 {
  return i32x4.sub(f32x4.add(f32x4.pmax(f, v128.load(rqPtr, RQ_FLOOR)), v128.load(rqPtr, RQ_MAGIC)), v128.load(rqPtr, RQ_BITS));
}

/** The requantization block's five vector constants in place (RQ_BITS … RQ_QMAX): changetype<RqConsts>(rqPtr + RQ_BITS), for a store that reads them once (requantV). */
@unmanaged export class RqConsts {
  bits: v128; floor: v128; magic: v128; qmin: v128; qmax: v128;
}

/**
 * int8 lanes 0…7 of requant(lo ‖ hi) with the block's constants as values (floor, magic, bits: see
 * roundZy; qmin, qmax: the clamp), scale s splat: requantF's operations.
 */
@inline export function requantV(lo: v128, hi: v128, s: v128, floor: v128, magic: v128, bits: v128, qmin: v128, qmax: v128): v128 {
  const r0 = i32x4.sub(f32x4.add(f32x4.pmax(f32x4.mul(f32x4.convert_i32x4_s(lo), s), floor), magic), bits);
  const r1 = i32x4.sub(f32x4.add(f32x4.pmax(f32x4.mul(f32x4.convert_i32x4_s(hi), s), floor), magic), bits);
  const h = i16x8.narrow_i32x4_s(r0, r1);
  return i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(h, h), qmin), qmax);
}

/**
 * int8 lanes 0…7 of requant(lo ‖ hi): 8 int32 sums that already hold the bias, scale s splat, the
 * block's zero point and clamp. The narrows saturate, so sums past the int8 range end at −128 / 127
 * before the clamp.
 */
@inline export function requantF(lo: v128, hi: v128, s: v128, rqPtr: usize): v128 {
  return requantV(lo, hi, s, v128.load(rqPtr, RQ_FLOOR), v128.load(rqPtr, RQ_MAGIC), v128.load(rqPtr, RQ_BITS), v128.load(rqPtr, RQ_QMIN), v128.load(rqPtr, RQ_QMAX));
}

/** The 16 int8 lanes of requant(a ‖ b ‖ c ‖ d): 16 int32 sums that already hold the bias, scale s splat. */
@inline export function requant16(a: v128, b: v128, c: v128, d: v128, s: v128, rqPtr: usize): v128 {
  const h0 = i16x8.narrow_i32x4_s(roundZy(f32x4.mul(f32x4.convert_i32x4_s(a), s), rqPtr), roundZy(f32x4.mul(f32x4.convert_i32x4_s(b), s), rqPtr));
  const h1 = i16x8.narrow_i32x4_s(roundZy(f32x4.mul(f32x4.convert_i32x4_s(c), s), rqPtr), roundZy(f32x4.mul(f32x4.convert_i32x4_s(d), s), rqPtr));
  return i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(h0, h1), v128.load(rqPtr, RQ_QMIN)), v128.load(rqPtr, RQ_QMAX));
}

/** int8 lanes 0…7 of requant(lo ‖ hi) (8 int32 sums), bias and scale splat. */
@inline export function requant8(lo: v128, hi: v128, bias: i32, scale: f32, rqPtr: usize): v128 {
  const b = i32x4.splat(bias);
  return requantF(i32x4.add(lo, b), i32x4.add(hi, b), f32x4.splat(scale), rqPtr);
}

/**
 * Stores lanes 0…n−1 (n ≤ 8) of q at p, p + s, p + 2s, … A partial store goes through the low 8
 * bytes as one i64 (a lane extract per byte would have V8 recompute q in every branch).
 */
@inline export function store8(p: usize, s: i32, q: v128, n: i32): void {
  if (s == 1 && n >= 8) {
    v128.store64_lane(p, q, 0);
    return;
  }
  let x = i64x2.extract_lane(q, 0);
  if (s == 1) {
    if (n & 4) { store<i32>(p, <i32>x); x >>= 32; p += 4; }
    if (n & 2) { store<i16>(p, <i16>x); x >>= 16; p += 2; }
    if (n & 1) store<i8>(p, <i8>x);
    return;
  }
  for (let i = 0; i < n; i++) {
    store<i8>(p, <i8>x);
    x >>= 8;
    p += <usize>s;
  }
}

/** requant8 then store8. */
@inline export function requantStore(p: usize, s: i32, lo: v128, hi: v128, bias: i32, scale: f32, rqPtr: usize, n: i32): void {
  store8(p, s, requant8(lo, hi, bias, scale, rqPtr), n);
}

/** The scalar requantization of one sum (acc already includes the bias); same bits as requant8. */
@inline export function requant1(acc: i32, scale: f32, zy: i32, qmin: i32, qmax: i32): i32 {
  let r = nearest<f32>(<f32>acc * scale);
  r = min<f32>(max<f32>(r, -65536), 65536);
  return min(max(<i32>r + zy, qmin), qmax);
}

/**
 * Copies plane x [H, W] into d as a padded plane of `rows` rows of `stride` bytes: padded row j holds
 * image row j − pt at column pl, zx (z splat) everywhere else. stride ≥ pl + W + 16. Reads at most 15
 * bytes past an input row; writes at most 15 bytes past the last padded row.
 */
@inline export function padPlane(d: usize, x: usize, H: i32, W: i32, pt: i32, pl: i32, rows: i32, stride: i32, z: v128): void {
  for (let j = 0; j < rows; j++) {
    const iy = j - pt;
    const row = d + <usize>(j * stride);
    let i = 0;
    if (iy >= 0 && iy < H) {
      for (; i < pl; i += 16) v128.store(row + <usize>i, z);
      const src = x + <usize>(iy * W), dst = row + <usize>pl;
      for (i = 0; i < W; i += 16) v128.store(dst + <usize>i, v128.load(src + <usize>i));
      i = pl + W;
    }
    for (; i < stride; i += 16) v128.store(row + <usize>i, z);
  }
}

// The tile loops below hand their sums to E's store (E an @unmanaged class with an @inline store: the
// GEMM's requantizing rows, the Winograd's raw i32 rows), two i32x4 a row (columns 0…3, 4…7), six
// rows (unused ones zero), with the caller's context (p0…p3, n0…n3: what E's store reads them as).
// One loop serves kernels whose stores differ, with no sums leaving the registers in between.

@inline export function rdot(a: v128, b: v128, c: v128): v128 {
  return i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, c);
}

/**
 * A 4-row × 8-column tile of i32x4.dot_i16x8_s over `groups` k-pairs into E's store: A at a (16
 * bytes a group: 4 rows × 2 i16), B at b (32 bytes a group: 8 columns × 2 i16).
 */
@inline export function tileI16<E>(a: usize, b: usize, groups: i32, p0: usize, p1: usize, p2: usize, p3: usize, n0: i32, n1: i32, n2: i32, n3: i32): void {
  const z = i32x4.splat(0);
  let c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
  for (let g = 0; g < groups; g++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let w = v128.load32_splat(a);
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(w, b0));
    c01 = i32x4.add(c01, i32x4.dot_i16x8_s(w, b1));
    w = v128.load32_splat(a, 4);
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(w, b0));
    c11 = i32x4.add(c11, i32x4.dot_i16x8_s(w, b1));
    w = v128.load32_splat(a, 8);
    c20 = i32x4.add(c20, i32x4.dot_i16x8_s(w, b0));
    c21 = i32x4.add(c21, i32x4.dot_i16x8_s(w, b1));
    w = v128.load32_splat(a, 12);
    c30 = i32x4.add(c30, i32x4.dot_i16x8_s(w, b0));
    c31 = i32x4.add(c31, i32x4.dot_i16x8_s(w, b1));
    a += 16;
    b += 32;
  }
  changetype<E>(0).store(c00, c01, c10, c11, c20, c21, c30, c31, z, z, z, z, p0, p1, p2, p3, n0, n1, n2, n3);
}

/**
 * A `rows`-row (4 or 6) × `cols`-column (8, or 4 for a panel's last columns: the sums of columns
 * 4…7 then zero) tile of the relaxed dot over `groups` k-quads into E's store, rows and cols
 * constants: rows in pairs, pair q's 2 × 4 bytes at aq (16 bytes between groups; a2 unused for 4
 * rows), B at b (32 bytes a group: 8 columns × 4 bytes). Six rows keep 12 dots in flight, which
 * hides the dot's latency where 8 leave about a tenth of its throughput (bench/qs8-peak.mjs).
 */
@inline export function tileRdot<E>(a0: usize, a1: usize, a2: usize, b: usize, groups: i32, rows: i32, cols: i32, p0: usize, p1: usize, p2: usize, p3: usize, n0: i32, n1: i32, n2: i32, n3: i32): void {
  const z = i32x4.splat(0);
  let c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
  for (let g = 0; g < groups; g++) {
    const b0 = v128.load(b);
    const b1 = cols > 4 ? v128.load(b, 16) : z;
    let w = v128.load32_splat(a0);
    c00 = rdot(w, b0, c00);
    if (cols > 4) c01 = rdot(w, b1, c01);
    w = v128.load32_splat(a0, 4);
    c10 = rdot(w, b0, c10);
    if (cols > 4) c11 = rdot(w, b1, c11);
    w = v128.load32_splat(a1);
    c20 = rdot(w, b0, c20);
    if (cols > 4) c21 = rdot(w, b1, c21);
    w = v128.load32_splat(a1, 4);
    c30 = rdot(w, b0, c30);
    if (cols > 4) c31 = rdot(w, b1, c31);
    if (rows > 4) {
      w = v128.load32_splat(a2);
      c40 = rdot(w, b0, c40);
      if (cols > 4) c41 = rdot(w, b1, c41);
      w = v128.load32_splat(a2, 4);
      c50 = rdot(w, b0, c50);
      if (cols > 4) c51 = rdot(w, b1, c51);
      a2 += 16;
    }
    a0 += 16;
    a1 += 16;
    b += 32;
  }
  changetype<E>(0).store(c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, p0, p1, p2, p3, n0, n1, n2, n3);
}
