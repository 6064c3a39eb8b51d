// Helpers shared by the QS8 family (assembly/gemm-qs8.ts, assembly/qs8.ts): the k-group of the
// build and the requantization of int32 sums to int8. NOT part of the ABI (never named in
// assembly/index.ts; `@inline export` helpers are inlined into the kernels).
//
// Requantization ("fp32", as XNNPACK's fp32 variant and onnxruntime's QLinear ops):
//   y = clamp(nearest_even(f32(acc + bias) · scale) + zy, qmin, qmax)
// acc + bias wraps in int32; the conversion to f32 rounds to nearest (exact below 2^24); the
// product is one f32 rounding; nearest_even is f32x4.nearest (ties to even, as ONNX's
// QuantizeLinear); values past ±2^31 saturate. qmin/qmax (within −128…127) carry a fused
// ReLU / ReLU6 / clamp. The scalar and vector paths give the same bits.
//
// The requantization block (i32, rqPtr): [zx, zy, qmin, qmax, mode]; mode is the relaxed-dot mode
// chosen at start-up (src/wasm/probe-qs8.ts): 1 the runtime's relaxed dot is exact on signed bytes,
// 0 split each activation into 7-bit halves, −1 use dot_i16x8_s (ignored by the plain builds).

/** Bytes of k packed together per lane pair / quad: 2 (dot_i16x8_s) or 4 (relaxed dot). */
export const QS8_KG: i32 = ASC_FEATURE_RELAXED_SIMD ? 4 : 2;

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

/** [zy, qmin, qmax, mode] of a requantization block. */
@inline export function loadRq(rqPtr: usize): v128 {
  return v128.load(rqPtr, 4);
}

/** The GEMM's relaxed-dot mode (relaxed builds): 1 one signed dot, 0 split into 7-bit halves, −1 dot_i16x8_s. */
@inline export function rdotMode(rqPtr: usize): i32 {
  return load<i32>(rqPtr, 16);
}

/** int8 lanes 0…7 of requant(lo ‖ hi) (8 int32 sums), bias and scale splat. */
@inline export function requant8(lo: v128, hi: v128, bias: i32, scale: f32, rq: v128): v128 {
  const b = i32x4.splat(bias), s = f32x4.splat(scale);
  const r0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(f32x4.convert_i32x4_s(i32x4.add(lo, b)), s)));
  const r1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(f32x4.convert_i32x4_s(i32x4.add(hi, b)), s)));
  // saturating narrows: a sum past ±32767 ends at −128 / 127 whatever zy adds
  const h = i16x8.add_sat_s(i16x8.narrow_i32x4_s(r0, r1), i16x8.splat(<i16>i32x4.extract_lane(rq, 0)));
  const q = i8x16.narrow_i16x8_s(h, h);
  return i8x16.min_s(i8x16.max_s(q, i8x16.splat(<i8>i32x4.extract_lane(rq, 1))), i8x16.splat(<i8>i32x4.extract_lane(rq, 2)));
}

/** Stores lanes 0…n−1 (n ≤ 8) of q at p, p + s, p + 2s, … */
@inline export function store8(p: usize, s: i32, q: v128, n: i32): void {
  if (s == 1 && n >= 8) {
    v128.store64_lane(p, q, 0);
    return;
  }
  const st = <usize>s;
  if (n > 0) store<i8>(p, i8x16.extract_lane_s(q, 0));
  if (n > 1) store<i8>(p + st, i8x16.extract_lane_s(q, 1));
  if (n > 2) store<i8>(p + 2 * st, i8x16.extract_lane_s(q, 2));
  if (n > 3) store<i8>(p + 3 * st, i8x16.extract_lane_s(q, 3));
  if (n > 4) store<i8>(p + 4 * st, i8x16.extract_lane_s(q, 4));
  if (n > 5) store<i8>(p + 5 * st, i8x16.extract_lane_s(q, 5));
  if (n > 6) store<i8>(p + 6 * st, i8x16.extract_lane_s(q, 6));
  if (n > 7) store<i8>(p + 7 * st, i8x16.extract_lane_s(q, 7));
}

/** requant8 then store8. */
@inline export function requantStore(p: usize, s: i32, lo: v128, hi: v128, bias: i32, scale: f32, rq: v128, n: i32): void {
  store8(p, s, requant8(lo, hi, bias, scale, rq), n);
}

/** The scalar requantization of one sum (acc already includes the bias); same bits as requant8. */
@inline export function requant1(acc: i32, scale: f32, zy: i32, qmin: i32, qmax: i32): i32 {
  let r = nearest<f32>(<f32>acc * scale);
  r = min<f32>(max<f32>(r, -65536), 65536);
  return min(max(<i32>r + zy, qmin), qmax);
}
