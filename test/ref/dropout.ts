// Reference of dropout's counter-based keep rule, one element at a time with Math.imul:
// h = fmix32(fmix32(i ^ k1) ^ k2), k1 = fmix32(seed ^ 0x5bd1e995), k2 = fmix32(seed + 0x9e3779b9);
// kept iff h ≥ round(p·2^32) (unsigned).
function fmix32(h: number): number {
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export function keptRef(seed: number, i: number, p: number): boolean {
  if (p === 1) return true; // kept with scale 0: y = x·0
  const k1 = fmix32((seed ^ 0x5bd1e995) >>> 0);
  const k2 = fmix32((seed + 0x9e3779b9) >>> 0);
  const h = fmix32((fmix32((i ^ k1) >>> 0) ^ k2) >>> 0);
  return h >= Math.min(Math.round(p * 2 ** 32), 0xffffffff);
}
