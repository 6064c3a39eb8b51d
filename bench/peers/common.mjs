// Shared by the peer adapters (bench/peers/*.mjs) and bench/compare.mjs: seeded data, layout
// conversions between simdnet's NCHW/OIHW and tfjs's NHWC/HWIO, and LeNet-5 as a layer list.
//
// An adapter is { name, conv2d, linear, pool, elementwise, lenetInfer, lenetTrain }: each method
// takes (workload, data) and returns a prepared task { run, output?, activate?, dispose }, or
// throws if the runtime cannot do it. run() is what gets timed (sync or async); output() returns
// the result as an NCHW Float32Array for the cross-check; activate() runs before timing starts.

export const size = (shape) => shape.reduce((a, b) => a * b, 1);

/** Deterministic values in [-scale/2, scale/2) (an LCG, so every runtime gets the same data). */
export function fill(shape, seed, scale = 1) {
  const d = new Float32Array(size(shape));
  let s = seed >>> 0;
  for (let i = 0; i < d.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    d[i] = (s / 4294967296 - 0.5) * scale;
  }
  return d;
}

/** NCHW data of shape [n, c, h, w] → NHWC. */
export function nchwToNhwc(src, [n, c, ...rest]) {
  const hw = size(rest);
  const dst = new Float32Array(src.length);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const s = (i * c + ch) * hw;
      for (let p = 0; p < hw; p++) dst[(i * hw + p) * c + ch] = src[s + p];
    }
  }
  return dst;
}

/** NHWC data of logical NCHW shape [n, c, h, w] back to NCHW. */
export function nhwcToNchw(src, [n, c, h, w]) {
  const hw = h * w;
  const dst = new Float32Array(src.length);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < hw; p++) {
      const s = (i * hw + p) * c;
      for (let ch = 0; ch < c; ch++) dst[(i * c + ch) * hw + p] = src[s + ch];
    }
  }
  return dst;
}

/** OIHW filter → HWIO (tfjs conv2d's filter layout). */
export function oihwToHwio(src, [o, i, kh, kw]) {
  const dst = new Float32Array(src.length);
  for (let a = 0; a < o; a++) {
    for (let b = 0; b < i; b++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) dst[((y * kw + x) * i + b) * o + a] = src[((a * i + b) * kh + y) * kw + x];
      }
    }
  }
  return dst;
}

/** [rows, cols] → [cols, rows]: a dense weight [out, in] as tfjs's [in, out] kernel. */
export function transpose2d(src, [rows, cols]) {
  const dst = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
  return dst;
}

/** Largest |a - b| relative to the largest |a| (0 when they agree). */
export function relError(a, b) {
  if (a.length !== b.length) return Infinity;
  let diff = 0, mag = 1e-30;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    mag = Math.max(mag, Math.abs(a[i]));
  }
  return diff / mag;
}

export const pair = (v, d) => (v === undefined ? [d, d] : Array.isArray(v) ? v : [v, v]);

/** Output size of a conv/pool window along one axis (floor rounding). */
export const outDim = (n, k, s, p, dil = 1) => Math.floor((n + 2 * p - dil * (k - 1) - 1) / s) + 1;

/**
 * LeNet-5 as simdnet's models.lenet5() builds it (modern style): conv(5×5) → ReLU → maxpool 2
 * twice, conv 16→120 (5×5) → ReLU, flatten, linear 120→84 → ReLU, linear 84→10. Input [N, 1, 32, 32].
 */
export const LENET = [
  { kind: 'conv', w: [6, 1, 5, 5] }, { kind: 'relu' }, { kind: 'pool', k: 2 },
  { kind: 'conv', w: [16, 6, 5, 5] }, { kind: 'relu' }, { kind: 'pool', k: 2 },
  { kind: 'conv', w: [120, 16, 5, 5] }, { kind: 'relu' }, { kind: 'flatten' },
  { kind: 'linear', w: [84, 120] }, { kind: 'relu' }, { kind: 'linear', w: [10, 84] },
];
export const LENET_INPUT = [1, 32, 32];
export const LENET_CLASSES = 10;

/** Forward multiply-add FLOPs of one LeNet-5 image (2 × MACs). */
export const LENET_FLOPS = 2 * (6 * 25 * 28 * 28 + 16 * 150 * 10 * 10 + 120 * 400 + 84 * 120 + 10 * 84);

/** Seeded LeNet-5 weights: for each conv/linear layer { w, b } scaled by 1/√fan-in. */
export function lenetParams(seed = 11) {
  return LENET.filter((l) => l.w).map((l, i) => {
    const fanIn = size(l.w.slice(1));
    const scale = 2 * Math.sqrt(3 / fanIn);
    return { w: fill(l.w, seed + 2 * i, scale), b: fill([l.w[0]], seed + 2 * i + 1, 0.1) };
  });
}

/** Random images and labels for a LeNet batch. */
export function lenetData(batch, seed = 5) {
  const x = fill([batch, ...LENET_INPUT], seed, 2);
  const y = new Int32Array(batch);
  for (let i = 0; i < batch; i++) y[i] = (i * 7 + seed) % LENET_CLASSES;
  return { x, y };
}
