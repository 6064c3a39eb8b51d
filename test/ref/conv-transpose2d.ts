// Plain reference transposed convolution (PyTorch's F.conv_transpose2d) from its definition:
// every input pixel scatters x·w into the output, float64 sums. Never imported by src/.

export interface RefConvTOptions {
  stride?: [number, number];
  /** [top, left, bottom, right] */
  padding?: [number, number, number, number];
  outputPadding?: [number, number];
  dilation?: [number, number];
  groups?: number;
}

export function refConvTranspose2d(
  x: ArrayLike<number>, [N, C, H, W]: readonly number[], w: ArrayLike<number>, [Cw, OG, KH, KW]: readonly number[],
  bias: ArrayLike<number> | null, o: RefConvTOptions = {},
): { data: Float64Array; shape: number[] } {
  const [sh, sw] = o.stride ?? [1, 1];
  const [pt, pl, pb, pr] = o.padding ?? [0, 0, 0, 0];
  const [oph, opw] = o.outputPadding ?? [0, 0];
  const [dh, dw] = o.dilation ?? [1, 1];
  const G = o.groups ?? 1;
  if (Cw !== C) throw new Error('refConvTranspose2d: channels');
  const O = OG * G, CG = C / G;
  const OH = (H - 1) * sh - pt - pb + dh * (KH - 1) + oph + 1;
  const OW = (W - 1) * sw - pl - pr + dw * (KW - 1) + opw + 1;
  const y = new Float64Array(N * O * OH * OW);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const g = Math.floor(c / CG);
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++) {
          const v = x[((n * C + c) * H + i) * W + j];
          for (let co = 0; co < OG; co++)
            for (let ki = 0; ki < KH; ki++) {
              const oy = i * sh - pt + ki * dh;
              if (oy < 0 || oy >= OH) continue;
              for (let kj = 0; kj < KW; kj++) {
                const ox = j * sw - pl + kj * dw;
                if (ox < 0 || ox >= OW) continue;
                y[((n * O + g * OG + co) * OH + oy) * OW + ox] += v * w[((c * OG + co) * KH + ki) * KW + kj];
              }
            }
        }
    }
  if (bias) for (let n = 0; n < N; n++) for (let o2 = 0; o2 < O; o2++) for (let k = 0; k < OH * OW; k++) y[(n * O + o2) * OH * OW + k] += bias[o2];
  return { data: y, shape: [N, O, OH, OW] };
}
