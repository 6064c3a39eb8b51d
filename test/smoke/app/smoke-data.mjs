// The fixed data of the smoke program: LeNet-5's parameter list, weights and input made by an
// integer-only generator (the same numbers in every engine). The harness builds the float64
// reference from the same functions.

/** LeNet-5's parameters in the order models.lenet5() lists them. */
export const PARAMS = [
  ['c1.weight', [6, 1, 5, 5]], ['c1.bias', [6]],
  ['c3.weight', [16, 6, 5, 5]], ['c3.bias', [16]],
  ['c5.weight', [120, 16, 5, 5]], ['c5.bias', [120]],
  ['f6.weight', [84, 120]], ['f6.bias', [84]],
  ['output.weight', [10, 84]], ['output.bias', [10]],
];

/** mulberry32: the same numbers in every engine (integer arithmetic only). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seedOf(name) {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Weights uniform in ±√(6 / fanIn) (He, so activations keep their scale through ReLUs), biases in ±0.1. */
export function paramValues(name, shape) {
  const n = shape.reduce((a, b) => a * b, 1);
  const fanIn = shape.length > 1 ? n / shape[0] : 1;
  const scale = shape.length > 1 ? Math.sqrt(6 / fanIn) : 0.1; // sqrt is correctly rounded everywhere
  const r = rng(seedOf(name));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * r() - 1) * scale;
  return out;
}

/** A fixed 1×1×32×32 input in [0, 1). */
export function inputValues() {
  const r = rng(20240601);
  return Float32Array.from({ length: 32 * 32 }, () => r());
}
