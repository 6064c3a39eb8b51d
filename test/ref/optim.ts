// Reference optimizer steps in float64, transcribed from PyTorch's documented algorithms
// (torch.optim.SGD, Adam, AdamW; single tensor, no amsgrad, no maximize). Arrays are updated in
// place. Never imported by src/.

export interface SgdRefOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/** One SGD step. buf: the momentum buffer, or null when it does not exist yet (the first step). */
export function sgdRef(p: Float64Array, grad: ArrayLike<number>, buf: Float64Array | null, o: SgdRefOptions): Float64Array | null {
  let b = buf;
  const g = Float64Array.from(grad);
  if (o.weightDecay !== 0) for (let i = 0; i < p.length; i++) g[i] = g[i] + o.weightDecay * p[i];
  if (o.momentum !== 0) {
    if (b === null) b = Float64Array.from(g);
    else for (let i = 0; i < p.length; i++) b[i] = o.momentum * b[i] + (1 - o.dampening) * g[i];
    for (let i = 0; i < p.length; i++) g[i] = o.nesterov ? g[i] + o.momentum * b[i] : b[i];
  }
  for (let i = 0; i < p.length; i++) p[i] = p[i] - o.lr * g[i];
  return b;
}

export interface AdamRefOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW */
  decoupled: boolean;
}

/** One Adam/AdamW step number t (from 1); m and v start at zero. */
export function adamRef(p: Float64Array, grad: ArrayLike<number>, m: Float64Array, v: Float64Array, t: number, o: AdamRefOptions): void {
  for (let i = 0; i < p.length; i++) {
    let g = grad[i];
    if (o.decoupled) p[i] = p[i] * (1 - o.lr * o.weightDecay);
    else if (o.weightDecay !== 0) g = g + o.weightDecay * p[i];
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
    const mHat = m[i] / (1 - o.beta1 ** t);
    const vHat = v[i] / (1 - o.beta2 ** t);
    p[i] = p[i] - (o.lr * mHat) / (Math.sqrt(vHat) + o.eps);
  }
}
