// Plain reference 2-D convolution (PyTorch's F.conv2d): NCHW input, OIHW weights, float64 sums,
// nested loops, nothing clever. Never imported by src/.

export interface RefConv2dOptions {
  stride?: [number, number];
  /** [top, left, bottom, right] */
  padding?: [number, number, number, number];
  dilation?: [number, number];
  groups?: number;
}

export interface RefResult {
  data: Float64Array;
  shape: number[];
}

/** 'same' padding as TensorFlow/ONNX SAME_UPPER: output ⌈n/s⌉, the odd pixel after. Returns [before, after]. */
export function refSamePad(n: number, k: number, s: number, d: number): [number, number] {
  const out = Math.ceil(n / s);
  const needed = (out - 1) * s + (k - 1) * d + 1;
  const total = needed > n ? needed - n : 0;
  const before = Math.floor(total / 2);
  return [before, total - before];
}

export function refConv2d(
  x: ArrayLike<number>, xShape: readonly number[],
  w: ArrayLike<number>, wShape: readonly number[],
  bias: ArrayLike<number> | null,
  o: RefConv2dOptions = {},
): RefResult {
  const [N, C, H, W] = xShape;
  const [O, Cg, KH, KW] = wShape;
  const [sh, sw] = o.stride ?? [1, 1];
  const [pt, pl, pb, pr] = o.padding ?? [0, 0, 0, 0];
  const [dh, dw] = o.dilation ?? [1, 1];
  const G = o.groups ?? 1;
  if (Cg * G !== C || O % G !== 0) throw new Error('refConv2d: bad channels');
  const OH = Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1;
  const Og = O / G;
  const out = new Float64Array(N * O * OH * OW);
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < O; oc++) {
      const g = Math.floor(oc / Og);
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let s = bias ? bias[oc] : 0;
          for (let ci = 0; ci < Cg; ci++) {
            const c = g * Cg + ci;
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * sw - pl + kx * dw;
                if (ix < 0 || ix >= W) continue;
                s += x[((n * C + c) * H + iy) * W + ix] * w[((oc * Cg + ci) * KH + ky) * KW + kx];
              }
            }
          }
          out[((n * O + oc) * OH + oy) * OW + ox] = s;
        }
      }
    }
  }
  return { data: out, shape: [N, O, OH, OW] };
}

/** clamp(v, lo, hi) elementwise, NaN kept. */
export function refClamp(d: Float64Array, lo: number, hi: number): Float64Array {
  return d.map((v) => (Number.isNaN(v) ? v : Math.min(hi, Math.max(lo, v))));
}
