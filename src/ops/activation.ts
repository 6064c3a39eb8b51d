// Elementwise activations (PyTorch semantics): relu, leakyRelu, sigmoid, tanh. Any shape; each
// returns a new Tensor of the same shape. NaN in gives NaN out. Each has a prepared form
// (prepareRelu, …) for compiled plans, which may also run in place (output = input).
import { Tensor, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { type Prepared, runOnce } from './prepared.js';
import { numberArg, tensorArg } from './validate.js';
import { mapBackward, prepareMap } from './map.js';

type Unary = 'relu_f32_simd' | 'sigmoid_f32_simd' | 'tanh_f32_simd';

/** A shape argument of a prepare function: an array of non-negative integers (copied). */

function prepareUnary(op: string, xShape: unknown, kernel: Unary): Prepared {
  return prepareMap(op, xShape, (x, y, n) => kernels()[kernel](x, y, n));
}

/** relu prepared for x of xShape: inputs [x]; output of xShape. In place allowed (out === x). */
export function prepareRelu(xShape: Shape): Prepared {
  return prepareUnary('relu', xShape, 'relu_f32_simd');
}

/** leakyRelu prepared for x of xShape: inputs [x]; output of xShape. In place allowed (out === x). */
export function prepareLeakyRelu(xShape: Shape, negativeSlope = 0.01): Prepared {
  const s = numberArg('leakyRelu', 'negativeSlope', negativeSlope);
  return prepareMap('leakyRelu', xShape, (x, y, n) => kernels().leaky_relu_f32_simd(x, y, n, s));
}

/** sigmoid prepared for x of xShape: inputs [x]; output of xShape. In place allowed (out === x). */
export function prepareSigmoid(xShape: Shape): Prepared {
  return prepareUnary('sigmoid', xShape, 'sigmoid_f32_simd');
}

/** tanh prepared for x of xShape: inputs [x]; output of xShape. In place allowed (out === x). */
export function prepareTanh(xShape: Shape): Prepared {
  return prepareUnary('tanh', xShape, 'tanh_f32_simd');
}

const empty = (s: Shape) => Tensor.empty(s);

/** max(x, 0) elementwise. NaN stays NaN; −0 stays −0. */
export function relu(x: Tensor): Tensor {
  const t = tensorArg('relu', 'x', x);
  return runOnce(prepareRelu(t.shape), [t.ptr], empty);
}

/** x > 0 ? x : negativeSlope·x elementwise (PyTorch's LeakyReLU; negativeSlope any finite number). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  const t = tensorArg('leakyRelu', 'x', x);
  return runOnce(prepareLeakyRelu(t.shape, negativeSlope), [t.ptr], empty);
}

/** 1/(1 + exp(−x)) elementwise; relative error ≲ 3e-7, exactly 0 and 1 at the far ends. */
export function sigmoid(x: Tensor): Tensor {
  const t = tensorArg('sigmoid', 'x', x);
  return runOnce(prepareSigmoid(t.shape), [t.ptr], empty);
}

/** tanh(x) elementwise; relative error ≲ 3e-7 (also near 0), exactly ±1 for |x| ≳ 9. */
export function tanh(x: Tensor): Tensor {
  const t = tensorArg('tanh', 'x', x);
  return runOnce(prepareTanh(t.shape), [t.ptr], empty);
}

// ── Backward ─────────────────────────────────────────────────────────────────────────────────

type UnaryBwd = 'relu_bwd_f32_simd' | 'sigmoid_bwd_f32_simd' | 'tanh_bwd_f32_simd';

function unaryBwd(op: string, dy: unknown, u: unknown, uName: string, kernel: UnaryBwd): Tensor {
  return mapBackward(op, dy, u, uName, (d, t, dx, n) => kernels()[kernel](d, t, dx, n));
}

/** relu's gradient: dx = dy where x > 0, 0 where x ≤ 0 (x the forward input; NaN passes dy, as PyTorch). */
export function reluBackward(dy: Tensor, x: Tensor): Tensor {
  return unaryBwd('reluBackward', dy, x, 'x', 'relu_bwd_f32_simd');
}

/** leakyRelu's gradient: dx = x > 0 ? dy : negativeSlope·dy (x the forward input). */
export function leakyReluBackward(dy: Tensor, x: Tensor, negativeSlope = 0.01): Tensor {
  const op = 'leakyReluBackward';
  const s = numberArg(op, 'negativeSlope', negativeSlope);
  return mapBackward(op, dy, x, 'x', (d, t, dx, n) => kernels().leaky_relu_bwd_f32_simd(d, t, dx, n, s));
}

/** sigmoid's gradient from its OUTPUT y = sigmoid(x): dx = dy·y·(1 − y). */
export function sigmoidBackward(dy: Tensor, y: Tensor): Tensor {
  return unaryBwd('sigmoidBackward', dy, y, 'y', 'sigmoid_bwd_f32_simd');
}

/** tanh's gradient from its OUTPUT y = tanh(x): dx = dy·(1 − y²). */
export function tanhBackward(dy: Tensor, y: Tensor): Tensor {
  return unaryBwd('tanhBackward', dy, y, 'y', 'tanh_bwd_f32_simd');
}
