// QuantizeLinear's arithmetic (f32 → int8, ties to even), shared by quantize_qs8_simd (assembly/qs8.ts)
// and the direct convolution that quantizes its f32 input while it pads it (conv2d-direct-qs8.ts).
// NOT part of the ABI (never named in assembly/index.ts; the `@inline export` helpers are inlined).

/**
 * nearest_even(x / s) + zp as i32 lanes by the magic-number add (as roundZy in qs8-common.ts): v +
 * 1.5·2^23 rounds in the add, its bits less (the bits of 1.5·2^23 − zp: `bits`) are the integer
 * plus zp; v is first raised to −2^22 (`floor`; saturates to −128 anyway) and NaN made 0 (→ zp);
 * past 2^22 the bits only grow (→ 127 in the narrows).
 */
@inline export function quantize4(x: v128, s: v128, floor: v128, magic: v128, bits: v128): v128 {
  const v = f32x4.div(x, s);
  return i32x4.sub(f32x4.add(f32x4.pmax(v128.and(v, f32x4.eq(v, v)), floor), magic), bits);
}

/** 16 floats at p quantized to 16 int8 lanes (scale s splat, floor / magic / bits as quantize4 takes them). */
@inline export function quantize16(p: usize, s: v128, floor: v128, magic: v128, bits: v128): v128 {
  const q0 = quantize4(v128.load(p), s, floor, magic, bits), q1 = quantize4(v128.load(p, 16), s, floor, magic, bits);
  const q2 = quantize4(v128.load(p, 32), s, floor, magic, bits), q3 = quantize4(v128.load(p, 48), s, floor, magic, bits);
  return i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3));
}

/** The `floor`, `magic` and `bits` constants of quantize4 for zero point zp. */
@inline export function quantFloor(): v128 { return f32x4.splat(-4194304); }
@inline export function quantMagic(): v128 { return f32x4.splat(12582912); }
@inline export function quantBits(zp: i32): v128 { return i32x4.splat(0x4b400000 - zp); }

/** The scalar path: the same bits as a lane of quantize16 (NaN → zp, saturation to −128 … 127). */
@inline export function quantize1(x: f32, scale: f32, zp: i32): i8 {
  const v = x / scale;
  const r = v != v ? <f32>0 : min<f32>(max<f32>(nearest<f32>(v), -65536), 65536);
  return <i8>min(max(<i32>r + zp, -128), 127);
}
