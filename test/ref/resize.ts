// Plain reference resizing of NCHW images (F.interpolate nearest / bilinear, ONNX Resize's
// coordinate and nearest modes), written from the definitions: float64 sums, nested loops. The
// coordinate itself follows each framework's float32 arithmetic (Math.fround), since nearest's
// floor of d·(1/scale) depends on it. Never imported by src/.

export interface RefResize {
  mode: 'nearest' | 'bilinear';
  /** 'pytorch' or an ONNX coordinate_transformation_mode. */
  coord: string;
  nearest?: string;
  size?: [number, number];
  scale?: [number, number];
}

const fr = Math.fround;

function source(d: number, n: number, out: number, scale: number | undefined, o: RefResize): number {
  switch (o.coord) {
    case 'align_corners':
      return out === 1 ? 0 : fr(fr(d * (n - 1)) / (out - 1));
    case 'pytorch': {
      const r = fr(scale !== undefined ? 1 / scale : n / out);
      return o.mode === 'nearest' ? fr(d * r) : Math.max(fr(fr(r * (d + 0.5)) - 0.5), 0);
    }
    case 'asymmetric':
      return fr(d / fr(scale ?? out / n));
    case 'pytorch_half_pixel':
      return out === 1 ? 0 : fr(fr((d + 0.5) / fr(scale ?? out / n)) - 0.5);
    case 'half_pixel':
      return fr(fr((d + 0.5) / fr(scale ?? out / n)) - 0.5);
  }
  throw new Error(`refResize: coord ${o.coord}`);
}

function nearestIndex(x: number, n: number, mode: string): number {
  const f = Math.floor(x), frac = x - f;
  let i: number;
  if (mode === 'floor') i = f;
  else if (mode === 'ceil') i = Math.ceil(x);
  else if (frac === 0.5) i = mode === 'round_prefer_floor' ? f : f + 1;
  else i = frac < 0.5 ? f : f + 1;
  return Math.min(Math.max(i, 0), n - 1);
}

/** The inputs (row, column, weight) that output (oy, ox) of an H × W plane reads, from the definitions. */
function taps(oy: number, ox: number, H: number, W: number, OH: number, OW: number, o: RefResize): [number, number, number][] {
  const sy = source(oy, H, OH, o.scale?.[0], o), sx = source(ox, W, OW, o.scale?.[1], o);
  if (o.mode === 'nearest') return [[nearestIndex(sy, H, o.nearest ?? 'floor'), nearestIndex(sx, W, o.nearest ?? 'floor'), 1]];
  const cy = Math.min(Math.max(sy, 0), H - 1), cx = Math.min(Math.max(sx, 0), W - 1);
  const y0 = Math.floor(cy), x0 = Math.floor(cx);
  const y1 = Math.min(y0 + 1, H - 1), x1 = Math.min(x0 + 1, W - 1);
  const ly = cy - y0, lx = cx - x0;
  return [[y0, x0, (1 - ly) * (1 - lx)], [y0, x1, (1 - ly) * lx], [y1, x0, ly * (1 - lx)], [y1, x1, ly * lx]];
}

function outSize([, , H, W]: readonly number[], o: RefResize): [number, number] {
  return [o.size ? o.size[0] : Math.floor(H * o.scale![0]), o.size ? o.size[1] : Math.floor(W * o.scale![1])];
}

export function refResize(x: ArrayLike<number>, shape: readonly number[], o: RefResize): { data: Float64Array; shape: number[] } {
  const [N, C, H, W] = shape;
  const [OH, OW] = outSize(shape, o);
  const y = new Float64Array(N * C * OH * OW);
  for (let p = 0; p < N * C; p++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let v = 0;
        for (const [i, j, w] of taps(oy, ox, H, W, OH, OW, o)) v += w * x[(p * H + i) * W + j];
        y[(p * OH + oy) * OW + ox] = v;
      }
    }
  }
  return { data: y, shape: [N, C, OH, OW] };
}

/** The adjoint of refResize: dx[p, i, j] = Σ over outputs reading (i, j) of weight · dy (float64). */
export function refResizeBackward(dy: ArrayLike<number>, shape: readonly number[], o: RefResize): Float64Array {
  const [N, C, H, W] = shape;
  const [OH, OW] = outSize(shape, o);
  const dx = new Float64Array(N * C * H * W);
  for (let p = 0; p < N * C; p++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const g = dy[(p * OH + oy) * OW + ox];
        for (const [i, j, w] of taps(oy, ox, H, W, OH, OW, o)) dx[(p * H + i) * W + j] += w * g;
      }
    }
  }
  return dx;
}
