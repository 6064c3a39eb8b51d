// Reference activations: float64 Math on each element, no tricks.
export const reluRef = (x: number): number => (Number.isNaN(x) ? NaN : x > 0 ? x : 0);
export const leakyReluRef = (x: number, slope: number): number => (x > 0 ? x : x * slope);
export const sigmoidRef = (x: number): number => 1 / (1 + Math.exp(-x));
export const tanhRef = (x: number): number => Math.tanh(x);

export function mapRef(x: ArrayLike<number>, f: (v: number) => number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}
