// int8 concatenation along one axis (quantized Inception / ShuffleNet joins): block copies, or,
// for an input quantized on another grid than the output, the same blocks mapped through a
// 256-byte requantization table.
import { lutMap } from "./qs8-common";

/**
 * y[o, off_t + j] = map_t(x_t[o, j]) for o in [0, outer), t in [0, k), j in [0, len_t), where
 * off_t = Σ_{s<t} len_s and map_t is the identity (a byte copy) when table_t = 0, else
 * v ↦ table_t[v + 128]. paramsPtr: i32 block of k triples [xPtr_t (byte address), len_t (bytes of
 * one outer row), table_t (byte address of 256 int8, or 0)]; yPtr: outer·Σ len_t int8. Inputs
 * must not overlap y. Blocks need no alignment; a mapped block's tail (len_t mod 16) goes scalar.
 */
export function concat_qs8_simd(paramsPtr: usize, k: i32, outer: i32, yPtr: usize): void {
  let y = yPtr;
  for (let o = 0; o < outer; o++) {
    for (let t = 0; t < k; t++) {
      const p = paramsPtr + <usize>(t * 12);
      const len = load<i32>(p, 4);
      const table = <usize>load<u32>(p, 8);
      const x = <usize>load<u32>(p) + <usize>o * <usize>len;
      if (table == 0) memory.copy(y, x, <usize>len);
      else lutMap(x, table, y, len);
      y += <usize>len;
    }
  }
}
