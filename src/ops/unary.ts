// Elementwise math (PyTorch semantics): sqrt, exp, neg, reciprocal, abs, erf. Any shape; each
// returns a new tensor of x's shape; NaN in gives NaN out. Each has a prepared form (prepareSqrt,
// …; in place allowed) and an eager backward.
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { mapBackward, prepareMap } from './map.js';
import { type Prepared, runOnce } from './prepared.js';
import { tensorArg } from './validate.js';

type Fwd = 'sqrt_f32_simd' | 'exp_f32_simd' | 'neg_f32_simd' | 'reciprocal_f32_simd' | 'abs_f32_simd' | 'erf_f32_simd';
type Bwd = 'sqrt_bwd_f32_simd' | 'exp_bwd_f32_simd' | 'reciprocal_bwd_f32_simd' | 'abs_bwd_f32_simd' | 'erf_bwd_f32_simd';

const prep = (op: string, xShape: Shape, kernel: Fwd): Prepared => prepareMap(op, xShape, (x, y, n) => kernels()[kernel](x, y, n));

function eager(op: string, x: Tensor, prepare: (s: Shape) => Prepared): Tensor {
  const t = tensorArg(op, 'x', x);
  return runOnce(prepare(t.shape), [t.ptr], (s) => Tensor.empty(s));
}

const bwd = (op: string, dy: Tensor, u: Tensor, uName: string, kernel: Bwd): Tensor =>
  mapBackward(op, dy, u, uName, (d, v, dx, n) => kernels()[kernel](d, v, dx, n));

/** sqrt prepared for x of xShape: inputs [x]; output of xShape; in place allowed. */
export function prepareSqrt(xShape: Shape): Prepared { return prep('sqrt', xShape, 'sqrt_f32_simd'); }
/** exp prepared for x of xShape: inputs [x]; output of xShape; in place allowed. */
export function prepareExp(xShape: Shape): Prepared { return prep('exp', xShape, 'exp_f32_simd'); }
/** neg prepared for x of xShape: inputs [x]; output of xShape; in place allowed. */
export function prepareNeg(xShape: Shape): Prepared { return prep('neg', xShape, 'neg_f32_simd'); }
/** reciprocal prepared for x of xShape: inputs [x]; output of xShape; in place allowed. */
export function prepareReciprocal(xShape: Shape): Prepared { return prep('reciprocal', xShape, 'reciprocal_f32_simd'); }
/** abs prepared for x of xShape: inputs [x]; output of xShape; in place allowed. */
export function prepareAbs(xShape: Shape): Prepared { return prep('abs', xShape, 'abs_f32_simd'); }
/** erf prepared for x of xShape: inputs [x]; output of xShape; in place allowed. */
export function prepareErf(xShape: Shape): Prepared { return prep('erf', xShape, 'erf_f32_simd'); }

/** √x elementwise, correctly rounded (√−0 = −0; negative x gives NaN). */
export function sqrt(x: Tensor): Tensor { return eager('sqrt', x, prepareSqrt); }
/** eˣ elementwise (~1 ulp; +∞ past x ≈ 88.72, subnormal results kept). */
export function exp(x: Tensor): Tensor { return eager('exp', x, prepareExp); }
/** −x elementwise. */
export function neg(x: Tensor): Tensor { return eager('neg', x, prepareNeg); }
/** 1/x elementwise, correctly rounded (1/±0 = ±∞). */
export function reciprocal(x: Tensor): Tensor { return eager('reciprocal', x, prepareReciprocal); }
/** |x| elementwise. */
export function abs(x: Tensor): Tensor { return eager('abs', x, prepareAbs); }
/** erf(x) elementwise, within 2 ulp of the exact value (±1 at ±∞). */
export function erf(x: Tensor): Tensor { return eager('erf', x, prepareErf); }

/** sqrt's gradient from its OUTPUT y = √x: dx = dy/(2y). */
export function sqrtBackward(dy: Tensor, y: Tensor): Tensor { return bwd('sqrtBackward', dy, y, 'y', 'sqrt_bwd_f32_simd'); }
/** exp's gradient from its OUTPUT y = eˣ: dx = dy·y. */
export function expBackward(dy: Tensor, y: Tensor): Tensor { return bwd('expBackward', dy, y, 'y', 'exp_bwd_f32_simd'); }
/** reciprocal's gradient from its OUTPUT y = 1/x: dx = −dy·y². */
export function reciprocalBackward(dy: Tensor, y: Tensor): Tensor { return bwd('reciprocalBackward', dy, y, 'y', 'reciprocal_bwd_f32_simd'); }
/** abs's gradient from its INPUT x: dx = dy·sgn(x) (0 at x = ±0 and NaN, as PyTorch). */
export function absBackward(dy: Tensor, x: Tensor): Tensor { return bwd('absBackward', dy, x, 'x', 'abs_bwd_f32_simd'); }
/** erf's gradient from its INPUT x: dx = dy·(2/√π)·e^(−x²). */
export function erfBackward(dy: Tensor, x: Tensor): Tensor { return bwd('erfBackward', dy, x, 'x', 'erf_bwd_f32_simd'); }

/** neg's gradient: dx = −dy. */
export function negBackward(dy: Tensor): Tensor {
  const d = tensorArg('negBackward', 'dy', dy);
  return runOnce(prepareMap('negBackward', d.shape, (x, y, n) => kernels().neg_f32_simd(x, y, n)), [d.ptr], (s) => Tensor.empty(s));
}
