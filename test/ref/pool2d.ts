// Reference pooling, written from PyTorch's documented algorithms: plain loops over NCHW,
// float64 accumulation. Independent of src/ (its own output-size rule and option handling).

export interface RefPoolOptions {
  kernelSize: number | readonly [number, number];
  stride?: number | readonly [number, number];
  padding?: number | readonly [number, number];
  dilation?: number | readonly [number, number];
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

const pair = (v: number | readonly [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** PyTorch's pooling_output_shape: floor or ceil, then drop a last window that starts in the right padding. */
export function refPoolOutSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const num = n + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0);
  let out = Math.floor(num / s) + 1;
  if (ceil && (out - 1) * s >= n + p) out--;
  return out;
}

interface Geom { kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; oh: number; ow: number }

function geom(shape: readonly number[], o: RefPoolOptions): Geom {
  const [kh, kw] = pair(o.kernelSize);
  const [sh, sw] = pair(o.stride ?? o.kernelSize);
  const [ph, pw] = pair(o.padding ?? 0);
  const [dh, dw] = pair(o.dilation ?? 1);
  const H = shape[shape.length - 2], W = shape[shape.length - 1];
  const ceil = o.ceilMode ?? false;
  return { kh, kw, sh, sw, ph, pw, dh, dw, oh: refPoolOutSize(H, kh, sh, ph, dh, ceil), ow: refPoolOutSize(W, kw, sw, pw, dw, ceil) };
}

/**
 * max_pool2d: the maximum over the window's real taps (row-major order; a later tap wins only if
 * strictly greater, NaN always wins), and the argmax ih·W + iw within the plane (-1 if no real tap).
 */
export function refMaxPool2d(x: ArrayLike<number>, shape: readonly number[], o: RefPoolOptions): { y: Float64Array; idx: Int32Array; shape: number[] } {
  const g = geom(shape, o);
  const H = shape[shape.length - 2], W = shape[shape.length - 1];
  const planes = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const y = new Float64Array(planes * g.oh * g.ow);
  const idx = new Int32Array(planes * g.oh * g.ow);
  for (let p = 0; p < planes; p++) {
    for (let oh = 0; oh < g.oh; oh++) {
      for (let ow = 0; ow < g.ow; ow++) {
        let best = -Infinity;
        let arg = -1;
        for (let i = 0; i < g.kh; i++) {
          for (let j = 0; j < g.kw; j++) {
            const ih = oh * g.sh - g.ph + i * g.dh;
            const iw = ow * g.sw - g.pw + j * g.dw;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            const v = x[p * H * W + ih * W + iw];
            if (arg === -1) arg = ih * W + iw; // PyTorch starts from the first real tap with −∞
            if (v > best || Number.isNaN(v)) {
              best = v;
              arg = ih * W + iw;
            }
          }
        }
        const q = (p * g.oh + oh) * g.ow + ow;
        y[q] = best;
        idx[q] = arg;
      }
    }
  }
  return { y, idx, shape: [...shape.slice(0, -2), g.oh, g.ow] };
}

/**
 * avg_pool2d, as PyTorch's CPU kernel: hstart = oh·s − p, hend = min(hstart + k, H + p),
 * pool_size = (hend − hstart)(wend − wstart), then clip to the input; empty → 0; divide by
 * pool_size (countIncludePad) or by the clipped area.
 */
export function refAvgPool2d(x: ArrayLike<number>, shape: readonly number[], o: RefPoolOptions): { y: Float64Array; shape: number[] } {
  const g = geom(shape, o);
  const include = o.countIncludePad ?? true;
  const H = shape[shape.length - 2], W = shape[shape.length - 1];
  const planes = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const y = new Float64Array(planes * g.oh * g.ow);
  for (let p = 0; p < planes; p++) {
    for (let oh = 0; oh < g.oh; oh++) {
      for (let ow = 0; ow < g.ow; ow++) {
        let hstart = oh * g.sh - g.ph, wstart = ow * g.sw - g.pw;
        let hend = Math.min(hstart + g.kh, H + g.ph), wend = Math.min(wstart + g.kw, W + g.pw);
        const poolSize = (hend - hstart) * (wend - wstart);
        hstart = Math.max(hstart, 0);
        wstart = Math.max(wstart, 0);
        hend = Math.min(hend, H);
        wend = Math.min(wend, W);
        const q = (p * g.oh + oh) * g.ow + ow;
        if (hstart >= hend || wstart >= wend) { y[q] = 0; continue; }
        let sum = 0;
        for (let ih = hstart; ih < hend; ih++) for (let iw = wstart; iw < wend; iw++) sum += x[p * H * W + ih * W + iw];
        y[q] = sum / (include ? poolSize : (hend - hstart) * (wend - wstart));
      }
    }
  }
  return { y, shape: [...shape.slice(0, -2), g.oh, g.ow] };
}

/** Mean over each H×W plane. */
export function refGlobalAvgPool2d(x: ArrayLike<number>, shape: readonly number[]): { y: Float64Array; shape: number[] } {
  const hw = shape[shape.length - 2] * shape[shape.length - 1];
  const planes = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const y = new Float64Array(planes);
  for (let p = 0; p < planes; p++) {
    let s = 0;
    for (let i = 0; i < hw; i++) s += x[p * hw + i];
    y[p] = s / hw;
  }
  return { y, shape: [...shape.slice(0, -2), 1, 1] };
}

// ---- backward and adaptive pooling ----------------------------------------------------------

/** max_pool2d's gradient: dy[q] added at the argmax of window q (from refMaxPool2d); -1 skipped. */
export function refMaxPool2dBackward(x: ArrayLike<number>, shape: readonly number[], o: RefPoolOptions, dy: ArrayLike<number>): Float64Array {
  const { idx, shape: outShape } = refMaxPool2d(x, shape, o);
  const H = shape[shape.length - 2], W = shape[shape.length - 1];
  const per = outShape[outShape.length - 2] * outShape[outShape.length - 1];
  const dx = new Float64Array(x.length);
  for (let q = 0; q < idx.length; q++) {
    if (idx[q] < 0) continue;
    const p = Math.floor(q / per);
    dx[p * H * W + idx[q]] += dy[q];
  }
  return dx;
}

/** avg_pool2d's gradient: each dy spread evenly (by the forward's divisor) over its window's real elements. */
export function refAvgPool2dBackward(dy: ArrayLike<number>, shape: readonly number[], o: RefPoolOptions): Float64Array {
  const g = geom(shape, o);
  const include = o.countIncludePad ?? true;
  const H = shape[shape.length - 2], W = shape[shape.length - 1];
  const planes = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const dx = new Float64Array(planes * H * W);
  for (let p = 0; p < planes; p++) {
    for (let oh = 0; oh < g.oh; oh++) {
      for (let ow = 0; ow < g.ow; ow++) {
        let hstart = oh * g.sh - g.ph, wstart = ow * g.sw - g.pw;
        let hend = Math.min(hstart + g.kh, H + g.ph), wend = Math.min(wstart + g.kw, W + g.pw);
        const poolSize = (hend - hstart) * (wend - wstart);
        hstart = Math.max(hstart, 0);
        wstart = Math.max(wstart, 0);
        hend = Math.min(hend, H);
        wend = Math.min(wend, W);
        if (hstart >= hend || wstart >= wend) continue;
        const div = include ? poolSize : (hend - hstart) * (wend - wstart);
        const share = dy[(p * g.oh + oh) * g.ow + ow] / div;
        for (let ih = hstart; ih < hend; ih++) for (let iw = wstart; iw < wend; iw++) dx[p * H * W + ih * W + iw] += share;
      }
    }
  }
  return dx;
}

/** PyTorch's adaptive window: [floor(i·n/out), ceil((i+1)·n/out)). */
function adaptiveWindow(i: number, n: number, out: number): [number, number] {
  return [Math.floor((i * n) / out), Math.ceil(((i + 1) * n) / out)];
}

/** adaptive_avg_pool2d: the mean over each output cell's adaptive window. */
export function refAdaptiveAvgPool2d(x: ArrayLike<number>, shape: readonly number[], oh: number, ow: number): { y: Float64Array; shape: number[] } {
  const H = shape[shape.length - 2], W = shape[shape.length - 1];
  const planes = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const y = new Float64Array(planes * oh * ow);
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < oh; i++) {
      const [h0, h1] = adaptiveWindow(i, H, oh);
      for (let j = 0; j < ow; j++) {
        const [w0, w1] = adaptiveWindow(j, W, ow);
        let sum = 0;
        for (let r = h0; r < h1; r++) for (let c = w0; c < w1; c++) sum += x[p * H * W + r * W + c];
        y[(p * oh + i) * ow + j] = sum / ((h1 - h0) * (w1 - w0));
      }
    }
  }
  return { y, shape: [...shape.slice(0, -2), oh, ow] };
}

/** adaptive_avg_pool2d's gradient: each dy spread evenly over its window. */
export function refAdaptiveAvgPool2dBackward(dy: ArrayLike<number>, shape: readonly number[], oh: number, ow: number): Float64Array {
  const H = shape[shape.length - 2], W = shape[shape.length - 1];
  const planes = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const dx = new Float64Array(planes * H * W);
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < oh; i++) {
      const [h0, h1] = adaptiveWindow(i, H, oh);
      for (let j = 0; j < ow; j++) {
        const [w0, w1] = adaptiveWindow(j, W, ow);
        const share = dy[(p * oh + i) * ow + j] / ((h1 - h0) * (w1 - w0));
        for (let r = h0; r < h1; r++) for (let c = w0; c < w1; c++) dx[p * H * W + r * W + c] += share;
      }
    }
  }
  return dx;
}
