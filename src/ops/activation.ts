// Elementwise activations (PyTorch semantics): relu, leakyRelu, sigmoid, tanh. Any shape; each
// returns a new Tensor of the same shape. NaN in gives NaN out.
import { Tensor } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { numberArg, tensorArg } from './validate.js';

type Unary = 'relu_f32_simd' | 'sigmoid_f32_simd' | 'tanh_f32_simd';

function unary(op: string, x: unknown, kernel: Unary): Tensor {
  const t = tensorArg(op, 'x', x);
  const y = Tensor.empty(t.shape);
  if (t.size > 0) kernels()[kernel](t.ptr, y.ptr, t.size);
  return y;
}

/** max(x, 0) elementwise. NaN stays NaN; −0 stays −0. */
export function relu(x: Tensor): Tensor {
  return unary('relu', x, 'relu_f32_simd');
}

/** x > 0 ? x : negativeSlope·x elementwise (PyTorch's LeakyReLU; negativeSlope any finite number). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  const t = tensorArg('leakyRelu', 'x', x);
  const s = numberArg('leakyRelu', 'negativeSlope', negativeSlope);
  const y = Tensor.empty(t.shape);
  if (t.size > 0) kernels().leaky_relu_f32_simd(t.ptr, y.ptr, t.size, s);
  return y;
}

/** 1/(1 + exp(−x)) elementwise; relative error ≲ 3e-7, exactly 0 and 1 at the far ends. */
export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', x, 'sigmoid_f32_simd');
}

/** tanh(x) elementwise; relative error ≲ 3e-7 (also near 0), exactly ±1 for |x| ≳ 9. */
export function tanh(x: Tensor): Tensor {
  return unary('tanh', x, 'tanh_f32_simd');
}
