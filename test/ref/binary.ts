// Reference sub, div, pow (float64, C pow semantics) and their per-element gradients, straight
// from the formulas of PyTorch's autograd.
export const subRef = (a: number, b: number): number => a - b;
export const divRef = (a: number, b: number): number => a / b;

/** C's pow (JavaScript's Math.pow differs: it gives NaN for 1^NaN, NaN^0 is 1 in both, (±1)^±∞ NaN). */
export function powRef(a: number, b: number): number {
  if (b === 0 || a === 1) return 1;
  if (Math.abs(a) === 1 && Math.abs(b) === Infinity) return 1;
  return Math.pow(a, b);
}

export const lnRef = (a: number): number => Math.log(a);

/** [∂y/∂a·dy, ∂y/∂b·dy] at one element. */
export function binaryGradRef(op: string, d: number, a: number, b: number): [number, number] {
  switch (op) {
    case 'sub': return [d, -d];
    case 'mul': return [d * b, d * a];
    case 'div': return [d / b, (-d * a) / (b * b)];
    default: return [b === 0 ? 0 : d * b * powRef(a, b - 1), a === 0 && b >= 0 ? 0 : d * powRef(a, b) * Math.log(a)];
  }
}
