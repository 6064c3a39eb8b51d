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

/**
 * The adjoint of refConv2d for its input: every tap the forward reads, x[n, c, iy, ix]·w[oc, ci,
 * ky, kx] → y[n, oc, oy, ox], here adds w·dy into dx at the same x index. float64.
 */
export function refConv2dBackwardData(
  dy: ArrayLike<number>, w: ArrayLike<number>, wShape: readonly number[], xShape: readonly number[], o: RefConv2dOptions = {},
): RefResult {
  const [N, C, H, W] = xShape;
  const [O, Cg, KH, KW] = wShape;
  const [sh, sw] = o.stride ?? [1, 1];
  const [pt, pl, pb, pr] = o.padding ?? [0, 0, 0, 0];
  const [dh, dw] = o.dilation ?? [1, 1];
  const G = o.groups ?? 1;
  const OH = Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1;
  const Og = O / G;
  if (dy.length !== N * O * OH * OW) throw new Error('refConv2dBackwardData: dy has the wrong size');
  const dx = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < O; oc++) {
      const g = Math.floor(oc / Og);
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          const d = dy[((n * O + oc) * OH + oy) * OW + ox];
          for (let ci = 0; ci < Cg; ci++) {
            const c = g * Cg + ci;
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * sw - pl + kx * dw;
                if (ix < 0 || ix >= W) continue;
                dx[((n * C + c) * H + iy) * W + ix] += w[((oc * Cg + ci) * KH + ky) * KW + kx] * d;
              }
            }
          }
        }
      }
    }
  }
  return { data: dx, shape: [N, C, H, W] };
}

/** The adjoint of refConv2d for its weights: x·dy summed into dw at each tap's weight index. float64. */
export function refConv2dBackwardFilter(
  x: ArrayLike<number>, xShape: readonly number[], dy: ArrayLike<number>, wShape: readonly number[], o: RefConv2dOptions = {},
): RefResult {
  const [N, C, H, W] = xShape;
  const [O, Cg, KH, KW] = wShape;
  const [sh, sw] = o.stride ?? [1, 1];
  const [pt, pl, pb, pr] = o.padding ?? [0, 0, 0, 0];
  const [dh, dw] = o.dilation ?? [1, 1];
  const G = o.groups ?? 1;
  const OH = Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1;
  const Og = O / G;
  if (dy.length !== N * O * OH * OW) throw new Error('refConv2dBackwardFilter: dy has the wrong size');
  const gw = new Float64Array(O * Cg * KH * KW);
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < O; oc++) {
      const g = Math.floor(oc / Og);
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          const d = dy[((n * O + oc) * OH + oy) * OW + ox];
          for (let ci = 0; ci < Cg; ci++) {
            const c = g * Cg + ci;
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * sw - pl + kx * dw;
                if (ix < 0 || ix >= W) continue;
                gw[((oc * Cg + ci) * KH + ky) * KW + kx] += x[((n * C + c) * H + iy) * W + ix] * d;
              }
            }
          }
        }
      }
    }
  }
  return { data: gw, shape: [O, Cg, KH, KW] };
}

/** db[o] = Σ over n, oy, ox of dy[n, o, oy, ox]. float64. */
export function refConv2dBackwardBias(dy: ArrayLike<number>, dyShape: readonly number[]): Float64Array {
  const [N, O, OH, OW] = dyShape;
  const db = new Float64Array(O);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < OH * OW; i++) db[o] += dy[(n * O + o) * OH * OW + i];
    }
  }
  return db;
}

/** The reference's own reading of a padding argument as [top, left, bottom, right] (independent of window2d). */
export function refPadding(
  p: number | readonly number[] | 'same' | 'valid' | undefined, h: number, w: number,
  kh: number, kw: number, stride: [number, number], dilation: [number, number],
): [number, number, number, number] {
  if (p === undefined || p === 'valid') return [0, 0, 0, 0];
  if (p === 'same') {
    const [t, b] = refSamePad(h, kh, stride[0], dilation[0]);
    const [l, r] = refSamePad(w, kw, stride[1], dilation[1]);
    return [t, l, b, r];
  }
  if (typeof p === 'number') return [p, p, p, p];
  if (p.length === 2) return [p[0], p[1], p[0], p[1]];
  return [p[0], p[1], p[2], p[3]];
}
