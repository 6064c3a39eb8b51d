// Reference elementwise math in float64. erf/erfc: the positive series e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1))
// (no cancellation) below 3, erfc's continued fraction above.
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

function erfSeries(x: number): number {
  let term = x, sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
}

/** erfc(x) for x ≥ 3 by the continued fraction (modified Lentz). */
function erfcCf(x: number): number {
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
  let f = x, c = x, d = 0;
  for (let k = 1; k < 300; k++) {
    const a = k / 2;
    d = x + a * d;
    d = 1 / d;
    c = x + a / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export function erfcRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 3) return 1 - erfRef(x);
  return x === Infinity ? 0 : erfcCf(x);
}

export function erfRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax === Infinity) return Math.sign(x);
  const v = ax < 3 ? erfSeries(ax) : 1 - erfcCf(ax);
  return x < 0 ? -v : v === 0 ? x : v;
}

export const sqrtRef = Math.sqrt;
export const expRef = Math.exp;
export const negRef = (x: number): number => -x;
export const reciprocalRef = (x: number): number => 1 / x;
export const absRef = Math.abs;
/** torch's sign: (0 < x) − (x < 0), 0 for NaN. */
export const sgnRef = (x: number): number => (x > 0 ? 1 : 0) - (x < 0 ? 1 : 0);
export const erfDerivRef = (x: number): number => TWO_OVER_SQRT_PI * Math.exp(-x * x);
