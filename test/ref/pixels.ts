// Reference for Tensor.fromPixels: crop, resize, grey and normalise in float64, one step at a
// time, from PyTorch's formulas. The one float32 step is the one PyTorch itself does in float32
// for a float32 image: the scale in/out and the source coordinate (upsample's opmath type).

export interface PixelsRefOptions {
  size?: [number, number];
  resize?: 'bilinear' | 'nearest';
  crop?: 'center' | 'none';
  channels?: 1 | 3;
  mean?: number | number[];
  std?: number | number[];
}

/** Python's round(): halves go to the even neighbour. */
export function pyRound(v: number): number {
  const fl = Math.floor(v);
  const frac = v - fl;
  if (frac > 0.5) return fl + 1;
  if (frac < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}

/** The crop rectangle [x, y, w, h]: the largest centred region with the target's aspect ratio. */
export function centerCropRef(W: number, H: number, oh: number, ow: number): [number, number, number, number] {
  let w = W, h = H;
  const target = ow / oh;
  // H·ow/oh with one division: exactly k + 0.5 when it is (then rounded up)
  if (W / H > target) w = Math.min(W, Math.max(1, Math.floor((H * ow) / oh + 0.5)));
  else if (W / H < target) h = Math.min(H, Math.max(1, Math.floor((W * oh) / ow + 0.5)));
  return [pyRound((W - w) / 2), pyRound((H - h) / 2), w, h];
}

/** Source taps and weights of output index d: [[index, weight], …]. */
function taps(d: number, inSize: number, outSize: number, mode: 'bilinear' | 'nearest'): [number, number][] {
  const scale = Math.fround(inSize / outSize);
  if (mode === 'nearest') return [[Math.min(Math.floor(Math.fround(d * scale)), inSize - 1), 1]];
  // area_pixel_compute_source_index (align_corners=False), clamped at 0
  const src = Math.max(0, Math.fround(Math.fround(scale * Math.fround(d + 0.5)) - 0.5));
  const x0 = Math.min(Math.floor(src), inSize - 1);
  const x1 = Math.min(x0 + 1, inSize - 1);
  const l1 = Math.min(Math.max(src - x0, 0), 1);
  return [[x0, 1 - l1], [x1, l1]];
}

/** One RGBA image (bytes, row-major) → Float64Array [C, H, W]. */
export function pixelsRef(data: ArrayLike<number>, W: number, H: number, o: PixelsRefOptions = {}): Float64Array {
  const [oh, ow] = o.size ?? [H, W];
  const mode = o.resize ?? 'bilinear';
  const C = o.channels ?? 3;
  const [cx, cy, cw, ch] = o.crop === 'center' ? centerCropRef(W, H, oh, ow) : [0, 0, W, H];
  // RGB on the 0…1 scale, the crop only
  const px = (c: number, x: number, y: number): number => data[4 * ((cy + y) * W + (cx + x)) + c] / 255;
  const rgb = [0, 1, 2].map(() => new Float64Array(oh * ow));
  for (let y = 0; y < oh; y++) {
    const ty = taps(y, ch, oh, mode);
    for (let x = 0; x < ow; x++) {
      const tx = taps(x, cw, ow, mode);
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (const [yi, wy] of ty) {
          let row = 0;
          for (const [xi, wx] of tx) row += wx * px(c, xi, yi);
          v += wy * row;
        }
        rgb[c][y * ow + x] = v;
      }
    }
  }
  const planes = C === 3 ? rgb : [rgb[0].map((r, i) => 0.299 * r + 0.587 * rgb[1][i] + 0.114 * rgb[2][i])];
  const per = (v: number | number[] | undefined, dflt: number): number[] => (v === undefined ? Array(C).fill(dflt) : typeof v === 'number' ? Array(C).fill(v) : v);
  const mean = per(o.mean, 0), std = per(o.std, 1);
  const out = new Float64Array(C * oh * ow);
  for (let c = 0; c < C; c++) for (let i = 0; i < oh * ow; i++) out[c * oh * ow + i] = (planes[c][i] - mean[c]) / std[c];
  return out;
}
