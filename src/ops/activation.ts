// Elementwise activations (PyTorch semantics): relu, leakyRelu, sigmoid, tanh. Any shape; each
// returns a new Tensor of the same shape. NaN in gives NaN out.
import { Tensor } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { fmtShape, numberArg, tensorArg } from './validate.js';

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

// ── Backward ─────────────────────────────────────────────────────────────────────────────────

type UnaryBwd = 'relu_bwd_f32_simd' | 'sigmoid_bwd_f32_simd' | 'tanh_bwd_f32_simd';

/** dy and the saved tensor u (x or y) must be live and of one shape; returns both typed. */
function bwdArgs(op: string, dy: unknown, u: unknown, uName: string): [Tensor, Tensor] {
  const d = tensorArg(op, 'dy', dy);
  const t = tensorArg(op, uName, u);
  if (d.rank !== t.rank || d.shape.some((v, i) => v !== t.shape[i])) {
    throw new RangeError(
      `${op}: dy has shape ${fmtShape(d.shape)} but ${uName} has shape ${fmtShape(t.shape)}; ` +
        `dy must have the shape of the forward output, which is that of ${uName}`,
    );
  }
  return [d, t];
}

function unaryBwd(op: string, dy: unknown, u: unknown, uName: string, kernel: UnaryBwd): Tensor {
  const [d, t] = bwdArgs(op, dy, u, uName);
  const dx = Tensor.empty(t.shape);
  if (t.size > 0) kernels()[kernel](d.ptr, t.ptr, dx.ptr, t.size);
  return dx;
}

/** relu's gradient: dx = dy where x > 0, 0 where x ≤ 0 (x the forward input; NaN passes dy, as PyTorch). */
export function reluBackward(dy: Tensor, x: Tensor): Tensor {
  return unaryBwd('reluBackward', dy, x, 'x', 'relu_bwd_f32_simd');
}

/** leakyRelu's gradient: dx = x > 0 ? dy : negativeSlope·dy (x the forward input). */
export function leakyReluBackward(dy: Tensor, x: Tensor, negativeSlope = 0.01): Tensor {
  const op = 'leakyReluBackward';
  const [d, t] = bwdArgs(op, dy, x, 'x');
  const s = numberArg(op, 'negativeSlope', negativeSlope);
  const dx = Tensor.empty(t.shape);
  if (t.size > 0) kernels().leaky_relu_bwd_f32_simd(d.ptr, t.ptr, dx.ptr, t.size, s);
  return dx;
}

/** sigmoid's gradient from its OUTPUT y = sigmoid(x): dx = dy·y·(1 − y). */
export function sigmoidBackward(dy: Tensor, y: Tensor): Tensor {
  return unaryBwd('sigmoidBackward', dy, y, 'y', 'sigmoid_bwd_f32_simd');
}

/** tanh's gradient from its OUTPUT y = tanh(x): dx = dy·(1 − y²). */
export function tanhBackward(dy: Tensor, y: Tensor): Tensor {
  return unaryBwd('tanhBackward', dy, y, 'y', 'tanh_bwd_f32_simd');
}
