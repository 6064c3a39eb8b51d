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

// Backward references, straight from the derivatives: relu' = [x > 0] (PyTorch zeroes where
// x ≤ 0, so a NaN x lets dy through), leaky' = x > 0 ? 1 : slope, sigmoid' = y(1 − y),
// tanh' = 1 − y², each times dy.
export const reluBackwardRef = (dy: number, x: number): number => (x <= 0 ? 0 : dy);
export const leakyReluBackwardRef = (dy: number, x: number, slope: number): number => (x > 0 ? dy : dy * slope);
export const sigmoidBackwardRef = (dy: number, y: number): number => dy * y * (1 - y);
export const tanhBackwardRef = (dy: number, y: number): number => dy * (1 - y * y);

export function zipRef(a: ArrayLike<number>, b: ArrayLike<number>, f: (u: number, v: number) => number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i], b[i]);
  return out;
}
